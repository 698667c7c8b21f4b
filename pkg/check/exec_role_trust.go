package check

import (
	"strconv"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/iampolicy"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ecsTasksPrincipal is the service principal that assumes execution (and task) roles.
const ecsTasksPrincipal = "ecs-tasks.amazonaws.com"

// ExecRoleTrust checks that ecs-tasks.amazonaws.com may assume the execution role. A trust
// policy written for ec2.amazonaws.com or lambda.amazonaws.com, or one whose confused-deputy
// conditions (aws:SourceAccount, aws:SourceArn) name another account or region, fails the
// task before any pull with "ECS was unable to assume the role". The request context is
// filled with the task's real account and ARN, so such conditions are decided, not guessed
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html).
type ExecRoleTrust struct{}

// Meta implements Check.
func (ExecRoleTrust) Meta() Meta { return execRoleTrustMeta }

var execRoleTrustMeta = Meta{
	ID: "exec-role-trust", Cause: cause.ExecRoleTrust, Severity: finding.Error,
	Title:       "ecs-tasks.amazonaws.com may assume the execution role",
	TitleJA:     "ecs-tasks.amazonaws.com がタスク実行ロールを引き受けられる",
	Description: "Evaluates the execution role's trust policy as a resource-based policy for the request `sts:AssumeRole` by the service principal `ecs-tasks.amazonaws.com`, with `aws:SourceAccount` set to the task's account and `aws:SourceArn` to the task's ARN, so that confused-deputy conditions (`StringEquals aws:SourceAccount`, `ArnLike aws:SourceArn arn:aws:ecs:REGION:ACCOUNT:*`) are decided against the real values. Fails when no statement allows it (e.g. a trust policy for `ec2.amazonaws.com` only) or a Deny matches, naming the deciding statement.",
	Needs:       []string{"iam:GetRole"},
}

// Run implements Check.
func (c ExecRoleTrust) Run(s *snapshot.Snapshot) []finding.Finding { return c.appendFindings(nil, s) }

