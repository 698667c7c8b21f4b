package check

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/iampolicy"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// The IAM checks decide permissions with pkg/iampolicy over the policy documents in the
// snapshot instead of trusting SimulatePrincipalPolicy, which ignores SCPs and most
// conditions. This file holds what they share: building a role's PolicySet (with every way
// that can fail turned into an unknown finding that names the read that would decide it),
// turning Decisions into evidence, and the remediation builders.

// iamReadCalls are the reads a role's policy set is built from; a gap on any of them for the
// role makes every decision about it unknown rather than a guess over half the policies.
var iamReadCalls = []string{"iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:GetPolicy", "iam:GetPolicyVersion"}

// iamSubject is a principal whose policies a check evaluates.
type iamSubject struct {
	ARN     string
	Name    string
	Account string
	// Kind is how messages name it: "execution role", "container instance role".
	Kind   string
	KindJA string
	Role   *snapshot.Role
	Set    iampolicy.PolicySet
	// Policies lists the evaluated documents, for the evidence.
	Policies []string
	// policiesEv is policiesEvidence(), worked out once: every finding about the role cites it.
	policiesEv finding.Evidence
}

// iamShared is what the IAM checks of one diagnosis work out once and share (slotIAM): the
// task's private ECR images and the loaded policy set of the role they evaluate, which five
// of them need. Each part is built on first use, by whichever check asks first; two
// goroutines diagnosing the same snapshot share the value, hence the Onces. Everything in
// it is read-only once built.
type iamShared struct {
	s *snapshot.Snapshot

	ecrOnce sync.Once
	ecr     []imageTarget // every container with a private ECR image
	repos   []iamRepo     // the same, one per repository

	subOnce         sync.Once
	subARN, subKind string
	sub             *iamSubject
	subErr          *finding.Finding
}

// iamRepo is an ECR image target with its repository's ARN, which every repository check
// names in its messages and requests.
type iamRepo struct {
	*imageTarget
	ARN string
}

func iamState(s *snapshot.Snapshot) *iamShared {
	return shared(s, slotIAM, func() *iamShared { return &iamShared{s: s} })
}

// ecrTargets returns the containers with a private ECR image, and the same grouped by
// repository (keeping each repository's first container).
func (st *iamShared) ecrTargets() (all []imageTarget, repos []iamRepo) {
	st.ecrOnce.Do(func() {
		st.ecr = imageTargets(st.s, imageref.KindECR)
		for i := range st.ecr {
			t := &st.ecr[i]
			a := t.Ref.RepositoryARN()
			if !slices.ContainsFunc(st.repos, func(r iamRepo) bool { return r.ARN == a }) {
				st.repos = append(st.repos, iamRepo{t, a})
			}
		}
	})
	return st.ecr, st.repos
}

// subject is loadSubject, once per diagnosis: the pulling principal and the execution role
// are one role whenever a task has an execution role. A failure to load it is reported by
// each check that asks, under its own identity.
func (st *iamShared) subject(m Meta, arn, kind, kindJA string) (*iamSubject, *finding.Finding) {
	st.subOnce.Do(func() {
		st.subARN, st.subKind = arn, kind
		st.sub, st.subErr = loadSubject(st.s, m, arn, kind, kindJA)
	})
	if arn != st.subARN || kind != st.subKind {
		return loadSubject(st.s, m, arn, kind, kindJA)
	}
	if st.subErr != nil {
		// Every such finding is an unknown, whose severity does not depend on the check.
		f := *st.subErr
		f.Check, f.Cause = m.ID, m.Cause
		f.Needs, f.Evidence = slices.Clone(f.Needs), slices.Clone(f.Evidence)
		return nil, &f
	}
	return st.sub, nil
}

