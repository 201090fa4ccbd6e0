package daemon

import (
	"github.com/redoubtdb/redoubt/daemon/glob"
)

// Pub/sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH
// SSUBSCRIBE SUNSUBSCRIBE SPUBLISH PUBSUB. The machinery is in pubsub.go.
//
// Not yet here, for when their features land: Redis refuses SUBSCRIBE and
// SSUBSCRIBE to a CLIENT_DENY_BLOCKING client ("SUBSCRIBE isn't allowed for
// a DENY BLOCKING client"; SUBSCRIBE is allowed inside MULTI, SSUBSCRIBE
// is not).

func init() { registrations = append(registrations, registerPubsubCommands) }

func registerPubsubCommands(t *commandTable) {
	t.register("subscribe", func(c *Client, argv [][]byte) {
		for _, ch := range argv[1:] {
			c.srv.subscribeLocked(c, kindChannel, ch)
		}
	})
	t.register("psubscribe", func(c *Client, argv [][]byte) {
		for _, pat := range argv[1:] {
			c.srv.subscribeLocked(c, kindPattern, pat)
		}
	})
	t.register("ssubscribe", func(c *Client, argv [][]byte) {
		if c.denyBlocking() {
			// MULTI hook: refused inside EXEC, unlike SUBSCRIBE.
			c.ReplyError("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
			return
		}
		for _, ch := range argv[1:] {
			c.srv.subscribeLocked(c, kindShard, ch)
		}
	})
	t.register("unsubscribe", func(c *Client, argv [][]byte) { cmdUnsubscribe(c, argv, kindChannel) })
	t.register("punsubscribe", func(c *Client, argv [][]byte) { cmdUnsubscribe(c, argv, kindPattern) })
	t.register("sunsubscribe", func(c *Client, argv [][]byte) { cmdUnsubscribe(c, argv, kindShard) })
	// Both go to replicas too, which publish them to their own
	// subscribers (sentinels' hello messages reach them that way).
	t.register("publish", func(c *Client, argv [][]byte) {
		c.ReplyInt(int64(c.srv.publishFromLocked(c, false, argv[1], argv[2])))
		c.propagate(argv...)
	})
	t.register("spublish", func(c *Client, argv [][]byte) {
		c.ReplyInt(int64(c.srv.publishFromLocked(c, true, argv[1], argv[2])))
		c.propagate(argv...)
	})
	// Redis 7.0 flags both may-replicate (hidden from COMMAND INFO, so
	// not in commands.json): a CLIENT PAUSE WRITE holds them, as what
	// they publish goes into the replication stream.
	t.byName["publish"].flags |= flagMayReplicate
	t.byName["spublish"].flags |= flagMayReplicate

	t.registerContainer("pubsub")
	t.register("pubsub|channels", func(c *Client, argv [][]byte) { cmdPubsubChannels(c, argv, c.srv.pubsub.channels) })
	t.register("pubsub|shardchannels", func(c *Client, argv [][]byte) { cmdPubsubChannels(c, argv, c.srv.pubsub.shard) })
	t.register("pubsub|numsub", func(c *Client, argv [][]byte) { cmdPubsubNumsub(c, argv, c.srv.pubsub.channels) })
	t.register("pubsub|shardnumsub", func(c *Client, argv [][]byte) { cmdPubsubNumsub(c, argv, c.srv.pubsub.shard) })
	t.register("pubsub|numpat", func(c *Client, argv [][]byte) { c.ReplyInt(int64(len(c.srv.pubsub.patterns))) })
	t.register("pubsub|help", func(c *Client, argv [][]byte) { replyHelpLines(c, argv, pubsubHelp) })

	// PING and RESET live in cmd_conn.go; their pub/sub behaviour is
	// layered on here so it stays with the rest of pub/sub.

}

// cmdUnsubscribe implements (P|S)UNSUBSCRIBE [name ...]: without names it
// leaves every subscription of the kind.
func cmdUnsubscribe(c *Client, argv [][]byte, k *pubsubKind) {
	if len(argv) == 1 {
		c.srv.unsubscribeAllLocked(c, k, true)
		return
	}
	for _, name := range argv[1:] {
		c.srv.unsubscribeLocked(c, k, name, true)
	}
}

var pubsubHelp = []string{
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
}

// cmdPubsubChannels implements PUBSUB (SHARD)CHANNELS [pattern]: the
// channels with at least one subscriber, matching pattern when given.
func cmdPubsubChannels(c *Client, argv [][]byte, idx map[string]map[*Client]struct{}) {
	if len(argv) > 3 {
		replySubcommandSyntaxError(c, argv)
		return
	}
	var pat []byte
	if len(argv) == 3 {
		pat = argv[2]
	}
	arr := beginDeferredArray(c)
	n := 0
	for ch := range idx {
		if pat != nil && !glob.Match(pat, []byte(ch), false) {
			continue
		}
		c.ReplyBulkString(ch)
		n++
	}
	arr.end(n)
}

// cmdPubsubNumsub implements PUBSUB (SHARD)NUMSUB [channel ...]: each
// channel followed by its number of subscribers (patterns not counted).
func cmdPubsubNumsub(c *Client, argv [][]byte, idx map[string]map[*Client]struct{}) {
	c.ReplyArrayLen(2 * (len(argv) - 2))
	for _, ch := range argv[2:] {
		c.ReplyBulk(ch)
		c.ReplyInt(int64(len(idx[string(ch)])))
	}
}
