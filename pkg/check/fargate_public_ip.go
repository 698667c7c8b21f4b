package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/netpath"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// FargatePublicIP catches seed cause 6: a Fargate task in a public subnet (default route to
// an internet gateway) without assignPublicIp=ENABLED has no address to reach the internet
// with, so the pull times out, unless VPC endpoints serve every registry it needs.
type FargatePublicIP struct{}

// Meta implements Check.
func (FargatePublicIP) Meta() Meta {
	return Meta{
		ID: "fargate-public-ip", Cause: cause.PublicIPMissing, Severity: finding.Error,
		Title:       "A Fargate task in a public subnet gets a public IP",
		TitleJA:     "パブリックサブネットの Fargate タスクにパブリック IP が割り当てられている",
		Description: "For Fargate tasks: follows the path of every destination the task needs (pkg/netpath): the task subnet's route table (explicit association, else the VPC's main table), longest-prefix match. When a destination's traffic goes to an internet gateway, the task needs `assignPublicIp=ENABLED` (a public IP on its ENI); a NAT gateway route, or VPC endpoints that serve the destination (interface endpoints with private DNS, the S3 gateway endpoint), make the public IP unnecessary.",
		Needs:       []string{"ecs:DescribeTasks", "ec2:DescribeSubnets", "ec2:DescribeRouteTables", "ec2:DescribeNetworkInterfaces"},
	}
}

// The check's Meta and netLayer are fixed: built once rather than on every run.
var (
	fargatePublicIPMeta  = FargatePublicIP{}.Meta()
	fargatePublicIPLayer = netLayer{
		layers:   []netpath.Layer{netpath.LayerPublicIP},
		naEN:     "no destination goes through an internet gateway (the subnet routes through a NAT gateway or VPC endpoints): no public IP needed",
		naJA:     "インターネットゲートウェイを通る接続先はありません（サブネットは NAT ゲートウェイまたは VPC エンドポイント経由）。パブリック IP は不要です",
		noNeedEN: "the task definition names no image or service to reach", noNeedJA: "タスク定義に到達すべきイメージやサービスがありません",
	}
)

// Run implements Check. The path comes from netpath: the public-IP layer is on a
// destination's path only when its traffic actually goes to an internet gateway (not through
// a NAT gateway, and not to an interface or gateway endpoint that private DNS or a prefix-list
// route sends it to).
func (c FargatePublicIP) Run(s *snapshot.Snapshot) []finding.Finding { return c.appendFindings(nil, s) }

func (FargatePublicIP) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := &fargatePublicIPMeta
	if !s.IsFargate() {
		return append(dst, newFinding(*m, finding.NotApplicable, "not a Fargate task", "Fargate タスクではありません"))
	}
	n := len(dst)
	dst = appendNetLayer(dst, m, s, &fargatePublicIPLayer)
	if dst[n].Status != finding.NotApplicable {
		return dst
	}
	// A public subnet whose every destination is served by endpoints needs no public IP:
	// say so as a pass, so the reader sees that it was looked at. Most subnets are not
	// public: only then is the internet path worth a Result of its own.
	a := netAnalyzer(s)
	if a.InternetVia() != netpath.ViaInternetGateway {
		return dst
	}
	r := a.Reach(netpath.Destination{Service: netpath.Internet, Host: "the internet"})
	f := newFinding(*m, finding.Pass,
		"public subnet "+a.SubnetID()+" and the task has no public IP, but VPC endpoints serve every destination the task needs",
		"パブリックサブネット "+a.SubnetID()+" でタスクにパブリック IP はありませんが、必要な接続先はすべて VPC エンドポイントで到達できます")
	f.Path = r.Path()
	if st := r.Step(netpath.LayerRoute); st != nil {
		f.Evidence = st.Evidence
	}
	dst[n] = f
	return dst
}