// allowAllPolicy stands in for one side of an evaluation when a check wants to know what
// the other side alone decides (e.g. "does the repository policy grant this account?").
var allowAllPolicy = func() *iampolicy.Policy {
	p, err := iampolicy.ParseString(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	if err != nil {
		panic(err)
	}
	return p
}()

var allowAll = []iampolicy.NamedPolicy{{Name: "(assumed: identity side allows)", Policy: allowAllPolicy}}

// pullPrincipal is the role whose credentials fetch the image and write awslogs: the
// execution role when the task has one; on EC2 without one, the container instance role
// (the ECS agent falls back to it). ok is false when neither applies; then na says whether
// that is simply not this check's business (Fargate without a role: exec-role-present
// reports it) or an unknown (EC2 without a known instance role).
func pullPrincipal(s *snapshot.Snapshot) (arn, kind, kindJA string, ok bool) {
	if r := s.ExecutionRoleARN(); r != "" {
		return r, "execution role", "タスク実行ロール", true
	}
	if s.LaunchType() == "EC2" {
		if s.InstanceRoleARN != "" {
			return s.InstanceRoleARN, "container instance role", "コンテナインスタンスロール", true
		}
		return "", "container instance role", "コンテナインスタンスロール", false
	}
	return "", "execution role", "タスク実行ロール", false
}

// noPrincipalFinding reports a task whose pulling principal is absent: not applicable on
// Fargate (exec-role-present fails it), unknown on EC2 when the instance role was not read.
func noPrincipalFinding(m Meta, s *snapshot.Snapshot, what string) finding.Finding {
	if s.LaunchType() == "EC2" {
		f := newFinding(m, finding.Unknown,
			"cannot decide "+what+": the task has no execution role and the container instance role is not in the snapshot",
			what+"を判定できません: タスク実行ロールがなく、コンテナインスタンスロールもスナップショットにありません")
		f.Needs = []string{"ecs:DescribeContainerInstances", "ec2:DescribeInstances", "iam:GetInstanceProfile"}
		return f
	}
	return newFinding(m, finding.NotApplicable,
		"the task has no execution role (exec-role-present reports that)",
		"タスク実行ロールがありません（exec-role-present が報告します）")
}

// roleGap returns a gap that leaves the role's policy set incomplete: one of iamReadCalls
// (the first in that order) about the role, by ARN or name, or about one of its managed
// policies or its permissions boundary, or about nothing in particular.
func roleGap(s *snapshot.Snapshot, r *snapshot.Role, arn string) *snapshot.Gap {
	if len(s.Gaps) == 0 {
		return nil
	}
	name := snapshot.RoleNameFromARN(arn)
	about := func(ref string) bool {
		if ref == "" || ref == arn || ref == name || len(ref) > len(arn) && ref[len(arn)] == '/' && strings.HasPrefix(ref, arn) {
			return true
		}
		if r == nil {
			return false
		}
		for _, p := range r.AttachedPolicies {
			if p.ARN != "" && ref == p.ARN {
				return true
			}
		}
		return r.PermissionsBoundary != nil && r.PermissionsBoundary.ARN != "" && ref == r.PermissionsBoundary.ARN
	}
	for _, call := range iamReadCalls {
		for i := range s.Gaps {
			g := &s.Gaps[i]
			if strings.EqualFold(g.Call, call) && about(g.Ref) {
				return g
			}
		}
	}
	return nil
}

// loadSubject builds the PolicySet of a role: attached + inline as identity policies, the
// permissions boundary, SCPs left nil (not provided). A role that is absent, partly
// unreadable or has a policy that does not parse yields an unknown finding instead.
func loadSubject(s *snapshot.Snapshot, m Meta, arn, kind, kindJA string) (*iamSubject, *finding.Finding) {
	r := s.Role(arn)
	if g := roleGap(s, r, arn); g != nil {
		f := newFinding(m, finding.Unknown,
			"cannot decide: the policies of "+kind+" "+arn+" could not be read ("+g.Call+": "+g.Error+")",
			"判定できません: "+kindJA+" "+arn+" のポリシーを読み取れませんでした（"+g.Call+": "+g.Error+"）")
		f.Needs = []string{g.Call}
		if g.Error == "NoSuchEntity" {
			f.Message += "; the role does not exist (see exec-role-present)"
			f.MessageJA += "。ロールが存在しません（exec-role-present を参照）"
		}
		f.Evidence = []finding.Evidence{{Source: g.Call, Ref: orPlaceholder(g.Ref, arn), Key: "error", Value: g.Error}}
		return nil, &f
	}
	if r == nil {
		f := unknownMissing(m, []string{"iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:GetPolicyVersion"},
			kind+" "+arn, kindJA+" "+arn)
		return nil, &f
	}
	sub := &iamSubject{ARN: arn, Name: orPlaceholder(r.RoleName, snapshot.RoleNameFromARN(arn)), Account: arnAccount(arn), Kind: kind, KindJA: kindJA, Role: r}
	parse := func(p snapshot.Policy, call, what string) (*iampolicy.NamedPolicy, *finding.Finding) {
		label := orPlaceholder(p.ARN, p.Name)
		if len(p.Document) == 0 || string(p.Document) == "null" {
			f := newFinding(m, finding.Unknown,
				"cannot decide: the document of "+what+" "+label+" of "+arn+" is not in the snapshot",
				"判定できません: "+arn+" の"+what+" "+label+" のポリシー文書がスナップショットにありません")
			f.Needs = []string{call}
			return nil, &f
		}
		pol, err := parsePolicyCached(p.Document)
		if err != nil {
			f := newFinding(m, finding.Unknown,
				"cannot decide: "+what+" "+label+" of "+arn+" does not parse: "+err.Error(),
				"判定できません: "+arn+" の"+what+" "+label+" を解析できません: "+err.Error())
			f.Needs = []string{call}
			f.Evidence = []finding.Evidence{{Source: call, Ref: label, Key: "parse error", Value: err.Error()}}
			return nil, &f
		}
		sub.Policies = append(sub.Policies, label)
		return &iampolicy.NamedPolicy{Name: p.Name, ARN: p.ARN, Policy: pol}, nil
	}
	for _, p := range r.AttachedPolicies {
		np, f := parse(p, "iam:GetPolicyVersion", "managed policy")
		if f != nil {
			return nil, f
		}
		sub.Set.Identity = append(sub.Set.Identity, *np)
	}
	for _, p := range r.InlinePolicies {
		if p.ARN == "" {
			// Inline policies have no ARN; cite them as role/policy so the reader can find them.
			p.Name = sub.Name + "/" + p.Name
		}
		np, f := parse(p, "iam:GetRolePolicy", "inline policy")
		if f != nil {
			return nil, f
		}
		sub.Set.Identity = append(sub.Set.Identity, *np)
	}
	if r.PermissionsBoundary != nil {
		np, f := parse(*r.PermissionsBoundary, "iam:GetPolicyVersion", "permissions boundary")
		if f != nil {
			return nil, f
		}
		sub.Policies[len(sub.Policies)-1] += " (permissions boundary)"
		sub.Set.Boundary = np
	}
	v := strings.Join(sub.Policies, ", ")
	if v == "" {
		v = "(no policies attached)"
	}
	sub.policiesEv = finding.Evidence{Source: "iam:ListAttachedRolePolicies", Ref: sub.ARN, Key: "policies evaluated", Value: v}
	return sub, nil
}

// policiesEvidence says which documents were evaluated.
func (sub *iamSubject) policiesEvidence() finding.Evidence { return sub.policiesEv }

// requestContext is what is known about a request the execution role makes: it is made
// over TLS, to the region of the resource, by a role session of the task's account.
func requestContext(region string) map[string][]string {
	ctx := map[string][]string{"aws:SecureTransport": {"true"}, "aws:PrincipalType": {"AssumedRole"}}
	if region != "" {
		ctx["aws:RequestedRegion"] = []string{region}
	}
	return ctx
}

var requestContextMemo memo[map[string][]string]

// sharedRequestContext is requestContext for callers that only read the map: a pure
// function of the region, memoised so that the IAM checks do not each build the same map.
// Do not modify the result (kms-decrypt adds keys: it calls requestContext).
func sharedRequestContext(region string) map[string][]string {
	return requestContextMemo.get(region, requestContext)
}

// actionResult is one evaluated request.
type actionResult struct {
	Action   string
	Resource string
	Dec      iampolicy.Decision
}

// maxActions is the most actions a check evaluates on one resource (the three ECR pull
// actions, the three awslogs actions): callers keep the results in a [maxActions]actionResult
// of their own.
const maxActions = 3

// evalActions appends to dst the evaluation of each action on resource for the policy set.
func evalActions(dst []actionResult, set iampolicy.PolicySet, principal, resource, resourceAccount string, ctx map[string][]string, actions ...string) []actionResult {
	for _, a := range actions {
		d := iampolicy.Evaluate(set, iampolicy.Request{PrincipalARN: principal, Action: a, Resource: resource, ResourceAccount: resourceAccount, Context: ctx})
		dst = append(dst, actionResult{Action: a, Resource: resource, Dec: d})
	}
	return dst
}

func isDenied(r actionResult) bool {
	return r.Dec.Effect == iampolicy.ExplicitDeny || r.Dec.Effect == iampolicy.ImplicitDeny
}

func isUnknown(r actionResult) bool { return r.Dec.Effect == iampolicy.Unknown }

// iamSummarize folds results into a status: any deny fails, then any unknown, else pass.
// which are the results that decided it: the denied ones for a failure, the unknown ones
// for an unknown, none for a pass.
func iamSummarize(rs []actionResult) (st finding.Status, which []actionResult, scps bool) {
	for _, r := range rs {
		scps = scps || r.Dec.SCPsAssumed
	}
	switch {
	case slices.ContainsFunc(rs, isDenied):
		return finding.Fail, selectResults(rs, isDenied), scps
	case slices.ContainsFunc(rs, isUnknown):
		return finding.Unknown, selectResults(rs, isUnknown), scps
	}
	return finding.Pass, nil, scps
}

// selectResults is the results for which keep is true: rs itself when that is all of them,
// as it usually is (a role that lacks one pull action usually lacks all three).
func selectResults(rs []actionResult, keep func(actionResult) bool) []actionResult {
	n := 0
	for _, r := range rs {
		if keep(r) {
			n++
		}
	}
	if n == len(rs) {
		return rs
	}
	out := make([]actionResult, 0, n)
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// joinedActionLists are the lists of actions the checks evaluate together, joined once:
// every finding about them names them all.
var joinedActionLists = [...]struct {
	actions []string
	joined  string
}{
	{ecrPullActions, strings.Join(ecrPullActions, ", ")},
	{logsActions[:2], strings.Join(logsActions[:2], ", ")},
	{logsActions[:], strings.Join(logsActions[:], ", ")},
}

// joinActions is the results' actions joined with ", ".
func joinActions(rs []actionResult) string {
	if len(rs) == 1 {
		return rs[0].Action
	}
	for _, l := range joinedActionLists {
		if slices.EqualFunc(rs, l.actions, func(r actionResult, a string) bool { return r.Action == a }) {
			return l.joined
		}
	}
	var b strings.Builder
	n := 2 * (len(rs) - 1)
	for _, r := range rs {
		n += len(r.Action)
	}
	b.Grow(n)
	for i, r := range rs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r.Action)
	}
	return b.String()
}

