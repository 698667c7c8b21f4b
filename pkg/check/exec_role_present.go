package check

import (
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ExecRolePresent checks that a task which needs an execution role has one. Fargate has no
// host credentials to fall back on; on EC2 the ECS agent falls back to the container
// instance role for ECR pulls and awslogs, but secrets and repositoryCredentials are always
// fetched with the execution role
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html).
type ExecRolePresent struct{}

// Meta implements Check.
func (ExecRolePresent) Meta() Meta { return execRolePresentMeta }

var execRolePresentMeta = Meta{
	ID: "exec-role-present", Cause: cause.ExecRoleMissing, Severity: finding.Error,
	Title:       "The task has an execution role when it needs one",
	TitleJA:     "必要なタスク実行ロールが設定されている",
	Description: "Looks at what the task needs credentials for before its containers start: private ECR images and the awslogs driver (Fargate; on EC2 the container instance role is used instead) and `secrets` or `repositoryCredentials` (always). Fails when such a need exists and `executionRoleArn` is empty, or names a role that does not exist.",
	Needs:       []string{"ecs:DescribeTaskDefinition", "iam:GetRole"},
}

// Run implements Check.
func (c ExecRolePresent) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (c ExecRolePresent) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := execRolePresentMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	roleARN := s.ExecutionRoleARN()
	tdRef := deref(s.TaskDefinition.TaskDefinitionArn)
	if roleARN != "" {
		if g := s.Gap("iam:GetRole", roleARN); g != nil && g.Error == "NoSuchEntity" {
			f := newFinding(m, finding.Fail,
				"execution role "+roleARN+" does not exist",
				"タスク実行ロール "+roleARN+" が存在しません")
			f.Evidence = []finding.Evidence{
				{Source: "ecs:DescribeTaskDefinition", Ref: tdRef, Key: "executionRoleArn", Value: roleARN},
				{Source: "iam:GetRole", Ref: roleARN, Key: "error", Value: g.Error},
			}
			f.Remediation = createRoleRemediation(s, snapshot.RoleNameFromARN(roleARN))
			return append(dst, f)
		}
		f := newFinding(m, finding.Pass, "execution role is set: "+roleARN, "タスク実行ロールが設定されています: "+roleARN)
		f.Evidence = []finding.Evidence{{Source: "ecs:DescribeTaskDefinition", Ref: tdRef, Key: "executionRoleArn", Value: roleARN}}
		return append(dst, f)
	}
	// Without a role: why would the task need one?
	var hostNeeds, alwaysNeeds []string
	for _, cd := range s.Containers() {
		name := deref(cd.Name)
		if p := imageInfo(deref(cd.Image)); p.err == nil && p.ref.Kind == imageref.KindECR {
			hostNeeds = append(hostNeeds, name+": private ECR image "+p.str)
		}
		if cd.LogConfiguration != nil && cd.LogConfiguration.LogDriver == "awslogs" {
			hostNeeds = append(hostNeeds, name+": awslogs log driver")
		}
		if len(cd.Secrets) > 0 {
			alwaysNeeds = append(alwaysNeeds, name+": secrets")
		}
		if cd.RepositoryCredentials != nil && deref(cd.RepositoryCredentials.CredentialsParameter) != "" {
			alwaysNeeds = append(alwaysNeeds, name+": repositoryCredentials")
		}
		if cd.LogConfiguration != nil && len(cd.LogConfiguration.SecretOptions) > 0 {
			alwaysNeeds = append(alwaysNeeds, name+": log configuration secretOptions")
		}
	}
	fargatePossible := s.IsFargate() || s.LaunchType() == ""
	for _, compat := range s.TaskDefinition.RequiresCompatibilities {
		if compat == "FARGATE" {
			fargatePossible = true
		}
	}
	needs := alwaysNeeds
	if fargatePossible {
		needs = append(needs, hostNeeds...)
	}
	ev := []finding.Evidence{{Source: "ecs:DescribeTaskDefinition", Ref: tdRef, Key: "executionRoleArn", Value: "(none)"}}
	if len(needs) > 0 {
		f := newFinding(m, finding.Fail,
			"the task definition has no execution role, but needs one for: "+strings.Join(needs, "; "),
			"タスク定義にタスク実行ロールがありませんが、次のために必要です: "+strings.Join(needs, "; "))
		f.Evidence = ev
		f.Remediation = createRoleRemediation(s, "ecsTaskExecutionRole")
		return append(dst, f)
	}
	if len(hostNeeds) > 0 {
		role := s.InstanceRoleARN
		if role == "" {
			role = "the container instance role"
		}
		f := newFinding(m, finding.Pass,
			"no execution role; on EC2 the ECS agent uses "+role+" for "+strings.Join(hostNeeds, "; "),
			"タスク実行ロールはありません。EC2 では ECS エージェントが "+role+" を使います: "+strings.Join(hostNeeds, "; "))
		f.Evidence = ev
		return append(dst, f)
	}
	f := newFinding(m, finding.NotApplicable,
		"no execution role, and nothing in the task needs one (public image, no secrets, no awslogs)",
		"タスク実行ロールはありませんが、必要とする設定（ECR イメージ、シークレット、awslogs）もありません")
	f.Evidence = ev
	return append(dst, f)
}

// createRoleRemediation creates the standard execution role and points the task definition
// at it.
func createRoleRemediation(s *snapshot.Snapshot, roleName string) *finding.Remediation {
	account := s.Account
	if account == "" {
		account = "ACCOUNT_ID"
	}
	partition := s.Partition
	if partition == "" {
		partition = "aws"
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"` + account + `"}}}]}`
	return &finding.Remediation{
		Text:   "Create an execution role that ecs-tasks.amazonaws.com can assume, attach AmazonECSTaskExecutionRolePolicy (plus secretsmanager:GetSecretValue / ssm:GetParameters for secrets), set executionRoleArn in the task definition, register a new revision and update the service.",
		TextJA: "ecs-tasks.amazonaws.com が引き受けられるタスク実行ロールを作成し、AmazonECSTaskExecutionRolePolicy（シークレットを使う場合は secretsmanager:GetSecretValue / ssm:GetParameters も）をアタッチして、タスク定義の executionRoleArn に設定し、新しいリビジョンを登録してサービスを更新してください。",
		Commands: []string{
			"aws iam create-role --role-name " + roleName + " --assume-role-policy-document '" + trust + "'",
			"aws iam attach-role-policy --role-name " + roleName + " --policy-arn arn:" + partition + ":iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
		},
		Policy: []byte(trust),
		Terraform: `resource "aws_iam_role" "ecs_task_execution" {
  name = "` + roleName + `"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = "` + account + `" } }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "ecs_task_execution" {
  role       = aws_iam_role.ecs_task_execution.name
  policy_arn = "arn:` + partition + `:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# in aws_ecs_task_definition: execution_role_arn = aws_iam_role.ecs_task_execution.arn`,
		Links: []string{"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html"},
	}
}
