// Package render writes reports in every output format: one file per format, each with
// golden tests. Renderers only lay out what the report holds; they decide nothing.
package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

// Formats lists the output formats (contract: --output).
var Formats = []string{"text", "json", "sarif", "markdown"}

// Options control rendering.
type Options struct {
	// Lang is "en" or "ja".
	Lang string
	// Verbose lists passing findings with their evidence too.
	Verbose bool
	// SourceFile is the file a preflight report is about (SARIF locations).
	SourceFile string
}

// Report writes r in format.
func Report(w io.Writer, r *finding.Report, format string, o Options) error {
	lr := Localize(r, o.Lang)
	switch format {
	case "", "text":
		return Text(w, lr, o)
	case "json":
		return JSON(w, lr)
	case "sarif":
		return SARIF(w, lr, o)
	case "markdown", "md":
		return Markdown(w, lr, o)
	}
	return fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// Localize returns a copy of r whose messages are in lang. The report's structure and ids are
// the same in every language; only prose changes.
func Localize(r *finding.Report, lang string) *finding.Report {
	if lang != "ja" {
		return r
	}
	out := *r
	out.Findings = make([]finding.Finding, len(r.Findings))
	for i, f := range r.Findings {
		if f.MessageJA != "" {
			f.Message = f.MessageJA
		}
		if f.Remediation != nil && f.Remediation.TextJA != "" {
			rem := *f.Remediation
			rem.Text = rem.TextJA
			f.Remediation = &rem
		}
		out.Findings[i] = f
	}
	if r.Verdict.SummaryJA != "" {
		out.Verdict.Summary = r.Verdict.SummaryJA
	}
	return &out
}

// label returns the UI word in lang.
func label(lang, key string) string {
	if lang == "ja" {
		if v, ok := labelsJA[key]; ok {
			return v
		}
	}
	if v, ok := labelsEN[key]; ok {
		return v
	}
	return key
}

var labelsEN = map[string]string{
	"verdict": "Verdict", "target": "Target", "stopped": "Stopped reason", "classified": "The error text points to",
	"failing": "Problems found", "unknown": "Could not decide", "passed": "Ruled out", "na": "Not applicable",
	"evidence": "evidence", "fix": "fix", "path": "path", "needs": "needs", "docs": "docs", "gaps": "Reads that failed",
	"none": "No problem found.", "terraform": "terraform", "policy": "policy", "also": "also failing",
	"task": "task", "service": "service", "taskdef": "task definition", "cluster": "cluster",
}

var labelsJA = map[string]string{
	"verdict": "結論", "target": "対象", "stopped": "停止理由", "classified": "エラー文が示す原因",
	"failing": "見つかった問題", "unknown": "判定できなかったもの", "passed": "問題なし（除外済み）", "na": "対象外",
	"evidence": "根拠", "fix": "対処", "path": "経路", "needs": "必要な権限", "docs": "ドキュメント", "gaps": "読み取りに失敗した API",
	"none": "問題は見つかりませんでした。", "terraform": "terraform", "policy": "ポリシー", "also": "他にも失敗",
	"task": "タスク", "service": "サービス", "taskdef": "タスク定義", "cluster": "クラスター",
}
