package check

import (
	"fmt"

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
func (ExecRoleTrust) Meta() Meta {
	return Meta{
		ID: "exec-role-trust", Cause: cause.ExecRoleTrust, Severity: finding.Error,
		Title:       "ecs-tasks.amazonaws.com may assume the execution role",
		TitleJA:     "ecs-tasks.amazonaws.com がタスク実行ロールを引き受けられる",
		Description: "Evaluates the execution role's trust policy as a resource-based policy for the request `sts:AssumeRole` by the service principal `ecs-tasks.amazonaws.com`, with `aws:SourceAccount` set to the task's account and `aws:SourceArn` to the task's ARN, so that confused-deputy conditions (`StringEquals aws:SourceAccount`, `ArnLike aws:SourceArn arn:aws:ecs:REGION:ACCOUNT:*`) are decided against the real values. Fails when no statement allows it (e.g. a trust policy for `ec2.amazonaws.com` only) or a Deny matches, naming the deciding statement.",
		Needs:       []string{"iam:GetRole"},
	}
}

// Run implements Check.
func (c ExecRoleTrust) Run(s *snapshot.Snapshot) []finding.Finding {
	m := c.Meta()
	if s.TaskDefinition == nil {
		return taskDefinitionMissing(m, s)
	}
	arn := s.ExecutionRoleARN()
	if arn == "" {
		return []finding.Finding{newFinding(m, finding.NotApplicable,
			"the task has no execution role (exec-role-present decides whether it needs one)",
			"タスク実行ロールがありません（必要かどうかは exec-role-present が判定します）")}
	}
	r := s.Role(arn)
	if r == nil {
		if g := s.Gap("iam:GetRole", arn); g != nil {
			f := unknownFromGap(m, g, "the trust policy of "+arn, arn+" の信頼ポリシー")
			return []finding.Finding{f}
		}
		return []finding.Finding{unknownMissing(m, []string{"iam:GetRole"}, "execution role "+arn, "タスク実行ロール "+arn)}
	}
	if len(r.AssumeRolePolicyDocument) == 0 {
		return []finding.Finding{unknownMissing(m, []string{"iam:GetRole"}, "the trust policy of "+arn, arn+" の信頼ポリシー")}
	}
	ev := []finding.Evidence{{Source: "ecs:DescribeTaskDefinition", Ref: deref(s.TaskDefinition.TaskDefinitionArn), Key: "executionRoleArn", Value: arn}}
	pol, err := parsePolicyCached(r.AssumeRolePolicyDocument)
	if err != nil {
		f := newFinding(m, finding.Unknown,
			"cannot decide: the trust policy of "+arn+" does not parse: "+err.Error(),
			"判定できません: "+arn+" の信頼ポリシーを解析できません: "+err.Error())
		f.Needs = []string{"iam:GetRole"}
		f.Evidence = append(ev, finding.Evidence{Source: "iam:GetRole", Ref: arn, Key: "AssumeRolePolicyDocument", Value: shorten(string(r.AssumeRolePolicyDocument), 300)})
		return []finding.Finding{f}
	}

	account := firstNonEmpty(s.Account, s.Target.Account)
	taskARN := s.Target.Task
	if s.Task != nil && deref(s.Task.TaskArn) != "" {
		taskARN = deref(s.Task.TaskArn)
	}
	ctx := map[string][]string{"aws:SecureTransport": {"true"}}
	complete := true
	if account != "" {
		ctx["aws:SourceAccount"] = []string{account}
	} else {
		complete = false
	}
	if taskARN != "" {
		ctx["aws:SourceArn"] = []string{taskARN}
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
	ev = append(make([]finding.Evidence, 0, len(ev)+2+decisionEvidenceLen(dr)), ev...)
	ev = append(ev, finding.Evidence{Source: "iam:GetRole", Ref: arn, Key: "AssumeRolePolicyDocument", Value: shorten(compactJSON(r.AssumeRolePolicyDocument), 400)})
	ev = append(ev, finding.Evidence{Source: "request context", Key: "aws:SourceAccount / aws:SourceArn", Value: orPlaceholder(account, "?") + " / " + orPlaceholder(taskARN, "?")})
	ev = appendDecisionEvidence(ev, dr)
	name := snapshot.RoleNameFromARN(arn)
	switch d.Effect {
	case iampolicy.Allow:
		f := newFinding(m, finding.Pass,
			ecsTasksPrincipal+" may assume "+arn+" ("+decidingText(d)+")",
			ecsTasksPrincipal+" は "+arn+" を引き受けられます（"+decidingText(d)+"）")
		f.Evidence = ev
		return []finding.Finding{f}
	case iampolicy.Unknown:
		f := newFinding(m, finding.Unknown,
			fmt.Sprintf("cannot decide whether %s may assume %s: %s", ecsTasksPrincipal, arn, d.Reason),
			fmt.Sprintf("%s が %s を引き受けられるか判定できません: %s", ecsTasksPrincipal, arn, d.Reason))
		f.Needs = append([]string{"ecs:DescribeTasks"}, unknownNeeds(d)...)
		f.Evidence = ev
		return []finding.Finding{f}
	}
	f := newFinding(m, finding.Fail,
		fmt.Sprintf("the trust policy of %s does not let %s assume it (%s; %s)", arn, ecsTasksPrincipal, decidingText(d), d.Reason),
		fmt.Sprintf("%s の信頼ポリシーは %s による引き受けを許可していません（%s）", arn, ecsTasksPrincipal, decidingText(d)))
	f.Evidence = ev
	f.Remediation = trustRemediation(s, name, account)
	return []finding.Finding{f}
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
		Terraform: fmt.Sprintf("resource \"aws_iam_role\" %q {\n  name               = %q\n  assume_role_policy = %s\n}", iamTFIdent(roleName), roleName, iamHeredoc(indented)),
		Links: []string{
			"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
			"https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
		},
	}
}
