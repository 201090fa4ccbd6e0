package daemon

import (
	"slices"
	"strings"

	"github.com/redoubtdb/redoubt/netio/resp"
)

// Client-side caching: CLIENT TRACKING, as Redis 7.0's tracking.c.
//
//   - Default mode: every key a tracking client reads (a readonly
//     command's keys) is remembered in a table, key -> client ids, and the
//     first write to the key sends those clients one invalidation and
//     forgets them; they read it again to be told again. OPTIN remembers
//     only after CLIENT CACHING YES, OPTOUT all but after CLIENT CACHING
//     NO, each for the next command (or transaction).
//   - BCAST: no table; a client names key prefixes ("" for all) and gets
//     every key written under them, gathered per prefix and sent when the
//     unit that wrote them commits (Redis: before its event loop sleeps).
//   - An invalidation is a RESP3 push ["invalidate", [keys]] on the
//     client's own connection, or, with REDIRECT id, a message on the
//     __redis__:invalidate channel to that client (a RESP2 subscriber) or
//     a push if it speaks RESP3. FLUSHDB/FLUSHALL send a null: "all keys".
//     NOLOOP leaves out the client's own writes. The client running the
//     command gets its invalidations after the command's reply.
//   - The table is global (keys of every database), bounded by
//     tracking-table-max-keys: past it, keys are forgotten at random, their
//     clients told as if the keys changed.
//
// Everything here is guarded by Server.mu.

const trackingChannel = "__redis__:invalidate"

// clientTracking is a client's CLIENT TRACKING state.
type clientTracking struct {
	on, bcast, optin, optout, noloop bool
	caching                          bool // CLIENT CACHING given for the next command
	brokenRedir                      bool
	redirect                         int64
	prefixes                         []string // BCAST prefixes, sorted
}

// trackingState is the server's side.
type trackingState struct {
	clients     int                           // clients with tracking on
	keys        map[string]map[int64]struct{} // key -> clients that may cache it
	items       int                           // client ids in keys, all keys together
	prefixes    map[string]*bcastPrefix
	pending     []trackingPending // invalidations to send after a reply being built
	evictRounds int               // consecutive evictions that ended over the limit
	outside     bool              // no command is running: nothing is held back
}

// trackingPending is an invalidation for a client whose reply is being
// built: the one running the command, or a blocked one it serves. key nil
// is all keys (a flush).
type trackingPending struct {
	c   *Client
	key *string
}

// bcastPrefix is a BCAST prefix: its clients, and the keys under it
// written since the last broadcast, each with the client that wrote it
// last (nil outside a command), for NOLOOP.
type bcastPrefix struct {
	clients map[*Client]struct{}
	keys    map[string]*Client
}

// enableTrackingLocked turns tracking on for c (CLIENT TRACKING ON, its
// options checked).
func (s *Server) enableTrackingLocked(c *Client, redirect int64, bcast, optin, optout, noloop bool, prefixes []string) {
	t := &s.tracking
	if !c.tracking.on {
		t.clients++
	}
	if t.keys == nil {
		t.keys = map[string]map[int64]struct{}{}
		t.prefixes = map[string]*bcastPrefix{}
		s.ks.onTouch = s.trackingTouchedLocked
	}
	ct := &c.tracking
	ct.on = true
	ct.brokenRedir, ct.optin, ct.optout, ct.noloop = false, optin, optout, noloop
	ct.redirect = redirect
	if bcast {
		ct.bcast = true
		if len(prefixes) == 0 {
			prefixes = []string{""}
		}
		for _, p := range prefixes {
			bs := t.prefixes[p]
			if bs == nil {
				bs = &bcastPrefix{clients: map[*Client]struct{}{}, keys: map[string]*Client{}}
				t.prefixes[p] = bs
			}
			if _, ok := bs.clients[c]; !ok {
				bs.clients[c] = struct{}{}
				ct.prefixes = append(ct.prefixes, p)
			}
		}
		slices.Sort(ct.prefixes)
	}
}

// disableTrackingLocked turns tracking off for c. Its ids in the table go
// lazily, as in Redis: an id whose client no longer tracks is skipped.
func (s *Server) disableTrackingLocked(c *Client) {
	ct := &c.tracking
	if !ct.on {
		return
	}
	for _, p := range ct.prefixes {
		if bs := s.tracking.prefixes[p]; bs != nil {
			delete(bs.clients, c)
			if len(bs.clients) == 0 {
				delete(s.tracking.prefixes, p)
			}
		}
	}
	s.tracking.clients--
	*ct = clientTracking{}
}

