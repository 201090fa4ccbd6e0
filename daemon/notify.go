package daemon

import (
	"strconv"

	"github.com/redoubtdb/redoubt/conf"
)

// Classes of keyspace notifications, for notifyLocked.
const (
	notifyGeneric = int(conf.NotifyGeneric)
	notifyString  = int(conf.NotifyString)
	notifyList    = int(conf.NotifyList)
	notifySet     = int(conf.NotifySet)
	notifyHash    = int(conf.NotifyHash)
	notifyZset    = int(conf.NotifyZset)
	notifyExpired = int(conf.NotifyExpired)
	notifyKeyMiss = int(conf.NotifyKeyMiss)
	notifyNew     = int(conf.NotifyNew)
)

// notifyLocked publishes a keyspace notification as Redis 7.0's
// notifyKeyspaceEvent does: event on __keyspace@<db>__:<key> and key on
// __keyevent@<db>__:<event>, when notify-keyspace-events enables class.
// It must cost nothing when notifications are off, since every write calls
// it: the first test is a bit test on the config. Holds mu.
func (s *Server) notifyLocked(class int, event string, db int, key []byte) {
	flags := int(s.cfg.NotifyKeyspaceEvents)
	if flags&class == 0 {
		return
	}
	if flags&int(conf.NotifyKeyspace) != 0 {
		ch := make([]byte, 0, len("__keyspace@__:")+5+len(key))
		ch = append(ch, "__keyspace@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, key...)
		s.publishLocked(ch, []byte(event))
	}
	if flags&int(conf.NotifyKeyevent) != 0 {
		ch := make([]byte, 0, len("__keyevent@__:")+5+len(event))
		ch = append(ch, "__keyevent@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, event...)
		s.publishLocked(ch, key)
	}
}

// notifyCollLocked publishes event for collection co after a write and,
// when the write emptied and so deleted it, the "del" that Redis sends
// next. Holds mu.
func (s *Server) notifyCollLocked(class int, event string, co *coll) {
	s.notifyLocked(class, event, co.db, co.key)
	if !co.exists {
		s.notifyLocked(notifyGeneric, "del", co.db, co.key)
	}
}

// listEvent names a list write at the left or right end.
func listEvent(left bool, leftName, rightName string) string {
	if left {
		return leftName
	}
	return rightName
}

// saveStoredLocked saves co, the new value of a STORE command's
// destination, which its caller deleted first. Redis overwrites an
// existing destination in place (setKey), so when replaced is true no
// 'new' notification is due. Holds mu.
func (s *Server) saveStoredLocked(co *coll, replaced bool) {
	s.storeReplacing = replaced
	co.save()
	s.storeReplacing = false
}
