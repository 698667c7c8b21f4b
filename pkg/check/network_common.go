package check

import (
	"slices"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/netpath"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// netLayer describes how a network check reads netpath's answer: which layer it reports on,
// for which destinations, and what to say when the layer is not on any path.
type netLayer struct {
	layers []netpath.Layer
	// want selects the destinations the check is about (nil: all).
	want func(*netpath.Destination) bool
	// naEN/naJA explain a not-applicable result.
	naEN, naJA string
	// noHitPass makes "the layer is on no path" a pass (naEN says why) instead of
	// not-applicable.
	noHitPass bool
	// dependsOnInternet marks layers whose relevance depends on whether the internet path
	// works (endpoints are needed only without it): a path that leaves the model makes them
	// undecided. Otherwise only an unreadable route table does.
	dependsOnInternet bool
	// routeIndependent marks layers evaluated whatever the route (endpoint layers).
	routeIndependent bool
	// noNeedEN/noNeedJA explain that the task needs no destination of this kind.
	noNeedEN, noNeedJA string
}

// appendNetLayer is the common body of the network checks: one finding per check, the worst
// status over the task's destinations, the deciding steps' evidence, the path(s) and the
// merged fixes.
func appendNetLayer(dst []finding.Finding, m *Meta, s *snapshot.Snapshot, nl *netLayer) []finding.Finding {
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(*m, s)...)
	}
	a := netAnalyzer(s)
	// The analyzer works out every needed destination's path once (Results), shared by the
	// eleven network checks and read-only: each check only picks its layers' steps and
	// formats its finding. Pointers into the shared lists: Destination and Result are large.
	needed := a.Needed()
	nDests := 0
	for i := range needed {
		if nl.want == nil || nl.want(&needed[i]) {
			nDests++
		}
	}
	if nDests == 0 {
		return append(dst, newFinding(*m, finding.NotApplicable, firstNonEmpty(nl.noNeedEN, "the task needs no destination this check covers"), firstNonEmpty(nl.noNeedJA, "このチェックの対象となる接続先をタスクが必要としません")))
	}
	if st := a.Setup(); st != nil {
		f := newFinding(*m, finding.Unknown, st.Message, st.MessageJA)
		f.Needs, f.Evidence = st.Needs, st.Evidence
		return append(dst, f)
	}
	results := a.Results()
	// A task needs a handful of destinations: fixed buffers keep hits and lines on the stack.
	var hbuf [16]netHit
	var lbuf [16]int
	hits := hbuf[:0]
	// The destinations whose path the finding shows, as indexes into Needed(); the analyzer
	// joins (and memoises) their lines: most network checks show the same ones.
	lines := lbuf[:0]
	var ubuf [4]netHit
	unfollowed := ubuf[:0] // the route could not be followed, so the layer is undecided
	var nBlocked, nUnknown, nWarn int
	for i := range needed {
		d := &needed[i]
		if nl.want != nil && !nl.want(d) {
			continue
		}
		r := &results[i]
		found := false
		for _, l := range nl.layers {
			if st := r.Step(l); st != nil && st.Status != netpath.Skipped {
				hits = append(hits, netHit{d, st})
				found = true
				switch st.Status {
				case netpath.Blocked:
					nBlocked++
				case netpath.Unknown:
					nUnknown++
				case netpath.Warn:
					nWarn++
				}
			}
		}
		if found {
			lines = append(lines, i)
		} else if rs := r.Step(netpath.LayerRoute); rs != nil && rs.Status == netpath.Unknown && !nl.routeIndependent &&
			(r.Via != netpath.ViaOutsideModel || nl.dependsOnInternet) {
			unfollowed = append(unfollowed, netHit{d, rs})
			lines = append(lines, i)
		}
	}
	var wbuf [16]netHit
	worst := func(st netpath.Status) []netHit {
		out := wbuf[:0]
		for _, h := range hits {
			if h.st.Status == st {
				out = append(out, h)
			}
		}
		return out
	}
	var f finding.Finding
	var shown []netHit // the steps whose evidence the finding quotes
	switch {
	case nBlocked > 0:
		bs := worst(netpath.Blocked)
		en, ja := groupMessages(bs, netHit.parts)
		f = newFinding(*m, finding.Fail, en, ja)
		if bs[0].st.Cause != "" {
			f.Cause = bs[0].st.Cause
		}
		shown = bs
		f.Remediation = mergeFixes(bs)
	case nUnknown > 0 || len(unfollowed) > 0:
		us := append(worst(netpath.Unknown), unfollowed...)
		en, ja := groupMessages(us, netHit.parts)
		f = newFinding(*m, finding.Unknown, en, ja)
		shown = us
		for _, h := range us {
			for _, n := range h.st.Needs {
				if !containsStr(f.Needs, n) {
					f.Needs = append(f.Needs, n)
				}
			}
		}
	case len(hits) == 0 && nl.noHitPass:
		f = newFinding(*m, finding.Pass, nl.naEN, nl.naJA)
	case len(hits) == 0:
		f = newFinding(*m, finding.NotApplicable, nl.naEN, nl.naJA)
	default:
		if nWarn > 0 {
			ws := worst(netpath.Warn)
			en, ja := groupMessages(ws, netHit.parts)
			f = newFinding(*m, finding.Pass, "passes with a warning: "+en, "警告付きで合格: "+ja)
			f.Severity = finding.Warning
			f.Remediation = mergeFixes(ws)
		} else {
			en, ja := groupMessages(hits, netHit.parts)
			f = newFinding(*m, finding.Pass, en, ja)
		}
		shown = hits
	}
	f.Evidence = distinctEvidence(shown)
	f.Path = a.PathLines(lines)
	return append(dst, f)
}