// prefixConflict is Redis's checkPrefixCollisionsOrReply: the error for
// the first of prefixes that overlaps one of c's or another of prefixes
// (one a prefix of the other), or "".
func prefixConflict(c *Client, prefixes []string) string {
	overlap := func(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }
	for i, p := range prefixes {
		for _, q := range c.tracking.prefixes {
			if overlap(q, p) {
				return "ERR Prefix '" + p + "' overlaps with an existing prefix '" + q + "'. Prefixes for a single client must not overlap."
			}
		}
		for _, q := range prefixes[i+1:] {
			if overlap(p, q) {
				return "ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'. Prefixes for a single client must not overlap."
			}
		}
	}
	return ""
}

// trackingRememberLocked records the keys of a readonly command c ran,
// unless OPTIN/OPTOUT and CLIENT CACHING say otherwise (Redis's
// trackingRememberKeys).
func (s *Server) trackingRememberLocked(c *Client, cmd *command, argv [][]byte) {
	ct := &c.tracking
	if (ct.optin && !ct.caching) || (ct.optout && ct.caching) || cmd.has(flagPubsub) {
		return
	}
	t := &s.tracking
	for _, k := range getKeysFromCommand(cmd, argv) {
		key := string(argv[k.pos])
		ids := t.keys[key]
		if ids == nil {
			ids = map[int64]struct{}{}
			t.keys[key] = ids
		}
		if _, ok := ids[c.id]; !ok {
			ids[c.id] = struct{}{}
			t.items++
		}
	}
}

// trackingTouchedLocked is the keyspace's hook for a written key
// (Keyspace.onTouch): Redis's trackingInvalidateKey with bcast set.
func (s *Server) trackingTouchedLocked(key []byte) { s.trackingInvalidateLocked(key, true) }

// trackingInvalidateLocked tells the clients that may cache key that it
// changed, and forgets them; bcast also gathers it for the BCAST prefixes
// it falls under.
func (s *Server) trackingInvalidateLocked(key []byte, bcast bool) {
	t := &s.tracking
	cur := s.pubsub.caller // the client running a command, if any
	if bcast {
		for p, bs := range t.prefixes {
			if strings.HasPrefix(string(key), p) {
				bs.keys[string(key)] = cur
			}
		}
	}
	ids, ok := t.keys[string(key)]
	if !ok {
		return
	}
	delete(t.keys, string(key))
	t.items -= len(ids)
	for id := range ids {
		target := s.clients[id]
		if target == nil || !target.tracking.on || target.tracking.bcast {
			continue
		}
		switch {
		case target == cur && target.tracking.noloop:
			// Its own write.
		case (target == cur || target.redirect != nil) && !t.outside:
			// Its reply is being built (a served blocked client's
			// too): the invalidation follows it.
			k := string(key)
			t.pending = append(t.pending, trackingPending{target, &k})
		default:
			s.sendTrackingLocked(target, resp.AppendBulk(resp.AppendArrayLen(nil, 1), key))
		}
	}
}

// trackingFlushedLocked is Redis's trackingInvalidateKeysOnFlush: every
// tracking client is told that all its keys are invalid (a null), and the
// table is emptied.
func (s *Server) trackingFlushedLocked() {
	t := &s.tracking
	if t.clients > 0 {
		cur := s.pubsub.caller
		for _, c := range s.clients {
			switch {
			case !c.tracking.on:
			case c == cur || c.redirect != nil:
				t.pending = append(t.pending, trackingPending{c, nil})
			default:
				s.sendTrackingLocked(c, resp.AppendNull(nil, c.proto))
			}
		}
	}
	if t.keys != nil {
		t.keys = map[string]map[int64]struct{}{}
		t.items = 0
	}
}

// trackingSendPendingLocked sends the invalidations held while their
// clients' replies were built: after the command (EXEC's, for what it
// ran) and the blocked clients it served.
func (s *Server) trackingSendPendingLocked() {
	t := &s.tracking
	for i, p := range t.pending {
		t.pending[i] = trackingPending{}
		if p.key == nil {
			s.sendTrackingLocked(p.c, resp.AppendNull(nil, p.c.proto))
		} else {
			s.sendTrackingLocked(p.c, resp.AppendBulkString(resp.AppendArrayLen(nil, 1), *p.key))
		}
	}
	t.pending = t.pending[:0]
}

