package finding

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
)

// ReportSchemaVersion is the version of the JSON report (contract).
const ReportSchemaVersion = 1

// Target names what was diagnosed.
type Target struct {
	Cluster        string `json:"cluster,omitempty"`
	Task           string `json:"task,omitempty"`
	Service        string `json:"service,omitempty"`
	TaskDefinition string `json:"taskDefinition,omitempty"`
	Region         string `json:"region,omitempty"`
	Account        string `json:"account,omitempty"`
}

// Classified is one cause the stopped-reason classifier proposed.
type Classified struct {
	Cause      cause.ID `json:"cause"`
	Confidence float64  `json:"confidence"`
}

// Verdict ranks the causes that explain the failure.
type Verdict struct {
	Causes    []cause.ID `json:"causes"`
	Summary   string     `json:"summary"`
	SummaryJA string     `json:"-"`
}

// Gap mirrors snapshot.Gap in the report.
type Gap struct {
	Call    string `json:"call"`
	Error   string `json:"error"`
	Message string `json:"message,omitempty"`
	Ref     string `json:"ref,omitempty"`
}

// Report is the whole answer of a diagnosis (contract: DESIGN.md §6).
type Report struct {
	SchemaVersion  int          `json:"schemaVersion"`
	Target         Target       `json:"target"`
	StoppedReason  string       `json:"stoppedReason"`
	Classification []Classified `json:"classification"`
	Findings       []Finding    `json:"findings"`
	Verdict        Verdict      `json:"verdict"`
	Gaps           []Gap        `json:"gaps"`
}

// HasFailures reports whether any finding failed (exit code 1).
func (r *Report) HasFailures() bool {
	for _, f := range r.Findings {
		if f.Status == Fail {
			return true
		}
	}
	return false
}

// ClassifierCheck is the id of the check that reports the stopped-reason classification. Its
// finding restates the observed error rather than testing the AWS state, so ranking counts
// it as corroboration only.
const ClassifierCheck = "stopped-reason-classified"

// Rank orders the causes of failing findings, most likely first.
//
// A failing check is evidence that a cause is present; the stopped reason says which cause
// actually produced the observed error. A failing cause the classifier also proposes ranks
// first (by the classifier's confidence), then the other failing causes by severity and by
// how many checks point at them. A cause that only the classifier proposes (no check of the
// state confirms it) comes after every confirmed cause.
func Rank(findings []Finding, classified []Classified) []cause.ID {
	type score struct {
		id         cause.ID
		confidence float64
		errors     int
		warnings   int
		first      int
		confirmed  bool
	}
	// A report has a handful of failing causes: a short list searched in order does without
	// a map and a score allocated per cause.
	var buf [8]score
	order := buf[:0]
	for i := range findings {
		f := &findings[i]
		if f.Status != Fail || f.Cause == "" || f.Cause == cause.Unknown {
			continue
		}
		j := slices.IndexFunc(order, func(sc score) bool { return sc.id == f.Cause })
		if j < 0 {
			order = append(order, score{id: f.Cause, first: i})
			j = len(order) - 1
		}
		sc := &order[j]
		if f.Check != ClassifierCheck {
			sc.confirmed = true
		}
		if f.Severity == Error {
			sc.errors++
		} else {
			sc.warnings++
		}
	}
	for _, c := range classified {
		for j := range order {
			if sc := &order[j]; sc.id == c.Cause && c.Confidence > sc.confidence {
				sc.confidence = c.Confidence
			}
		}
	}
	// first differs between causes, so this order is total.
	slices.SortFunc(order, func(a, b score) int {
		if a.confirmed != b.confirmed {
			return boolFirst(a.confirmed)
		}
		// Matching the observed error outweighs everything else.
		if (a.confidence > 0) != (b.confidence > 0) {
			return boolFirst(a.confidence > 0)
		}
		if a.confidence != b.confidence {
			return -cmp.Compare(a.confidence, b.confidence)
		}
		if (a.errors > 0) != (b.errors > 0) {
			return boolFirst(a.errors > 0)
		}
		if a.errors+a.warnings != b.errors+b.warnings {
			return -cmp.Compare(a.errors+a.warnings, b.errors+b.warnings)
		}
		return cmp.Compare(a.first, b.first)
	})
	// When a confirmed cause explains the observed error (the classifier proposed it too),
	// the classifier's own top guess adds nothing: drop causes only the classifier supports.
	explained := false
	for _, sc := range order {
		if sc.confirmed && sc.confidence > 0 {
			explained = true
		}
	}
	ids := make([]cause.ID, 0, len(order))
	for _, sc := range order {
		if explained && !sc.confirmed {
			continue
		}
		ids = append(ids, sc.id)
	}
	return ids
}

// boolFirst orders the side for which a test holds first: -1 when it holds for the first
// of two, which differ.
func boolFirst(first bool) int {
	if first {
		return -1
	}
	return 1
}

// causeTitles holds the title of every cause. cause.Lookup copies an entry's slices for each
// caller; the titles are all a summary needs.
var causeTitles = sync.OnceValue(func() map[cause.ID]cause.Text {
	m := make(map[cause.ID]cause.Text)
	for _, info := range cause.Catalogue() {
		m[info.ID] = info.Title
	}
	return m
})

// Summarize writes the one-line verdict in English and Japanese.
func Summarize(causes []cause.ID, findings []Finding) (en, ja string) {
	if len(causes) == 0 {
		unknown := 0
		for i := range findings {
			if findings[i].Status == Unknown {
				unknown++
			}
		}
		if unknown > 0 {
			return "no failing check; some checks could not decide (see unknown findings)",
				"失敗したチェックはありません。ただし判定できなかったチェックがあります（unknown を参照）"
		}
		return "no problem found that would stop the image pull", "イメージのプルを妨げる問題は見つかりませんでした"
	}
	title := causeTitles()[causes[0]]
	if len(causes) == 1 {
		return "most likely: " + title.In("en"), "最も可能性が高い原因: " + title.In("ja")
	}
	var rest strings.Builder
	for i, c := range causes[1:] {
		if i > 0 {
			rest.WriteString(", ")
		}
		rest.WriteString(string(c))
	}
	also := rest.String()
	return "most likely: " + title.In("en") + " (also failing: " + also + ")",
		"最も可能性が高い原因: " + title.In("ja") + "（他にも失敗: " + also + "）"
}
