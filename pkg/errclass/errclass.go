package errclass

import (
	"math/bits"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
)

// Match is one candidate cause of the classified text.
type Match struct {
	Cause      cause.ID `json:"cause"`
	Confidence float64  `json:"confidence"`
	// Rule is the id of the rule that produced this match, for debugging.
	Rule string `json:"rule,omitempty"`
}

// Extracted holds the facts the text mentions, so that checks and renderers
// can point at the exact image, endpoint or permission involved.
type Extracted struct {
	Image      string `json:"image,omitempty"`
	Registry   string `json:"registry,omitempty"`
	Address    string `json:"address,omitempty"` // IP:port or host:port
	HTTPStatus int    `json:"httpStatus,omitempty"`
	Action     string `json:"action,omitempty"` // e.g. ecr:BatchGetImage
	ARN        string `json:"arn,omitempty"`
}

// Result is the outcome of Classify.
type Result struct {
	Input      string
	Normalized string
	// Classification is ranked, most likely first, and never empty:
	// [{unknown, ≤0.3}] when nothing fits.
	Classification []Match
	Extracted      Extracted
}

// Confidences given when no rule matches. Both stay at or below 0.3 so that
// unknown text never looks like a finding.
const (
	unknownConfidence           = 0.2
	recognisedUnknownConfidence = 0.3
)

// Classify normalises text, matches it against the rules and extracts the
// facts it mentions. It never panics and does work bounded by MaxInputBytes.
//
// It makes two allocations for typical input: one string holding the
// lower-cased text (Normalized) and the Classification slice. Extraction,
// which keeps case, reads the Extracted values from text itself when
// cleaning left it as it was (most real messages), and otherwise from a
// cleaned copy that shares the first allocation. Everything else lives on
// the stack.
func Classify(text string) Result {
	var m matcher
	var cleanBuf [stackBytes]byte
	// The scan and unwrap ignore ASCII case, so the text is lower-cased
	// only once, as it is copied into the result.
	in := capInput(text)
	clean := cleanBytes(in, cleanBuf[:0])
	verbatim := len(clean) == len(in) && string(clean) == in
	start, end := unwrap(clean, false)
	ac.scan(clean[start:end], &m)
	if m.has(launchID) {
		// The "failed to launch a task with (error …)" wrapper is rare, so
		// unwrap looks for it only when the scan saw it; the text without
		// it is then scanned afresh.
		if s, e := unwrap(clean, true); s != start || e != end {
			start, end = s, e
			m = matcher{}
			ac.scan(clean[start:end], &m)
		}
	}
	clean = clean[start:end]
	if m.nsites > 0 {
		verbatim = false
		if m.overflow {
			lower := make([]byte, len(clean))
			toLowerASCII(lower, clean)
			clean, _ = unifySpelling(clean, lower, m.has(spellingIDs[0]), m.has(spellingIDs[1]))
		} else {
			clean = rewriteSites(clean, m.sites[:m.nsites])
		}
	}
	var b strings.Builder
	var cs, ls string
	if verbatim {
		// The cleaned text is in[start:end], byte for byte.
		b.Grow(len(clean))
		writeLower(&b, clean)
		cs, ls = in[start:end], b.String()
	} else {
		// One string backs both texts: clean for extraction, lower for
		// Normalized.
		b.Grow(2 * len(clean))
		b.Write(clean)
		writeLower(&b, clean)
		both := b.String()
		cs, ls = both[:len(clean)], both[len(clean):]
	}
	return Result{
		Input:          text,
		Normalized:     ls,
		Classification: classify(&m),
		Extracted:      extract(cs, ls, &m),
	}
}

// writeLower writes clean lower-cased to b, staged in the spare capacity of
// clean's buffer (the rest of Classify's stack buffer, for typical input).
func writeLower(b *strings.Builder, clean []byte) {
	spare := clean[len(clean):cap(clean)]
	if len(spare) < 64 {
		spare = make([]byte, len(clean))
	}
	for rest := clean; len(rest) > 0; {
		k := min(len(rest), len(spare))
		toLowerASCII(spare[:k], rest[:k])
		b.Write(spare[:k])
		rest = rest[k:]
	}
}

