package check

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestVPCDNSAttributes(t *testing.T) {
	runNetCases(t, VPCDNSAttributes{}, []netCase{
		{name: "dns support off", b: netNAT().VPCDNS("vpc-0123", aws.Bool(false), aws.Bool(true)), want: finding.Fail, cause: cause.DNSResolution,
			in: "aws ec2 modify-vpc-attribute --vpc-id vpc-0123 --enable-dns-support"},
		{name: "hostnames off defeats endpoint private DNS", b: netEndpoints().VPCDNS("vpc-0123", aws.Bool(true), aws.Bool(false)), want: finding.Fail,
			cause: cause.VPCEndpointConfig, in: "--enable-dns-hostnames"},
		{name: "hostnames off, NAT, no endpoints", b: netNAT().VPCDNS("vpc-0123", aws.Bool(true), aws.Bool(false)), want: finding.Pass},
		{name: "custom DNS servers: warning", b: netNAT().DHCP("dopt-0abc", "vpc-0123", "10.0.0.2", "10.0.0.3"), want: finding.Pass, in: "custom DNS servers"},
		{name: "both on", b: netEndpoints(), want: finding.Pass},
		{name: "attributes unread", b: netNAT().VPCDNS("vpc-0123", nil, nil).Gap("ec2:DescribeVpcAttribute", "UnauthorizedOperation", ""), want: finding.Unknown},
		{name: "no task definition", b: netNoTaskDef(), want: finding.Unknown},
		{name: "nothing to reach", b: netNAT().Fn(func(b *snaptest.Snap) { b.S.TaskDefinition.ContainerDefinitions = nil }), want: finding.NotApplicable},
	})
}
