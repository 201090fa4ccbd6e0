package daemon

import "github.com/redoubtdb/redoubt/conf"

// redacted replaces a secret argument in MONITOR and SLOWLOG output, as
// Redis's redactClientCommandArgument does.
var redacted = []byte("(redacted)")

// redactArgs returns argv as MONITOR and the slow log may show it: the
// arguments Redis 7.0 redacts (AUTH's user and password, HELLO AUTH's
// when HELLO got as far as reading them,
// every argument of ACL SETUSER, the values of sensitive CONFIG SET
// parameters) read "(redacted)". argv itself is returned when nothing is
// hidden; otherwise a copy.
func redactArgs(cmd *command, argv [][]byte) [][]byte {
	var hide []int
	switch cmd.name {
	case "auth":
		for i := 1; i < len(argv); i++ {
			hide = append(hide, i)
		}
	case "hello":
		if len(argv) >= 2 {
			if v, ok := parseInt(argv[1]); !ok || v < 2 || v > 3 {
				return argv
			}
		}
		for j := 2; j < len(argv); j++ {
			more := len(argv) - 1 - j
			switch {
			case equalFold(argv[j], "auth") && more >= 2:
				hide = append(hide, j+1, j+2)
				j += 2
			case equalFold(argv[j], "setname") && more >= 1 && validClientName(argv[j+1]):
				j++
			default:
				j = len(argv)
			}
		}
	case "acl|setuser":
		for i := 2; i < len(argv); i++ {
			hide = append(hide, i)
		}
	case "config|set":
		for i := 2; i+1 < len(argv); i += 2 {
			if conf.Sensitive(string(argv[i])) {
				hide = append(hide, i+1)
			}
		}
	}
	if len(hide) == 0 {
		return argv
	}
	shown := append([][]byte(nil), argv...)
	for _, i := range hide {
		shown[i] = redacted
	}
	return shown
}
