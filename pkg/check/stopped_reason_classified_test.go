package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestStoppedReasonClassified(t *testing.T) {
	tests := []struct {
		name      string
		reason    string
		gap       bool
		wantState finding.Status
		wantCause cause.ID
	}{
		{"manifest unknown", "CannotPullContainerError: Error response from daemon: manifest for 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/my-app:v1.0.1 not found: manifest unknown: manifest unknown", false, finding.Fail, cause.ImageNotFound},
		{"toomanyrequests", "CannotPullContainerError: inspect image has been retried 5 time(s): httpReaderSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/sha256:abc: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit.", false, finding.Fail, cause.RegistryRateLimit},
		{"not a pull error", "Essential container in task exited", false, finding.Pass, cause.Unknown},
		{"no reason", "", false, finding.NotApplicable, cause.Unknown},
		{"task unreadable", "", true, finding.Unknown, cause.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: snaptest.ECRImage}).Stopped(tt.reason)
			if tt.gap {
				b.Gap("ecs:DescribeTasks", "AccessDeniedException", "")
			}
			fs := runOne(t, StoppedReasonClassified{}, b.Build())
			if fs[0].Status != tt.wantState || fs[0].Cause != tt.wantCause {
				t.Fatalf("got %s/%s, want %s/%s: %s", fs[0].Status, fs[0].Cause, tt.wantState, tt.wantCause, fs[0].Message)
			}
		})
	}
}
