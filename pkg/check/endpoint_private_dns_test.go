package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestEndpointPrivateDNS(t *testing.T) {
	off := func(b *snaptest.Snap) *snaptest.Snap {
		return b.Endpoint("vpce-0dkr", "vpc-0123", "com.amazonaws.ap-northeast-1.ecr.dkr", "Interface", false, []string{"subnet-0a1"}, "sg-vpce")
	}
	runNetCases(t, EndpointPrivateDNS{}, []netCase{
		{name: "off, no internet", b: off(netPrivate()), want: finding.Fail, cause: cause.VPCEndpointConfig,
			in: "aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0dkr --private-dns-enabled"},
		{name: "off, NAT carries the traffic: warning", b: off(netNAT()), want: finding.Pass, in: "not used"},
		{name: "on", b: netEndpoints(), want: finding.Pass},
		{name: "no endpoints", b: netNAT(), want: finding.NotApplicable},
		{name: "docker hub only", b: netDockerHub(), want: finding.NotApplicable},
		{name: "subnet unknown", b: netEndpoints().Fn(func(b *snaptest.Snap) { b.S.Network.Subnets = nil }).Gap("ec2:DescribeSubnets", "AccessDenied", ""), want: finding.Unknown},
	})
}
