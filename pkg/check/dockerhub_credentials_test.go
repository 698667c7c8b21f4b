package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

func TestDockerHubCredentials(t *testing.T) {
	const rateLimited = `CannotPullContainerError: Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit`
	secret := "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:dockerhub-credentials-AbCdEf"
	tests := []struct {
		name string
		b    *snaptest.Snap
		want finding.Status
	}{
		{"anonymous, rate limited", snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: "nginx:1.27"}).Stopped(rateLimited), finding.Fail},
		{"anonymous, probe rate limited", snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: "nginx:1.27"}).
			Probe(snapshot.RegistryProbe{Image: "nginx:1.27", Registry: "docker.io", Outcome: "rate-limited", HTTPStatus: 429, RateLimitRemaining: "0;w=21600"}), finding.Fail},
		{"anonymous, no sign of the limit", snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: "nginx:1.27"}), finding.Pass},
		{"with repositoryCredentials", snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: "myorg/app:2", CredentialsARN: secret}).Stopped(rateLimited), finding.Pass},
		{"ECR image only", snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: snaptest.ECRImage}).Stopped(rateLimited), finding.NotApplicable},
		{"no task definition", snaptest.New().Gap("ecs:DescribeTaskDefinition", "AccessDeniedException", ""), finding.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := runOne(t, DockerHubCredentials{}, tt.b.Build())
			if len(fs) != 1 || fs[0].Status != tt.want {
				t.Fatalf("got %v, want %s: %s", statuses(fs), tt.want, fs[0].Message)
			}
		})
	}
}
