package check

import (
	"strings"
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestPullThroughCacheRule(t *testing.T) {
	const host = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/"
	const cred = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
	task := func(repoAndTag string) *snaptest.Snap {
		return snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Name: "web", Image: host + repoAndTag})
	}
	tests := []struct {
		name   string
		b      *snaptest.Snap
		want   finding.Status
		cause  cause.ID
		msgHas string
	}{
		{name: "working docker hub rule", b: task("docker-hub/library/nginx:1.27").PullThroughRule("docker-hub", "registry-1.docker.io", cred).Secret(cred, "ecr-pullthroughcache/docker-hub", nil),
			want: finding.Pass},
		{name: "library/ missing", b: task("docker-hub/nginx:1.27").PullThroughRule("docker-hub", "registry-1.docker.io", cred).Secret(cred, "ecr-pullthroughcache/docker-hub", nil),
			want: finding.Fail, cause: cause.ImageNotFound, msgHas: "docker-hub/library/nginx"},
		{name: "no rule for prefix", b: task("docker-hub/library/nginx:1.27").PullThroughRule("ecr-public", "public.ecr.aws", ""),
			want: finding.Fail, cause: cause.ImageNotFound, msgHas: "no rule has prefix docker-hub"},
		{name: "rules unreadable", b: task("docker-hub/library/nginx:1.27").Gap("ecr:DescribePullThroughCacheRules", "AccessDeniedException", ""), want: finding.Unknown},
		{name: "docker hub rule without credentials", b: task("docker-hub/library/nginx:1.27").PullThroughRule("docker-hub", "registry-1.docker.io", ""),
			want: finding.Fail, cause: cause.RegistryAuth, msgHas: "no credential secret"},
		{name: "credential secret missing", b: task("docker-hub/library/nginx:1.27").PullThroughRule("docker-hub", "registry-1.docker.io", cred),
			want: finding.Fail, cause: cause.RegistryAuth, msgHas: "does not exist"},
		{name: "credential secret unreadable", b: task("docker-hub/library/nginx:1.27").PullThroughRule("docker-hub", "registry-1.docker.io", cred).Gap("secretsmanager:DescribeSecret", "AccessDeniedException", cred),
			want: finding.Unknown},
		{name: "credential secret badly named", b: task("docker-hub/library/nginx:1.27").PullThroughRule("docker-hub", "registry-1.docker.io", "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:dockerhub-AbCdEf"),
			want: finding.Fail, cause: cause.RegistryAuth, msgHas: "ecr-pullthroughcache/"},
		{name: "ecr-public needs no credentials", b: task("ecr-public/nginx/nginx:1.27").PullThroughRule("ecr-public", "public.ecr.aws", ""), want: finding.Pass},
		{name: "custom prefix rule", b: task("hub/library/redis:7").PullThroughRule("hub", "registry-1.docker.io", cred).Secret(cred, "ecr-pullthroughcache/docker-hub", nil), want: finding.Pass},
		{name: "ordinary repository named like a cache", b: task("docker-hub/tools:1").Repo("docker-hub/tools", "", true, ""), want: finding.NotApplicable},
		{name: "plain ECR image", b: appTask(), want: finding.NotApplicable},
		{name: "no task definition", b: snaptest.New(), want: finding.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := runOne(t, PullThroughCacheRule{}, tt.b.Build())
			if len(fs) != 1 || fs[0].Status != tt.want {
				t.Fatalf("got %v, want %s: %s", statuses(fs), tt.want, fs[0].Message)
			}
			if tt.cause != "" && fs[0].Cause != tt.cause {
				t.Errorf("cause = %s, want %s", fs[0].Cause, tt.cause)
			}
			if tt.msgHas != "" && !strings.Contains(fs[0].Message, tt.msgHas) {
				t.Errorf("message %q lacks %q", fs[0].Message, tt.msgHas)
			}
		})
	}
}
