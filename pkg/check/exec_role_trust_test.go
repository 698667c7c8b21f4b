package check

import (
	"strings"
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestExecRoleTrust(t *testing.T) {
	deputy := string(snaptest.PolicyFixture("ecs-tasks-trust-policy-confused-deputy.json"))
	otherAcct := strings.ReplaceAll(deputy, `"aws:SourceAccount": "123456789012"`, `"aws:SourceAccount": "111122223333"`)
	otherRegion := strings.ReplaceAll(deputy, "arn:aws:ecs:ap-northeast-1:", "arn:aws:ecs:us-east-1:")
	ec2Only := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":"sts:AssumeRole"},{"Sid":"NoECS","Effect":"Deny","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role := func(trust string) *snaptest.Snap {
		return fargate().Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy())
	}
	runIAMCases(t, ExecRoleTrust{}, []iamCase{
		{name: "documented trust policy", snap: role(string(snaptest.PolicyFixture("ecs-tasks-trust-policy.json"))).Build(), want: finding.Pass},
		{name: "confused-deputy conditions match the task", snap: role(deputy).Build(), want: finding.Pass},
		{name: "SourceAccount of another account", snap: role(otherAcct).Build(), want: finding.Fail, msg: "does not let", fix: "update-assume-role-policy --role-name ecsTaskExecutionRole"},
		{name: "SourceArn of another region", snap: role(otherRegion).Build(), want: finding.Fail, fix: `"aws:SourceAccount":"123456789012"`},
		{name: "ec2.amazonaws.com only", snap: role(ec2Only).Build(), want: finding.Fail, msg: "no statement allows it", fix: "aws_iam_role"},
		{name: "explicit deny", snap: role(deny).Build(), want: finding.Fail, msg: `"NoECS"`},
		{name: "URL-encoded string document", snap: role(`"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ecs-tasks.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"`).Build(), want: finding.Pass},
		{name: "malformed trust policy", snap: role(`{"Statement":"nope"}`).Build(), want: finding.Unknown, needs: "iam:GetRole"},
		{name: "role unreadable", snap: fargate().Gap("iam:GetRole", "AccessDenied", snaptest.ExecRole).Build(), want: finding.Unknown, needs: "iam:GetRole"},
		{name: "role absent", snap: fargate().Build(), want: finding.Unknown, needs: "iam:GetRole"},
		{name: "no task: SourceArn condition unknown", snap: role(deputy).Fn(func(b *snaptest.Snap) { b.S.Task = nil; b.S.Target.Task = "" }).Build(), want: finding.Unknown, needs: "aws:SourceArn"},
		{name: "no execution role", snap: snaptest.New().Fargate("", snaptest.Container{Image: "nginx"}).Build(), want: finding.NotApplicable},
		{name: "no task definition", snap: snaptest.New().Build(), want: finding.Unknown, needs: "ecs:DescribeTaskDefinition"},
	})
}
