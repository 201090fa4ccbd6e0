package resp

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// INCRBYFLOAT and HINCRBYFLOAT compute in C's long double, which on the
// x86-64 builds of Redis is the x87 80-bit extended format: a 64-bit
// significand and a 15-bit exponent. The result is stored and replied as
// "%.17Lf" with trailing zeros removed (util.c ld2string, LD_STR_HUMAN).
// That text shows long double rounding that float64 arithmetic cannot
// reproduce: Redis 7.0 answers INCRBYFLOAT 1000 + 0.1 with
// "1000.09999999999999998", 0.1 + 0.2 with "0.3" and
// 123456789012345678 + 1 with "123456789012345679".
//
// LongDouble reproduces that arithmetic exactly with a math/big.Float of
// 64-bit precision rounding to nearest-even, which is what the x87 does in
// its default precision control. Values whose magnitude is below the x87's
// normal range keep 64 bits where the x87 would keep fewer; that cannot
// show, since such values print as "0" with 17 decimals.

const (
	ldPrec = 64
	// ldMaxExp is the big.Float exponent (mantissa in [0.5, 1)) just above
	// the largest finite long double, (2-2^-63) * 2^16383.
	ldMaxExp = 16384
	// A non-zero value of magnitude at most 2^-16446, half the smallest
	// subnormal, rounds to zero: strtold reports ERANGE and string2ld
	// rejects it.
	ldZeroExp = -16445
	// maxLongDoubleChars is MAX_LONG_DOUBLE_CHARS: string2ld refuses longer
	// input, and ld2string's buffer holds any finite value in "%.17Lf".
	maxLongDoubleChars = 5 * 1024
)

// LongDouble is a value of C's x87 long double, as INCRBYFLOAT and
// HINCRBYFLOAT see it. The zero value is 0. Values are immutable.
type LongDouble struct {
	f   *big.Float // nil means 0
	nan bool
}

// ParseLongDouble parses s as Redis's string2ld does (strtold in the C
// locale): an optional sign, then a decimal number with an optional
// exponent, a hexadecimal "0x" number with an optional binary "p" exponent,
// or "inf"/"infinity" (any case). It fails, as Redis does with "value is not
// a valid float", on empty input, input of 5120 bytes or more, leading
// whitespace, trailing bytes (a NUL included), NaN, and values that
// overflow to infinity or underflow to zero.
func ParseLongDouble(s []byte) (LongDouble, bool) {
	if len(s) == 0 || len(s) >= maxLongDoubleChars {
		return LongDouble{}, false
	}
	i := 0
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		i++
	}
	rest := strings.ToLower(string(s[i:]))
	var f *big.Float
	switch {
	case rest == "inf" || rest == "infinity":
		f = new(big.Float).SetInf(neg)
		return LongDouble{f: f}, true
	case strings.HasPrefix(rest, "nan"):
		return LongDouble{}, false // any NaN spelling is refused
	case strings.HasPrefix(rest, "0x"):
		var ok bool
		if f, ok = parseHexLD(rest[2:]); !ok {
			return LongDouble{}, false
		}
	default:
		var ok bool
		if f, ok = parseDecimalLD(rest); !ok {
			return LongDouble{}, false
		}
	}
	if neg {
		f.Neg(f)
	}
	if f.IsInf() || (f.Sign() != 0 && f.MantExp(nil) > ldMaxExp) {
		return LongDouble{}, false // overflow: strtold says ERANGE, HUGE_VALL
	}
	return LongDouble{f: f}, true
}

// parseDecimalLD parses digits[.digits][e[sign]digits] (at least one
// mantissa digit) into a correctly rounded 64-bit big.Float. A non-zero
// value that rounds to zero is refused like strtold's underflow.
func parseDecimalLD(s string) (*big.Float, bool) {
	var mant []byte
	i, digits, fracDigits := 0, 0, 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		mant = append(mant, s[i])
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			mant = append(mant, s[i])
			digits++
			fracDigits++
		}
	}
	if digits == 0 {
		return nil, false
	}
	exp := int64(0)
	if i < len(s) && s[i] == 'e' {
		j := i + 1
		eneg := false
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			eneg = s[j] == '-'
			j++
		}
		if j == len(s) || s[j] < '0' || s[j] > '9' {
			return nil, false // "1e" leaves "e" unparsed: trailing garbage
		}
		for ; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
			if exp < 1<<40 { // saturate: the value is 0 or out of range anyway
				exp = exp*10 + int64(s[j]-'0')
			}
		}
		if eneg {
			exp = -exp
		}
		i = j
	}
	if i != len(s) {
		return nil, false
	}
	m, _ := new(big.Int).SetString(string(mant), 10)
	f := new(big.Float).SetPrec(ldPrec)
	if m.Sign() == 0 {
		return f, true
	}
	exp -= int64(fracDigits)
	// Bound the work: the value's decimal magnitude is exp+len(digits);
	// outside about 10^±4951 it overflows or underflows whatever the digits.
	mag := exp + int64(len(strings.TrimLeft(string(mant), "0")))
	if mag > 4940 {
		return new(big.Float).SetInf(false), true // caught as overflow by the caller
	}
	if mag < -4960 {
		return nil, false
	}
	if exp >= 0 {
		m.Mul(m, new(big.Int).Exp(big.NewInt(10), big.NewInt(exp), nil))
		f.SetInt(m)
	} else {
		den := new(big.Int).Exp(big.NewInt(10), big.NewInt(-exp), nil)
		num := new(big.Float).SetPrec(uint(m.BitLen())).SetInt(m)
		d := new(big.Float).SetPrec(uint(den.BitLen())).SetInt(den)
		f.Quo(num, d) // exact operands, one correctly rounded division
	}
	if f.MantExp(nil) < ldZeroExp {
		return nil, false
	}
	return f, true
}

