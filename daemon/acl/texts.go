package acl

import (
	"fmt"
	"strings"
)

// Error is an error whose text is exactly Redis 7.0.15's: for a reply,
// ready for the client with its prefix ("ERR ...").
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

// replyError builds an Error the way addReplyErrorFormat does: CR and LF
// become spaces so the reply stays one protocol line.
func replyError(format string, args ...any) *Error {
	return &Error{msg: oneLine(fmt.Sprintf(format, args...))}
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, strings.TrimRight(s, "\r\n"))
}

// ErrorKind says why a rule was refused; each kind has Redis's fixed text
// (ACLSetUserStringError).
type ErrorKind int

const (
	ErrSyntax          ErrorKind = iota + 1 // EINVAL: unknown rule, bad pattern
	ErrUnknownCommand                       // ENOENT: unknown command or category
	ErrKeyAfterAll                          // EEXIST: key pattern after ~* / allkeys
	ErrChannelAfterAll                      // EISDIR: channel pattern after &* / allchannels
	ErrNoSuchPassword                       // ENODEV: <pass or !hash not set
	ErrBadHash                              // EBADMSG: #hash or !hash malformed
	ErrDuplicateUser                        // EALREADY: user declared twice in config
	ErrFirstArgOfSub                        // ECHILD: +config|get|x
)

func (k ErrorKind) String() string {
	switch k {
	case ErrUnknownCommand:
		return "Unknown command or category name in ACL"
	case ErrSyntax:
		return "Syntax error"
	case ErrKeyAfterAll:
		return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	case ErrChannelAfterAll:
		return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
	case ErrNoSuchPassword:
		return "The password you are trying to remove from the user does not exist"
	case ErrBadHash:
		return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	case ErrDuplicateUser:
		return "Duplicate user found. A user can only be defined once in config files"
	case ErrFirstArgOfSub:
		return "Allowing first-arg of a subcommand is not supported"
	}
	return "Wrong format"
}

// RuleError is a rule ACL SETUSER refused. Error() is the reply text,
// "ERR Error in ACL SETUSER modifier '<rule>': <reason>".
type RuleError struct {
	Rule string // the rule as given (a whole "(...)" selector for selector rules)
	Kind ErrorKind
}

func (e *RuleError) Error() string {
	return oneLine(fmt.Sprintf("ERR Error in ACL SETUSER modifier '%s': %s", cstr(e.Rule), e.Kind))
}

// Reply texts of the ACL and AUTH commands that do not come from a rule.
const (
	// TextNoACLFile answers ACL LOAD and ACL SAVE without an aclfile.
	TextNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
	// TextSaveFailed answers ACL SAVE when writing the file failed.
	TextSaveFailed = "ERR There was an error trying to save the ACLs. Please check the server logs for more information"
	// TextWrongPass answers AUTH and HELLO AUTH with bad credentials.
	TextWrongPass = "WRONGPASS invalid username-password pair or user is disabled."
	// TextAuthNoPassword answers the one-argument AUTH while the default
	// user is nopass.
	TextAuthNoPassword = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	// TextUsernameSpaces answers ACL SETUSER with a bad user name.
	TextUsernameSpaces = "ERR Usernames can't contain spaces or null characters"
	// TextDeleteDefault answers ACL DELUSER default.
	TextDeleteDefault = "ERR The 'default' user cannot be removed"
	// TextGenpassRange answers ACL GENPASS with a bit count out of range.
	TextGenpassRange = "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
	// TextConfigAndFile is the start-up error when users are declared in
	// the configuration and an ACL file is configured too.
	TextConfigAndFile = "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both."
)

// DryRunUnknownUser is ACL DRYRUN's reply for a user that does not exist.
func DryRunUnknownUser(name string) error {
	return replyError("ERR User '%s' not found", cstr(name))
}

// DryRunUnknownCommand is ACL DRYRUN's reply for a command that does not
// exist (name is the command argument as given, also for an unknown
// subcommand of a container: "Command 'config' not found").
func DryRunUnknownCommand(name string) error {
	return replyError("ERR Command '%s' not found", cstr(name))
}

// HelpLines is the body of ACL HELP in Redis 7.0.15, between the
// "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" header and
// the closing "HELP" / "    Prints this help." lines every HELP adds.
var HelpLines = []string{
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
}