// appendDecisionEvidence appends the evidence of a decision: the deciding statements (or
// "no statement allows it") and the evaluator's reason. Findings size their evidence up
// front (decisionEvidenceLen).
func appendDecisionEvidence(dst []finding.Evidence, r actionResult) []finding.Evidence {
	return appendKeyedDecisionEvidence(dst, r, r.Action+" on "+r.Resource)
}

// appendResultsEvidence appends the evidence of every result. Each result's items are keyed
// "<action> on <resource>": the keys of all of them are cut from one string, the evidence of
// a pull quoting three requests on the same repository.
func appendResultsEvidence(dst []finding.Evidence, rs []actionResult) []finding.Evidence {
	const on = " on "
	n := 0
	for _, r := range rs {
		n += len(r.Action) + len(on) + len(r.Resource)
	}
	var b strings.Builder
	b.Grow(n)
	for _, r := range rs {
		b.WriteString(r.Action)
		b.WriteString(on)
		b.WriteString(r.Resource)
	}
	keys := b.String()
	for _, r := range rs {
		k := len(r.Action) + len(on) + len(r.Resource)
		dst = appendKeyedDecisionEvidence(dst, r, keys[:k])
		keys = keys[k:]
	}
	return dst
}

// appendKeyedDecisionEvidence is appendDecisionEvidence with the key already made.
func appendKeyedDecisionEvidence(dst []finding.Evidence, r actionResult, key string) []finding.Evidence {
	src := "iampolicy:Evaluate"
	for _, ref := range r.Dec.Deciding {
		dst = append(dst, finding.Evidence{Source: src, Ref: ref.Policy, Key: key, Value: effectByStatement(r.Dec.Effect, ref)})
	}
	if len(r.Dec.Deciding) == 0 {
		v := r.Dec.Effect.String()
		if r.Dec.Effect == iampolicy.ImplicitDeny {
			v += ": no statement allows it"
		}
		dst = append(dst, finding.Evidence{Source: src, Key: key, Value: v})
	}
	if r.Dec.Reason != "" {
		dst = append(dst, finding.Evidence{Source: src, Key: "reason", Value: r.Dec.Reason})
	}
	return dst
}

