package check

import (
	"strings"
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

const (
	digestA = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	digestB = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	digestC = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
)

func appTask() *snaptest.Snap {
	return snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Name: "app", Image: snaptest.ECRImage})
}

func TestECRRepositoryExists(t *testing.T) {
	tests := []struct {
		name    string
		b       *snaptest.Snap
		want    finding.Status
		msgHas  []string
		needsIs string
	}{
		{name: "exists", b: appTask().Repo("my-app", "", true, ""), want: finding.Pass},
		{name: "not found gap, similar name", b: appTask().Repo("my-ap", "", true, "").Repo("billing", "", true, "").
			Gap("ecr:DescribeRepositories", "RepositoryNotFoundException", "my-app"),
			want: finding.Fail, msgHas: []string{"does not exist", "similar names here: my-ap"}},
		{name: "listed, only in another region", b: appTask().Repo("my-app", "us-east-1", true, "").Repo("web", "", true, ""),
			want: finding.Fail, msgHas: []string{"exists in us-east-1"}},
		{name: "access denied", b: appTask().Gap("ecr:DescribeRepositories", "AccessDeniedException", ""),
			want: finding.Unknown, needsIs: "ecr:DescribeRepositories"},
		{name: "nothing read", b: appTask(), want: finding.Unknown, needsIs: "ecr:DescribeRepositories"},
		{name: "Docker Hub image", b: snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: "nginx:1.27"}), want: finding.NotApplicable},
		{name: "invalid image is another check's", b: snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: "my-app:v1.0!"}), want: finding.NotApplicable},
		{name: "no task definition", b: snaptest.New().Gap("ecs:DescribeTaskDefinition", "AccessDeniedException", ""), want: finding.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := runOne(t, ECRRepositoryExists{}, tt.b.Build())
			if len(fs) != 1 || fs[0].Status != tt.want {
				t.Fatalf("got %v, want %s: %s", statuses(fs), tt.want, fs[0].Message)
			}
			for _, s := range tt.msgHas {
				if !strings.Contains(fs[0].Message, s) {
					t.Errorf("message %q lacks %q", fs[0].Message, s)
				}
			}
			if tt.needsIs != "" && (len(fs[0].Needs) == 0 || fs[0].Needs[0] != tt.needsIs) {
				t.Errorf("needs = %v, want %s", fs[0].Needs, tt.needsIs)
			}
			if fs[0].Status == finding.Fail && len(fs[0].Evidence) < 2 {
				t.Errorf("fail with thin evidence: %+v", fs[0].Evidence)
			}
		})
	}
}

func TestNearestNames(t *testing.T) {
	tags := []string{"latest", "v0.9.0", "v1.0.0", "v2.3.1", "v1.0.10", "feature-x", "V1.0.1-rc1"}
	got := nearestNames("v1.0.1", tags, 3)
	if len(got) == 0 || got[0] != "v1.0.0" {
		t.Errorf("nearest to v1.0.1 = %v, want v1.0.0 first", got)
	}
	for _, g := range got {
		if g == "latest" || g == "feature-x" {
			t.Errorf("implausible suggestion %q in %v", g, got)
		}
	}
	if got := nearestNames("my-app", []string{"my-ap", "billing", "my-app-worker"}, 3); len(got) == 0 || got[0] != "my-ap" {
		t.Errorf("nearest to my-app = %v", got)
	}
	if editDistance("kitten", "sitting") != 3 {
		t.Error("editDistance(kitten, sitting) != 3")
	}
}
