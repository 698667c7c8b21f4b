package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestTaskSGEgress(t *testing.T) {
	runNetCases(t, TaskSGEgress{}, []netCase{
		{name: "egress to the VPC CIDR only: endpoints work, S3 does not", b: egress(netEndpoints(), "sg-task", snaptest.TCP(443, 443, "10.0.0.0/16")),
			want: finding.Fail, cause: cause.S3LayerAccess, in: "PrefixListIds=[{PrefixListId=pl-61a54008}]"},
		{name: "no egress at all through NAT", b: egress(netNAT(), "sg-task"), want: finding.Fail, cause: cause.NetworkNoRoute, in: "CidrIp=0.0.0.0/0"},
		{name: "egress to the VPC CIDR plus the S3 prefix list", b: egress(netEndpoints(), "sg-task", snaptest.TCP(443, 443, "10.0.0.0/16"),
			snaptest.TCPToPrefixList(443, 443, snaptest.S3PrefixList)), want: finding.Pass},
		{name: "egress to the endpoint SG and S3 prefix list", b: egress(netEndpoints(), "sg-task", snaptest.TCPFromSG(443, 443, "sg-vpce"),
			snaptest.TCPToPrefixList(443, 443, snaptest.S3PrefixList)), want: finding.Pass},
		{name: "default all traffic", b: netNAT(), want: finding.Pass},
		{name: "egress to an unread prefix list", b: egress(netNAT(), "sg-task", snaptest.TCPToPrefixList(443, 443, "pl-0corp")), want: finding.Unknown},
		{name: "task SG unread", b: netNAT().Fn(func(b *snaptest.Snap) { b.S.Network.SecurityGroups = nil }).
			Gap("ec2:DescribeSecurityGroups", "AccessDenied", ""), want: finding.Unknown},
		{name: "nothing to reach", b: netNAT().Fn(func(b *snaptest.Snap) { b.S.TaskDefinition.ContainerDefinitions = nil }), want: finding.NotApplicable},
		{name: "no route, so no SG on any path", b: netPrivate(), want: finding.NotApplicable},
	})
}
