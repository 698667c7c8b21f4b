package check

import (
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ExecRoleECRAuth checks ecr:GetAuthorizationToken, the first call of every private ECR
// pull. The action supports no resource-level permissions, so a policy that grants it only
// on a repository ARN grants nothing: the seed's most common "AccessDeniedException ...
// ecr:GetAuthorizationToken on resource: *"
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/security_iam_id-based-policy-examples.html).
type ExecRoleECRAuth struct{}

// Meta implements Check.
func (ExecRoleECRAuth) Meta() Meta {
	return Meta{
		ID: "exec-role-ecr-auth", Cause: cause.ExecRolePermissions, Severity: finding.Error,
		Title:       "The execution role may call ecr:GetAuthorizationToken",
		TitleJA:     "タスク実行ロールが ecr:GetAuthorizationToken を実行できる",
		Description: "For tasks with a private ECR image: evaluates `ecr:GetAuthorizationToken` on resource `*` over the execution role's attached, inline and permissions-boundary policies (on EC2 without an execution role, over the container instance role, which the ECS agent then uses). The action has no resource-level permissions, so an Allow scoped to a repository ARN does not grant it. Reports the deciding statement; an unreadable role (AccessDenied on iam:GetRolePolicy and the like) is unknown, never a pass. SCPs are not evaluated unless provided.",
		Needs:       []string{"iam:GetRole", "iam:ListAttachedRolePolicies", "iam:GetPolicyVersion", "iam:ListRolePolicies", "iam:GetRolePolicy"},
	}
}

// Run implements Check.
func (c ExecRoleECRAuth) Run(s *snapshot.Snapshot) []finding.Finding {
	m := c.Meta()
	if s.TaskDefinition == nil {
		return taskDefinitionMissing(m, s)
	}
	targets := imageTargets(s, imageref.KindECR)
	if len(targets) == 0 {
		return noECRImage(m)
	}
	arn, kind, kindJA, ok := pullPrincipal(s)
	if !ok {
		return []finding.Finding{noPrincipalFinding(m, s, "ecr:GetAuthorizationToken")}
	}
	sub, uf := loadSubject(s, m, arn, kind, kindJA)
	if uf != nil {
		return []finding.Finding{*uf}
	}
	var images []string
	regions := map[string]bool{}
	for _, t := range targets {
		images = append(images, t.Container+"="+t.Image)
		regions[t.Ref.Region] = true
	}
	var out []finding.Finding
	for _, region := range iamSortedKeys(regions) {
		rs := evalActions(sub.Set, sub.ARN, "*", "", sharedRequestContext(region), "ecr:GetAuthorizationToken")
		ev := []finding.Evidence{{Source: "ecs:DescribeTaskDefinition", Key: "private ECR images", Value: strings.Join(images, ", ")}}
		f := permFinding(m, sub, sub.Name, "the ECR registry in "+region, region+" の ECR レジストリ", rs, ev, func([]actionResult) *finding.Remediation {
			return identityRemediation(sub, "ecr-authorization-token",
				iamStmt{Sid: "ECRAuthorizationToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*"}, rs,
				"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
				"https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html")
		})
		if f.Remediation != nil {
			f.Remediation.Text += " ecr:GetAuthorizationToken does not support resource-level permissions: its Resource must be \"*\"; alternatively attach arn:" + iamPartition(s) + ":iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy."
			f.Remediation.TextJA += " ecr:GetAuthorizationToken はリソースレベルの権限に対応していないため、Resource は \"*\" でなければなりません。AmazonECSTaskExecutionRolePolicy をアタッチする方法もあります。"
			f.Remediation.Commands = append(f.Remediation.Commands,
				"# or: aws iam attach-role-policy --role-name "+sub.Name+" --policy-arn arn:"+iamPartition(s)+":iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
		}
		out = append(out, f)
	}
	return out
}
