package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/netpath"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// S3GatewayEndpoint catches the gap AWS runbooks skip: ecr.api and ecr.dkr endpoints without
// S3 for the layers.
type S3GatewayEndpoint struct{}

// Meta implements Check.
func (S3GatewayEndpoint) Meta() Meta {
	return Meta{
		ID: "s3-gateway-endpoint", Cause: cause.S3LayerAccess, Severity: finding.Error,
		Title:       "ECR layers can be fetched from S3 (gateway endpoint on the subnet's route table)",
		TitleJA:     "ECR のレイヤーを S3 から取得できる（サブネットのルートテーブルに S3 ゲートウェイエンドポイント）",
		Description: "ECR serves image layers from the S3 bucket prod-REGION-starport-layer-bucket. Without an internet path the S3 gateway endpoint (com.amazonaws.REGION.s3, type Gateway) must be associated with the route table the task's subnet actually uses (explicit association, else main): an endpoint on another route table does not help. Not applicable when layers go over a NAT or internet gateway.",
		Needs:       []string{"ec2:DescribeVpcEndpoints", "ec2:DescribeRouteTables"},
	}
}

// The check's Meta and netLayer are fixed: built once rather than on every run.
var (
	s3GatewayEndpointMeta  = S3GatewayEndpoint{}.Meta()
	s3GatewayEndpointLayer = netLayer{
		dependsOnInternet: true,
		layers:            []netpath.Layer{netpath.LayerS3Gateway},
		want:              func(d *netpath.Destination) bool { return d.Service == netpath.S3 },
		naEN:              "no S3 gateway endpoint on the subnet's route table; layers are fetched over a NAT or internet gateway",
		naJA:              "サブネットのルートテーブルに S3 ゲートウェイエンドポイントはなく、レイヤーは NAT またはインターネットゲートウェイ経由で取得されます",
		noNeedEN:          "no private ECR image in this region", noNeedJA: "このリージョンのプライベート ECR イメージはありません",
	}
)

// Run implements Check.
func (c S3GatewayEndpoint) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (S3GatewayEndpoint) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	return appendNetLayer(dst, &s3GatewayEndpointMeta, s, &s3GatewayEndpointLayer)
}
