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
	want func(netpath.Destination) bool
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

// runNetLayer is the common body of the network checks: one finding per check, the worst
// status over the task's destinations, the deciding steps' evidence, the path(s) and the
// merged fixes.
func runNetLayer(m Meta, s *snapshot.Snapshot, nl netLayer) []finding.Finding {
	if s.TaskDefinition == nil {
		if g := s.Gap("ecs:DescribeTaskDefinition", ""); g != nil {
			return []finding.Finding{unknownFromGap(m, g, "the task definition", "タスク定義")}
		}
		return []finding.Finding{unknownMissing(m, []string{"ecs:DescribeTaskDefinition"}, "the task definition", "タスク定義")}
	}
	a := netAnalyzer(s)
	// The analyzer works out every needed destination's path once (Results), shared by the
	// eleven network checks and read-only: each check only picks its layers' steps and
	// formats its finding. Pointers into the shared lists: Destination and Result are large.
	needed := a.Needed()
	nDests := 0
	for i := range needed {
		if nl.want == nil || nl.want(needed[i]) {
			nDests++
		}
	}
	if nDests == 0 {
		return []finding.Finding{newFinding(m, finding.NotApplicable, firstNonEmpty(nl.noNeedEN, "the task needs no destination this check covers"), firstNonEmpty(nl.noNeedJA, "このチェックの対象となる接続先をタスクが必要としません"))}
	}
	if st := a.Setup(); st != nil {
		f := newFinding(m, finding.Unknown, st.Message, st.MessageJA)
		f.Needs, f.Evidence = st.Needs, st.Evidence
		return []finding.Finding{f}
	}
	results := a.Results()
	type hit struct {
		d  *netpath.Destination
		st *netpath.Step
	}
	var fbuf [16]*finding.Remediation
	fixes := func(hs []hit) []*finding.Remediation {
		out := fbuf[:0]
		for _, h := range hs {
			out = append(out, h.st.Fix)
		}
		return out
	}
	// A task needs a handful of destinations: fixed buffers keep hits and lines on the stack.
	var hbuf [16]hit
	var lbuf [16]*netpath.Destination
	hits := hbuf[:0]
	// The destinations whose path the finding shows; the analyzer joins (and memoises)
	// their lines: most network checks show the same ones.
	lines := lbuf[:0]
	var unfollowed []hit // the route could not be followed, so the layer is undecided
	var nBlocked, nUnknown, nWarn int
	for i := range needed {
		d := &needed[i]
		if nl.want != nil && !nl.want(*d) {
			continue
		}
		r := &results[i]
		found := false
		for _, l := range nl.layers {
			if st := r.Step(l); st != nil && st.Status != netpath.Skipped {
				hits = append(hits, hit{d, st})
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
			lines = append(lines, d)
		} else if rs := r.Step(netpath.LayerRoute); rs != nil && rs.Status == netpath.Unknown && !nl.routeIndependent &&
			(r.Via != netpath.ViaOutsideModel || nl.dependsOnInternet) {
			unfollowed = append(unfollowed, hit{d, rs})
			lines = append(lines, d)
		}
	}
	worst := func(st netpath.Status, n int) []hit {
		out := make([]hit, 0, n)
		for _, h := range hits {
			if h.st.Status == st {
				out = append(out, h)
			}
		}
		return out
	}
	var f finding.Finding
	// Destinations share steps (the internet tail, the DNS step), so most of their evidence
	// repeats: gather the distinct items on the stack and copy them out once, exactly sized.
	var ebuf [32]finding.Evidence
	ev := ebuf[:0]
	switch {
	case nBlocked > 0:
		bs := worst(netpath.Blocked, nBlocked)
		en, ja := groupMessages(bs, func(h hit) (string, string, string) { return h.d.Name(), h.st.Message, h.st.MessageJA })
		f = newFinding(m, finding.Fail, en, ja)
		if bs[0].st.Cause != "" {
			f.Cause = bs[0].st.Cause
		}
		for _, h := range bs {
			ev = appendEvidence(ev, h.st.Evidence)
		}
		f.Remediation = mergeFixes(fixes(bs))
	case nUnknown > 0 || len(unfollowed) > 0:
		us := append(worst(netpath.Unknown, nUnknown+len(unfollowed)), unfollowed...)
		en, ja := groupMessages(us, func(h hit) (string, string, string) { return h.d.Name(), h.st.Message, h.st.MessageJA })
		f = newFinding(m, finding.Unknown, en, ja)
		for _, h := range us {
			ev = appendEvidence(ev, h.st.Evidence)
			for _, n := range h.st.Needs {
				if !containsStr(f.Needs, n) {
					f.Needs = append(f.Needs, n)
				}
			}
		}
	case len(hits) == 0 && nl.noHitPass:
		f = newFinding(m, finding.Pass, nl.naEN, nl.naJA)
	case len(hits) == 0:
		f = newFinding(m, finding.NotApplicable, nl.naEN, nl.naJA)
	default:
		if nWarn > 0 {
			ws := worst(netpath.Warn, nWarn)
			en, ja := groupMessages(ws, func(h hit) (string, string, string) { return h.d.Name(), h.st.Message, h.st.MessageJA })
			f = newFinding(m, finding.Pass, "passes with a warning: "+en, "警告付きで合格: "+ja)
			f.Severity = finding.Warning
			f.Remediation = mergeFixes(fixes(ws))
		} else {
			en, ja := groupMessages(hits, func(h hit) (string, string, string) { return h.d.Name(), h.st.Message, h.st.MessageJA })
			f = newFinding(m, finding.Pass, en, ja)
		}
		for _, h := range hits {
			ev = appendEvidence(ev, h.st.Evidence)
		}
	}
	if len(ev) > 0 {
		f.Evidence = slices.Clone(ev)
	}
	f.Path = a.PathLines(lines)
	return []finding.Finding{f}
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
	var en, ja strings.Builder
	en.Grow(nEN)
	ja.Grow(nJA)
	for g, gr := range groups {
		if g > 0 {
			en.WriteString("; ")
			ja.WriteString("／")
		}
		k := 0
		for i := range items {
			if of[i] == g && first(i) {
				if k > 0 {
					en.WriteString(", ")
					ja.WriteString(", ")
				}
				n, _, _ := get(items[i])
				en.WriteString(n)
				ja.WriteString(n)
				k++
			}
		}
		en.WriteString(": ")
		en.WriteString(gr.en)
		ja.WriteString(": ")
		ja.WriteString(gr.ja)
	}
	return en.String(), ja.String()
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
// command and Terraform block, in order.
func mergeFixes(fixes []*finding.Remediation) *finding.Remediation {
	var out *finding.Remediation
	seenTF := map[string]bool{}
	for _, fx := range fixes {
		if fx == nil {
			continue
		}
		if out == nil {
			c := *fx
			c.Commands = append([]string(nil), fx.Commands...)
			c.Links = append([]string(nil), fx.Links...)
			out = &c
			seenTF[fx.Terraform] = true
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
		if fx.Terraform != "" && !seenTF[fx.Terraform] {
			seenTF[fx.Terraform] = true
			out.Terraform = strings.TrimRight(out.Terraform, "\n") + "\n\n" + fx.Terraform
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
	return out
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
func endpointDest(d netpath.Destination) bool { return d.Service != netpath.Internet }

// netAnalyzer is the network analyzer of s, built once per diagnosis and shared by the
// network checks.
func netAnalyzer(s *snapshot.Snapshot) *netpath.Analyzer {
	return shared(s, slotNetwork, func() *netpath.Analyzer { return netpath.NewWith(s, parseImage) })
}
