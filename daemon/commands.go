package daemon

// registrations collects each command file's register function (added from
// the files' init functions), so a new command family is one new file.
var registrations []func(t *commandTable)

func registerCommands(t *commandTable) {
	for _, r := range registrations {
		r(t)
	}
	setPrefetchedMembers(t)
}
