package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestSubnetEgressPath(t *testing.T) {
	runNetCases(t, SubnetEgressPath{}, []netCase{
		{name: "private subnet without NAT or endpoints", b: netPrivate(), want: finding.Fail, cause: cause.NetworkNoRoute,
			in: "aws ec2 create-route --route-table-id rtb-0main --destination-cidr-block 0.0.0.0/0 --nat-gateway-id $NAT_ID"},
		{name: "via NAT", b: netNAT(), want: finding.Pass,
			in: "subnet-0a1 (ap-northeast-1a) → rtb-0priv (0.0.0.0/0 → nat-0aaa, available) → nat-0aaa in subnet-0pub → rtb-0pub (0.0.0.0/0 → igw-0main)"},
		{name: "all via endpoints", b: netEndpoints(), want: finding.Pass, in: "served by VPC endpoints"},
		{name: "explicit association overrides a public main table", b: snaptest.PrivateVPC().IGW("igw-0main", "vpc-0123").Fn(func(b *snaptest.Snap) {
			b.S.Network.RouteTables = nil
		}).RouteTable("rtb-0pubmain", "vpc-0123", true, nil, snaptest.Route{Dest: "0.0.0.0/0", Target: "igw-0main"}).
			RouteTable("rtb-0iso", "vpc-0123", false, []string{"subnet-0a1"}, snaptest.Route{Dest: "10.0.0.0/16", Target: "local"}),
			want: finding.Fail, in: "rtb-0iso (no route to 0.0.0.0/0)"},
		{name: "blackhole", b: snaptest.PrivateVPC().RouteTable("rtb-0x", "vpc-0123", false, []string{"subnet-0a1"},
			snaptest.Route{Dest: "0.0.0.0/0", Target: "nat-0gone", State: "blackhole"}), want: finding.Fail, in: "blackhole"},
		{name: "transit gateway leaves the model", b: snaptest.PrivateVPC().RouteTable("rtb-0x", "vpc-0123", false, []string{"subnet-0a1"},
			snaptest.Route{Dest: "0.0.0.0/0", Target: "tgw-0abc"}), want: finding.Unknown, in: "leaves the model"},
		{name: "route tables unreadable", b: snaptest.PrivateVPC().Fn(func(b *snaptest.Snap) { b.S.Network.RouteTables = nil }).
			Gap("ec2:DescribeRouteTables", "UnauthorizedOperation", ""), want: finding.Unknown},
		{name: "subnet unknown", b: snaptest.PrivateVPC().Fn(func(b *snaptest.Snap) { b.S.Network.Subnets = nil }), want: finding.Unknown},
		{name: "EC2 instance without public IP in a public subnet", b: snaptest.New().EC2(snaptest.ExecRole, "bridge", snaptest.Container{Name: "app", Image: "nginx"}).
			Instance("i-0abc", "subnet-0a1", "ap-northeast-1a", "10.0.1.10", "", "sg-task").
			VPC("vpc-0123", "10.0.0.0/16").Subnet("subnet-0a1", "vpc-0123", "ap-northeast-1a", "10.0.1.0/24").IGW("igw-0main", "vpc-0123").
			RouteTable("rtb-0main", "vpc-0123", true, nil, snaptest.Route{Dest: "0.0.0.0/0", Target: "igw-0main"}).
			SG("sg-task", "vpc-0123", snaptest.AllTraffic(), nil).OpenNACL("acl-0def", "vpc-0123"),
			want: finding.Fail, cause: cause.NetworkNoRoute, in: "aws ec2 associate-address --instance-id i-0abc"},
		{name: "no task definition", b: netNoTaskDef(), want: finding.Unknown},
		{name: "nothing to reach", b: netNAT().Fn(func(b *snaptest.Snap) { b.S.TaskDefinition.ContainerDefinitions = nil }), want: finding.NotApplicable},
	})
}
