package finding

import (
	"sort"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
)

// ServiceResult is one service's diagnosis in a fleet scan.
type ServiceResult struct {
	Region  string `json:"region"`
	Cluster string `json:"cluster"`
	Service string `json:"service"`
	// Causes is the verdict's ranked causes (empty when nothing fails).
	Causes []cause.ID `json:"causes"`
	// Failing lists the ids of the checks that failed.
	Failing       []string `json:"failing,omitempty"`
	Unknown       int      `json:"unknown,omitempty"`
	StoppedReason string   `json:"stoppedReason,omitempty"`
	Summary       string   `json:"summary,omitempty"`
	// Error says why the service could not be diagnosed.
	Error string `json:"error,omitempty"`
}

// CauseGroup is every service whose most likely cause is Cause.
type CauseGroup struct {
	Cause    cause.ID `json:"cause"`
	Services []string `json:"services"`
}

// FleetReport is the answer of `pulldoctor scan`.
type FleetReport struct {
	SchemaVersion int             `json:"schemaVersion"`
	Regions       []string        `json:"regions"`
	Services      []ServiceResult `json:"services"`
	ByCause       []CauseGroup    `json:"byCause"`
	Healthy       int             `json:"healthy"`
	Errors        int             `json:"errors"`
}

// NewServiceResult condenses a report for the fleet view.
func NewServiceResult(region, cluster, service string, r *Report) ServiceResult {
	res := ServiceResult{Region: region, Cluster: cluster, Service: service, Causes: r.Verdict.Causes,
		StoppedReason: r.StoppedReason, Summary: r.Verdict.Summary}
	for _, f := range r.Findings {
		switch f.Status {
		case Fail:
			res.Failing = append(res.Failing, f.Check)
		case Unknown:
			res.Unknown++
		}
	}
	return res
}

// Fleet groups service results by their most likely cause, the biggest group first, so the
// one fix that repairs most services is read first.
func Fleet(regions []string, results []ServiceResult) *FleetReport {
	fr := &FleetReport{SchemaVersion: ReportSchemaVersion, Regions: regions, Services: results, ByCause: []CauseGroup{}}
	if fr.Services == nil {
		fr.Services = []ServiceResult{}
	}
	groups := map[cause.ID]*CauseGroup{}
	for _, r := range results {
		switch {
		case r.Error != "":
			fr.Errors++
		case len(r.Causes) == 0:
			fr.Healthy++
		default:
			g := groups[r.Causes[0]]
			if g == nil {
				g = &CauseGroup{Cause: r.Causes[0]}
				groups[r.Causes[0]] = g
			}
			g.Services = append(g.Services, r.Region+"/"+r.Cluster+"/"+r.Service)
		}
	}
	for _, g := range groups {
		sort.Strings(g.Services)
		fr.ByCause = append(fr.ByCause, *g)
	}
	sort.Slice(fr.ByCause, func(i, j int) bool {
		if len(fr.ByCause[i].Services) != len(fr.ByCause[j].Services) {
			return len(fr.ByCause[i].Services) > len(fr.ByCause[j].Services)
		}
		return fr.ByCause[i].Cause < fr.ByCause[j].Cause
	})
	return fr
}

// HasFailures reports whether any service has a failing check.
func (fr *FleetReport) HasFailures() bool { return len(fr.ByCause) > 0 }
