package check

import (
	"strings"
	"testing"
	"time"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

func TestRegistryCredentialsSecret(t *testing.T) {
	const arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:registry/ghcr-AbCdEf"
	const westARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:registry/ghcr-AbCdEf"
	task := func(param string) *snaptest.Snap {
		return snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Name: "app", Image: "ghcr.io/acme/app:2.1.0", CredentialsARN: param})
	}
	good := &snapshot.SecretFormat{IsJSON: true, HasUsername: true, HasPassword: true}
	deleted := task(arn)
	deleted.S.Secrets = []snapshot.Secret{{ARN: arn, Name: "registry/ghcr", DeletedDate: ptrTime(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))}}
	tests := []struct {
		name   string
		b      *snaptest.Snap
		want   finding.Status
		msgHas string
	}{
		{name: "good shape", b: task(arn).Secret(arn, "registry/ghcr", good), want: finding.Pass, msgHas: "secrets-access"},
		{name: "shape not inspected", b: task(arn).Secret(arn, "registry/ghcr", nil), want: finding.Pass, msgHas: "not inspected"},
		{name: "partial ARN resolves", b: task(strings.TrimSuffix(arn, "-AbCdEf")).Secret(arn, "registry/ghcr", good), want: finding.Pass},
		{name: "not JSON", b: task(arn).Secret(arn, "registry/ghcr", &snapshot.SecretFormat{}), want: finding.Fail, msgHas: "not a JSON object"},
		{name: "no password key", b: task(arn).Secret(arn, "registry/ghcr", &snapshot.SecretFormat{IsJSON: true, HasUsername: true}), want: finding.Fail, msgHas: "password"},
		{name: "not found gap", b: task(arn).Gap("secretsmanager:DescribeSecret", "ResourceNotFoundException", arn), want: finding.Fail, msgHas: "secret not found"},
		{name: "absent", b: task(arn), want: finding.Fail, msgHas: "secret not found"},
		{name: "absent in preflight", b: func() *snaptest.Snap { b := task(arn); b.S.Source = "preflight"; return b }(), want: finding.Unknown},
		{name: "describe denied", b: task(arn).Gap("secretsmanager:DescribeSecret", "AccessDeniedException", arn), want: finding.Unknown},
		{name: "scheduled for deletion", b: deleted, want: finding.Fail, msgHas: "scheduled for deletion"},
		{name: "SSM parameter ARN", b: task("arn:aws:ssm:ap-northeast-1:123456789012:parameter/registry/creds"), want: finding.Fail, msgHas: "ssm ARN"},
		{name: "SSM parameter name", b: task("/registry/creds"), want: finding.Fail, msgHas: "SSM parameter"},
		// ECS reads a secret of another region (or account) by its full ARN.
		{name: "other region", b: task(westARN).Secret(westARN, "registry/ghcr", nil), want: finding.Pass},
		{name: "other region, absent", b: task(westARN), want: finding.Fail, msgHas: "described in us-west-2"},
		{name: "no repositoryCredentials", b: snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: "nginx"}), want: finding.NotApplicable},
		{name: "no task definition", b: snaptest.New().Gap("ecs:DescribeTaskDefinition", "AccessDeniedException", ""), want: finding.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := runOne(t, RegistryCredentialsSecret{}, tt.b.Build())
			if len(fs) != 1 || fs[0].Status != tt.want {
				t.Fatalf("got %v, want %s: %s", statuses(fs), tt.want, fs[0].Message)
			}
			if tt.msgHas != "" && !strings.Contains(fs[0].Message, tt.msgHas) {
				t.Errorf("message %q lacks %q", fs[0].Message, tt.msgHas)
			}
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
