package errclass

import (
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
func Classify(text string) Result {
	clean, lower := normalize(text)
	var m matcher
	ac.scan(lower, &m.found)
	if m.found[spellingID[0]] || m.found[spellingID[1]] {
		clean, lower = unifySpelling(clean, lower)
	}
	res := Result{Input: text, Normalized: lower}
	res.Classification = classify(&m)
	res.Extracted = extract(clean, lower, &m)
	return res
}

// classify runs the rules over the normalised text and ranks the outcome.
func classify(m *matcher) []Match {
	var best [maxCauses]Match // indexed by catalogue position
	any := false
	for ri := range compiled {
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
			if o.conf > best[o.idx].Confidence {
				best[o.idx] = Match{Cause: cause.All[o.idx], Confidence: o.conf, Rule: r.id}
			}
			any = true
		}
	}
	if !any {
		conf := unknownConfidence
		if m.anyOf(recognisedIDs) {
			conf = recognisedUnknownConfidence
		}
		return []Match{{Cause: cause.Unknown, Confidence: conf}}
	}
	n := 0
	for _, b := range best {
		if b.Confidence > 0 {
			n++
		}
	}
	ranked := make([]Match, 0, n)
	for _, b := range best {
		if b.Confidence > 0 {
			ranked = append(ranked, b)
		}
	}
	// Insertion sort: a handful of elements; stable, so catalogue order
	// breaks ties.
	for i := 1; i < len(ranked); i++ {
		for j := i; j > 0 && ranked[j].Confidence > ranked[j-1].Confidence; j-- {
			ranked[j], ranked[j-1] = ranked[j-1], ranked[j]
		}
	}
	return ranked
}

// matcher knows which rule tokens occur in one text; the automaton finds
// them all in a single pass.
type matcher struct {
	found [maxTokens]bool
}

func (m *matcher) has(t uint16) bool { return m.found[t] }

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
