package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestNATGatewayHealth(t *testing.T) {
	natIn := func(subnet, state string) *snaptest.Snap {
		return snaptest.PrivateVPC().IGW("igw-0main", "vpc-0123").
			RouteTable("rtb-0pub", "vpc-0123", false, []string{"subnet-0pub"}, snaptest.Route{Dest: "0.0.0.0/0", Target: "igw-0main"}).
			NAT("nat-0x", "vpc-0123", subnet, state).
			RouteTable("rtb-0priv", "vpc-0123", false, []string{"subnet-0a1"}, snaptest.Route{Dest: "0.0.0.0/0", Target: "nat-0x"})
	}
	runNetCases(t, NATGatewayHealth{}, []netCase{
		{name: "NAT in a private subnet", b: natIn("subnet-0c1", "available"), want: finding.Fail, cause: cause.NetworkNoRoute,
			in: "aws ec2 create-route --route-table-id rtb-0main --destination-cidr-block 0.0.0.0/0 --gateway-id igw-0main"},
		{name: "NAT failed", b: natIn("subnet-0pub", "failed"), want: finding.Fail, in: "aws ec2 create-nat-gateway --subnet-id subnet-0pub"},
		{name: "NAT healthy", b: natIn("subnet-0pub", "available"), want: finding.Pass},
		{name: "NAT not in the snapshot", b: natIn("subnet-0pub", "available").Fn(func(b *snaptest.Snap) { b.S.Network.NatGateways = nil }).
			Gap("ec2:DescribeNatGateways", "AccessDenied", ""), want: finding.Unknown},
		{name: "no NAT on the path", b: netEndpoints(), want: finding.NotApplicable},
		{name: "transit gateway route: no NAT on the path", b: snaptest.PrivateVPC().
			RouteTable("rtb-0x", "vpc-0123", false, []string{"subnet-0a1"}, snaptest.Route{Dest: "0.0.0.0/0", Target: "tgw-0abc"}), want: finding.NotApplicable},
	})
}
