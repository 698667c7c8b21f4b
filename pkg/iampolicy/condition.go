package iampolicy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// tri is Kleene three-valued logic: a statement whose condition cannot be
// decided from the request context is neither applicable nor inapplicable.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triUnknown
	triInvalid // only from value.matchResource: an unresolvable variable
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

func (t tri) not() tri {
	switch t {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUnknown
}

func and(a, b tri) tri {
	if a == triFalse || b == triFalse {
		return triFalse
	}
	if a == triUnknown || b == triUnknown {
		return triUnknown
	}
	return triTrue
}

func or(a, b tri) tri {
	if a == triTrue || b == triTrue {
		return triTrue
	}
	if a == triUnknown || b == triUnknown {
		return triUnknown
	}
	return triFalse
}

type opKind uint8

const (
	opStrEq opKind = iota + 1
	opStrEqIC
	opStrLike
	opNumEq
	opNumLt
	opNumLte
	opNumGt
	opNumGte
	opDateEq
	opDateLt
	opDateLte
	opDateGt
	opDateGte
	opBool
	opBinEq
	opIP
	opArnLike // ArnEquals and ArnLike are documented to behave the same
	opNull
)

func (o opKind) allowsVars() bool {
	return o == opStrEq || o == opStrEqIC || o == opStrLike || o == opArnLike
}

type setKind uint8

const (
	setNone setKind = iota
	setAny
	setAll
)

// operators maps a base operator name (lower case, without set prefix or
// IfExists) to its positive kind and whether it is the negated form.
var operators = map[string]struct {
	op  opKind
	neg bool
}{
	"stringequals": {opStrEq, false}, "stringnotequals": {opStrEq, true},
	"stringequalsignorecase": {opStrEqIC, false}, "stringnotequalsignorecase": {opStrEqIC, true},
	"stringlike": {opStrLike, false}, "stringnotlike": {opStrLike, true},
	"numericequals": {opNumEq, false}, "numericnotequals": {opNumEq, true},
	"numericlessthan": {opNumLt, false}, "numericlessthanequals": {opNumLte, false},
	"numericgreaterthan": {opNumGt, false}, "numericgreaterthanequals": {opNumGte, false},
	"dateequals": {opDateEq, false}, "datenotequals": {opDateEq, true},
	"datelessthan": {opDateLt, false}, "datelessthanequals": {opDateLte, false},
	"dategreaterthan": {opDateGt, false}, "dategreaterthanequals": {opDateGte, false},
	"bool": {opBool, false}, "binaryequals": {opBinEq, false},
	"ipaddress": {opIP, false}, "notipaddress": {opIP, true},
	"arnequals": {opArnLike, false}, "arnlike": {opArnLike, false},
	"arnnotequals": {opArnLike, true}, "arnnotlike": {opArnLike, true},
	"null": {opNull, false},
}

func parseOperator(name string) (Condition, error) {
	var c Condition
	s := name
	if i := strings.IndexByte(s, ':'); i >= 0 {
		switch strings.ToLower(s[:i]) {
		case "foranyvalue":
			c.set = setAny
		case "forallvalues":
			c.set = setAll
		default:
			return c, fmt.Errorf("%w: unknown condition set operator in %q", ErrMalformed, name)
		}
		s = s[i+1:]
	}
	l := strings.ToLower(s)
	if strings.HasSuffix(l, "ifexists") && l != "null" {
		c.ifEx = true
		l = strings.TrimSuffix(l, "ifexists")
	}
	o, ok := operators[l]
	if !ok || (o.op == opNull && (c.ifEx || c.set != setNone)) {
		return c, fmt.Errorf("%w: unknown condition operator %q", ErrMalformed, name)
	}
	c.op, c.negate = o.op, o.neg
	return c, nil
}

// eval decides the condition for the request. A key missing from the context
// makes the condition unknown, except under IfExists and Null, whose whole
// point is to handle an absent key: there a missing key counts as absent.
// With Request.ContextComplete a missing key is known to be absent and the
// condition is evaluated exactly as AWS documents.
func (c *Condition) eval(rc *reqCtx) tri {
	vals, known := rc.lookup(c.Key)
	if c.op == opNull {
		want := "true"
		if len(vals) > 0 {
			want = "false"
		}
		for _, v := range c.Values {
			if strings.EqualFold(v, want) {
				return triTrue
			}
		}
		return triFalse
	}
	if len(vals) == 0 {
		switch {
		case !known && !c.ifEx:
			return triUnknown
		case c.ifEx:
			return triTrue
		case c.set == setAll:
			return triTrue // vacuously: no value fails
		case c.set == setAny:
			return triFalse
		default:
			return triOf(c.negate) // negated operators match an absent key
		}
	}
	if c.set == setAll {
		r := triTrue
		for _, v := range vals {
			r = and(r, c.one(rc, v))
			if r == triFalse {
				break
			}
		}
		return r
	}
	// setAny, and a single-valued operator applied to several values (which
	// AWS does not document; treated as "any value matches").
	r := triFalse
	for _, v := range vals {
		r = or(r, c.one(rc, v))
		if r == triTrue {
			break
		}
	}
	return r
}

// one applies the (possibly negated) operator to one request value: the
// policy values are OR'ed, and a negated operator is the NOR of them.
func (c *Condition) one(rc *reqCtx, v string) tri {
	r := triFalse
	for i := range c.vals {
		r = or(r, c.match(rc, &c.vals[i], v))
		if r == triTrue {
			break
		}
	}
	if c.negate {
		return r.not()
	}
	return r
}

func (c *Condition) match(rc *reqCtx, pv *value, v string) tri {
	g := pv.g
	if pv.parts != nil {
		var t tri
		g, t = pv.resolve(rc)
		if t != triTrue {
			return t
		}
	}
	switch c.op {
	case opStrEq:
		return triOf(g.s == v)
	case opStrEqIC:
		return triOf(strings.EqualFold(g.s, v))
	case opStrLike:
		return triOf(g.match(v, false))
	case opArnLike:
		a := pv.arn
		if pv.parts != nil {
			a = arnGlobFrom(g)
		}
		return triOf(strings.HasPrefix(v, "arn:") && a.match(v))
	case opBool:
		p, k := strings.ToLower(g.s), strings.ToLower(v)
		return triOf((p == "true" || p == "false") && p == k)
	case opBinEq:
		return triOf(g.s == v)
	case opIP:
		return triOf(ipMatch(g.s, v))
	case opNumEq, opNumLt, opNumLte, opNumGt, opNumGte:
		a, err1 := strconv.ParseFloat(g.s, 64)
		b, err2 := strconv.ParseFloat(v, 64)
		if err1 != nil || err2 != nil {
			return triFalse
		}
		return triOf(compare(c.op-opNumEq, b, a))
	case opDateEq, opDateLt, opDateLte, opDateGt, opDateGte:
		a, ok1 := parseDate(g.s)
		b, ok2 := parseDate(v)
		if !ok1 || !ok2 {
			return triFalse
		}
		return triOf(compare(c.op-opDateEq, float64(b.UnixNano()), float64(a.UnixNano())))
	}
	return triFalse
}

// compare applies eq, lt, lte, gt, gte (in that order) to request value r and
// policy value p: "NumericLessThan key 5" means request < 5.
func compare(k opKind, r, p float64) bool {
	switch k {
	case 0:
		return r == p
	case 1:
		return r < p
	case 2:
		return r <= p
	case 3:
		return r > p
	default:
		return r >= p
	}
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseDate accepts the ISO 8601 forms AWS documents and epoch seconds
// (aws:EpochTime, and "DateGreaterThan": "1700000000" in policies).
func parseDate(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func ipMatch(policy, req string) bool {
	// A copy: ParseAddr may keep part of its argument (an IPv6 zone), which would make every
	// request context escape to the heap.
	addr, err := netip.ParseAddr(strings.Clone(req))
	if err != nil {
		return false
	}
	if p, err := netip.ParsePrefix(policy); err == nil {
		return p.Contains(addr.Unmap())
	}
	if a, err := netip.ParseAddr(policy); err == nil {
		return a.Unmap() == addr.Unmap()
	}
	return false
}

// resolve substitutes policy variables. It reports triFalse when a variable
// has no single value and no default (AWS: the element then matches nothing)
// and triUnknown when the variable's key is missing from an incomplete
// context.
func (v *value) resolve(rc *reqCtx) (glob, tri) {
	var sb strings.Builder
	var wild []byte
	hasWild := false
	for _, p := range v.parts {
		switch {
		case p.esc:
			sb.WriteString(p.lit)
			wild = append(wild, 0)
		case p.name == "":
			for i := 0; i < len(p.lit); i++ {
				w := byte(0)
				if p.lit[i] == '*' || p.lit[i] == '?' {
					w, hasWild = p.lit[i], true
				}
				wild = append(wild, w)
			}
			sb.WriteString(p.lit)
		default:
			vals, known := rc.lookup(p.name)
			var s string
			switch {
			case len(vals) == 1:
				s = vals[0]
			case !known && len(vals) == 0:
				return glob{}, triUnknown
			case p.hasDef && len(vals) == 0:
				s = p.def
			default:
				return glob{}, triFalse
			}
			sb.WriteString(s)
			wild = append(wild, make([]byte, len(s))...)
		}
	}
	g := glob{s: sb.String()}
	if hasWild {
		g.wild = wild
	}
	return g, triTrue
}
