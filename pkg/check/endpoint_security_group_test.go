package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestEndpointSecurityGroup(t *testing.T) {
	runNetCases(t, EndpointSecurityGroup{}, []netCase{
		{name: "no 443 from the task", b: ingress(netEndpoints(), "sg-vpce", snaptest.TCP(443, 443, "10.0.200.0/24")), want: finding.Fail,
			cause: cause.VPCEndpointConfig, in: "aws ec2 authorize-security-group-ingress --group-id sg-vpce --protocol tcp --port 443 --source-group sg-task"},
		{name: "broken endpoint breaks the pull despite a NAT", b: ingress(snaptest.PrivateVPC().WithNAT().WithECREndpoints("rtb-0priv"), "sg-vpce"), want: finding.Fail},
		{name: "443 from the task SG", b: netEndpoints(), want: finding.Pass},
		{name: "443 from the VPC CIDR", b: ingress(netEndpoints(), "sg-vpce", snaptest.TCP(443, 443, "10.0.0.0/16")), want: finding.Pass},
		{name: "endpoint SG unread", b: netEndpoints().Fn(func(b *snaptest.Snap) { b.S.Network.SecurityGroups = b.S.Network.SecurityGroups[:1] }).
			Gap("ec2:DescribeSecurityGroups", "AccessDenied", "sg-vpce"), want: finding.Unknown},
		{name: "no endpoints", b: netNAT(), want: finding.NotApplicable},
		{name: "docker hub only", b: netDockerHub(), want: finding.NotApplicable},
	})
}
