package check

import (
	"strconv"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ClassifierCheckID is the id of the check that reports the stopped-reason classification;
// verdict ranking treats its finding as corroboration, not as independent evidence.
const ClassifierCheckID = finding.ClassifierCheck

// confidentClassification is the confidence at which the text alone decides the cause
// (DESIGN.md §6).
const confidentClassification = 0.7

// StoppedReasonClassified reports what the observed error says. A pull error proves the task
// failed to pull even when no other check can find why (a snapshot with gaps), so it fails;
// ranking then prefers the causes that other checks confirm.
type StoppedReasonClassified struct{}

// Meta implements Check.
func (StoppedReasonClassified) Meta() Meta { return stoppedReasonClassifiedMeta }

var stoppedReasonClassifiedMeta = Meta{
	ID: ClassifierCheckID, Cause: cause.Unknown, Severity: finding.Error,
	Title:       "The stopped reason is an image-pull failure, classified",
	TitleJA:     "停止理由がイメージプルの失敗か、その分類",
	Description: "Classifies the task's stopped reason (or container reason, or service event) with the same classifier as `pulldoctor explain`. The finding fails when the text shows a pull failure, with the cause the text alone points to; other checks then confirm or rule out each cause against the real state.",
	Needs:       []string{"ecs:DescribeTasks", "ecs:DescribeServices"},
}

// Run implements Check.
func (c StoppedReasonClassified) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (c StoppedReasonClassified) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := stoppedReasonClassifiedMeta
	text := strings.TrimSpace(s.StoppedReason)
	if text == "" {
		if g := s.FirstGap("ecs:DescribeTasks", "ecs:DescribeServices"); g != nil {
			return append(dst, unknownFromGap(m, g, "the stopped reason", "停止理由"))
		}
		return append(dst, newFinding(m, finding.NotApplicable,
			"no stopped reason to classify", "分類する停止理由がありません"))
	}
	res := classify(text)
	top := res.Classification[0]
	ex := res.Extracted
	extracted := [...][2]string{{"image", ex.Image}, {"registry", ex.Registry}, {"address", ex.Address}, {"action", ex.Action}, {"arn", ex.ARN}}
	n := 1
	for _, kv := range extracted {
		if kv[1] != "" {
			n++
		}
	}
	if ex.HTTPStatus != 0 {
		n++
	}
	ev := make([]finding.Evidence, 0, n)
	ev = append(ev, finding.Evidence{Source: "ecs:DescribeTasks", Ref: s.Target.Task, Key: "stoppedReason", Value: truncate(text, 400)})
	for _, kv := range extracted {
		if kv[1] != "" {
			ev = append(ev, finding.Evidence{Source: "stoppedReason", Key: kv[0], Value: kv[1]})
		}
	}
	if ex.HTTPStatus != 0 {
		ev = append(ev, finding.Evidence{Source: "stoppedReason", Key: "httpStatus", Value: strconv.Itoa(ex.HTTPStatus)})
	}
	if top.Cause == cause.Unknown || top.Confidence < 0.3 {
		f := newFinding(m, finding.Pass,
			"the stopped reason does not look like an image-pull failure",
			"停止理由はイメージプルの失敗には見えません")
		f.Evidence = ev
		return append(dst, f)
	}
	info, _ := causeInfo(top.Cause)
	var cb [16]byte
	conf := strconv.AppendFloat(cb[:0], top.Confidence, 'f', 2, 64) // as %.2f
	var en, ja string
	if top.Confidence >= confidentClassification {
		en = "the stopped reason says: " + info.Title.In("en") + " (confidence " + string(conf) + ")"
		ja = "停止理由が示す原因: " + info.Title.In("ja") + "（確度 " + string(conf) + "）"
	} else {
		en = "the stopped reason is a pull failure; most likely " + info.Title.In("en") + " (confidence " + string(conf) + "), the text alone does not decide"
		ja = "停止理由はプルの失敗です。最も可能性が高いのは " + info.Title.In("ja") + "（確度 " + string(conf) + "）ですが、文面だけでは決まりません"
	}
	f := newFinding(m, finding.Fail, en, ja)
	f.Cause = top.Cause
	f.Evidence = ev
	// The catalogue's generic fix; the checks of the state give the tailored one.
	f.Remediation = &finding.Remediation{Text: info.Remediation.EN, TextJA: info.Remediation.JA, Links: info.Links}
	return append(dst, f)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary so the evidence stays valid UTF-8.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
