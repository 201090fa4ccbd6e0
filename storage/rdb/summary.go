package rdb

import (
	"io"
	"slices"
)

// DBSummary counts the keys of one database.
type DBSummary struct {
	DB            int
	Keys          int64 // keys with at least one element (strings always count)
	Expires       int64 // of which with an expiry
	ResizeKeys    uint64
	ResizeExpires uint64 // the RESIZEDB hints, when present
	Types         map[Type]int64
}

// Summary describes an RDB file, for `rdb check`-like reports.
type Summary struct {
	Version   int
	Size      int64 // bytes read, checksum included
	Aux       []Aux
	Functions int      // function library records
	ModuleAux []string // module names of skipped MODULE_AUX records
	DBs       []DBSummary
	Keys      int64
	Expires   int64
	EmptyKeys int64 // collections without elements (Redis skips them)
	Elements  int64 // collection elements (pairs for hashes)
	Types     map[Type]int64
	Encodings map[Encoding]int64
	Checksum  ChecksumStatus
}

// Summarize reads a whole RDB, checking it (checksum included, whatever
// o.VerifyChecksum says) and counting its content. On error the Summary
// holds what was read before it.
func Summarize(src io.Reader, o ReaderOptions) (Summary, error) {
	o.VerifyChecksum = true
	r := NewReader(src, o)
	s := Summary{Types: map[Type]int64{}, Encodings: map[Encoding]int64{}}
	dbIndex := map[int]int{}
	db := func(n int) *DBSummary {
		i, ok := dbIndex[n]
		if !ok {
			i = len(s.DBs)
			dbIndex[n] = i
			s.DBs = append(s.DBs, DBSummary{DB: n, Types: map[Type]int64{}})
		}
		return &s.DBs[i]
	}
	defer func() {
		slices.SortFunc(s.DBs, func(a, b DBSummary) int { return a.DB - b.DB })
	}()
	for {
		rec, err := r.Next()
		s.Version = r.Version()
		s.Size = r.Offset()
		if err == io.EOF {
			return s, nil
		}
		if err != nil {
			return s, err
		}
		switch rec.Kind {
		case KindAux:
			s.Aux = append(s.Aux, rec.Aux)
		case KindFunction:
			s.Functions++
		case KindModuleAux:
			s.ModuleAux = append(s.ModuleAux, rec.Module)
		case KindResizeDB:
			d := db(rec.DB)
			d.ResizeKeys, d.ResizeExpires = rec.DBSize, rec.ExpiresSize
		case KindEOF:
			s.Checksum = rec.Checksum
		case KindKey:
			n := int64(0)
			for {
				_, ok, err := r.NextElem()
				if err != nil {
					s.Size = r.Offset()
					return s, err
				}
				if !ok {
					break
				}
				n++
			}
			s.Encodings[rec.Encoding]++
			if rec.Type != TypeString && n == 0 {
				s.EmptyKeys++
				continue
			}
			s.Elements += n
			d := db(rec.DB)
			d.Keys++
			d.Types[rec.Type]++
			s.Keys++
			s.Types[rec.Type]++
			if rec.ExpireMs != 0 {
				d.Expires++
				s.Expires++
			}
		}
	}
}
