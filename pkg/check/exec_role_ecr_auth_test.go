package check

import (
	"testing"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestExecRoleECRAuth(t *testing.T) {
	trust := snaptest.ECSTasksTrust
	denyOutsideVPCE := snaptest.Managed("DenyOutsideVPCE", `{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideVpce","Effect":"Deny","Action":"ecr:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0a1b2c3d4e5f67890"}}}]}`)
	denyNoTLS := snaptest.Managed("DenyInsecure", `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecure","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	denyRegion := snaptest.Managed("OnlyUSEast1", `{"Version":"2012-10-17","Statement":[{"Sid":"RegionLock","Effect":"Deny","Action":"ecr:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`)
	boundary := snaptest.Managed("DevBoundary", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*","s3:*"],"Resource":"*"}]}`)
	runIAMCases(t, ExecRoleECRAuth{}, []iamCase{
		{name: "managed execution policy", snap: fargate().Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).Build(), want: finding.Pass, msg: "SCPs were not evaluated"},
		{name: "no ECR permission at all", snap: fargate().Role(snaptest.ExecRole, trust, map[string]string{"logs": logsOnly}).Build(), want: finding.Fail, msg: "no statement allows it", fix: `--policy-document '{"Version":"2012-10-17","Statement":[{"Sid":"ECRAuthorizationToken","Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*"}]}'`},
		{name: "GetAuthorizationToken only on a repository ARN", snap: fargate().Role(snaptest.ExecRole, trust, map[string]string{"ecr": ecrAllowOnRepo}).Build(), want: finding.Fail, fix: `Resource must be "*"`},
		{name: "explicit deny with a decided condition", snap: fargate().Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy(), denyRegion).Build(), want: finding.Fail, msg: `"RegionLock"`, fix: "explicitly denies"},
		{name: "deny on insecure transport does not apply", snap: fargate().Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy(), denyNoTLS).Build(), want: finding.Pass},
		{name: "deny conditioned on the VPC endpoint is undecided", snap: fargate().Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy(), denyOutsideVPCE).Build(), want: finding.Unknown, needs: "ec2:DescribeVpcEndpoints"},
		{name: "permissions boundary blocks ECR", snap: fargate().Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).Boundary(snaptest.ExecRole, boundary).Build(), want: finding.Fail, msg: "permissions boundary", fix: "create-policy-version --policy-arn arn:aws:iam::123456789012:policy/DevBoundary"},
		{name: "role unreadable", snap: fargate().Role(snaptest.ExecRole, trust, nil).Gap("iam:ListRolePolicies", "AccessDenied", snaptest.ExecRole).Build(), want: finding.Unknown, needs: "iam:ListRolePolicies"},
		{name: "EC2 without execution role uses the instance role", snap: snaptest.New().EC2("", ecstypes.NetworkModeBridge, snaptest.Container{Image: snaptest.ECRImage}).InstanceRole("arn:aws:iam::123456789012:role/ecsInstanceRole").Role("arn:aws:iam::123456789012:role/ecsInstanceRole", "", map[string]string{"logs": logsOnly}).Build(), want: finding.Fail, msg: "container instance role", fix: "--role-name ecsInstanceRole"},
		{name: "EC2 without execution role, instance role unknown", snap: snaptest.New().EC2("", ecstypes.NetworkModeBridge, snaptest.Container{Image: snaptest.ECRImage}).Build(), want: finding.Unknown, needs: "iam:GetInstanceProfile"},
		{name: "Fargate without execution role", snap: snaptest.New().Fargate("", snaptest.Container{Image: snaptest.ECRImage}).Build(), want: finding.NotApplicable},
		{name: "public image", snap: fargate(snaptest.Container{Image: "nginx:1.27"}).Build(), want: finding.NotApplicable},
	})
}
