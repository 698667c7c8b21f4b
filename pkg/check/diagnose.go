package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// Diagnose runs every check over the snapshot and assembles the report: the classification
// of the stopped reason, every finding (passes included, so a reader sees what was ruled
// out), the ranked verdict and the gaps.
func Diagnose(s *snapshot.Snapshot) *finding.Report {
	return DiagnoseWith(s, All())
}

// DiagnoseWith is Diagnose over a chosen list of checks.
func DiagnoseWith(s *snapshot.Snapshot, checks []Check) *finding.Report {
	ss := beginSession(s)
	defer endSession(s, ss)
	r := &finding.Report{
		SchemaVersion: finding.ReportSchemaVersion,
		Target: finding.Target{
			Cluster: s.Target.Cluster, Task: s.Target.Task, Service: s.Target.Service,
			TaskDefinition: s.Target.TaskDefinition, Region: firstNonEmpty(s.Target.Region, s.Region),
			Account: firstNonEmpty(s.Target.Account, s.Account),
		},
		StoppedReason:  s.StoppedReason,
		Classification: []finding.Classified{},
		Findings:       []finding.Finding{},
		Gaps:           []finding.Gap{},
	}
	if s.StoppedReason != "" {
		cl := classify(s.StoppedReason).Classification
		r.Classification = make([]finding.Classified, len(cl))
		for i, m := range cl {
			r.Classification[i] = finding.Classified{Cause: m.Cause, Confidence: m.Confidence}
		}
	}
	// A Finding is large: checks that can append theirs straight into the report's list
	// (appender) do, into one slice sized for the usual one finding per check; the others'
	// slices are copied in.
	r.Findings = make([]finding.Finding, 0, len(checks)+len(checks)/4)
	for _, c := range checks {
		if a, ok := c.(appender); ok {
			r.Findings = a.appendFindings(r.Findings, s)
		} else {
			r.Findings = append(r.Findings, c.Run(s)...)
		}
	}
	if len(s.Gaps) > 0 {
		r.Gaps = make([]finding.Gap, len(s.Gaps))
		for i, g := range s.Gaps {
			r.Gaps[i] = finding.Gap{Call: g.Call, Error: g.Error, Message: g.Message, Ref: g.Ref}
		}
	}
	r.Verdict.Causes = finding.Rank(r.Findings, r.Classification)
	r.Verdict.Summary, r.Verdict.SummaryJA = finding.Summarize(r.Verdict.Causes, r.Findings)
	return r
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
