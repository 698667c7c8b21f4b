package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/netpath"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// EndpointPrivateDNS checks that endpoints the task needs actually capture the service names.
type EndpointPrivateDNS struct{}

// Meta implements Check.
func (EndpointPrivateDNS) Meta() Meta {
	return Meta{
		ID: "endpoint-private-dns", Cause: cause.VPCEndpointConfig, Severity: finding.Error,
		Title:       "Interface endpoints the task relies on have private DNS enabled",
		TitleJA:     "タスクが利用するインターフェイスエンドポイントのプライベート DNS が有効",
		Description: "An interface endpoint only receives the traffic for the service's public name (api.ecr.REGION.amazonaws.com, ACCOUNT.dkr.ecr.REGION.amazonaws.com, logs..., secretsmanager...) when private DNS is enabled on it. Without private DNS the name resolves to public addresses and the traffic needs a NAT or internet gateway: a failure when there is none, a warning (unused endpoint) when there is. With private DNS on, the endpoint takes the traffic even when a NAT exists, so a broken endpoint breaks the pull.",
		Needs:       []string{"ec2:DescribeVpcEndpoints"},
	}
}

// The check's Meta and netLayer are fixed: built once rather than on every run.
var (
	endpointPrivateDNSMeta  = EndpointPrivateDNS{}.Meta()
	endpointPrivateDNSLayer = netLayer{
		routeIndependent: true,
		layers:           []netpath.Layer{netpath.LayerPrivateDNS},
		want:             func(d *netpath.Destination) bool { return d.Service.Interface() },
		naEN:             "the VPC has no interface endpoint for the services the task uses",
		naJA:             "タスクが使うサービスのインターフェイスエンドポイントが VPC にありません",
		noNeedEN:         "the task uses no service an interface endpoint could serve", noNeedJA: "インターフェイスエンドポイントで扱えるサービスをタスクが使いません",
	}
)

// Run implements Check.
func (c EndpointPrivateDNS) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (EndpointPrivateDNS) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	return appendNetLayer(dst, &endpointPrivateDNSMeta, s, &endpointPrivateDNSLayer)
}