// sendTrackingLocked is Redis's sendTrackingMessage: value is the RESP of
// the invalidated keys (an array, or a null for all), sent to c or to the
// client it redirects to, as that client can take it.
func (s *Server) sendTrackingLocked(c *Client, value []byte) {
	target, redirected := c, false
	if id := c.tracking.redirect; id != 0 {
		r := s.clients[id]
		if r == nil {
			c.tracking.brokenRedir = true
			if c.proto > 2 {
				msg := resp.AppendPushLen(nil, 2, 3)
				msg = resp.AppendBulkString(msg, "tracking-redir-broken")
				s.deliverLocked(s.pubsub.caller, c, resp.AppendInt(msg, id), 0)
			}
			return
		}
		target, redirected = r, true
	}
	var msg []byte
	switch {
	case target.proto > 2:
		msg = resp.AppendPushLen(nil, 2, 3)
		msg = resp.AppendBulkString(msg, "invalidate")
	case redirected && target.pubsub.subscribed():
		msg = resp.AppendArrayLen(nil, 3)
		msg = resp.AppendBulkString(msg, "message")
		msg = resp.AppendBulkString(msg, trackingChannel)
	default:
		// RESP2 has no pushes on a connection that also gets replies.
		return
	}
	s.deliverLocked(s.pubsub.caller, target, append(msg, value...), 0)
}