// decisionEvidenceLen is how many items appendDecisionEvidence adds for r.
func decisionEvidenceLen(r actionResult) int {
	n := max(len(r.Dec.Deciding), 1)
	if r.Dec.Reason != "" {
		n++
	}
	return n
}

// iamStmtName is `statement "Sid" (#3)` or `statement #3`. Built by hand, not with
// fmt.Sprintf: it is called for every deciding statement of every evaluated action.
func iamStmtName(ref iampolicy.StatementRef) string {
	if ref.Sid != "" {
		return "statement " + strconv.Quote(ref.Sid) + " (#" + strconv.Itoa(ref.Index) + ")"
	}
	return "statement #" + strconv.Itoa(ref.Index)
}

// effectByStatement is "<effect> by " + iamStmtName(ref), the evidence of every deciding
// statement. Most are statements without a Sid near the top of their policy (AWS managed
// policies have none): those texts are made once, in byStatement.
func effectByStatement(e iampolicy.Effect, ref iampolicy.StatementRef) string {
	if ref.Sid == "" && ref.Index >= 0 && ref.Index < len(byStatement[0]) && int(e) < len(byStatement) {
		return byStatement[e][ref.Index]
	}
	return e.String() + " by " + iamStmtName(ref)
}

var byStatement = func() (t [4][8]string) {
	for e := range t {
		for i := range t[e] {
			t[e][i] = iampolicy.Effect(e).String() + " by statement #" + strconv.Itoa(i)
		}
	}
	return t
}()