func (ExecRoleTrust) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := execRoleTrustMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	arn := s.ExecutionRoleARN()
	if arn == "" {
		return append(dst, newFinding(m, finding.NotApplicable,
			"the task has no execution role (exec-role-present decides whether it needs one)",
			"タスク実行ロールがありません（必要かどうかは exec-role-present が判定します）"))
	}
	r := s.Role(arn)
	if r == nil {
		if g := s.Gap("iam:GetRole", arn); g != nil {
			return append(dst, unknownFromGap(m, g, "the trust policy of "+arn, arn+" の信頼ポリシー"))
		}
		return append(dst, unknownMissing(m, []string{"iam:GetRole"}, "execution role "+arn, "タスク実行ロール "+arn))
	}
	if len(r.AssumeRolePolicyDocument) == 0 {
		return append(dst, unknownMissing(m, []string{"iam:GetRole"}, "the trust policy of "+arn, arn+" の信頼ポリシー"))
	}
	roleEv := finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: deref(s.TaskDefinition.TaskDefinitionArn), Key: "executionRoleArn", Value: arn}
	pol, err := parsePolicyCached(r.AssumeRolePolicyDocument)
	if err != nil {
		f := newFinding(m, finding.Unknown,
			"cannot decide: the trust policy of "+arn+" does not parse: "+err.Error(),
			"判定できません: "+arn+" の信頼ポリシーを解析できません: "+err.Error())
		f.Needs = []string{"iam:GetRole"}
		f.Evidence = []finding.Evidence{roleEv, {Source: "iam:GetRole", Ref: arn, Key: "AssumeRolePolicyDocument", Value: shorten(string(r.AssumeRolePolicyDocument), 300)}}
		return append(dst, f)
	}

	account := firstNonEmpty(s.Account, s.Target.Account)
	taskARN := s.Target.Task
	if s.Task != nil && deref(s.Task.TaskArn) != "" {
		taskARN = deref(s.Task.TaskArn)
	}
	// The values share one array: this context is built for every diagnosis.
	vals := []string{"true", account, taskARN}
	ctx := make(map[string][]string, 3)
	ctx["aws:SecureTransport"] = vals[0:1:1]
	complete := true
	if account != "" {
		ctx["aws:SourceAccount"] = vals[1:2:2]
	} else {
		complete = false
	}
	if taskARN != "" {
		ctx["aws:SourceArn"] = vals[2:3:3]
	} else {
		// A preflight snapshot has no task yet: conditions on the source ARN stay unknown.
		complete = false
	}
	d := iampolicy.Evaluate(
		iampolicy.PolicySet{Resource: &iampolicy.NamedPolicy{Name: "trust policy of " + arn, Policy: pol}, SCPs: []iampolicy.SCPLevel{}},
		iampolicy.Request{PrincipalARN: ecsTasksPrincipal, Action: "sts:AssumeRole", Resource: arn, Context: ctx, ContextComplete: complete},
	)
	// Sized once: this evidence is printed whatever the outcome.
	dr := actionResult{Action: "sts:AssumeRole", Resource: arn, Dec: d}
	ev := make([]finding.Evidence, 0, 3+decisionEvidenceLen(dr))
	ev = append(ev, roleEv)
	ev = append(ev, finding.Evidence{Source: "iam:GetRole", Ref: arn, Key: "AssumeRolePolicyDocument", Value: shorten(compactJSON(r.AssumeRolePolicyDocument), 400)})
	ev = append(ev, finding.Evidence{Source: "request context", Key: "aws:SourceAccount / aws:SourceArn", Value: orPlaceholder(account, "?") + " / " + orPlaceholder(taskARN, "?")})
	ev = appendDecisionEvidence(ev, dr)
	switch d.Effect {
	case iampolicy.Allow:
		f := newFinding(m, finding.Pass,
			ecsTasksPrincipal+" may assume "+arn+" ("+decidingText(d)+")",
			ecsTasksPrincipal+" は "+arn+" を引き受けられます（"+decidingText(d)+"）")
		f.Evidence = ev
		return append(dst, f)
	case iampolicy.Unknown:
		f := newFinding(m, finding.Unknown,
			"cannot decide whether "+ecsTasksPrincipal+" may assume "+arn+": "+d.Reason,
			ecsTasksPrincipal+" が "+arn+" を引き受けられるか判定できません: "+d.Reason)
		f.Needs = append([]string{"ecs:DescribeTasks"}, unknownNeeds(d)...)
		f.Evidence = ev
		return append(dst, f)
	}
	f := newFinding(m, finding.Fail,
		"the trust policy of "+arn+" does not let "+ecsTasksPrincipal+" assume it ("+decidingText(d)+"; "+d.Reason+")",
		arn+" の信頼ポリシーは "+ecsTasksPrincipal+" による引き受けを許可していません（"+decidingText(d)+"）")
	f.Evidence = ev
	f.Remediation = trustRemediation(s, snapshot.RoleNameFromARN(arn), account)
	return append(dst, f)
}

// trustRemediation replaces the trust policy with the documented one, pinned to the
// account against the confused deputy problem.
func trustRemediation(s *snapshot.Snapshot, roleName, account string) *finding.Remediation {
	account = orPlaceholder(account, "ACCOUNT_ID")
	region := orPlaceholder(s.Region, "REGION")
	st := iamStmt{
		Effect: "Allow", Principal: map[string]any{"Service": ecsTasksPrincipal}, Action: "sts:AssumeRole",
		Condition: map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": account},
			"ArnLike":      map[string]any{"aws:SourceArn": "arn:" + iamPartition(s) + ":ecs:" + region + ":" + account + ":*"},
		},
	}
	compact, indented := iamPolicyJSON(st)
	return &finding.Remediation{
		Text:   "Let ecs-tasks.amazonaws.com assume the role: replace its trust policy with the one below (it keeps the confused-deputy protection by pinning aws:SourceAccount and aws:SourceArn to this account). If other services must assume the role too, add their principals to the statement instead of replacing it.",
		TextJA: "ecs-tasks.amazonaws.com がロールを引き受けられるように、信頼ポリシーを下記に置き換えてください（aws:SourceAccount と aws:SourceArn をこのアカウントに限定し、混乱した代理問題を防ぎます）。他のサービスも引き受ける必要がある場合は、置き換えずにそのプリンシパルをステートメントに追加してください。",
		Commands: []string{
			"aws iam get-role --role-name " + roleName + " --query Role.AssumeRolePolicyDocument",
			"aws iam update-assume-role-policy --role-name " + roleName + " --policy-document " + iamShellQuote(string(compact)),
		},
		Policy:    compact,
		Terraform: "resource \"aws_iam_role\" " + strconv.Quote(iamTFIdent(roleName)) + " {\n  name               = " + strconv.Quote(roleName) + "\n  assume_role_policy = " + iamHeredoc(indented) + "\n}",
		Links: []string{
			"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
			"https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
		},
	}
}