// classify runs the rules the scan made candidates and ranks the outcome.
func classify(m *matcher) []Match {
	// Best confidence per cause and the rule (index+1) that gave it,
	// indexed by catalogue position.
	var conf [maxCauses]float64
	var by [maxCauses]uint8
	var seen uint32 // a bit per cause with a confidence, as in conf
	n := 0
	// Candidates are visited in table order, so with equal confidences the
	// first rule in the table is the one reported, as before.
	for w, set := range m.cand {
		for set != 0 {
			ri := w*64 + bits.TrailingZeros64(set)
			set &= set - 1
			r := &compiled[ri]
			if !m.matches(r) {
				continue
			}
			out := r.out
			for _, v := range r.variants {
				if m.anyOf(v.when) {
					out = v.out
					break
				}
			}
			for _, o := range out {
				if o.conf > conf[o.idx] {
					if conf[o.idx] == 0 {
						n++
						seen |= 1 << o.idx
					}
					conf[o.idx] = o.conf
					by[o.idx] = uint8(ri + 1)
				}
			}
		}
	}
	if n == 0 {
		c := unknownConfidence
		if m.anyOf(recognisedIDs) {
			c = recognisedUnknownConfidence
		}
		return []Match{{Cause: cause.Unknown, Confidence: c}}
	}
	// Insertion sort of the causes, on the stack: a handful of elements;
	// stable, so catalogue order breaks ties. Each Match is then written
	// to the heap once.
	var order [maxCauses]uint8
	for k, set := 0, seen; set != 0; k, set = k+1, set&(set-1) {
		i := uint8(bits.TrailingZeros32(set))
		j := k
		for ; j > 0 && conf[i] > conf[order[j-1]]; j-- {
			order[j] = order[j-1]
		}
		order[j] = i
	}
	ranked := make([]Match, n)
	for k, i := range order[:n] {
		ranked[k] = Match{Cause: cause.All[i], Confidence: conf[i], Rule: compiled[by[i]-1].id}
	}
	return ranked
}

// matcher knows which rule tokens occur in one text, where extraction
// anchors first occur, and which rules could match; the automaton fills it in
// a single pass.
type matcher struct {
	found [maxTokens / 64]uint64
	// pos[t] is the offset of the first occurrence of anchor t (anchors
	// are interned first, so their ids are below maxAnchors), in the text
	// as scanned: rewriting spelling variants shifts it (see index).
	pos [maxAnchors]uint16
	// sites are the offsets of the spelling variants unifySpelling
	// rewrites, ascending, so that the rewrite needs no search and
	// extraction can shift pos instead of searching; overflow says there
	// were more than fit.
	sites    [maxSites]uint16
	nsites   uint8
	overflow bool
	// cand has a bit per rule whose trigger token occurs (see triggers).
	cand [maxRules / 64]uint64
}

// maxSites bounds the spelling variants recorded per text: real messages
// have one or two.
const maxSites = 16

// see records that token t occurs at offset at. The scan may report
// occurrences out of order, and some twice (see automaton.scan), so pos
// keeps the smallest and addSite sorts and deduplicates.
func (m *matcher) see(t uint16, at int) {
	if t < numSpellings {
		m.addSite(at)
	}
	w, b := t/64, uint64(1)<<(t%64)
	if m.found[w]&b != 0 {
		if t < maxAnchors && at < int(m.pos[t]) {
			m.pos[t] = uint16(at)
		}
		return
	}
	m.found[w] |= b
	if t < maxAnchors {
		m.pos[t] = uint16(at)
	}
	for i, r := range triggers[t] {
		m.cand[i] |= r
	}
}

// addSite inserts at into the ascending list of spelling-variant offsets.
// Variants cannot overlap one another, so offsets identify them.
func (m *matcher) addSite(at int) {
	n := int(m.nsites)
	i := n
	for i > 0 && int(m.sites[i-1]) > at {
		i--
	}
	if i > 0 && int(m.sites[i-1]) == at {
		return
	}
	if n == len(m.sites) {
		m.overflow = true
		return
	}
	copy(m.sites[i+1:n+1], m.sites[i:n])
	m.sites[i] = uint16(at)
	m.nsites++
}

func (m *matcher) has(t uint16) bool { return m.found[t/64]&(1<<(t%64)) != 0 }

func (m *matcher) anyOf(ts []uint16) bool {
	for _, t := range ts {
		if m.has(t) {
			return true
		}
	}
	return false
}

func (m *matcher) matches(r *compiledRule) bool {
	for _, t := range r.all {
		if !m.has(t) {
			return false
		}
	}
	if len(r.any) > 0 && !m.anyOf(r.any) {
		return false
	}
	if len(r.any2) > 0 && !m.anyOf(r.any2) {
		return false
	}
	return !m.anyOf(r.none)
}