// decidingText names the statement that decided, for messages.
func decidingText(d iampolicy.Decision) string {
	if len(d.Deciding) == 0 {
		if d.Effect == iampolicy.ImplicitDeny {
			return "no statement allows it"
		}
		return d.Reason
	}
	return d.Deciding[0].String()
}

// scpNote is appended to messages whose decision assumed that SCPs allow.
const (
	scpNote   = " (SCPs were not evaluated)"
	scpNoteJA = "（SCP は評価していません）"
)

func scpEvidence() finding.Evidence {
	return finding.Evidence{Source: "organizations", Key: "service control policies", Value: "not provided; assumed to allow"}
}

// unknownNeeds maps the reason of an Unknown decision to what would decide it: the read
// that gives a condition key its value where there is one, else the key itself.
func unknownNeeds(d iampolicy.Decision) []string {
	r := d.Reason
	i := strings.Index(r, "condition key ")
	if i < 0 {
		return []string{"request context values for the conditions of " + decidingList(d)}
	}
	key := r[i+len("condition key "):]
	if j := strings.IndexByte(key, ' '); j >= 0 {
		key = key[:j]
	}
	switch lk := strings.ToLower(key); {
	case lk == "aws:sourcevpce" || lk == "aws:sourcevpc":
		return []string{"ec2:DescribeVpcEndpoints", "context " + key}
	case strings.HasPrefix(lk, "aws:principalorg"):
		return []string{"organizations:DescribeOrganization", "context " + key}
	case strings.HasPrefix(lk, "aws:principaltag/"):
		return []string{"iam:ListRoleTags", "context " + key}
	case strings.HasPrefix(lk, "aws:resourcetag/"):
		return []string{"tags of the resource", "context " + key}
	}
	return []string{"context " + key}
}

func decidingList(d iampolicy.Decision) string {
	if len(d.Deciding) == 0 {
		return "the policies"
	}
	names := make([]string, len(d.Deciding))
	for i, r := range d.Deciding {
		names[i] = r.String()
	}
	return strings.Join(names, ", ")
}

// iamStmt is a policy statement as the remediations write it (field order as AWS shows it).
type iamStmt struct {
	Sid       string         `json:"Sid,omitempty"`
	Effect    string         `json:"Effect"`
	Principal any            `json:"Principal,omitempty"`
	Action    any            `json:"Action"`
	Resource  any            `json:"Resource,omitempty"`
	Condition map[string]any `json:"Condition,omitempty"`
}

type iamPolicyDoc struct {
	Version   string    `json:"Version"`
	Statement []iamStmt `json:"Statement"`
}

// policyJSON renders a policy compact (for CLI arguments) and indented (for Terraform).
func iamPolicyJSON(stmts ...iamStmt) (compact, indented []byte) {
	doc := iamPolicyDoc{Version: "2012-10-17", Statement: stmts}
	compact, _ = json.Marshal(doc)
	return compact, indentJSON(compact)
}

