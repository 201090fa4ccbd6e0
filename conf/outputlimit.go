package conf

import (
	"strconv"
	"strings"
)

// OutputLimit bounds one client class's pending output: a client is
// disconnected when it reaches Hard bytes, or stays at or above Soft bytes for
// SoftSeconds. Zero disables a bound.
type OutputLimit struct {
	Hard        Size
	Soft        Size
	SoftSeconds int
}

// OutputLimits is client-output-buffer-limit: one limit per client class.
// It is written as Redis does, "<class> <hard> <soft> <soft-seconds>"
// repeated, where class is normal, replica (or its alias slave) or pubsub;
// classes left out keep their current limits. Printed, replicas are called
// "slave" as Redis 7.0 prints them.
type OutputLimits struct {
	Normal  OutputLimit
	Replica OutputLimit
	Pubsub  OutputLimit
}

// OutputLimit returns the limit of a client class: "normal", "replica" (or
// "slave"), "pubsub", case-insensitive. Any other class, such as a replica's
// link to its primary ("master"), has no limit.
func (c *Config) OutputLimit(class string) OutputLimit {
	if l := c.ClientOutputBufferLimit.class(class); l != nil {
		return *l
	}
	return OutputLimit{}
}

func (o *OutputLimits) class(name string) *OutputLimit {
	switch strings.ToLower(name) {
	case "normal":
		return &o.Normal
	case "replica", "slave":
		return &o.Replica
	case "pubsub":
		return &o.Pubsub
	}
	return nil
}

// String prints all three classes as CONFIG GET does:
// "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60".
func (o OutputLimits) String() string {
	var b strings.Builder
	for i, c := range []struct {
		name string
		l    OutputLimit
	}{{"normal", o.Normal}, {"slave", o.Replica}, {"pubsub", o.Pubsub}} {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.name)
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(int64(c.l.Hard), 10))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(int64(c.l.Soft), 10))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(c.l.SoftSeconds))
	}
	return b.String()
}

// compact prints the limits for a config file: units where they divide
// exactly, and the class name "replica".
func (o OutputLimits) compact() string {
	var b strings.Builder
	for i, c := range []struct {
		name string
		l    OutputLimit
	}{{"normal", o.Normal}, {"replica", o.Replica}, {"pubsub", o.Pubsub}} {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.name + " " + c.l.Hard.String() + " " + c.l.Soft.String() + " " + strconv.Itoa(c.l.SoftSeconds))
	}
	return b.String()
}

// MarshalText prints the limits for a config file ("replica 256mb 64mb 60").
func (o OutputLimits) MarshalText() ([]byte, error) { return []byte(o.compact()), nil }

// UnmarshalText reads Redis's format separated by white space; classes left
// out keep their current limits.
func (o *OutputLimits) UnmarshalText(b []byte) error {
	if prob := o.parse(strings.Fields(string(b))); prob != nil {
		return prob
	}
	return nil
}

var (
	errLimitArgs  = problemText("Wrong number of arguments in buffer limit configuration.")
	errLimitClass = problemText("Invalid client class specified in buffer limit configuration.")
	errLimitValue = problemText("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
)

// parse follows Redis 7.0's setConfigClientOutputBufferLimitOption: groups
// of four, every group checked before any is applied, sizes read with
// memtoull and seconds with strtoll.
func (o *OutputLimits) parse(args []string) *problem {
	if len(args)%4 != 0 {
		return errLimitArgs
	}
	next := *o
	for i := 0; i < len(args); i += 4 {
		l := next.class(args[i])
		if l == nil {
			return errLimitClass
		}
		hard, ok1, over1 := memtoull(args[i+1])
		soft, ok2, over2 := memtoull(args[i+2])
		secs, ok3 := strtoll(args[i+3])
		if !ok1 || !ok2 || !ok3 || over1 || over2 || secs < 0 || secs > maxInt32 {
			return errLimitValue
		}
		*l = OutputLimit{Hard: Size(hard), Soft: Size(soft), SoftSeconds: int(secs)}
	}
	*o = next
	return nil
}

func (o OutputLimits) check() *problem {
	for _, l := range []OutputLimit{o.Normal, o.Replica, o.Pubsub} {
		if l.Hard < 0 || l.Soft < 0 || l.SoftSeconds < 0 {
			return errLimitValue
		}
	}
	return nil
}
