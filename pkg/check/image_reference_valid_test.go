package check

import (
	"reflect"
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

func TestImageReferenceValid(t *testing.T) {
	tests := []struct {
		name string
		snap *snapshot.Snapshot
		want []finding.Status
	}{
		{"ECR and Docker Hub", snaptest.New().Fargate(snaptest.ExecRole,
			snaptest.Container{Name: "app", Image: snaptest.ECRImage}, snaptest.Container{Name: "proxy", Image: "nginx:1.27"}).Build(),
			[]finding.Status{finding.Pass, finding.Pass}},
		{"uppercase repository", snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/My-App:v1"}).Build(),
			[]finding.Status{finding.Fail}},
		{"space in reference", snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: "my app:latest"}).Build(),
			[]finding.Status{finding.Fail}},
		{"short digest", snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: "nginx@sha256:abc"}).Build(),
			[]finding.Status{finding.Fail}},
		{"empty image", snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: ""}).Build(),
			[]finding.Status{finding.Fail}},
		{"no containers", snaptest.New().Fargate(snaptest.ExecRole).Build(), []finding.Status{finding.NotApplicable}},
		{"no task definition", snaptest.New().Gap("ecs:DescribeTaskDefinition", "AccessDeniedException", "").Build(), []finding.Status{finding.Unknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := runOne(t, ImageReferenceValid{}, tt.snap)
			if got := statuses(fs); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("statuses %v, want %v: %v", got, tt.want, fs)
			}
		})
	}
}
