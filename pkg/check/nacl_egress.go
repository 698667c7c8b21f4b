package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/netpath"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// NACLEgress walks network ACL rules in order in both directions.
type NACLEgress struct{}

// Meta implements Check.
func (NACLEgress) Meta() Meta {
	return Meta{
		ID: "nacl-egress", Cause: cause.NetworkNoRoute, Severity: finding.Error,
		Title:       "Network ACLs allow HTTPS out and the replies back",
		TitleJA:     "ネットワーク ACL が HTTPS の送信と戻り通信を許可している",
		Description: "Network ACLs are stateless and evaluated in rule-number order, first match wins. For each destination the subnet's ACL (explicit association, else the VPC default) must allow TCP 443 out and the replies in on the ephemeral ports (Linux 32768-60999; AWS recommends 1024-65535); for an interface endpoint in another subnet, that subnet's ACL must allow 443 in and the replies out. A deny numbered before an allow wins.",
		Needs:       []string{"ec2:DescribeNetworkAcls"},
	}
}

// The check's Meta and netLayer are fixed: built once rather than on every run.
var (
	naclEgressMeta  = NACLEgress{}.Meta()
	naclEgressLayer = netLayer{
		layers:   []netpath.Layer{netpath.LayerNACL},
		naEN:     "no path got as far as the network ACLs",
		naJA:     "ネットワーク ACL まで到達する経路がありません",
		noNeedEN: "the task definition names no image or service to reach", noNeedJA: "タスク定義に到達すべきイメージやサービスがありません",
	}
)

// Run implements Check.
func (c NACLEgress) Run(s *snapshot.Snapshot) []finding.Finding { return c.appendFindings(nil, s) }

func (NACLEgress) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	return appendNetLayer(dst, &naclEgressMeta, s, &naclEgressLayer)
}