// netHit is one destination's step on a layer a network check reports on.
type netHit struct {
	d  *netpath.Destination
	st *netpath.Step
}

func (h netHit) parts() (name, en, ja string) { return h.d.Name(), h.st.Message, h.st.MessageJA }

// distinctEvidence is the evidence of the steps, each item once, or nil. Destinations share
// steps (the internet tail, the DNS step), so the evidence mostly repeats; when the first
// step's own list already holds every item, that (read-only) list is the answer, with no copy.
func distinctEvidence(hs []netHit) []finding.Evidence {
	var ebuf [16]finding.Evidence
	ev := ebuf[:0]
	for _, h := range hs {
		ev = appendEvidence(ev, h.st.Evidence)
	}
	switch {
	case len(ev) == 0:
		return nil
	case len(ev) == len(hs[0].st.Evidence):
		return slices.Clip(hs[0].st.Evidence)
	}
	return slices.Clone(ev)
}

// groupMessages joins per-destination messages, naming the destinations that share one.
func groupMessages[T any](items []T, get func(T) (name, en, ja string)) (string, string) {
	// A handful of items: linear search beats building maps on every call. Each item
	// records its group; the names are written straight from the items (no per-group name
	// slices, no intermediate strings), into builders sized exactly.
	type group struct{ en, ja string }
	var gbuf [8]group
	var ibuf [16]int
	groups := gbuf[:0]
	of := ibuf[:0] // of[i] is the group of items[i]
	for _, it := range items {
		_, en, ja := get(it)
		g := 0
		for g < len(groups) && groups[g].en != en {
			g++
		}
		if g == len(groups) {
			groups = append(groups, group{en: en, ja: ja})
		}
		of = append(of, g)
	}
	// first reports whether item i is the first of its group with its name (a destination
	// is named once per group).
	first := func(i int) bool {
		n, _, _ := get(items[i])
		for j := 0; j < i; j++ {
			if of[j] == of[i] {
				if m, _, _ := get(items[j]); m == n {
					return false
				}
			}
		}
		return true
	}
	nEN, nJA := 0, 0
	for g, gr := range groups {
		if g > 0 {
			nEN += len("; ")
			nJA += len("／")
		}
		who := 0
		k := 0
		for i := range items {
			if of[i] == g && first(i) {
				if k > 0 {
					who += len(", ")
				}
				n, _, _ := get(items[i])
				who += len(n)
				k++
			}
		}
		nEN += who + len(": ") + len(gr.en)
		nJA += who + len(": ") + len(gr.ja)
	}
	// Both messages are written into one string, English then Japanese, and returned as its
	// two halves: one allocation for the pair.
	var b strings.Builder
	b.Grow(nEN + nJA)
	for _, ja := range [2]bool{false, true} {
		for g, gr := range groups {
			if g > 0 {
				b.WriteString(pick(ja, "; ", "／"))
			}
			k := 0
			for i := range items {
				if of[i] == g && first(i) {
					if k > 0 {
						b.WriteString(", ")
					}
					n, _, _ := get(items[i])
					b.WriteString(n)
					k++
				}
			}
			b.WriteString(": ")
			b.WriteString(pick(ja, gr.en, gr.ja))
		}
	}
	s := b.String()
	return s[:nEN], s[nEN:]
}

