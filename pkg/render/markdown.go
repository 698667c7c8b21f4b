package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

// Markdown writes the report for a pull-request comment, a ticket or a wiki page.
func Markdown(w io.Writer, r *finding.Report, o Options) error {
	bw := bufio.NewWriter(w)
	lang := o.Lang
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p("# pulldoctor\n\n")
	if t := targetLine(r.Target, lang); t != "" {
		p("**%s:** %s  \n", label(lang, "target"), mdEscape(t))
	}
	if r.StoppedReason != "" {
		p("**%s:** `%s`\n", label(lang, "stopped"), strings.ReplaceAll(oneLine(r.StoppedReason, 400), "`", "'"))
	}
	p("\n## %s\n\n%s\n\n", label(lang, "verdict"), mdEscape(r.Verdict.Summary))
	for i, c := range r.Verdict.Causes {
		info, _ := cause.Lookup(c)
		p("%d. `%s` — %s\n", i+1, c, mdEscape(info.Title.In(lang)))
	}
	var fails, unknowns, others []finding.Finding
	for _, f := range r.Findings {
		switch f.Status {
		case finding.Fail:
			fails = append(fails, f)
		case finding.Unknown:
			unknowns = append(unknowns, f)
		default:
			others = append(others, f)
		}
	}
	if len(fails) > 0 {
		p("\n## %s\n", label(lang, "failing"))
		for _, f := range orderByVerdict(fails, r.Verdict.Causes) {
			mdFinding(bw, f, lang)
		}
	}
	if len(unknowns) > 0 {
		p("\n## %s\n", label(lang, "unknown"))
		for _, f := range unknowns {
			mdFinding(bw, f, lang)
		}
	}
	if len(others) > 0 {
		p("\n## %s\n\n| check | status | |\n|---|---|---|\n", label(lang, "passed"))
		for _, f := range others {
			p("| `%s` | %s | %s |\n", f.Check, f.Status, mdEscape(oneLine(f.Message, 160)))
		}
	}
	if len(r.Gaps) > 0 {
		p("\n## %s\n\n", label(lang, "gaps"))
		for _, g := range r.Gaps {
			p("- `%s` %s: %s\n", g.Call, mdEscape(g.Ref), mdEscape(g.Error))
		}
	}
	return bw.Flush()
}

func mdFinding(w *bufio.Writer, f finding.Finding, lang string) {
	fmt.Fprintf(w, "\n### `%s` — %s\n\n%s\n\n", f.Check, f.Cause, mdEscape(f.Message))
	if f.Path != "" {
		fmt.Fprintf(w, "- %s:\n", label(lang, "path"))
		for _, l := range strings.Split(f.Path, "\n") {
			fmt.Fprintf(w, "  - `%s`\n", l)
		}
	}
	for _, e := range f.Evidence {
		fmt.Fprintf(w, "- %s: `%s` %s %s %s\n", label(lang, "evidence"), e.Source, mdEscape(e.Ref), mdEscape(e.Key), mdEscape(oneLine(e.Value, 200)))
	}
	if len(f.Needs) > 0 {
		fmt.Fprintf(w, "- %s: `%s`\n", label(lang, "needs"), strings.Join(f.Needs, "`, `"))
	}
	if f.Remediation == nil {
		return
	}
	rem := f.Remediation
	fmt.Fprintf(w, "\n**%s:** %s\n", label(lang, "fix"), mdEscape(rem.Text))
	if len(rem.Commands) > 0 {
		fmt.Fprintf(w, "\n```sh\n%s\n```\n", strings.Join(rem.Commands, "\n"))
	}
	if len(rem.Policy) > 0 && string(rem.Policy) != "null" {
		fmt.Fprintf(w, "\n```json\n%s\n```\n", string(rem.Policy))
	}
	if rem.Terraform != "" {
		fmt.Fprintf(w, "\n```hcl\n%s\n```\n", rem.Terraform)
	}
	for _, l := range rem.Links {
		fmt.Fprintf(w, "\n- <%s>", l)
	}
	if len(rem.Links) > 0 {
		fmt.Fprintln(w)
	}
}

var mdEscaper = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`)

func mdEscape(s string) string { return mdEscaper.Replace(s) }
