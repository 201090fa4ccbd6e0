package daemon

import (
	"errors"

	"github.com/redoubtdb/redoubt/storage/rdb"
)

// prefetchReader decodes an RDB file on a goroutine of its own, a few
// batches ahead of the loader, so that on two cores reading the file
// (decompression, listpack walks) and making records (loadColl, the bulk
// load's arena) overlap. It hands out the same records and elements, in
// the same order, as the rdb.Reader it wraps, and the reader's error
// after the last record before it.
type prefetchReader struct {
	full  chan *prefetchBatch
	empty chan *prefetchBatch
	stop  chan struct{}
	done  chan struct{}

	cur *prefetchBatch
	pos int   // next item of cur
	err error // sticky, once cur's items are used up
	// inKey: the last record returned is a key whose elements NextElem
	// has not yet read to the end.
	inKey bool
}

// prefetchBatch is a run of records and elements whose bytes live in buf.
type prefetchBatch struct {
	items []prefetchItem
	recs  []prefetchRec // the records' fields, for their items
	buf   []byte
	err   error // what the reader returned after the items (io.EOF at the end)
}

// prefetchItem is one record or element. Elements outnumber records
// several times over, so an item is kept small and a record's fields live
// in recs: with the record inline an item was 408 bytes, and streaming
// those for every element through the batches was a tenth of an import's
// reading.
type prefetchItem struct {
	score  float64 // the element's
	member span    // the element's
	value  span    // the element's
	rec    int32   // a record's index in recs
	kind   prefetchKind
}

// prefetchRec is a record of a batch, its slices kept as spans of buf
// until the batch is sealed.
type prefetchRec struct {
	rec                rdb.Record
	key, value, source span
}

type prefetchKind uint8

const (
	itemRecord prefetchKind = iota
	itemElem
	itemElemsEnd // NextElem reported the key's elements ended
)

// span is a slice of a batch's buf, kept as offsets while buf may grow.
type span struct{ off, n int }

const (
	prefetchBatchBytes = 256 << 10
	prefetchBatchItems = 4096
	prefetchDepth      = 3 // batches in flight
)

func newPrefetchReader(rd *rdb.Reader) *prefetchReader {
	p := &prefetchReader{
		full:  make(chan *prefetchBatch, prefetchDepth),
		empty: make(chan *prefetchBatch, prefetchDepth+1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	for range prefetchDepth + 1 {
		p.empty <- &prefetchBatch{}
	}
	go p.produce(rd)
	return p
}

// close stops the producer and waits for it (it may be reading the file).
func (p *prefetchReader) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}

func (b *prefetchBatch) add(bs []byte) span {
	s := span{len(b.buf), len(bs)}
	b.buf = append(b.buf, bs...)
	return s
}

func (b *prefetchBatch) slice(s span) []byte {
	if s.n == 0 {
		return nil
	}
	return b.buf[s.off : s.off+s.n : s.off+s.n]
}

// seal points the records' slices into buf, now that it stops growing.
func (b *prefetchBatch) seal() {
	for i := range b.recs {
		r := &b.recs[i]
		r.rec.Key, r.rec.Value, r.rec.Function.Source = b.slice(r.key), b.slice(r.value), b.slice(r.source)
	}
}

func (p *prefetchReader) produce(rd *rdb.Reader) {
	defer close(p.done)
	var b *prefetchBatch
	next := func() bool {
		select {
		case b = <-p.empty:
			b.items, b.recs, b.buf, b.err = b.items[:0], b.recs[:0], b.buf[:0], nil
			return true
		case <-p.stop:
			return false
		}
	}
	send := func() bool {
		b.seal()
		select {
		case p.full <- b:
			return true
		case <-p.stop:
			return false
		}
	}
	if !next() {
		return
	}
	fullBatch := func() bool { return len(b.buf) >= prefetchBatchBytes || len(b.items) >= prefetchBatchItems }
	for {
		rec, err := rd.Next()
		if err != nil {
			b.err = err
			send()
			return
		}
		b.items = append(b.items, prefetchItem{kind: itemRecord, rec: int32(len(b.recs))})
		b.recs = append(b.recs, prefetchRec{rec: rec, key: b.add(rec.Key), value: b.add(rec.Value), source: b.add(rec.Function.Source)})
		if rec.Kind == rdb.KindKey && rec.Type != rdb.TypeString {
			for {
				e, ok, err := rd.NextElem()
				if err != nil {
					b.err = err
					send()
					return
				}
				if !ok {
					b.items = append(b.items, prefetchItem{kind: itemElemsEnd})
					break
				}
				b.items = append(b.items, prefetchItem{kind: itemElem, score: e.Score, member: b.add(e.Member), value: b.add(e.Value)})
				if fullBatch() && (!send() || !next()) {
					return
				}
			}
		}
		if fullBatch() && (!send() || !next()) {
			return
		}
	}
}

// errPrefetchStopped is what the loader sees after close.
var errPrefetchStopped = errors.New("rdb: reading stopped")

// item returns the next item without taking it; ok is false once the
// items are used up (p.err then says why).
func (p *prefetchReader) item() (*prefetchItem, bool) {
	for p.cur == nil || p.pos >= len(p.cur.items) {
		if p.err != nil {
			return nil, false
		}
		if p.cur != nil {
			if p.cur.err != nil {
				p.err = p.cur.err
				return nil, false
			}
			p.empty <- p.cur
			p.cur = nil
		}
		select {
		case p.cur = <-p.full:
			p.pos = 0
		case <-p.done:
			// The producer ended: closed, or it sent its last batch.
			select {
			case p.cur = <-p.full:
				p.pos = 0
			default:
				p.err = errPrefetchStopped
				return nil, false
			}
		}
	}
	return &p.cur.items[p.pos], true
}

// Next is rdb.Reader.Next: the elements of the previous key that were not
// read are skipped.
func (p *prefetchReader) Next() (rdb.Record, error) {
	for {
		it, ok := p.item()
		if !ok {
			return rdb.Record{}, p.err
		}
		p.pos++
		if it.kind == itemRecord {
			rec := p.cur.recs[it.rec].rec
			p.inKey = rec.Kind == rdb.KindKey && rec.Type != rdb.TypeString
			return rec, nil
		}
	}
}

// NextElem is rdb.Reader.NextElem.
func (p *prefetchReader) NextElem() (rdb.Elem, bool, error) {
	if !p.inKey {
		return rdb.Elem{}, false, nil
	}
	it, ok := p.item()
	if !ok {
		return rdb.Elem{}, false, p.err
	}
	switch it.kind {
	case itemElem:
		p.pos++
		return rdb.Elem{Member: p.cur.slice(it.member), Value: p.cur.slice(it.value), Score: it.score}, true, nil
	case itemElemsEnd:
		p.pos++
	}
	p.inKey = false
	return rdb.Elem{}, false, nil
}
