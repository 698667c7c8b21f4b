// Package check holds every check pulldoctor runs over a snapshot. A check is pure: it reads
// the snapshot and returns findings; it never calls AWS or a registry. Each check is one file
// with its own table test; the list of checks is explicit (All in all.go).
package check

import (
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// Meta describes a check for `pulldoctor checks`, the docs pages and the renderers.
type Meta struct {
	ID       string
	Cause    cause.ID
	Severity finding.Severity
	Title    string
	TitleJA  string
	// Description says what the check looks at and why, for docs/checks/<id>.md.
	Description string
	// Needs are the read permissions the collector uses to gather this check's input.
	Needs []string
}

// Doc is the path of the check's documentation page, relative to the repository root.
func (m Meta) Doc() string { return "docs/checks/" + m.ID + ".md" }

// Check is one rule over a snapshot.
type Check interface {
	Meta() Meta
	Run(s *snapshot.Snapshot) []finding.Finding
}

// appender is implemented by checks that can append their findings to a list instead of
// returning a new slice: Diagnose collects every check's findings into one slice, and a
// Finding is large enough that a slice per check is a cost worth avoiding. Run must equal
// appendFindings(nil, s).
type appender interface {
	appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding
}

// newFinding starts a finding with the check's identity filled in.
func newFinding(m Meta, status finding.Status, en, ja string) finding.Finding {
	sev := m.Severity
	switch status {
	case finding.Pass, finding.NotApplicable:
		sev = finding.Info
	case finding.Unknown:
		sev = finding.Warning
	}
	return finding.Finding{Check: m.ID, Cause: m.Cause, Status: status, Severity: sev, Message: en, MessageJA: ja}
}

// unknownFromGap is the finding for a check whose input a failed read left out.
func unknownFromGap(m Meta, g *snapshot.Gap, what, whatJA string) finding.Finding {
	f := newFinding(m, finding.Unknown,
		"cannot decide: "+what+" could not be read ("+g.Call+": "+g.Error+")",
		"判定できません: "+whatJA+"を読み取れませんでした（"+g.Call+": "+g.Error+"）")
	f.Needs = []string{g.Call}
	f.Evidence = []finding.Evidence{{Source: g.Call, Ref: g.Ref, Key: "error", Value: g.Error}}
	return f
}

// unknownMissing is the finding for a check whose input is absent from the snapshot
// without a recorded gap (a hand-made or preflight snapshot).
func unknownMissing(m Meta, needs []string, what, whatJA string) finding.Finding {
	f := newFinding(m, finding.Unknown,
		"cannot decide: "+what+" is not in the snapshot",
		"判定できません: "+whatJA+"がスナップショットにありません")
	f.Needs = needs
	return f
}

// taskDefinitionMissing is the answer of every check that needs the task definition when the
// snapshot lacks it: unknown, from the failed read if there was one.
func taskDefinitionMissing(m Meta, s *snapshot.Snapshot) []finding.Finding {
	if g := s.Gap("ecs:DescribeTaskDefinition", ""); g != nil {
		return []finding.Finding{unknownFromGap(m, g, "the task definition", "タスク定義")}
	}
	return []finding.Finding{unknownMissing(m, []string{"ecs:DescribeTaskDefinition"}, "the task definition", "タスク定義")}
}

// noExecRoleForSecrets is the answer of the secret checks for a task without an execution
// role: exec-role-present reports the missing role itself.
func noExecRoleForSecrets(m Meta) finding.Finding {
	return newFinding(m, finding.NotApplicable,
		"the task has no execution role, which its secrets need (exec-role-present reports it)",
		"シークレットに必要なタスク実行ロールがありません（exec-role-present が報告します）")
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// noECRImageFinding is the answer of every ECR check for a task that pulls no private ECR
// image.
func noECRImageFinding(m Meta) finding.Finding {
	return newFinding(m, finding.NotApplicable, "no private ECR image", "プライベート ECR のイメージはありません")
}

// bilingual joins the English parts and the Japanese parts of a message into one string
// and returns its two halves: a finding's two texts cost one allocation instead of two.
func bilingual(en, ja []string) (string, string) {
	n, nEN := 0, 0
	for _, p := range en {
		nEN += len(p)
	}
	n = nEN
	for _, p := range ja {
		n += len(p)
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range en {
		b.WriteString(p)
	}
	for _, p := range ja {
		b.WriteString(p)
	}
	s := b.String()
	return s[:nEN], s[nEN:]
}
