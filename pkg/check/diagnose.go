package check

import (
	"sync"

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
	// A Finding is large and the list is the report's largest allocation: checks that can
	// append theirs (appender) do, into a scratch list with room to spare; the others'
	// slices are copied in. The report keeps an exactly sized copy.
	sp := findingScratch.Get().(*[]finding.Finding)
	fs := (*sp)[:0]
	for _, c := range checks {
		if a, ok := c.(appender); ok {
			fs = a.appendFindings(fs, s)
		} else {
			fs = append(fs, c.Run(s)...)
		}
	}
	r.Findings = make([]finding.Finding, len(fs))
	copy(r.Findings, fs)
	clear(fs) // the scratch list must not keep this report's strings alive
	*sp = fs[:0]
	findingScratch.Put(sp)
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

// findingScratch holds the lists DiagnoseWith collects findings in before copying them into
// the report: scratch space only, empty between diagnoses.
var findingScratch = sync.Pool{New: func() any {
	fs := make([]finding.Finding, 0, 64)
	return &fs
}}