// trackingBroadcastLocked sends the BCAST clients the keys written under
// their prefixes since the last broadcast, sorted, each client's own left
// out under NOLOOP (Redis's trackingBroadcastInvalidationMessages). Called
// when a unit commits.
func (s *Server) trackingBroadcastLocked() {
	for _, bs := range s.tracking.prefixes {
		if len(bs.keys) == 0 {
			continue
		}
		keys := make([]string, 0, len(bs.keys))
		for k := range bs.keys {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var all []byte
		for c := range bs.clients {
			if !c.tracking.noloop {
				if all == nil {
					all = appendKeyArray(nil, keys, bs.keys, nil)
				}
				s.sendTrackingLocked(c, all)
			} else if own := appendKeyArray(nil, keys, bs.keys, c); own != nil {
				s.sendTrackingLocked(c, own)
			}
		}
		clear(bs.keys)
	}
}

// appendKeyArray encodes keys as an array, leaving out those last written
// by except (nil leaves out none); nil if none is left.
func appendKeyArray(dst []byte, keys []string, by map[string]*Client, except *Client) []byte {
	n := 0
	for _, k := range keys {
		if except == nil || by[k] != except {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	dst = resp.AppendArrayLen(dst, n)
	for _, k := range keys {
		if except == nil || by[k] != except {
			dst = resp.AppendBulkString(dst, k)
		}
	}
	return dst
}

// trackingOverLimitLocked reports whether the tracking table holds more
// keys than tracking-table-max-keys allows (0: no limit). Holds mu.
func (s *Server) trackingOverLimitLocked() bool {
	return s.tracking.clients > 0 && s.cfg.TrackingTableMaxKeys > 0 && len(s.tracking.keys) > s.cfg.TrackingTableMaxKeys
}

// trackingLimitLocked is Redis's trackingLimitUsedSlots: past
// tracking-table-max-keys, keys are forgotten in random order (their
// clients told, as if the keys changed), up to an effort that grows while
// the table stays over the limit. c is the client whose command is about
// to run (nil from the cron): its invalidations go out at once, ahead of
// that command's reply, and NOLOOP spares it its own keys, as in Redis.
func (s *Server) trackingLimitLocked(c *Client) {
	t := &s.tracking
	caller := s.pubsub.caller
	s.pubsub.caller, t.outside = c, true
	defer func() { s.pubsub.caller, t.outside = caller, false }()
	max := s.cfg.TrackingTableMaxKeys
	if max == 0 || len(t.keys) <= max {
		t.evictRounds = 0
		return
	}
	effort := 100 * (t.evictRounds + 1)
	for key := range t.keys { // Go's map order is random
		s.trackingInvalidateLocked([]byte(key), false)
		if len(t.keys) <= max {
			t.evictRounds = 0
			return
		}
		if effort--; effort == 0 {
			break
		}
	}
	t.evictRounds++
}

// trackingFlags are CLIENT LIST's tracking letters, in Redis's order
// among the others: t tracking, R broken redirect, B broadcast.
func (ct *clientTracking) flags(f []byte) []byte {
	if ct.on {
		f = append(f, 't')
	}
	if ct.brokenRedir {
		f = append(f, 'R')
	}
	if ct.bcast {
		f = append(f, 'B')
	}
	return f
}

// redirectShown is CLIENT GETREDIR's and CLIENT LIST's redir: the
// redirect, 0 for none, -1 when tracking is off.
func (ct *clientTracking) redirectShown() int64 {
	if !ct.on {
		return -1
	}
	return ct.redirect
}

// cachingSpentLocked ends CLIENT CACHING's effect once the command after
// it (or the transaction) ran, as Redis's resetClient does; CLIENT
// commands and those queued in MULTI leave it.
func (s *Server) cachingSpentLocked(c *Client) {
	if !c.multi.active && c.lastCmd != "client" && !strings.HasPrefix(c.lastCmd, "client|") {
		c.tracking.caching = false
	}
}

// cmdClientTracking is CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST]
// [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP], with Redis's checks in its
// order.
func cmdClientTracking(c *Client, argv [][]byte) {
	s := c.srv
	var redirect int64
	var bcast, optin, optout, noloop bool
	var prefixes []string
	for j := 3; j < len(argv); j++ {
		more := j+1 < len(argv)
		switch a := argv[j]; {
		case equalFold(a, "redirect") && more:
			j++
			if redirect != 0 {
				c.ReplyError("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := parseInt(argv[j])
			if !ok {
				c.ReplyError(errNotInt)
				return
			}
			if s.clients[id] == nil {
				c.ReplyError("ERR The client ID you want redirect to does not exist")
				return
			}
			redirect = id
		case equalFold(a, "bcast"):
			bcast = true
		case equalFold(a, "optin"):
			optin = true
		case equalFold(a, "optout"):
			optout = true
		case equalFold(a, "noloop"):
			noloop = true
		case equalFold(a, "prefix") && more:
			j++
			prefixes = append(prefixes, string(argv[j]))
		default:
			c.ReplyError(errSyntax)
			return
		}
	}
	ct := &c.tracking
	switch {
	case equalFold(argv[2], "on"):
		switch {
		case !bcast && len(prefixes) > 0:
			c.ReplyError("ERR PREFIX option requires BCAST mode to be enabled")
		case ct.on && ct.bcast != bcast:
			c.ReplyError("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
		case bcast && (optin || optout):
			c.ReplyError("ERR OPTIN and OPTOUT are not compatible with BCAST")
		case optin && optout:
			c.ReplyError("ERR You can't specify both OPTIN mode and OPTOUT mode")
		case optin && ct.optout || optout && ct.optin:
			c.ReplyError("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
		default:
			if bcast {
				if msg := prefixConflict(c, prefixes); msg != "" {
					c.ReplyError(msg)
					return
				}
			}
			s.enableTrackingLocked(c, redirect, bcast, optin, optout, noloop, prefixes)
			c.ReplyOK()
		}
	case equalFold(argv[2], "off"):
		s.disableTrackingLocked(c)
		c.ReplyOK()
	default:
		c.ReplyError(errSyntax)
	}
}

// cmdClientCaching is CLIENT CACHING YES|NO: whether the next command's
// keys are remembered, in OPTIN (yes) or OPTOUT (no) mode.
func cmdClientCaching(c *Client, argv [][]byte) {
	ct := &c.tracking
	if !ct.on {
		c.ReplyError("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch {
	case equalFold(argv[2], "yes"):
		if !ct.optin {
			c.ReplyError("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case equalFold(argv[2], "no"):
		if !ct.optout {
			c.ReplyError("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		c.ReplyError(errSyntax)
		return
	}
	ct.caching = true
	c.ReplyOK()
}

// cmdClientTrackingInfo is CLIENT TRACKINGINFO: flags, redirect, prefixes.
func cmdClientTrackingInfo(c *Client, argv [][]byte) {
	ct := &c.tracking
	flags := []string{"off"}
	if ct.on {
		flags[0] = "on"
	}
	if ct.bcast {
		flags = append(flags, "bcast")
	}
	if ct.optin {
		flags = append(flags, "optin")
		if ct.caching {
			flags = append(flags, "caching-yes")
		}
	}
	if ct.optout {
		flags = append(flags, "optout")
		if ct.caching {
			flags = append(flags, "caching-no")
		}
	}
	if ct.noloop {
		flags = append(flags, "noloop")
	}
	if ct.brokenRedir {
		flags = append(flags, "broken_redirect")
	}
	c.ReplyMapLen(3)
	c.ReplyBulkString("flags")
	c.ReplySetLen(len(flags))
	for _, f := range flags {
		c.ReplyBulkString(f)
	}
	c.ReplyBulkString("redirect")
	c.ReplyInt(ct.redirectShown())
	c.ReplyBulkString("prefixes")
	c.ReplyStrings(ct.prefixes)
}
