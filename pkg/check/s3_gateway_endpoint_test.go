package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestS3GatewayEndpoint(t *testing.T) {
	interfaceOnly := func() *snaptest.Snap {
		return snaptest.PrivateVPC().
			Endpoint("vpce-0api", "vpc-0123", "com.amazonaws.ap-northeast-1.ecr.api", "Interface", true, []string{"subnet-0a1"}, "sg-vpce").
			Endpoint("vpce-0dkr", "vpc-0123", "com.amazonaws.ap-northeast-1.ecr.dkr", "Interface", true, []string{"subnet-0a1"}, "sg-vpce")
	}
	otherRT := snaptest.PrivateVPC().
		RouteTable("rtb-0task", "vpc-0123", false, []string{"subnet-0a1"}, snaptest.Route{Dest: "10.0.0.0/16", Target: "local"}).
		WithECREndpoints("rtb-0main")
	runNetCases(t, S3GatewayEndpoint{}, []netCase{
		{name: "missing", b: interfaceOnly(), want: finding.Fail, cause: cause.S3LayerAccess,
			in: "aws ec2 create-vpc-endpoint --vpc-id vpc-0123 --service-name com.amazonaws.ap-northeast-1.s3 --vpc-endpoint-type Gateway --route-table-ids rtb-0main"},
		{name: "on another route table", b: otherRT, want: finding.Fail, cause: cause.S3LayerAccess,
			in: "aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0s3 --add-route-table-ids rtb-0task"},
		{name: "associated", b: netEndpoints(), want: finding.Pass, in: "pl-61a54008 → vpce-0s3"},
		{name: "NAT", b: netNAT(), want: finding.NotApplicable},
		{name: "docker hub only", b: netDockerHub(), want: finding.NotApplicable},
		{name: "route tables unreadable", b: interfaceOnly().Fn(func(b *snaptest.Snap) { b.S.Network.RouteTables = nil }).
			Gap("ec2:DescribeRouteTables", "UnauthorizedOperation", ""), want: finding.Unknown},
	})
}
