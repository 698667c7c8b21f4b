package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/netpath"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// TaskSGEgress catches egress rules tightened to the VPC CIDR, which break S3 layer downloads
// through the gateway endpoint (S3 addresses are outside the VPC).
type TaskSGEgress struct{}

// Meta implements Check.
func (TaskSGEgress) Meta() Meta {
	return Meta{
		ID: "task-sg-egress", Cause: cause.NetworkNoRoute, Severity: finding.Error,
		Title:       "The task's security groups allow HTTPS out to every destination",
		TitleJA:     "タスクのセキュリティグループがすべての接続先への HTTPS 送信を許可している",
		Description: "Evaluates the egress rules of the task's security groups (on EC2, the container instance's) for TCP 443 to each destination on its actual path: the internet (0.0.0.0/0) through a NAT or internet gateway, the endpoint's network interfaces or security group for interface endpoints, and the S3 managed prefix list (or a CIDR covering it) for the S3 gateway endpoint. Egress restricted to the VPC CIDR lets endpoint traffic through but not S3 layers: cause s3-layer-access when only S3 is blocked.",
		Needs:       []string{"ec2:DescribeSecurityGroups", "ec2:DescribeManagedPrefixLists", "ec2:GetManagedPrefixListEntries"},
	}
}

// The check's Meta and netLayer are fixed: built once rather than on every run.
var (
	taskSGEgressMeta  = TaskSGEgress{}.Meta()
	taskSGEgressLayer = netLayer{
		layers:   []netpath.Layer{netpath.LayerSGEgress},
		naEN:     "no path got as far as the security groups",
		naJA:     "セキュリティグループまで到達する経路がありません",
		noNeedEN: "the task definition names no image or service to reach", noNeedJA: "タスク定義に到達すべきイメージやサービスがありません",
	}
)

// Run implements Check.
func (c TaskSGEgress) Run(s *snapshot.Snapshot) []finding.Finding { return c.appendFindings(nil, s) }

func (TaskSGEgress) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	return appendNetLayer(dst, &taskSGEgressMeta, s, &taskSGEgressLayer)
}
