package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

// Text writes the report for a person at a terminal: the verdict first, then each failing
// finding with its evidence and fix, then what could not be decided, then a compact list of
// what was ruled out.
func Text(w io.Writer, r *finding.Report, o Options) error {
	bw := bufio.NewWriter(w)
	lang := o.Lang
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }

	if t := targetLine(r.Target, lang); t != "" {
		p("%s: %s\n", label(lang, "target"), t)
	}
	if r.StoppedReason != "" {
		p("%s: %s\n", label(lang, "stopped"), oneLine(r.StoppedReason, 300))
	}
	if len(r.Classification) > 0 && r.Classification[0].Cause != cause.Unknown {
		var parts []string
		for i, c := range r.Classification {
			if i == 3 {
				break
			}
			parts = append(parts, fmt.Sprintf("%s (%.2f)", c.Cause, c.Confidence))
		}
		p("%s: %s\n", label(lang, "classified"), strings.Join(parts, ", "))
	}
	p("\n")

	var fails, unknowns, passes, nas []finding.Finding
	for _, f := range r.Findings {
		switch f.Status {
		case finding.Fail:
			fails = append(fails, f)
		case finding.Unknown:
			unknowns = append(unknowns, f)
		case finding.Pass:
			passes = append(passes, f)
		default:
			nas = append(nas, f)
		}
	}
	if len(r.Verdict.Causes) > 0 {
		p("%s: %s\n", strings.ToUpper(label(lang, "verdict")), r.Verdict.Summary)
		for i, c := range r.Verdict.Causes {
			info, _ := cause.Lookup(c)
			p("  %d. %-22s %s\n", i+1, c, info.Title.In(lang))
		}
	} else {
		p("%s: %s\n", strings.ToUpper(label(lang, "verdict")), r.Verdict.Summary)
	}

	if len(fails) > 0 {
		p("\n%s (%d)\n", label(lang, "failing"), len(fails))
		for _, f := range orderByVerdict(fails, r.Verdict.Causes) {
			writeFinding(bw, f, lang, true)
		}
	}
	if len(unknowns) > 0 {
		p("\n%s (%d)\n", label(lang, "unknown"), len(unknowns))
		for _, f := range unknowns {
			writeFinding(bw, f, lang, o.Verbose)
		}
	}
	if len(passes) > 0 {
		p("\n%s (%d)\n", label(lang, "passed"), len(passes))
		for _, f := range passes {
			p("  ✓ %-28s %s\n", f.Check, oneLine(f.Message, 140))
			if o.Verbose {
				writeEvidence(bw, f, lang)
			}
		}
	}
	if len(nas) > 0 {
		ids := make([]string, 0, len(nas))
		seen := map[string]bool{}
		for _, f := range nas {
			if !seen[f.Check] {
				seen[f.Check] = true
				ids = append(ids, f.Check)
			}
		}
		p("\n%s: %s\n", label(lang, "na"), strings.Join(ids, ", "))
	}
	if len(r.Gaps) > 0 {
		p("\n%s (%d)\n", label(lang, "gaps"), len(r.Gaps))
		for _, g := range r.Gaps {
			ref := ""
			if g.Ref != "" {
				ref = " " + g.Ref
			}
			p("  - %s%s: %s %s\n", g.Call, ref, g.Error, oneLine(g.Message, 120))
		}
	}
	return bw.Flush()
}

func writeFinding(w *bufio.Writer, f finding.Finding, lang string, full bool) {
	mark := "✗ FAIL"
	if f.Status == finding.Unknown {
		mark = "? UNKNOWN"
	}
	fmt.Fprintf(w, "\n  %s  %s  [%s]\n", mark, f.Check, f.Cause)
	fmt.Fprintf(w, "    %s\n", f.Message)
	if f.Path != "" {
		// A path per destination, one per line, aligned under the first.
		lines := strings.Split(f.Path, "\n")
		fmt.Fprintf(w, "    %s: %s\n", label(lang, "path"), lines[0])
		pad := strings.Repeat(" ", 6+len([]rune(label(lang, "path"))))
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "%s%s\n", pad, l)
		}
	}
	writeEvidence(w, f, lang)
	if len(f.Needs) > 0 {
		fmt.Fprintf(w, "    %s: %s\n", label(lang, "needs"), strings.Join(f.Needs, ", "))
	}
	if !full || f.Remediation == nil {
		return
	}
	rem := f.Remediation
	fmt.Fprintf(w, "    %s: %s\n", label(lang, "fix"), rem.Text)
	for _, c := range rem.Commands {
		fmt.Fprintf(w, "      $ %s\n", c)
	}
	if len(rem.Policy) > 0 && string(rem.Policy) != "null" {
		fmt.Fprintf(w, "    %s: %s\n", label(lang, "policy"), string(rem.Policy))
	}
	if rem.Terraform != "" {
		fmt.Fprintf(w, "    %s:\n", label(lang, "terraform"))
		for _, line := range strings.Split(rem.Terraform, "\n") {
			fmt.Fprintf(w, "      %s\n", line)
		}
	}
	for _, l := range rem.Links {
		fmt.Fprintf(w, "    %s: %s\n", label(lang, "docs"), l)
	}
}

func writeEvidence(w *bufio.Writer, f finding.Finding, lang string) {
	for _, e := range f.Evidence {
		parts := []string{e.Source}
		if e.Ref != "" {
			parts = append(parts, e.Ref)
		}
		kv := e.Key
		if e.Value != "" {
			if kv != "" {
				kv += " = "
			}
			kv += oneLine(e.Value, 200)
		}
		if kv != "" {
			parts = append(parts, kv)
		}
		fmt.Fprintf(w, "    %s: %s\n", label(lang, "evidence"), strings.Join(parts, "  "))
	}
}

// orderByVerdict lists failing findings in the verdict's cause order, so the most likely
// cause is read first.
func orderByVerdict(fails []finding.Finding, causes []cause.ID) []finding.Finding {
	rank := map[cause.ID]int{}
	for i, c := range causes {
		rank[c] = i
	}
	out := make([]finding.Finding, 0, len(fails))
	for i := range causes {
		for _, f := range fails {
			if rank[f.Cause] == i && f.Check != finding.ClassifierCheck {
				out = append(out, f)
			}
		}
	}
	for _, f := range fails {
		if _, ok := rank[f.Cause]; !ok || f.Check == finding.ClassifierCheck {
			out = append(out, f)
		}
	}
	return out
}

func targetLine(t finding.Target, lang string) string {
	word := func(key string) string { return label(lang, key) + " " }
	var parts []string
	switch {
	case t.Task != "":
		parts = append(parts, word("task")+t.Task)
	case t.Service != "":
		parts = append(parts, word("service")+t.Service)
	case t.TaskDefinition != "":
		parts = append(parts, word("taskdef")+t.TaskDefinition)
	}
	if t.Service != "" && t.Task != "" {
		parts = append(parts, word("service")+t.Service)
	}
	if t.Cluster != "" {
		parts = append(parts, word("cluster")+t.Cluster)
	}
	if t.Region != "" {
		parts = append(parts, t.Region)
	}
	return strings.Join(parts, ", ")
}

// oneLine flattens newlines and cuts long text on a rune boundary.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
