package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/netpath"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ECREndpointsComplete reports which VPC endpoints are missing, unavailable or in the wrong
// AZ when the task depends on them (AWS: Fargate 1.4+ needs ecr.api, ecr.dkr and the S3 gateway).
type ECREndpointsComplete struct{}

// Meta implements Check.
func (ECREndpointsComplete) Meta() Meta {
	return Meta{
		ID: "ecr-endpoints-complete", Cause: cause.VPCEndpointConfig, Severity: finding.Error,
		Title:       "Without an internet path, VPC endpoints cover everything the task needs",
		TitleJA:     "インターネットへの経路がない場合に、必要な VPC エンドポイントがすべて揃っている",
		Description: "When the subnet has no working internet path, a private ECR pull needs all three of com.amazonaws.REGION.ecr.api, com.amazonaws.REGION.ecr.dkr (interface endpoints; cn.com.amazonaws.* for ECR in China regions) and the S3 gateway endpoint for the layer bucket prod-REGION-starport-layer-bucket (Fargate platform 1.4+), plus logs, secretsmanager or ssm endpoints for awslogs and secrets. Also checks that the endpoints used are available and have a network interface in the task's AZ (another AZ only: a warning, it works across AZs). Not applicable when every destination is reached over a NAT or internet gateway without endpoints. Cause network-no-route when the VPC has no interface endpoints at all.",
		Needs:       []string{"ec2:DescribeVpcEndpoints", "ec2:DescribeRouteTables", "ec2:DescribeSubnets"},
	}
}

// The check's Meta and netLayer are fixed: built once rather than on every run.
var (
	ecrEndpointsCompleteMeta  = ECREndpointsComplete{}.Meta()
	ecrEndpointsCompleteLayer = netLayer{
		dependsOnInternet: true,
		layers:            []netpath.Layer{netpath.LayerEndpoint, netpath.LayerS3Gateway},
		want:              endpointDest,
		naEN:              "no VPC endpoint is involved: every AWS service the task needs is reached over a NAT or internet gateway",
		naJA:              "VPC エンドポイントは関係しません。タスクが必要とする AWS サービスにはすべて NAT またはインターネットゲートウェイ経由で到達します",
		noNeedEN:          "the task needs no AWS service an endpoint could serve (no private ECR image in this region, no secrets, no awslogs)",
		noNeedJA:          "エンドポイントで扱える AWS サービス（このリージョンのプライベート ECR イメージ・シークレット・awslogs）をタスクが使いません",
	}
)

// Run implements Check.
func (c ECREndpointsComplete) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (ECREndpointsComplete) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	return appendNetLayer(dst, &ecrEndpointsCompleteMeta, s, &ecrEndpointsCompleteLayer)
}
