package daemon

// pqsort is Redis 7.0.15's pqsort(a, n, size, cmp, lrange, rrange)
// (pqsort.c): Bentley and McIlroy's quicksort ("Engineering a Sort
// Function", as in NetBSD's qsort) that only recurses into the
// partitions overlapping ranks [lrange, rrange], so those ranks hold what
// a full sort would put there. Elements that compare equal end up
// wherever that algorithm leaves them, so it is followed step by step:
// same pivots, same swaps, and (unlike NetBSD's qsort) no switch to an
// insertion sort when a pass swaps nothing. SORT ... LIMIT and the geo
// searches with COUNT use it, so their order among ties is Redis's.
func pqsort[T any](a []T, cmp func(x, y *T) int, lrange, rrange int) {
	pqsortFrom(a, 0, len(a), cmp, lrange, rrange)
}

// pqsortFrom sorts a[lo:lo+n] as far as [lrange, rrange] needs.
func pqsortFrom[T any](a []T, lo, n int, cmp func(x, y *T) int, lrange, rrange int) {
	swap := func(i, j int) { a[i], a[j] = a[j], a[i] }
	vecswap := func(i, j, n int) {
		for k := 0; k < n; k++ {
			swap(i+k, j+k)
		}
	}
	med3 := func(i, j, k int) int {
		if cmp(&a[i], &a[j]) < 0 {
			if cmp(&a[j], &a[k]) < 0 {
				return j
			}
			if cmp(&a[i], &a[k]) < 0 {
				return k
			}
			return i
		}
		if cmp(&a[j], &a[k]) > 0 {
			return j
		}
		if cmp(&a[i], &a[k]) < 0 {
			return i
		}
		return k
	}
	// outside reports a partition [l, l+cnt) that holds none of the
	// wanted ranks.
	outside := func(l, cnt int) bool {
		return (lrange < l && rrange < l) || (lrange >= l+cnt && rrange >= l+cnt)
	}
	for {
		if n < 7 {
			for pm := lo + 1; pm < lo+n; pm++ {
				for pl := pm; pl > lo && cmp(&a[pl-1], &a[pl]) > 0; pl-- {
					swap(pl, pl-1)
				}
			}
			return
		}
		pm := lo + n/2
		if n > 7 {
			pl, pn := lo, lo+n-1
			if n > 40 {
				d := n / 8
				pl = med3(pl, pl+d, pl+2*d)
				pm = med3(pm-d, pm, pm+d)
				pn = med3(pn-2*d, pn-d, pn)
			}
			pm = med3(pl, pm, pn)
		}
		swap(lo, pm)
		pa, pb := lo+1, lo+1
		pc, pd := lo+n-1, lo+n-1
		for {
			for pb <= pc {
				r := cmp(&a[pb], &a[lo])
				if r > 0 {
					break
				}
				if r == 0 {
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := cmp(&a[pc], &a[lo])
				if r < 0 {
					break
				}
				if r == 0 {
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			pb++
			pc--
		}
		pn := lo + n
		r := min(pa-lo, pb-pa)
		vecswap(lo, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		vecswap(pb, pn-r, r)
		if r = pb - pa; r > 1 && !outside(lo, r) {
			pqsortFrom(a, lo, r, cmp, lrange, rrange)
		}
		if r = pd - pc; r > 1 {
			// Iterate rather than recurse.
			lo, n = pn-r, r
			if !outside(lo, n) {
				continue
			}
		}
		return
	}
}
