package check

import (
	"slices"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ExecRoleECRAuth checks ecr:GetAuthorizationToken, the first call of every private ECR
// pull. The action supports no resource-level permissions, so a policy that grants it only
// on a repository ARN grants nothing: the seed's most common "AccessDeniedException ...
// ecr:GetAuthorizationToken on resource: *"
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/security_iam_id-based-policy-examples.html).
type ExecRoleECRAuth struct{}

// Meta implements Check.
func (ExecRoleECRAuth) Meta() Meta { return execRoleECRAuthMeta }

var execRoleECRAuthMeta = Meta{
	ID: "exec-role-ecr-auth", Cause: cause.ExecRolePermissions, Severity: finding.Error,
	Title:       "The execution role may call ecr:GetAuthorizationToken",
	TitleJA:     "タスク実行ロールが ecr:GetAuthorizationToken を実行できる",
	Description: "For tasks with a private ECR image: evaluates `ecr:GetAuthorizationToken` on resource `*` over the execution role's attached, inline and permissions-boundary policies (on EC2 without an execution role, over the container instance role, which the ECS agent then uses). The action has no resource-level permissions, so an Allow scoped to a repository ARN does not grant it. Reports the deciding statement; an unreadable role (AccessDenied on iam:GetRolePolicy and the like) is unknown, never a pass. SCPs are not evaluated unless provided.",
	Needs:       []string{"iam:GetRole", "iam:ListAttachedRolePolicies", "iam:GetPolicyVersion", "iam:ListRolePolicies", "iam:GetRolePolicy"},
}

// Run implements Check.
func (c ExecRoleECRAuth) Run(s *snapshot.Snapshot) []finding.Finding { return c.appendFindings(nil, s) }

func (ExecRoleECRAuth) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := execRoleECRAuthMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	st := iamState(s)
	targets, _ := st.ecrTargets()
	if len(targets) == 0 {
		return append(dst, noECRImageFinding(m))
	}
	arn, kind, kindJA, ok := pullPrincipal(s)
	if !ok {
		return append(dst, noPrincipalFinding(m, s, "ecr:GetAuthorizationToken"))
	}
	sub, uf := st.subject(m, arn, kind, kindJA)
	if uf != nil {
		return append(dst, *uf)
	}
	var b strings.Builder
	var regionsBuf [4]string
	regions := regionsBuf[:0]
	for i, t := range targets {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.Container)
		b.WriteByte('=')
		b.WriteString(t.Image)
		if !slices.Contains(regions, t.Ref.Region) {
			regions = append(regions, t.Ref.Region)
		}
	}
	images := b.String()
	slices.Sort(regions)
	for _, region := range regions {
		var buf [1]actionResult
		rs := evalActions(buf[:0], sub.Set, sub.ARN, "*", "", sharedRequestContext(region), "ecr:GetAuthorizationToken")
		ev := [...]finding.Evidence{{Source: "ecs:DescribeTaskDefinition", Key: "private ECR images", Value: images}}
		f, denied := permFinding(m, sub, sub.Name, phrase{"the ECR registry in ", region}, phrase{region, " の ECR レジストリ"}, rs, ev[:])
		if denied != nil {
			f.Remediation = identityRemediation(sub, "ecr-authorization-token",
				iamStmt{Sid: "ECRAuthorizationToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*"}, rs,
				"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
				"https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html")
			f.Remediation.Text += " ecr:GetAuthorizationToken does not support resource-level permissions: its Resource must be \"*\"; alternatively attach arn:" + iamPartition(s) + ":iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy."
			f.Remediation.TextJA += " ecr:GetAuthorizationToken はリソースレベルの権限に対応していないため、Resource は \"*\" でなければなりません。AmazonECSTaskExecutionRolePolicy をアタッチする方法もあります。"
			f.Remediation.Commands = append(f.Remediation.Commands,
				"# or: aws iam attach-role-policy --role-name "+sub.Name+" --policy-arn arn:"+iamPartition(s)+":iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
		}
		dst = append(dst, f)
	}
	return dst
}
