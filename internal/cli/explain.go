package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/errclass"
)

// maxExplainInput bounds one text: a stopped reason is at most a few kilobytes; a megabyte
// is still classified (the classifier caps its own work) but more is refused as not a
// stopped reason at all.
const maxExplainInput = 4 << 20

func newExplain(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   `explain "<stopped reason>" | -`,
		Short: "Classify a stopped reason, service event or agent log line into ranked causes (offline)",
		Long: `explain reads the error text ECS gave you (a task's stoppedReason, a container's reason,
a service event or an ECS agent log line) and ranks the causes it points to, with what to
check next. It needs no AWS access. With "-" it reads one text per line from stdin and, with
--output json, writes one JSON object per line.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.output == "sarif" {
				return errors.New("explain writes text, json or markdown, not sarif")
			}
			if args[0] == "-" {
				return explainLines(g, g.stdin)
			}
			text := args[0]
			if strings.TrimSpace(text) == "" {
				return errors.New("explain: the text is empty; pass the stopped reason in quotes, or - to read stdin")
			}
			if len(text) > maxExplainInput {
				return fmt.Errorf("explain: the text is %d bytes; a stopped reason is at most a few kilobytes", len(text))
			}
			return writeExplain(g, errclass.Classify(text), true)
		},
	}
	return cmd
}

func explainLines(g *globals, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxExplainInput)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		if n > 0 && g.output != "json" {
			fmt.Fprintln(g.stdout)
		}
		if err := writeExplain(g, errclass.Classify(line), false); err != nil {
			return err
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("explain: read stdin: %w", err)
	}
	if n == 0 {
		return errors.New("explain: stdin held no text to classify")
	}
	return nil
}

// explainJSON is the contract shape of `explain --output json` (DESIGN.md §6).
type explainJSON struct {
	SchemaVersion  int                `json:"schemaVersion"`
	Input          string             `json:"input"`
	Classification []explainCause     `json:"classification"`
	Extracted      errclass.Extracted `json:"extracted"`
}

type explainCause struct {
	Cause      cause.ID `json:"cause"`
	Confidence float64  `json:"confidence"`
	Title      string   `json:"title"`
}

func writeExplain(g *globals, res errclass.Result, indent bool) error {
	if g.output == "json" {
		out := explainJSON{SchemaVersion: 1, Input: res.Input, Extracted: res.Extracted}
		for _, m := range res.Classification {
			info, _ := cause.Lookup(m.Cause)
			out.Classification = append(out.Classification, explainCause{Cause: m.Cause, Confidence: m.Confidence, Title: info.Title.In(g.lang)})
		}
		enc := json.NewEncoder(g.stdout)
		enc.SetEscapeHTML(false)
		if indent {
			enc.SetIndent("", "  ")
		}
		return enc.Encode(out)
	}
	w := bufio.NewWriter(g.stdout)
	ja := g.lang == "ja"
	md := g.output == "markdown"
	head := map[bool]string{false: "Likely causes, most likely first:", true: "考えられる原因（可能性の高い順）:"}[ja]
	if md {
		fmt.Fprintf(w, "## %s\n\n", head)
	} else {
		fmt.Fprintln(w, head)
	}
	for i, m := range res.Classification {
		info, _ := cause.Lookup(m.Cause)
		if md {
			fmt.Fprintf(w, "%d. **%s** `%s` (%.2f)\n", i+1, info.Title.In(g.lang), m.Cause, m.Confidence)
		} else {
			fmt.Fprintf(w, "\n%d. %s  [%s, %.2f]\n", i+1, info.Title.In(g.lang), m.Cause, m.Confidence)
		}
		if i == 0 || m.Confidence >= 0.3 {
			indentText(w, info.Explanation.In(g.lang))
			for _, c := range info.WhatToCheck {
				if md {
					fmt.Fprintf(w, "   - %s\n", c.In(g.lang))
				} else {
					fmt.Fprintf(w, "     - %s\n", c.In(g.lang))
				}
			}
		}
	}
	ex := res.Extracted
	var facts []string
	for _, kv := range [][2]string{{"image", ex.Image}, {"registry", ex.Registry}, {"address", ex.Address}, {"action", ex.Action}, {"arn", ex.ARN}} {
		if kv[1] != "" {
			facts = append(facts, kv[0]+"="+kv[1])
		}
	}
	if ex.HTTPStatus != 0 {
		facts = append(facts, fmt.Sprintf("httpStatus=%d", ex.HTTPStatus))
	}
	if len(facts) > 0 {
		label := map[bool]string{false: "From the text:", true: "エラー文から読み取った情報:"}[ja]
		fmt.Fprintf(w, "\n%s %s\n", label, strings.Join(facts, "  "))
	}
	if res.Classification[0].Cause == cause.Unknown {
		hint := map[bool]string{
			false: "The text alone does not decide. Run `pulldoctor diagnose --cluster C --task T` to check the real state.",
			true:  "文面だけでは判断できません。`pulldoctor diagnose --cluster C --task T` で実際の状態を確認してください。",
		}[ja]
		fmt.Fprintf(w, "\n%s\n", hint)
	}
	return w.Flush()
}

func indentText(w io.Writer, s string) {
	if s != "" {
		fmt.Fprintf(w, "   %s\n", s)
	}
}
