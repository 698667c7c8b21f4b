package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/netpath"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// EndpointSecurityGroup catches the endpoint whose security group only allows the VPC default
// group or another CIDR, a common cause of timeouts that look like missing routes.
type EndpointSecurityGroup struct{}

// Meta implements Check.
func (EndpointSecurityGroup) Meta() Meta {
	return Meta{
		ID: "endpoint-security-group", Cause: cause.VPCEndpointConfig, Severity: finding.Error,
		Title:       "Endpoint security groups allow HTTPS from the task",
		TitleJA:     "エンドポイントのセキュリティグループがタスクからの HTTPS を許可している",
		Description: "For each interface endpoint the task's traffic goes to (private DNS on), the endpoint's security groups must allow inbound TCP 443 from the task: a rule referencing one of the task's security groups (on EC2, the container instance's), or a CIDR or prefix list containing the task's private IP.",
		Needs:       []string{"ec2:DescribeVpcEndpoints", "ec2:DescribeSecurityGroups"},
	}
}

// The check's Meta and netLayer are fixed: built once rather than on every run.
var (
	endpointSecurityGroupMeta  = EndpointSecurityGroup{}.Meta()
	endpointSecurityGroupLayer = netLayer{
		routeIndependent: true,
		layers:           []netpath.Layer{netpath.LayerEndpointSG},
		want:             func(d *netpath.Destination) bool { return d.Service.Interface() },
		naEN:             "no interface endpoint receives the task's traffic",
		naJA:             "タスクの通信を受けるインターフェイスエンドポイントはありません",
		noNeedEN:         "the task uses no service an interface endpoint could serve", noNeedJA: "インターフェイスエンドポイントで扱えるサービスをタスクが使いません",
	}
)

// Run implements Check.
func (c EndpointSecurityGroup) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (EndpointSecurityGroup) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	return appendNetLayer(dst, &endpointSecurityGroupMeta, s, &endpointSecurityGroupLayer)
}
