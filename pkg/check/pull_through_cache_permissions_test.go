package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestPullThroughCachePermissions(t *testing.T) {
	trust := snaptest.ECSTasksTrust
	image := "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/docker-hub/library/nginx:1.27"
	ptc := `{"Version":"2012-10-17","Statement":[{"Sid":"PTC","Effect":"Allow","Action":["ecr:BatchImportUpstreamImage","ecr:CreateRepository"],"Resource":"arn:aws:ecr:ap-northeast-1:123456789012:repository/docker-hub/*"}]}`
	importOnly := `{"Version":"2012-10-17","Statement":[{"Sid":"Import","Effect":"Allow","Action":"ecr:BatchImportUpstreamImage","Resource":"*"}]}`
	base := func(inline map[string]string) *snaptest.Snap {
		return fargate(snaptest.Container{Image: image}).Role(snaptest.ExecRole, trust, inline, snaptest.ExecPolicy()).
			PullThroughRule("docker-hub", "registry-1.docker.io", "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf")
	}
	runIAMCases(t, PullThroughCachePermissions{}, []iamCase{
		{name: "allowed", snap: base(map[string]string{"ptc": ptc}).Build(), want: finding.Pass, msg: "does not exist yet"},
		{name: "managed execution policy only", snap: base(nil).Build(), want: finding.Fail, msg: "ecr:BatchImportUpstreamImage", fix: `"Resource":"arn:aws:ecr:ap-northeast-1:123456789012:repository/docker-hub/*"`},
		{name: "import only, repository missing", snap: base(map[string]string{"i": importOnly}).Build(), want: finding.Fail, msg: "ecr:CreateRepository"},
		{name: "import only, repository exists", snap: base(map[string]string{"i": importOnly}).RepoIn(snaptest.Account, snaptest.Region, "docker-hub/library/nginx", "").Build(), want: finding.Pass, msg: "already exists"},
		{name: "rules unreadable", snap: fargate(snaptest.Container{Image: image}).Gap("ecr:DescribePullThroughCacheRules", "AccessDeniedException", "").Build(), want: finding.Unknown, needs: "ecr:DescribePullThroughCacheRules"},
		{name: "role unreadable", snap: fargate(snaptest.Container{Image: image}).Role(snaptest.ExecRole, trust, nil).PullThroughRule("docker-hub", "registry-1.docker.io", "").Gap("iam:ListAttachedRolePolicies", "AccessDenied", snaptest.ExecRole).Build(), want: finding.Unknown, needs: "iam:ListAttachedRolePolicies"},
		{name: "no cache prefix", snap: fargate().Build(), want: finding.NotApplicable},
	})
}
