package conf

import (
	"net"
	"strconv"
	"strings"
)

// ReplicaOf is the `replicaof` setting: the primary this server replicates
// from. The zero value (written "" or "no one") means this server is a
// primary.
type ReplicaOf struct {
	Host string
	Port int
}

// IsSet reports whether a primary is configured.
func (r ReplicaOf) IsSet() bool { return r.Host != "" }

// Addr returns "host:port" for dialing, "" when unset.
func (r ReplicaOf) Addr() string {
	if !r.IsSet() {
		return ""
	}
	return net.JoinHostPort(r.Host, strconv.Itoa(r.Port))
}

// String prints "host port" as CONFIG GET does, "" when unset.
func (r ReplicaOf) String() string {
	if !r.IsSet() {
		return ""
	}
	return r.Host + " " + strconv.Itoa(r.Port)
}

// MarshalText prints String.
func (r ReplicaOf) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads "host port", "no one" or "".
func (r *ReplicaOf) UnmarshalText(b []byte) error {
	v, prob := parseReplicaOf(strings.Fields(string(b)))
	if prob != nil {
		return prob
	}
	*r = v
	return nil
}

var errMasterPort = &problem{redis: "Invalid master port", plain: "invalid master port: want 0..65535"}

// parseReplicaOf follows Redis 7.0's setConfigReplicaOfOption. No arguments
// (an empty string in the file) also means no primary, since TOML has no
// absent line.
func parseReplicaOf(args []string) (ReplicaOf, *problem) {
	if len(args) == 0 {
		return ReplicaOf{}, nil
	}
	if len(args) != 2 {
		return ReplicaOf{}, &problem{redis: "wrong number of arguments", plain: `want "<host> <port>", "no one" or ""`}
	}
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		return ReplicaOf{}, nil
	}
	port, ok := strtoll(args[1])
	if !ok || port < 0 || port > 65535 {
		return ReplicaOf{}, errMasterPort
	}
	return ReplicaOf{Host: args[0], Port: int(port)}, nil
}

func (r ReplicaOf) check() *problem {
	if !r.IsSet() {
		return nil
	}
	if strings.ContainsAny(r.Host, " \t\r\n") {
		return problemText("host must not contain white space")
	}
	if r.Port < 0 || r.Port > 65535 {
		return errMasterPort
	}
	return nil
}
