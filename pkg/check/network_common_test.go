package check

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

// netCase is one row of a network check's table test.
type netCase struct {
	name  string
	b     *snaptest.Snap
	want  finding.Status
	cause cause.ID // checked when set
	// in is a substring the message (or, for a fail, a remediation command) must contain.
	in string
}

func runNetCases(t *testing.T, c Check, cases []netCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := runOne(t, c, tc.b.Build())
			f := fs[0]
			if len(fs) != 1 || f.Status != tc.want {
				t.Fatalf("got %v, want %s: %s\npath: %s", statuses(fs), tc.want, f.Message, f.Path)
			}
			if tc.cause != "" && f.Cause != tc.cause {
				t.Errorf("cause %s, want %s", f.Cause, tc.cause)
			}
			if f.Status == finding.Fail {
				if len(f.Remediation.Commands) == 0 || f.Remediation.Terraform == "" || len(f.Remediation.Links) == 0 || f.Remediation.TextJA == "" {
					t.Errorf("incomplete remediation: %+v", f.Remediation)
				}
				if len(f.Evidence) == 0 {
					t.Error("failing finding without evidence")
				}
			}
			if tc.in != "" {
				hay := f.Message + "\n" + f.Path
				if f.Remediation != nil {
					hay += "\n" + strings.Join(f.Remediation.Commands, "\n")
				}
				if !strings.Contains(hay, tc.in) {
					t.Errorf("%q not in:\n%s", tc.in, hay)
				}
			}
		})
	}
}

// Fixtures shared by the network check tests.
func netPrivate() *snaptest.Snap   { return snaptest.PrivateVPC() }
func netNAT() *snaptest.Snap       { return snaptest.PrivateVPC().WithNAT() }
func netEndpoints() *snaptest.Snap { return snaptest.PrivateVPC().WithECREndpoints("rtb-0main") }

// netDockerHub is a task that only pulls from Docker Hub, through the NAT.
func netDockerHub() *snaptest.Snap {
	b := snaptest.PrivateVPC().WithNAT()
	b.S.TaskDefinition.ContainerDefinitions[0].Image = aws.String("nginx:1.27")
	return b
}

// netNoTaskDef has no task definition, with the read recorded as failed.
func netNoTaskDef() *snaptest.Snap {
	b := snaptest.PrivateVPC().WithNAT().Gap("ecs:DescribeTaskDefinition", "AccessDenied", "")
	b.S.TaskDefinition = nil
	return b
}

func egress(b *snaptest.Snap, sg string, perms ...ec2types.IpPermission) *snaptest.Snap {
	for i := range b.S.Network.SecurityGroups {
		if aws.ToString(b.S.Network.SecurityGroups[i].GroupId) == sg {
			b.S.Network.SecurityGroups[i].IpPermissionsEgress = perms
		}
	}
	return b
}

func ingress(b *snaptest.Snap, sg string, perms ...ec2types.IpPermission) *snaptest.Snap {
	for i := range b.S.Network.SecurityGroups {
		if aws.ToString(b.S.Network.SecurityGroups[i].GroupId) == sg {
			b.S.Network.SecurityGroups[i].IpPermissions = perms
		}
	}
	return b
}

// tfMerge must join blocks exactly as the plain formula does, odd blocks included.
func TestTFMerge(t *testing.T) {
	for _, blocks := range [][]string{
		{"a\n", "b\n"},
		{"", "b\n", "c"},
		{"a", "\n", "c\n\n"},
		{"\n\n", "\n", "b"},
		{"a\n\n\n", "b\n", "\n"},
	} {
		want := blocks[0]
		var m tfMerge
		m.add(blocks[0])
		for _, b := range blocks[1:] {
			want = strings.TrimRight(want, "\n") + "\n\n" + b
			m.addAfter(b)
		}
		if got := m.String(); got != want {
			t.Errorf("%q: got %q, want %q", blocks, got, want)
		}
	}
}