// pick returns en, or ja when ja is asked for.
func pick(ja bool, en, jaText string) string {
	if ja {
		return jaText
	}
	return en
}

func appendEvidence(dst, src []finding.Evidence) []finding.Evidence {
	for _, e := range src {
		dup := false
		for _, x := range dst {
			if x == e {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, e)
		}
	}
	return dst
}

// mergeFixes combines the fixes of several steps: the first one's text, every distinct
// command and Terraform block, in order. Destinations that share a step share its fix: when
// that is the only fix, it is the answer as it stands (fixes are read-only).
func mergeFixes(hs []netHit) *finding.Remediation {
	var first *finding.Remediation
	single := true
	nTF := 0 // room for every Terraform block, in case they all differ
	for _, h := range hs {
		switch fx := h.st.Fix; {
		case fx == nil:
		case first == nil:
			first = fx
			nTF += len(fx.Terraform)
		case fx != first:
			single = false
			nTF += len("\n\n") + len(fx.Terraform)
		}
	}
	if single {
		return first
	}
	var out *finding.Remediation
	var tf tfMerge
	var sbuf [8]string
	seenTF := sbuf[:0]
	for _, h := range hs {
		fx := h.st.Fix
		if fx == nil {
			continue
		}
		if out == nil {
			c := *fx
			c.Commands = append([]string(nil), fx.Commands...)
			c.Links = append([]string(nil), fx.Links...)
			out = &c
			seenTF = append(seenTF, fx.Terraform)
			continue
		}
		if !strings.Contains(out.Text, fx.Text) {
			out.Text += " " + fx.Text
			out.TextJA += fx.TextJA
		}
		for _, c := range fx.Commands {
			if !containsStr(out.Commands, c) {
				out.Commands = append(out.Commands, c)
			}
		}
		if fx.Terraform != "" && !containsStr(seenTF, fx.Terraform) {
			if len(seenTF) == 1 {
				tf.b.Grow(nTF)
				tf.add(out.Terraform)
			}
			seenTF = append(seenTF, fx.Terraform)
			tf.addAfter(fx.Terraform)
		}
		for _, l := range fx.Links {
			if !containsStr(out.Links, l) {
				out.Links = append(out.Links, l)
			}
		}
		if out.Policy == nil {
			out.Policy = fx.Policy
		}
	}
	if len(seenTF) > 1 {
		out.Terraform = tf.String()
	}
	return out
}

// tfMerge joins Terraform blocks as `all = strings.TrimRight(all, "\n") + "\n\n" + block`
// would, in one builder: a block's trailing newlines are held back, since the next block
// trims them.
type tfMerge struct {
	b        strings.Builder
	newlines int // held back
}

// add appends block as it stands.
func (m *tfMerge) add(block string) {
	core := strings.TrimRight(block, "\n")
	if core == "" {
		m.newlines += len(block)
		return
	}
	for ; m.newlines > 0; m.newlines-- {
		m.b.WriteByte('\n')
	}
	m.b.WriteString(core)
	m.newlines = len(block) - len(core)
}

// addAfter appends block after a blank line, dropping the newlines before it.
func (m *tfMerge) addAfter(block string) {
	m.newlines = len("\n\n")
	m.add(block)
}

func (m *tfMerge) String() string {
	for ; m.newlines > 0; m.newlines-- {
		m.b.WriteByte('\n')
	}
	return m.b.String()
}

func containsStr(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// endpointDest selects destinations an endpoint can serve.
func endpointDest(d *netpath.Destination) bool { return d.Service != netpath.Internet }

// netAnalyzer is the network analyzer of s, built once per diagnosis and shared by the
// network checks.
func netAnalyzer(s *snapshot.Snapshot) *netpath.Analyzer {
	return shared(s, slotNetwork, func() *netpath.Analyzer { return netpath.NewWith(s, parseImage) })
}
