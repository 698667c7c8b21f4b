package check

import (
	"strings"
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

func TestDockerHubRateLimit(t *testing.T) {
	const rateLimited = `CannotPullContainerError: Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit`
	secret := "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:dockerhub-AbCdEf"
	hub := func(creds string) *snaptest.Snap {
		return snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Name: "web", Image: "nginx:1.27", CredentialsARN: creds})
	}
	limited := snapshot.RegistryProbe{Image: "nginx:1.27", Registry: "docker.io", Outcome: "rate-limited", HTTPStatus: 429, RateLimitLimit: "100;w=21600", RateLimitRemaining: "0;w=21600"}
	tests := []struct {
		name    string
		b       *snaptest.Snap
		want    finding.Status
		msgHas  string
		cmdsHas string
	}{
		{name: "probe 429", b: hub("").Probe(limited), want: finding.Fail, msgHas: "ratelimit-remaining 0", cmdsHas: "create-pull-through-cache-rule"},
		{name: "stopped reason, authenticated", b: hub(secret).Stopped(rateLimited), want: finding.Fail, msgHas: "authenticated", cmdsHas: "crane copy docker.io/library/nginx:1.27 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/library/nginx:1.27"},
		{name: "existing cache rule reused", b: hub("").Stopped(rateLimited).PullThroughRule("dh", "registry-1.docker.io", ""), want: finding.Fail, msgHas: "ap-northeast-1.amazonaws.com/dh/library/nginx:1.27"},
		{name: "probe with pulls left", b: hub("").Probe(snapshot.RegistryProbe{Image: "nginx:1.27", Outcome: "found", RateLimitLimit: "100;w=21600", RateLimitRemaining: "76;w=21600"}), want: finding.Pass, msgHas: "76"},
		{name: "other stopped reason", b: hub("").Stopped("CannotPullContainerError: ref pull has been retried 5 time(s): failed to resolve reference \"docker.io/library/nginx:1.27\": dial tcp 54.1.2.3:443: i/o timeout"), want: finding.Pass},
		{name: "no evidence either way", b: hub(""), want: finding.Unknown},
		{name: "probe timed out", b: hub("").Probe(snapshot.RegistryProbe{Image: "nginx:1.27", Outcome: "timeout"}), want: finding.Unknown, msgHas: "timeout"},
		{name: "quay rate limited by probe", b: snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Name: "q", Image: "quay.io/org/tool:1"}).
			Probe(snapshot.RegistryProbe{Image: "quay.io/org/tool:1", Outcome: "rate-limited", HTTPStatus: 429}), want: finding.Fail, cmdsHas: "--upstream-registry-url quay.io"},
		{name: "ECR only", b: appTask().Stopped(rateLimited), want: finding.NotApplicable},
		{name: "no task definition", b: snaptest.New(), want: finding.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := runOne(t, DockerHubRateLimit{}, tt.b.Build())
			if len(fs) != 1 || fs[0].Status != tt.want {
				t.Fatalf("got %v, want %s: %s", statuses(fs), tt.want, fs[0].Message)
			}
			if tt.msgHas != "" && !strings.Contains(fs[0].Message+remText(fs[0]), tt.msgHas) {
				t.Errorf("message %q lacks %q", fs[0].Message, tt.msgHas)
			}
			if tt.cmdsHas != "" && !strings.Contains(strings.Join(fs[0].Remediation.Commands, "\n"), tt.cmdsHas) {
				t.Errorf("commands lack %q:\n%s", tt.cmdsHas, strings.Join(fs[0].Remediation.Commands, "\n"))
			}
		})
	}
}

func remText(f finding.Finding) string {
	if f.Remediation == nil {
		return ""
	}
	return f.Remediation.Text
}
