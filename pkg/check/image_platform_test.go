package check

import (
	"strings"
	"testing"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

func TestImagePlatform(t *testing.T) {
	ecrTag := func(b *snaptest.Snap) *snaptest.Snap {
		return b.Repo("my-app", "", true, "").Image("my-app", digestA, "2026-11-20T10:00:00Z", "v1.0.1")
	}
	fargate := func() *snaptest.Snap { return ecrTag(appTask()) }
	ec2 := func() *snaptest.Snap {
		return ecrTag(snaptest.New().EC2(snaptest.ExecRole, ecstypes.NetworkModeBridge, snaptest.Container{Name: "app", Image: snaptest.ECRImage}))
	}
	hub := func() *snaptest.Snap {
		return snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Name: "web", Image: "nginx:1.27"})
	}
	tests := []struct {
		name   string
		b      *snaptest.Snap
		want   finding.Status
		msgHas string
	}{
		{name: "amd64 image on ARM64 Fargate", b: fargate().Platforms(digestA, "linux/amd64").RuntimePlatform(ecstypes.CPUArchitectureArm64, ecstypes.OSFamilyLinux),
			want: finding.Fail, msgHas: "LINUX/ARM64"},
		{name: "multi-arch on ARM64 Fargate", b: fargate().Platforms(digestA, "linux/amd64", "linux/arm64/v8").RuntimePlatform(ecstypes.CPUArchitectureArm64, ecstypes.OSFamilyLinux),
			want: finding.Pass, msgHas: "linux/arm64/v8"},
		{name: "Fargate default is X86_64", b: fargate().Platforms(digestA, "linux/arm64"), want: finding.Fail, msgHas: "Fargate default"},
		{name: "Windows task, linux image", b: fargate().Platforms(digestA, "linux/amd64").RuntimePlatform(ecstypes.CPUArchitectureX8664, ecstypes.OSFamilyWindowsServer2022Core), want: finding.Fail},
		{name: "EC2 arm64 instance attribute", b: ec2().Platforms(digestA, "linux/amd64").ContainerInstanceArch("arm64", "linux", ""), want: finding.Fail, msgHas: "arm64"},
		{name: "EC2 instance architecture", b: ec2().Platforms(digestA, "linux/amd64").ContainerInstanceArch("", "", ec2types.ArchitectureValuesX8664), want: finding.Pass},
		{name: "EC2 without instance", b: ec2().Platforms(digestA, "linux/amd64"), want: finding.Unknown},
		{name: "platforms not read", b: fargate(), want: finding.Unknown},
		{name: "BatchGetImage denied", b: fargate().Gap("ecr:BatchGetImage", "AccessDeniedException", ""), want: finding.Unknown},
		{name: "Docker Hub via probe", b: hub().RuntimePlatform(ecstypes.CPUArchitectureArm64, "").Probe(snapshot.RegistryProbe{Image: "nginx:1.27", Outcome: "found", Platforms: []string{"linux/amd64", "linux/arm64/v8"}}), want: finding.Pass},
		{name: "Docker Hub without probe", b: hub(), want: finding.Unknown, msgHas: "--probe-registry"},
		{name: "no task definition", b: snaptest.New(), want: finding.Unknown},
		{name: "no valid image", b: snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: "my-app:v1.0!"}), want: finding.NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := runOne(t, ImagePlatform{}, tt.b.Build())
			if len(fs) != 1 || fs[0].Status != tt.want {
				t.Fatalf("got %v, want %s: %s", statuses(fs), tt.want, fs[0].Message)
			}
			if tt.msgHas != "" && !strings.Contains(fs[0].Message+strings.Join(evValues(fs[0]), " "), tt.msgHas) {
				t.Errorf("message/evidence %q lacks %q", fs[0].Message, tt.msgHas)
			}
		})
	}
}

func evValues(f finding.Finding) []string {
	var out []string
	for _, e := range f.Evidence {
		out = append(out, e.Value)
	}
	return out
}