// indentJSON is what json.Indent(dst, compact, "", "  ") writes for the output of
// json.Marshal, which has no whitespace outside strings. json.Indent validates as it goes,
// byte by byte through its scanner, and cost more than the marshalling itself.
func indentJSON(compact []byte) []byte {
	out := make([]byte, 0, 2*len(compact))
	depth := 0
	newline := func() {
		out = append(out, '\n')
		for range depth {
			out = append(out, "  "...)
		}
	}
	inString, needIndent := false, false
	for i := 0; i < len(compact); i++ {
		c := compact[i]
		if inString {
			out = append(out, c)
			switch {
			case c == '\\' && i+1 < len(compact):
				i++
				out = append(out, compact[i])
			case c == '"':
				inString = false
			}
			continue
		}
		// An empty object or array stays {} or []: the line break after an opening
		// bracket waits for its first element.
		if needIndent && c != '}' && c != ']' {
			needIndent = false
			depth++
			newline()
		}
		switch c {
		case '"':
			inString = true
			out = append(out, c)
		case '{', '[':
			needIndent = true
			out = append(out, c)
		case ',':
			out = append(out, c)
			newline()
		case ':':
			out = append(out, c, ' ')
		case '}', ']':
			if needIndent {
				needIndent = false
			} else {
				depth--
				newline()
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out
}

// tfIdent turns a name into a Terraform identifier.
func iamTFIdent(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), "_")
	if out == "" || out[0] >= '0' && out[0] <= '9' {
		out = "p_" + out
	}
	return out
}

func iamHeredoc(doc []byte) string {
	return "<<EOF\n" + string(doc) + "\nEOF"
}

// shellQuote single-quotes a JSON document for a POSIX shell.
func iamShellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// identityRemediation grants actions on resources with an inline policy on the role. When
// the evaluation says an explicit Deny or the permissions boundary blocks, it says so:
// another Allow would change nothing.
func identityRemediation(sub *iamSubject, policyName string, st iamStmt, rs []actionResult, links ...string) *finding.Remediation {
	compact, indented := iamPolicyJSON(st)
	acts := strings.Join(iamStrings(st.Action), ", ")
	rem := &finding.Remediation{
		Text:     "Allow " + acts + " for the " + sub.Kind + " " + sub.Name + ": add the inline policy below (or the same statement to a managed policy attached to it).",
		TextJA:   sub.KindJA + " " + sub.Name + " に " + acts + " を許可してください: 下のインラインポリシーを追加します（またはアタッチ済みのマネージドポリシーに同じステートメントを追加します）。",
		Commands: []string{"aws iam put-role-policy --role-name " + sub.Name + " --policy-name " + policyName + " --policy-document " + iamShellQuote(string(compact))},
		Policy:   compact,
		Terraform: "resource \"aws_iam_role_policy\" " + strconv.Quote(iamTFIdent(policyName)) + " {\n  name   = " + strconv.Quote(policyName) +
			"\n  role   = " + strconv.Quote(sub.Name) + "\n  policy = " + iamHeredoc(indented) + "\n}",
		Links: links,
	}
	for _, r := range rs {
		if r.Dec.Effect != iampolicy.ExplicitDeny {
			continue
		}
		for _, ref := range r.Dec.Deciding {
			rem.Text = ref.String() + " explicitly denies " + r.Action + "; no Allow can override an explicit Deny: remove or narrow that statement (or its condition) first. " + rem.Text
			rem.TextJA = ref.String() + " が " + r.Action + " を明示的に拒否しています。明示的な Deny はどの Allow でも上書きできないため、まずそのステートメント（または条件）を削除・限定してください。" + rem.TextJA
			rem.Commands = append(rem.Commands, policyEditCommand(sub, ref.Policy))
			break
		}
		break
	}
	if sub.Set.Boundary != nil {
		// Does the boundary block what the identity policies allow?
		noBoundary := sub.Set
		noBoundary.Boundary = nil
		for _, r := range rs {
			if r.Dec.Effect != iampolicy.ImplicitDeny {
				continue
			}
			d := iampolicy.Evaluate(noBoundary, iampolicy.Request{PrincipalARN: sub.ARN, Action: r.Action, Resource: r.Resource})
			if d.Effect == iampolicy.Allow || len(sub.Set.Identity) == 0 || d.Effect == iampolicy.ImplicitDeny {
				b := sub.Set.Boundary
				rem.Text += " The permissions boundary " + b.ARN + b.Name + " must allow " + r.Action + " as well: the effective permissions are the intersection of the identity policies and the boundary."
				rem.TextJA += " アクセス許可の境界 " + b.ARN + b.Name + " も " + r.Action + " を許可している必要があります（有効な権限はアイデンティティポリシーと境界の共通部分です）。"
				if b.ARN != "" {
					rem.Commands = append(rem.Commands,
						"aws iam get-policy-version --policy-arn "+b.ARN+" --version-id $(aws iam get-policy --policy-arn "+b.ARN+" --query Policy.DefaultVersionId --output text) --query PolicyVersion.Document > boundary.json",
						"# add the statement above to boundary.json, then:",
						"aws iam create-policy-version --policy-arn "+b.ARN+" --policy-document file://boundary.json --set-as-default")
				}
				break
			}
		}
	}
	return rem
}

// policyEditCommand is how to fetch the policy holding a statement for editing.
func policyEditCommand(sub *iamSubject, label string) string {
	if strings.HasPrefix(label, "arn:") {
		return "aws iam get-policy-version --policy-arn " + label + " --version-id $(aws iam get-policy --policy-arn " + label + " --query Policy.DefaultVersionId --output text)  # edit, then aws iam create-policy-version --set-as-default"
	}
	name := strings.TrimPrefix(label, sub.Name+"/")
	return "aws iam get-role-policy --role-name " + sub.Name + " --policy-name " + name + "  # edit, then aws iam put-role-policy"
}

func iamStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	}
	return nil
}

