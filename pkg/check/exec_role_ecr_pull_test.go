package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestExecRoleECRPull(t *testing.T) {
	trust := snaptest.ECSTasksTrust
	otherRepo := `{"Version":"2012-10-17","Statement":[{"Sid":"PullOther","Effect":"Allow","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"],"Resource":"arn:aws:ecr:ap-northeast-1:123456789012:repository/other-app"}]}`
	repoAllowsRole := `{"Version":"2012-10-17","Statement":[{"Sid":"ExecRolePull","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ecsTaskExecutionRole"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"]}]}`
	xImage := "987654321098.dkr.ecr.ap-northeast-1.amazonaws.com/shared/base-api:2.4.0"
	runIAMCases(t, ExecRoleECRPull{}, []iamCase{
		{name: "managed execution policy", snap: fargate().Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).Build(), want: finding.Pass},
		{name: "scoped to the right repository", snap: fargate().Role(snaptest.ExecRole, trust, map[string]string{"ecr": ecrAllowOnRepo}).Build(), want: finding.Pass, msg: `"PullMyApp"`},
		{name: "scoped to another repository", snap: fargate().Role(snaptest.ExecRole, trust, map[string]string{"ecr": otherRepo}).Build(), want: finding.Fail, fix: `"Resource":"arn:aws:ecr:ap-northeast-1:123456789012:repository/my-app"`},
		{name: "same-account repository policy naming the role grants", snap: fargate().Role(snaptest.ExecRole, trust, map[string]string{"logs": logsOnly}).RepoIn(snaptest.Account, snaptest.Region, "my-app", repoAllowsRole).Build(), want: finding.Pass, msg: "ExecRolePull"},
		{name: "repository policy unreadable and identity denies", snap: fargate().Role(snaptest.ExecRole, trust, map[string]string{"logs": logsOnly}).Gap("ecr:GetRepositoryPolicy", "AccessDeniedException", "123456789012/ap-northeast-1/my-app").Build(), want: finding.Unknown, needs: "ecr:GetRepositoryPolicy"},
		{name: "cross account: identity side allows", snap: fargate(snaptest.Container{Image: xImage}).Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).Build(), want: finding.Pass, msg: "ecr-repository-policy"},
		{name: "role unreadable", snap: fargate().Role(snaptest.ExecRole, trust, nil).Gap("iam:GetPolicyVersion", "AccessDenied", "").Build(), want: finding.Unknown, needs: "iam:GetPolicyVersion"},
		{name: "public image", snap: fargate(snaptest.Container{Image: "public.ecr.aws/nginx/nginx:1.27"}).Build(), want: finding.NotApplicable},
	})
}
