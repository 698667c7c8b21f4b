package render

import (
	"encoding/json"
	"io"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

// SARIF writes failing and undecided findings as SARIF 2.1.0, for code-scanning UIs in CI
// (preflight). Passing findings are not results in SARIF's sense.
func SARIF(w io.Writer, r *finding.Report, o Options) error {
	type msg struct {
		Text string `json:"text"`
	}
	type rule struct {
		ID               string         `json:"id"`
		ShortDescription msg            `json:"shortDescription"`
		HelpURI          string         `json:"helpUri,omitempty"`
		Properties       map[string]any `json:"properties,omitempty"`
	}
	type location struct {
		PhysicalLocation *struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
		} `json:"physicalLocation,omitempty"`
		LogicalLocations []map[string]string `json:"logicalLocations,omitempty"`
	}
	type result struct {
		RuleID     string         `json:"ruleId"`
		Level      string         `json:"level"`
		Message    msg            `json:"message"`
		Locations  []location     `json:"locations,omitempty"`
		Properties map[string]any `json:"properties,omitempty"`
	}
	rules := []rule{}
	index := map[string]bool{}
	results := []result{}
	for _, f := range r.Findings {
		if f.Status != finding.Fail && f.Status != finding.Unknown {
			continue
		}
		if !index[f.Check] {
			index[f.Check] = true
			info, _ := cause.Lookup(f.Cause)
			help := ""
			if len(info.Links) > 0 {
				help = info.Links[0]
			}
			rules = append(rules, rule{ID: f.Check, ShortDescription: msg{info.Title.In(o.Lang)}, HelpURI: help,
				Properties: map[string]any{"cause": f.Cause}})
		}
		level := "error"
		switch {
		case f.Status == finding.Unknown:
			level = "note"
		case f.Severity == finding.Warning:
			level = "warning"
		case f.Severity == finding.Info:
			level = "note"
		}
		text := f.Message
		if f.Remediation != nil && f.Remediation.Text != "" {
			text += " — " + f.Remediation.Text
		}
		res := result{RuleID: f.Check, Level: level, Message: msg{text},
			Properties: map[string]any{"cause": f.Cause, "status": f.Status}}
		ref := f.Subject
		if ref == "" && len(f.Evidence) > 0 {
			ref = f.Evidence[0].Ref
		}
		var loc location
		if o.SourceFile != "" {
			loc.PhysicalLocation = &struct {
				ArtifactLocation struct {
					URI string `json:"uri"`
				} `json:"artifactLocation"`
			}{}
			loc.PhysicalLocation.ArtifactLocation.URI = o.SourceFile
		}
		if ref != "" {
			loc.LogicalLocations = []map[string]string{{"fullyQualifiedName": ref}}
		}
		if loc.PhysicalLocation != nil || loc.LogicalLocations != nil {
			res.Locations = []location{loc}
		}
		results = append(results, res)
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name": "pulldoctor", "informationUri": "https://github.com/pulldoctor/pulldoctor", "rules": rules,
			}},
			"results": results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
