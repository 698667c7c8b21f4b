package render

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

// Fleet writes a scan's result in format: services grouped by their most likely cause,
// the largest group first.
func Fleet(w io.Writer, fr *finding.FleetReport, format string, o Options) error {
	switch format {
	case "", "text":
		return fleetText(w, fr, o, false)
	case "markdown", "md":
		return fleetText(w, fr, o, true)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(fr)
	case "sarif":
		// One SARIF result per failing service, so code-scanning UIs list the fleet's problems.
		r := &finding.Report{}
		for _, s := range fr.Services {
			if len(s.Causes) == 0 {
				continue
			}
			for _, check := range s.Failing {
				r.Findings = append(r.Findings, finding.Finding{Check: check, Cause: s.Causes[0], Status: finding.Fail, Severity: finding.Error,
					Message: s.Cluster + "/" + s.Service + ": " + s.Summary, Subject: s.Region + "/" + s.Cluster + "/" + s.Service})
			}
		}
		return SARIF(w, r, o)
	}
	return fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

func fleetText(w io.Writer, fr *finding.FleetReport, o Options, md bool) error {
	bw := bufio.NewWriter(w)
	ja := o.Lang == "ja"
	head := func(s string) {
		if md {
			fmt.Fprintf(bw, "\n## %s\n\n", s)
		} else {
			fmt.Fprintf(bw, "\n%s\n", s)
		}
	}
	item := func(s string) {
		if md {
			fmt.Fprintf(bw, "- %s\n", s)
		} else {
			fmt.Fprintf(bw, "  - %s\n", s)
		}
	}
	total := len(fr.Services)
	if ja {
		fmt.Fprintf(bw, "%d サービスを診断（リージョン: %s）: 問題あり %d、問題なし %d、診断できず %d\n",
			total, strings.Join(fr.Regions, ", "), total-fr.Healthy-fr.Errors, fr.Healthy, fr.Errors)
	} else {
		fmt.Fprintf(bw, "%d services diagnosed in %s: %d with problems, %d healthy, %d could not be diagnosed\n",
			total, strings.Join(fr.Regions, ", "), total-fr.Healthy-fr.Errors, fr.Healthy, fr.Errors)
	}
	for _, g := range fr.ByCause {
		info, _ := cause.Lookup(g.Cause)
		head(fmt.Sprintf("%s — %s (%d)", g.Cause, info.Title.In(o.Lang), len(g.Services)))
		for _, s := range g.Services {
			item(s)
		}
	}
	if fr.Errors > 0 {
		head(map[bool]string{false: "Could not be diagnosed", true: "診断できなかったサービス"}[ja])
		for _, s := range fr.Services {
			if s.Error != "" {
				item(s.Region + "/" + s.Cluster + "/" + s.Service + ": " + oneLine(s.Error, 200))
			}
		}
	}
	if fr.HasFailures() {
		hint := "Run `pulldoctor diagnose --cluster C --service S` for the evidence and the fix of one service."
		if ja {
			hint = "個々のサービスの根拠と対処は `pulldoctor diagnose --cluster C --service S` で確認できます。"
		}
		fmt.Fprintf(bw, "\n%s\n", hint)
	}
	return bw.Flush()
}