// phrase is a noun phrase in up to three pieces, joined only by the message that quotes it:
// most are a fixed word and a name ("repository " + ARN), and a finding quotes each once.
type phrase [3]string

// permFinding turns evaluated actions into one finding. what/whatJA name the subject of
// the request ("repository ARN"). For a failure it also returns the denied results, from
// which the caller builds the fix (a callback would move the caller's results to the heap).
func permFinding(m Meta, sub *iamSubject, subject string, what, whatJA phrase, rs []actionResult, ev []finding.Evidence) (f finding.Finding, denied []actionResult) {
	st, which, scps := iamSummarize(rs)
	// The SCP note goes into the one string that holds both messages.
	note, noteJA := "", ""
	if scps {
		note, noteJA = scpNote, scpNoteJA
	}
	switch st {
	case finding.Fail:
		d := which[0].Dec
		kind := "is not allowed"
		kindJA := "許可していません"
		if d.Effect == iampolicy.ExplicitDeny {
			kind, kindJA = "is explicitly denied", "明示的に拒否されています"
		}
		acts, deciding := joinActions(which), decidingText(d)
		en, ja := bilingual(
			[]string{sub.Kind, " ", sub.ARN, " ", kind, " ", acts, " on ", what[0], what[1], what[2], " (", deciding, "; ", d.Reason, ")", note},
			[]string{sub.KindJA, " ", sub.ARN, ": ", whatJA[0], whatJA[1], whatJA[2], " の ", acts, " が", kindJA, "（", deciding, "）", noteJA})
		f = newFinding(m, finding.Fail, en, ja)
		denied = which
	case finding.Unknown:
		d := which[0].Dec
		acts := joinActions(which)
		en, ja := bilingual(
			[]string{"cannot decide whether ", sub.Kind, " ", sub.ARN, " may ", acts, " for ", what[0], what[1], what[2], ": ", d.Reason, note},
			[]string{sub.KindJA, " ", sub.ARN, " が ", whatJA[0], whatJA[1], whatJA[2], " の ", acts, " を実行できるか判定できません: ", d.Reason, noteJA})
		f = newFinding(m, finding.Unknown, en, ja)
		f.Needs = unknownNeeds(d)
	default:
		acts, deciding := joinActions(rs), decidingText(rs[0].Dec)
		en, ja := bilingual(
			[]string{sub.Kind, " ", sub.ARN, " allows ", acts, " for ", what[0], what[1], what[2], " (", deciding, ")", note},
			[]string{sub.KindJA, " ", sub.ARN, " は ", whatJA[0], whatJA[1], whatJA[2], " の ", acts, " を許可しています（", deciding, "）", noteJA})
		f = newFinding(m, finding.Pass, en, ja)
	}
	f.Subject = subject
	// Every IAM finding, passing ones included, prints this evidence: size it once instead
	// of growing it item by item. Room for the policies item, and one more: exec-role-logs
	// adds whether the log group exists.
	n := len(ev) + 1 + 1
	for _, r := range rs {
		n += decisionEvidenceLen(r)
	}
	if scps {
		n++
	}
	f.Evidence = append(make([]finding.Evidence, 0, n), ev...)
	f.Evidence = append(f.Evidence, sub.policiesEvidence())
	f.Evidence = appendResultsEvidence(f.Evidence, rs)
	if scps {
		f.Evidence = append(f.Evidence, scpEvidence())
	}
	return f, denied
}

