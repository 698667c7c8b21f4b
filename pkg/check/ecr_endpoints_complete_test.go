package check

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestECREndpointsComplete(t *testing.T) {
	dkrOnly := func() *snaptest.Snap {
		return snaptest.PrivateVPC().Endpoint("vpce-0dkr", "vpc-0123", "com.amazonaws.ap-northeast-1.ecr.dkr", "Interface", true, []string{"subnet-0a1"}, "sg-vpce")
	}
	otherAZ := func() *snaptest.Snap {
		return netEndpoints().Fn(func(b *snaptest.Snap) {
			for i := range b.S.Network.VpcEndpoints {
				if b.S.Network.VpcEndpoints[i].VpcEndpointType == "Interface" {
					b.S.Network.VpcEndpoints[i].SubnetIds = []string{"subnet-0c1"}
				}
			}
		})
	}
	runNetCases(t, ECREndpointsComplete{}, []netCase{
		{name: "no endpoints, no NAT", b: netPrivate(), want: finding.Fail, cause: cause.NetworkNoRoute,
			in: "aws ec2 create-vpc-endpoint --vpc-id vpc-0123 --service-name com.amazonaws.ap-northeast-1.ecr.dkr --vpc-endpoint-type Interface --subnet-ids subnet-0a1"},
		{name: "dkr only: api and s3 missing", b: dkrOnly(), want: finding.Fail, cause: cause.VPCEndpointConfig,
			in: "--service-name com.amazonaws.ap-northeast-1.s3 --vpc-endpoint-type Gateway --route-table-ids rtb-0main"},
		{name: "complete", b: netEndpoints(), want: finding.Pass},
		{name: "endpoints in another AZ only", b: otherAZ(), want: finding.Pass, in: "no network interface in the task's AZ ap-northeast-1a"},
		{name: "endpoint pending", b: netEndpoints().EndpointState("vpce-0dkr", "pendingAcceptance"), want: finding.Fail, in: "pendingAcceptance"},
		{name: "NAT, no endpoints", b: netNAT(), want: finding.NotApplicable},
		{name: "docker hub only", b: netDockerHub(), want: finding.NotApplicable},
		{name: "endpoint subnet unread", b: otherAZ().Fn(func(b *snaptest.Snap) { b.S.Network.Subnets = b.S.Network.Subnets[:1] }).
			Gap("ec2:DescribeSubnets", "AccessDenied", "subnet-0c1"), want: finding.Unknown},
		{name: "china naming", b: snaptest.PrivateVPC().Fn(func(b *snaptest.Snap) {
			b.S.Region = "cn-north-1"
			b.S.TaskDefinition.ContainerDefinitions[0].Image = aws.String("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/my-app:v1")
		}), want: finding.Fail,
			in: "cn.com.amazonaws.cn-north-1.ecr.api"},
	})
}
