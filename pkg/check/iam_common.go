package check

import (
	"encoding/json"
	"fmt"
	"sort"
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

// roleGap returns a gap that leaves the role's policy set incomplete.
func roleGap(s *snapshot.Snapshot, r *snapshot.Role, arn string) *snapshot.Gap {
	refs := map[string]bool{arn: true, snapshot.RoleNameFromARN(arn): true}
	if r != nil {
		for _, p := range r.AttachedPolicies {
			if p.ARN != "" {
				refs[p.ARN] = true
			}
		}
		if r.PermissionsBoundary != nil && r.PermissionsBoundary.ARN != "" {
			refs[r.PermissionsBoundary.ARN] = true
		}
	}
	for _, call := range iamReadCalls {
		for i := range s.Gaps {
			g := &s.Gaps[i]
			if !strings.EqualFold(g.Call, call) {
				continue
			}
			if g.Ref == "" || refs[g.Ref] || strings.HasPrefix(g.Ref, arn+"/") {
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
	return sub, nil
}

// policiesEvidence says which documents were evaluated.
func (sub *iamSubject) policiesEvidence() finding.Evidence {
	v := strings.Join(sub.Policies, ", ")
	if v == "" {
		v = "(no policies attached)"
	}
	return finding.Evidence{Source: "iam:ListAttachedRolePolicies", Ref: sub.ARN, Key: "policies evaluated", Value: v}
}

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

// evalActions evaluates each action on resource for the subject's policy set.
func evalActions(set iampolicy.PolicySet, principal, resource, resourceAccount string, ctx map[string][]string, actions ...string) []actionResult {
	out := make([]actionResult, 0, len(actions))
	for _, a := range actions {
		d := iampolicy.Evaluate(set, iampolicy.Request{PrincipalARN: principal, Action: a, Resource: resource, ResourceAccount: resourceAccount, Context: ctx})
		out = append(out, actionResult{Action: a, Resource: resource, Dec: d})
	}
	return out
}

// summarize folds results into a status: any deny fails, then any unknown, else pass.
func iamSummarize(rs []actionResult) (st finding.Status, denied, unknown []actionResult, scps bool) {
	for _, r := range rs {
		scps = scps || r.Dec.SCPsAssumed
		switch r.Dec.Effect {
		case iampolicy.ExplicitDeny, iampolicy.ImplicitDeny:
			denied = append(denied, r)
		case iampolicy.Unknown:
			unknown = append(unknown, r)
		}
	}
	switch {
	case len(denied) > 0:
		return finding.Fail, denied, unknown, scps
	case len(unknown) > 0:
		return finding.Unknown, denied, unknown, scps
	}
	return finding.Pass, nil, nil, scps
}

func actionsOf(rs []actionResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Action
	}
	return out
}

// decisionEvidence turns a decision into evidence: the deciding statements (or "no
// statement allows it") and the evaluator's reason.
func decisionEvidence(r actionResult) []finding.Evidence {
	return appendDecisionEvidence(nil, r)
}

// appendDecisionEvidence is decisionEvidence appended to dst: permFinding collects the
// evidence of several decisions into one slice sized up front.
func appendDecisionEvidence(dst []finding.Evidence, r actionResult) []finding.Evidence {
	src := "iampolicy:Evaluate"
	key := r.Action + " on " + r.Resource
	for _, ref := range r.Dec.Deciding {
		dst = append(dst, finding.Evidence{Source: src, Ref: ref.Policy, Key: key, Value: r.Dec.Effect.String() + " by " + iamStmtName(ref)})
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
	indented, _ = json.MarshalIndent(doc, "", "  ")
	return compact, indented
}

// tfIdent turns a name into a Terraform identifier.
func iamTFIdent(s string) string {
	var b strings.Builder
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
	rem := &finding.Remediation{
		Text: fmt.Sprintf("Allow %s for the %s %s: add the inline policy below (or the same statement to a managed policy attached to it).",
			strings.Join(iamStrings(st.Action), ", "), sub.Kind, sub.Name),
		TextJA: fmt.Sprintf("%s %s に %s を許可してください: 下のインラインポリシーを追加します（またはアタッチ済みのマネージドポリシーに同じステートメントを追加します）。",
			sub.KindJA, sub.Name, strings.Join(iamStrings(st.Action), ", ")),
		Commands: []string{"aws iam put-role-policy --role-name " + sub.Name + " --policy-name " + policyName + " --policy-document " + iamShellQuote(string(compact))},
		Policy:   compact,
		Terraform: fmt.Sprintf("resource \"aws_iam_role_policy\" %q {\n  name   = %q\n  role   = %q\n  policy = %s\n}",
			iamTFIdent(policyName), policyName, sub.Name, iamHeredoc(indented)),
		Links: links,
	}
	for _, r := range rs {
		if r.Dec.Effect != iampolicy.ExplicitDeny {
			continue
		}
		for _, ref := range r.Dec.Deciding {
			rem.Text = fmt.Sprintf("%s explicitly denies %s; no Allow can override an explicit Deny: remove or narrow that statement (or its condition) first. ", ref, r.Action) + rem.Text
			rem.TextJA = fmt.Sprintf("%s が %s を明示的に拒否しています。明示的な Deny はどの Allow でも上書きできないため、まずそのステートメント（または条件）を削除・限定してください。", ref, r.Action) + rem.TextJA
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
				rem.Text += fmt.Sprintf(" The permissions boundary %s must allow %s as well: the effective permissions are the intersection of the identity policies and the boundary.", b.ARN+b.Name, r.Action)
				rem.TextJA += fmt.Sprintf(" アクセス許可の境界 %s も %s を許可している必要があります（有効な権限はアイデンティティポリシーと境界の共通部分です）。", b.ARN+b.Name, r.Action)
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

// permFinding turns evaluated actions into one finding. what/whatJA name the subject of
// the request ("pull of my-app"). rem builds the fix for a failure.
func permFinding(m Meta, sub *iamSubject, subject, what, whatJA string, rs []actionResult, ev []finding.Evidence, rem func(denied []actionResult) *finding.Remediation) finding.Finding {
	st, denied, unknown, scps := iamSummarize(rs)
	// The SCP note goes into the one concatenation that builds each message.
	note, noteJA := "", ""
	if scps {
		note, noteJA = scpNote, scpNoteJA
	}
	var f finding.Finding
	acts := strings.Join(actionsOf(rs), ", ")
	switch st {
	case finding.Fail:
		d := denied[0].Dec
		kind := "is not allowed"
		kindJA := "許可していません"
		if d.Effect == iampolicy.ExplicitDeny {
			kind, kindJA = "is explicitly denied", "明示的に拒否されています"
		}
		f = newFinding(m, finding.Fail,
			sub.Kind+" "+sub.ARN+" "+kind+" "+strings.Join(actionsOf(denied), ", ")+" on "+what+" ("+decidingText(d)+"; "+d.Reason+")"+note,
			sub.KindJA+" "+sub.ARN+": "+whatJA+" の "+strings.Join(actionsOf(denied), ", ")+" が"+kindJA+"（"+decidingText(d)+"）"+noteJA)
		f.Remediation = rem(denied)
	case finding.Unknown:
		d := unknown[0].Dec
		f = newFinding(m, finding.Unknown,
			"cannot decide whether "+sub.Kind+" "+sub.ARN+" may "+strings.Join(actionsOf(unknown), ", ")+" for "+what+": "+d.Reason+note,
			sub.KindJA+" "+sub.ARN+" が "+whatJA+" の "+strings.Join(actionsOf(unknown), ", ")+" を実行できるか判定できません: "+d.Reason+noteJA)
		f.Needs = unknownNeeds(d)
	default:
		f = newFinding(m, finding.Pass,
			sub.Kind+" "+sub.ARN+" allows "+acts+" for "+what+" ("+decidingText(rs[0].Dec)+")"+note,
			sub.KindJA+" "+sub.ARN+" は "+whatJA+" の "+acts+" を許可しています（"+decidingText(rs[0].Dec)+"）"+noteJA)
	}
	f.Subject = subject
	// Every IAM finding, passing ones included, prints this evidence: size it once instead
	// of growing it item by item. Room for the policies and SCP items, and one more: several
	// callers add a fact of their own (the log group exists, the repository policy).
	n := len(f.Evidence) + len(ev) + 3
	for _, r := range rs {
		n += decisionEvidenceLen(r)
	}
	f.Evidence = append(make([]finding.Evidence, 0, n), f.Evidence...)
	f.Evidence = append(f.Evidence, ev...)
	f.Evidence = append(f.Evidence, sub.policiesEvidence())
	for _, r := range rs {
		f.Evidence = appendDecisionEvidence(f.Evidence, r)
	}
	if scps {
		f.Evidence = append(f.Evidence, scpEvidence())
	}
	return f
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

// uniqueRepos groups ECR image targets by repository ARN, keeping their first container.
func iamUniqueRepos(ts []imageTarget) []imageTarget {
	seen := map[string]bool{}
	var out []imageTarget
	for _, t := range ts {
		a := t.Ref.RepositoryARN()
		if seen[a] {
			continue
		}
		seen[a] = true
		out = append(out, t)
	}
	return out
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

func iamSortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
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
