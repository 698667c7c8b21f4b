package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestNACLEgress(t *testing.T) {
	withACL := func(b *snaptest.Snap, rules ...snaptest.NACLRule) *snaptest.Snap {
		b.S.Network.NetworkAcls = nil
		return b.OpenNACL("acl-0def", "vpc-0123").NACL("acl-0task", "vpc-0123", false, []string{"subnet-0a1"}, rules...)
	}
	allowAll := []snaptest.NACLRule{
		{Num: 100, Egress: true, Allow: true, Proto: "-1", CIDR: "0.0.0.0/0"},
		{Num: 100, Allow: true, Proto: "-1", CIDR: "0.0.0.0/0"},
	}
	denyFirst := append([]snaptest.NACLRule{{Num: 90, Egress: true, Proto: "6", From: 443, To: 443, CIDR: "0.0.0.0/0"}}, allowAll...)
	allowFirst := append([]snaptest.NACLRule{{Num: 80, Egress: true, Allow: true, Proto: "6", From: 443, To: 443, CIDR: "0.0.0.0/0"}}, denyFirst...)
	runNetCases(t, NACLEgress{}, []netCase{
		{name: "deny numbered before the allow", b: withACL(netNAT(), denyFirst...), want: finding.Fail, cause: cause.NetworkNoRoute,
			in: "aws ec2 create-network-acl-entry --network-acl-id acl-0task --egress --rule-number 89 --protocol tcp --port-range From=443,To=443"},
		{name: "allow numbered before the deny", b: withACL(netNAT(), allowFirst...), want: finding.Pass},
		{name: "no ephemeral return ports", b: withACL(netNAT(),
			snaptest.NACLRule{Num: 100, Egress: true, Allow: true, Proto: "-1", CIDR: "0.0.0.0/0"},
			snaptest.NACLRule{Num: 100, Allow: true, Proto: "6", From: 443, To: 443, CIDR: "0.0.0.0/0"}), want: finding.Fail, in: "--ingress"},
		{name: "egress only to the VPC: endpoints fine, S3 blocked", b: withACL(netEndpoints(),
			snaptest.NACLRule{Num: 100, Egress: true, Allow: true, Proto: "-1", CIDR: "10.0.0.0/16"},
			snaptest.NACLRule{Num: 100, Allow: true, Proto: "-1", CIDR: "0.0.0.0/0"}), want: finding.Fail, in: "S3 (pl-61a54008)"},
		{name: "narrow public CIDR allow: undecided", b: withACL(netNAT(),
			snaptest.NACLRule{Num: 100, Egress: true, Allow: true, Proto: "6", From: 443, To: 443, CIDR: "52.0.0.0/8"},
			snaptest.NACLRule{Num: 100, Allow: true, Proto: "-1", CIDR: "0.0.0.0/0"}), want: finding.Unknown},
		{name: "open default ACL", b: netNAT(), want: finding.Pass},
		{name: "ACLs unread", b: netNAT().Fn(func(b *snaptest.Snap) { b.S.Network.NetworkAcls = nil }).Gap("ec2:DescribeNetworkAcls", "AccessDenied", ""), want: finding.Unknown},
		{name: "no route, so no ACL on any path", b: netPrivate(), want: finding.NotApplicable},
	})
}
