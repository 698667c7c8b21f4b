package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/netpath"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// NATGatewayHealth catches the NAT gateway that exists but cannot reach the internet.
type NATGatewayHealth struct{}

// Meta implements Check.
func (NATGatewayHealth) Meta() Meta {
	return Meta{
		ID: "nat-gateway-health", Cause: cause.NetworkNoRoute, Severity: finding.Error,
		Title:       "The NAT gateway on the path is available and in a public subnet",
		TitleJA:     "経路上の NAT ゲートウェイが available で、パブリックサブネットにある",
		Description: "When the subnet's default route goes to a NAT gateway: the NAT gateway must exist with state available, be a public NAT gateway, and sit in a subnet whose own route table sends 0.0.0.0/0 to an internet gateway. A NAT gateway created in a private subnet, or one that failed or was deleted (its route then turns into a blackhole), cannot carry the pull.",
		Needs:       []string{"ec2:DescribeNatGateways", "ec2:DescribeRouteTables"},
	}
}

// The check's Meta and netLayer are fixed: built once rather than on every run.
var (
	natGatewayHealthMeta  = NATGatewayHealth{}.Meta()
	natGatewayHealthLayer = netLayer{
		layers:   []netpath.Layer{netpath.LayerNAT},
		naEN:     "no destination is reached through a NAT gateway",
		naJA:     "NAT ゲートウェイ経由で到達する接続先はありません",
		noNeedEN: "the task definition names no image or service to reach", noNeedJA: "タスク定義に到達すべきイメージやサービスがありません",
	}
)

// Run implements Check.
func (c NATGatewayHealth) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (NATGatewayHealth) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	return appendNetLayer(dst, &natGatewayHealthMeta, s, &natGatewayHealthLayer)
}
