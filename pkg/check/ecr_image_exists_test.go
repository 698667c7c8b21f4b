package check

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

// withImages is a repository as DescribeRepositories + DescribeImages (all pages) return it.
func withImages(b *snaptest.Snap, complete bool, mut ecrtypes.ImageTagMutability) *snaptest.Snap {
	return b.Repo("my-app", "", complete, mut).
		Image("my-app", digestA, "2026-11-20T10:00:00Z", "v1.0.0").
		Image("my-app", digestB, "2026-11-01T10:00:00Z", "v0.9.0").
		Image("my-app", digestC, "2026-11-24T08:00:00Z")
}

func TestECRImageExists(t *testing.T) {
	byDigest := func(d string) *snaptest.Snap {
		return snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Name: "app", Image: "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/my-app@" + d})
	}
	tests := []struct {
		name   string
		b      *snaptest.Snap
		want   finding.Status
		msgHas []string
	}{
		{name: "tag exists", b: withImages(snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Name: "app", Image: "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/my-app:v1.0.0"}), true, ""), want: finding.Pass},
		{name: "v1.0.1 never pushed, full listing", b: withImages(appTask(), true, ""), want: finding.Fail,
			msgHas: []string{"tag v1.0.1 does not exist", "nearest tags: v1.0.0", "most recently pushed: <untagged"}},
		{name: "immutable hint", b: withImages(appTask(), true, ecrtypes.ImageTagMutabilityImmutable), want: finding.Fail, msgHas: []string{"IMMUTABLE"}},
		{name: "partial lookup with ImageNotFound gap", b: appTask().Repo("my-app", "", false, "").
			Gap("ecr:DescribeImages", "ImageNotFoundException", "my-app:v1.0.1"), want: finding.Fail, msgHas: []string{"does not exist"}},
		{name: "partial lookup without answer", b: appTask().Repo("my-app", "", false, "").Image("my-app", digestA, "2026-11-20T10:00:00Z", "v1.0.0"), want: finding.Unknown},
		{name: "describe-images denied", b: appTask().Repo("my-app", "", false, "").Gap("ecr:DescribeImages", "AccessDeniedException", "my-app:v1.0.1"), want: finding.Unknown},
		{name: "digest exists", b: withImages(byDigest(digestA), true, ""), want: finding.Pass},
		{name: "digest deleted", b: withImages(byDigest("sha256:9999999999999999999999999999999999999999999999999999999999999999"), true, ""), want: finding.Fail, msgHas: []string{"deleted"}},
		{name: "repository missing", b: appTask().Gap("ecr:DescribeRepositories", "RepositoryNotFoundException", "my-app"), want: finding.NotApplicable},
		{name: "Docker Hub only", b: snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: "nginx"}), want: finding.NotApplicable},
		{name: "no task definition", b: snaptest.New(), want: finding.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := runOne(t, ECRImageExists{}, tt.b.Build())
			if len(fs) != 1 || fs[0].Status != tt.want {
				t.Fatalf("got %v, want %s: %s", statuses(fs), tt.want, fs[0].Message)
			}
			for _, s := range tt.msgHas {
				if !strings.Contains(fs[0].Message, s) {
					t.Errorf("message %q lacks %q", fs[0].Message, s)
				}
			}
			if fs[0].Status == finding.Fail {
				if r := fs[0].Remediation; r == nil || len(r.Commands) == 0 || r.Terraform == "" || len(r.Links) == 0 || r.TextJA == "" {
					t.Errorf("incomplete remediation: %+v", r)
				}
			}
		})
	}
}

// The digest the task resolved last time, now gone, is worth saying.
func TestECRImageExistsResolvedDigestGone(t *testing.T) {
	b := withImages(appTask(), true, "")
	b.S.Task.Containers = []ecstypes.Container{{Name: aws.String("app"), ImageDigest: aws.String("sha256:8888888888888888888888888888888888888888888888888888888888888888")}}
	fs := runOne(t, ECRImageExists{}, b.Build())
	if !strings.Contains(fs[0].Message, "no longer in the repository") {
		t.Errorf("message: %s", fs[0].Message)
	}
}