// parseHexLD parses the part after "0x": hexdigits[.hexdigits][p[sign]digits].
func parseHexLD(s string) (*big.Float, bool) {
	var mant []byte
	i, digits, fracDigits := 0, 0, 0
	for ; i < len(s) && isHex(s[i]); i++ {
		mant = append(mant, s[i])
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isHex(s[i]); i++ {
			mant = append(mant, s[i])
			digits++
			fracDigits++
		}
	}
	if digits == 0 {
		return nil, false // "0x" parses as 0 followed by "x": trailing garbage
	}
	exp := int64(0)
	if i < len(s) && s[i] == 'p' {
		j := i + 1
		eneg := false
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			eneg = s[j] == '-'
			j++
		}
		if j == len(s) || s[j] < '0' || s[j] > '9' {
			return nil, false
		}
		for ; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
			if exp < 1<<40 {
				exp = exp*10 + int64(s[j]-'0')
			}
		}
		if eneg {
			exp = -exp
		}
		i = j
	}
	if i != len(s) {
		return nil, false
	}
	m, _ := new(big.Int).SetString(string(mant), 16)
	f := new(big.Float).SetPrec(ldPrec)
	if m.Sign() == 0 {
		return f, true
	}
	exp -= 4 * int64(fracDigits)
	mag := exp + int64(m.BitLen())
	if mag > ldMaxExp+8 {
		return new(big.Float).SetInf(false), true
	}
	if mag < ldZeroExp-8 {
		return nil, false
	}
	f.SetInt(m)
	f.SetMantExp(f, int(exp))
	if f.MantExp(nil) < ldZeroExp {
		return nil, false
	}
	return f, true
}

// Add returns x+y rounded to a long double. The sum of two opposite
// infinities is NaN; an overflowing sum is an infinity.
func (x LongDouble) Add(y LongDouble) LongDouble {
	if x.nan || y.nan {
		return LongDouble{nan: true}
	}
	a, b := x.big(), y.big()
	if a.IsInf() && b.IsInf() && a.Signbit() != b.Signbit() {
		return LongDouble{nan: true}
	}
	sum := new(big.Float).SetPrec(ldPrec).Add(a, b)
	if !sum.IsInf() && sum.Sign() != 0 && sum.MantExp(nil) > ldMaxExp {
		sum.SetInf(sum.Signbit())
	}
	return LongDouble{f: sum}
}

func (x LongDouble) big() *big.Float {
	if x.f == nil {
		return new(big.Float).SetPrec(ldPrec)
	}
	return x.f
}

// CeilMulInt64 returns ceil(x*m) computed in long double, as C's
// (long long)ceill(x*m) would on x86-64: a result that does not fit (an
// infinity, NaN, or beyond the int64 range) becomes math.MinInt64.
func (x LongDouble) CeilMulInt64(m int64) int64 {
	if x.nan || x.IsInf() {
		return math.MinInt64
	}
	p := new(big.Float).SetPrec(ldPrec).Mul(x.big(), new(big.Float).SetInt64(m))
	i, acc := p.Int(nil)
	if acc == big.Below { // truncated a positive fraction: round up
		i.Add(i, big.NewInt(1))
	}
	if !i.IsInt64() {
		return math.MinInt64
	}
	return i.Int64()
}

// IsNaN reports whether x is not a number.
func (x LongDouble) IsNaN() bool { return x.nan }

// IsInf reports whether x is an infinity.
func (x LongDouble) IsInf() bool { return x.f != nil && x.f.IsInf() }

// Float64 returns x rounded to the nearest float64.
func (x LongDouble) Float64() float64 {
	if x.nan {
		return math.NaN()
	}
	f, _ := x.big().Float64()
	return f
}

// String returns x as Redis stores and replies an INCRBYFLOAT result
// (ld2string with LD_STR_HUMAN): "%.17Lf" with trailing zeros and a
// trailing '.' removed, and "-0" printed as "0". Infinities print as
// "inf" and "-inf", NaN as "nan", though INCRBYFLOAT refuses to store them.
func (x LongDouble) String() string {
	switch {
	case x.nan:
		return "nan"
	case x.IsInf() && x.f.Signbit():
		return "-inf"
	case x.IsInf():
		return "inf"
	}
	s := x.big().Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// FormatIncrFloat returns the text INCRBYFLOAT would produce for a result
// that the caller only has as a float64. Redis computes in long double, so a
// float64 has already lost what Redis's text shows; FormatIncrFloat assumes
// the exact result was the decimal that f's first 15 significant digits
// spell (DBL_DIG, the digits any float64 carries faithfully), rounds that
// decimal to a long double and prints it as Redis would. That makes the
// common cases exact: 10.5+0.1 gives "10.6", 0.1+0.2 "0.3", 3.0e3+200
// "3200", 1000+0.1 "1000.09999999999999998". Results that need more than 15
// significant digits (integers beyond 10^15) can differ from Redis: use
// ParseLongDouble and LongDouble.Add to compute exactly as Redis does.
func FormatIncrFloat(f float64) string {
	var num [32]byte
	ld, ok := ParseLongDouble(strconv.AppendFloat(num[:0], f, 'e', 14, 64))
	if !ok {
		switch {
		case f != f:
			return "nan"
		case f > 0:
			return "inf"
		case f < 0:
			return "-inf"
		}
		return "0"
	}
	return ld.String()
}
