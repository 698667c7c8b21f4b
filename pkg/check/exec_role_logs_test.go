package check

import (
	"testing"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestExecRoleLogs(t *testing.T) {
	trust := snaptest.ECSTasksTrust
	awslogs := func(opts map[string]string) snaptest.Container {
		return snaptest.Container{Image: snaptest.ECRImage, LogDriver: "awslogs", LogOptions: opts}
	}
	std := map[string]string{"awslogs-group": "/ecs/my-app", "awslogs-region": "ap-northeast-1", "awslogs-stream-prefix": "ecs"}
	create := map[string]string{"awslogs-group": "/ecs/my-app", "awslogs-region": "ap-northeast-1", "awslogs-stream-prefix": "ecs", "awslogs-create-group": "true"}
	otherGroup := `{"Version":"2012-10-17","Statement":[{"Sid":"OtherGroup","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:ap-northeast-1:123456789012:log-group:/ecs/other:*"}]}`
	rightGroup := `{"Version":"2012-10-17","Statement":[{"Sid":"MyGroup","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:ap-northeast-1:123456789012:log-group:/ecs/my-app:*"}]}`
	runIAMCases(t, ExecRoleLogs{}, []iamCase{
		{name: "managed policy, group exists", snap: fargate(awslogs(std)).Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).LogGroup("/ecs/my-app").Build(), want: finding.Pass},
		{name: "scoped to the group", snap: fargate(awslogs(std)).Role(snaptest.ExecRole, trust, map[string]string{"logs": rightGroup}).LogGroup("/ecs/my-app").Build(), want: finding.Pass, msg: "MyGroup"},
		{name: "scoped to another group", snap: fargate(awslogs(std)).Role(snaptest.ExecRole, trust, map[string]string{"logs": otherGroup}).LogGroup("/ecs/my-app").Build(), want: finding.Fail, fix: `"Resource":"arn:aws:logs:ap-northeast-1:123456789012:log-group:/ecs/my-app:*"`},
		{name: "group missing", snap: fargate(awslogs(std)).Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).Build(), want: finding.Fail, msg: "does not exist", fix: "aws logs create-log-group --log-group-name /ecs/my-app"},
		{name: "create-group without CreateLogGroup", snap: fargate(awslogs(create)).Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).Build(), want: finding.Fail, msg: "logs:CreateLogGroup", fix: "logs:CreateLogGroup"},
		{name: "group unreadable", snap: fargate(awslogs(std)).Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).Gap("logs:DescribeLogGroups", "AccessDeniedException", "").Build(), want: finding.Unknown, needs: "logs:DescribeLogGroups"},
		{name: "no awslogs-group option", snap: fargate(awslogs(map[string]string{"awslogs-region": "ap-northeast-1"})).Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).Build(), want: finding.Fail, msg: "no awslogs-group"},
		{name: "role unreadable", snap: fargate(awslogs(std)).Role(snaptest.ExecRole, trust, nil).Gap("iam:GetRolePolicy", "AccessDenied", snaptest.ExecRole+"/logs").LogGroup("/ecs/my-app").Build(), want: finding.Unknown, needs: "iam:GetRolePolicy"},
		{name: "EC2 uses the instance role", snap: snaptest.New().EC2("", ecstypes.NetworkModeBridge, awslogs(std)).InstanceRole("arn:aws:iam::123456789012:role/ecsInstanceRole").Role("arn:aws:iam::123456789012:role/ecsInstanceRole", "", map[string]string{"logs": logsOnly}).LogGroup("/ecs/my-app").Build(), want: finding.Pass, msg: "container instance role"},
		{name: "no awslogs", snap: fargate().Build(), want: finding.NotApplicable},
	})
}
