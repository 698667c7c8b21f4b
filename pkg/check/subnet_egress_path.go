package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/netpath"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// SubnetEgressPath catches seed cause 3: a private subnet with neither a NAT gateway nor VPC
// endpoints. It reports the route layer of every destination the task needs and shows the
// path netpath found (or where it ends).
type SubnetEgressPath struct{}

// Meta implements Check.
func (SubnetEgressPath) Meta() Meta {
	return Meta{
		ID: "subnet-egress-path", Cause: cause.NetworkNoRoute, Severity: finding.Error,
		Title:       "The task's subnet has a route out for everything the pull needs",
		TitleJA:     "タスクのサブネットに、pull に必要なすべての接続先への経路がある",
		Description: "Follows the route table of the subnet that pulls the image (the task ENI's on Fargate, the container instance's on EC2): the explicit subnet association, else the VPC's main table; longest-prefix match including prefix-list routes; blackhole routes; an internet gateway (with a public IP: on EC2 the instance's) or a NAT gateway; transit gateway, peering and appliance routes are reported as leaving the model (unknown). Destinations served by an interface endpoint with private DNS, or the S3 gateway endpoint, need no route out. The finding's path shows the hops, e.g. subnet-1 → rtb-2 (0.0.0.0/0 → nat-3, available) → nat-3 in subnet-4 → rtb-5 (0.0.0.0/0 → igw-6).",
		Needs:       []string{"ecs:DescribeTasks", "ec2:DescribeSubnets", "ec2:DescribeRouteTables", "ec2:DescribeInternetGateways", "ec2:DescribeNatGateways", "ec2:DescribeVpcEndpoints", "ec2:DescribeInstances"},
	}
}

// The check's Meta and netLayers are fixed: built once rather than on every run. On EC2 a
// missing public IP on the instance is a routing problem of the host; on Fargate
// fargate-public-ip reports it.
var (
	subnetEgressPathMeta       = SubnetEgressPath{}.Meta()
	subnetEgressPathLayer      = subnetEgressLayer(netpath.LayerRoute)
	subnetEgressPathLayerOnEC2 = subnetEgressLayer(netpath.LayerRoute, netpath.LayerPublicIP)
)

func subnetEgressLayer(layers ...netpath.Layer) netLayer {
	return netLayer{
		layers:    layers,
		noHitPass: true,
		naEN:      "every destination is served by VPC endpoints; no route out is needed",
		naJA:      "すべての接続先に VPC エンドポイントで到達でき、外向きの経路は不要です",
		noNeedEN:  "the task definition names no image or service to reach", noNeedJA: "タスク定義に到達すべきイメージやサービスがありません",
	}
}

// Run implements Check.
func (c SubnetEgressPath) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (SubnetEgressPath) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	if !s.IsFargate() {
		return appendNetLayer(dst, &subnetEgressPathMeta, s, &subnetEgressPathLayerOnEC2)
	}
	return appendNetLayer(dst, &subnetEgressPathMeta, s, &subnetEgressPathLayer)
}