// arnSplit is strings.SplitN(arn, ":", 6) into an array, with ok false when there are
// fewer than six fields. ARNs are split for every repository lookup and IAM request: an
// array on the stack instead of a slice on the heap each time.
func arnSplit(arn string) (p [6]string, ok bool) {
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(arn, ':')
		if j < 0 {
			return p, false
		}
		p[i], arn = arn[:j], arn[j+1:]
	}
	p[5] = arn
	return p, true
}

// arnAccount is the account field of an ARN ("" when it has none).
func arnAccount(arn string) string {
	parts, ok := arnSplit(arn)
	if !ok {
		return ""
	}
	return parts[4]
}

// arnRegion is the region field of an ARN.
func arnRegion(arn string) string {
	parts, ok := arnSplit(arn)
	if !ok {
		return ""
	}
	return parts[3]
}

func iamPartition(s *snapshot.Snapshot) string {
	if s.Partition != "" {
		return s.Partition
	}
	return imageref.PartitionOf(s.Region)
}

// filterStatements keeps the statements of p for which keep is true; their indexes stay
// those of the original document, so evidence still points at the right statement.
func filterStatements(p *iampolicy.Policy, keep func(*iampolicy.Statement) bool) *iampolicy.Policy {
	out := &iampolicy.Policy{Version: p.Version, ID: p.ID}
	for i := range p.Statements {
		if keep(&p.Statements[i]) {
			out.Statements = append(out.Statements, p.Statements[i])
		}
	}
	return out
}

// policyCache memoises parsed policy documents: every IAM check evaluates the same role, and
// parsing (JSON decoding, pattern compilation) costs far more than evaluating. Parsed
// policies are never modified after parsing, so sharing them is safe. Bounded: reset when
// full, so a long-running scan does not grow without limit.
var policyCache = struct {
	sync.Mutex
	m map[string]*iampolicy.Policy
}{m: map[string]*iampolicy.Policy{}}

const policyCacheMax = 512

func parsePolicyCached(doc []byte) (*iampolicy.Policy, error) {
	// Indexing with string(doc) directly does not copy the document; only a miss does.
	policyCache.Lock()
	p, ok := policyCache.m[string(doc)]
	policyCache.Unlock()
	if ok {
		return p, nil
	}
	p, err := iampolicy.Parse(doc)
	if err != nil {
		return nil, err
	}
	policyCache.Lock()
	if len(policyCache.m) >= policyCacheMax {
		policyCache.m = map[string]*iampolicy.Policy{}
	}
	policyCache.m[string(doc)] = p
	policyCache.Unlock()
	return p, nil
}

// appendPerPullRepo is the body of the checks that decide, for each ECR repository the task
// pulls from, whether the pulling principal may: not-applicable without a private ECR image,
// the principal's own unknown when its policies could not be loaded, else one finding per
// repository. what names the permissions for the no-principal finding.
func appendPerPullRepo(dst []finding.Finding, s *snapshot.Snapshot, m Meta, what string, one func(sub *iamSubject, t iamRepo) finding.Finding) []finding.Finding {
	st := iamState(s)
	_, targets := st.ecrTargets()
	if len(targets) == 0 {
		return append(dst, noECRImageFinding(m))
	}
	arn, kind, kindJA, ok := pullPrincipal(s)
	if !ok {
		return append(dst, noPrincipalFinding(m, s, what))
	}
	sub, uf := st.subject(m, arn, kind, kindJA)
	if uf != nil {
		return append(dst, *uf)
	}
	for _, t := range targets {
		dst = append(dst, one(sub, t))
	}
	return dst
}
