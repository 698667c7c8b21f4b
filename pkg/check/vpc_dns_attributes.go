package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/netpath"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// VPCDNSAttributes checks the VPC settings every name lookup depends on. Its cause is
// dns-resolution when the VPC resolver is off, vpc-endpoint-config when only endpoint private
// DNS is defeated.
type VPCDNSAttributes struct{}

// Meta implements Check.
func (VPCDNSAttributes) Meta() Meta {
	return Meta{
		ID: "vpc-dns-attributes", Cause: cause.VPCEndpointConfig, Severity: finding.Error,
		Title:       "The VPC resolves names (enableDnsSupport, enableDnsHostnames, DHCP options)",
		TitleJA:     "VPC で名前解決ができる（enableDnsSupport・enableDnsHostnames・DHCP オプション）",
		Description: "Reads the VPC's enableDnsSupport and enableDnsHostnames attributes and its DHCP options. enableDnsSupport=false with the Amazon-provided DNS means no name resolves at all: cause dns-resolution, whatever the path. When private-DNS endpoints exist, either attribute off makes their private DNS ineffective, so the service names resolve to public addresses: cause vpc-endpoint-config (a failure when there is no internet path, a warning otherwise). Custom domain-name-servers in the DHCP options are a warning: they must forward AWS names to the VPC resolver for endpoint private DNS to work.",
		Needs:       []string{"ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeDhcpOptions"},
	}
}

// The check's Meta and netLayer are fixed: built once rather than on every run.
var (
	vpcDNSAttributesMeta  = VPCDNSAttributes{}.Meta()
	vpcDNSAttributesLayer = netLayer{
		layers:   []netpath.Layer{netpath.LayerDNS},
		naEN:     "no name resolution involved",
		naJA:     "名前解決は関係しません",
		noNeedEN: "the task definition names no image or service to reach", noNeedJA: "タスク定義に到達すべきイメージやサービスがありません",
	}
)

// Run implements Check.
func (c VPCDNSAttributes) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (VPCDNSAttributes) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	return appendNetLayer(dst, &vpcDNSAttributesMeta, s, &vpcDNSAttributesLayer)
}
