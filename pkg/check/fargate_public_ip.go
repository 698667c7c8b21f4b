package check

import (
	"strconv"
	"strings"

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
		Description: "For Fargate tasks: follows the path of every destination the task needs (pkg/netpath): the task subnet's route table (explicit association, else the VPC's main table), longest-prefix match. When a destination's traffic goes to an internet gateway, the task needs `assignPublicIp=ENABLED` (a public IP on its ENI); a NAT gateway route, or VPC endpoints that serve the destination (interface endpoints with private DNS, the S3 gateway endpoint), make the public IP unnecessary. When the ENI is gone (a stopped task not started by a service, so no service says assignPublicIp either), the check fails only if every destination leaves through the internet gateway, nothing else on those paths blocks, and the stopped reason is a network timeout; otherwise it is unknown.",
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
	if dst[n].Status == finding.Unknown && len(dst) == n+1 {
		if f, ok := inferNoPublicIP(m, s); ok {
			dst[n] = f
		}
		return dst
	}
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

// inferNoPublicIP decides the case the snapshot alone cannot: a stopped task that was not
// started by a service (run-task, a scheduled task) whose network interface Fargate has
// already deleted, so neither the ENI's public IP nor a service's assignPublicIp says
// whether it had one. When every destination leaves through an internet gateway, nothing
// else on those paths blocks (security groups, NACLs), and the stopped reason is a network
// timeout, the missing public IP is the one explanation left; the finding says it is an
// inference and names the evidence.
func inferNoPublicIP(m *Meta, s *snapshot.Snapshot) (finding.Finding, bool) {
	if s.StoppedReason == "" {
		return finding.Finding{}, false
	}
	cl := classify(s.StoppedReason).Classification
	if len(cl) == 0 || cl[0].Confidence < 0.5 || (cl[0].Cause != cause.NetworkNoRoute && cl[0].Cause != cause.PublicIPMissing) {
		return finding.Finding{}, false
	}
	a := netAnalyzer(s)
	if a.Setup() != nil {
		return finding.Finding{}, false
	}
	results := a.Results()
	var igw []*netpath.Result
	sgUnknown := false
	for i := range results {
		r := &results[i]
		st := r.Step(netpath.LayerPublicIP)
		if st == nil || st.Status == netpath.Skipped {
			continue
		}
		if st.Status != netpath.Unknown || r.Via != netpath.ViaInternetGateway {
			return finding.Finding{}, false
		}
		for j := range r.Steps {
			st := &r.Steps[j]
			switch {
			case st.Layer == netpath.LayerPublicIP:
			case st.Status == netpath.Blocked:
				return finding.Finding{}, false
			case st.Status == netpath.Unknown && st.Layer == netpath.LayerSGEgress:
				// The security groups came from the same deleted ENI; a task group that
				// blocks egress is far rarer than a missing public IP, and is said below.
				sgUnknown = true
			case st.Status == netpath.Unknown:
				return finding.Finding{}, false
			}
		}
		igw = append(igw, r)
	}
	if len(igw) == 0 {
		return finding.Finding{}, false
	}
	hosts := make([]string, len(igw))
	for i, r := range igw {
		hosts[i] = r.Dest.Name()
	}
	f := newFinding(*m, finding.Fail,
		a.SubnetID()+" reaches "+strings.Join(hosts, ", ")+" only through an internet gateway and the pull timed out; whether the task had a public IP is not on record (no service says assignPublicIp, and its network interface is gone or shows none), but a task without one (assignPublicIp=DISABLED, the run-task default) is the explanation that fits",
		a.SubnetID()+" から "+strings.Join(hosts, ", ")+" へはインターネットゲートウェイ経由でしか到達できず、pull はタイムアウトしました。タスクにパブリック IP があったかの記録はありません（assignPublicIp を示すサービスがなく、ネットワークインターフェイスも削除済みか IP を示していません）が、パブリック IP なし（assignPublicIp=DISABLED、run-task の既定値）で起動されたと考えるのが整合します")
	if sgUnknown {
		f.Message += " (the task's security groups are not on record either: if the fix does not help, check their egress)"
		f.MessageJA += "（タスクのセキュリティグループも記録がありません。修正で直らない場合はそのアウトバウンドルールを確認してください）"
	}
	f.Path = igw[0].Path()
	if st := igw[0].Step(netpath.LayerRoute); st != nil {
		f.Evidence = append(f.Evidence, st.Evidence...)
	}
	f.Evidence = append(f.Evidence, finding.Evidence{Source: "ecs:DescribeTasks", Ref: s.Target.Task, Key: "stoppedReason", Value: shorten(s.StoppedReason, 300)})
	f.Remediation = publicIPRunTaskFix(s, a.ENI())
	return f, true
}

// publicIPRunTaskFix is the fix for a task started outside a service: run it with a public
// IP (or from private subnets with a NAT gateway or endpoints).
func publicIPRunTaskFix(s *snapshot.Snapshot, eni snapshot.ENIContext) *finding.Remediation {
	cluster := orPlaceholder(s.Target.Cluster, "CLUSTER")
	if i := strings.LastIndexByte(cluster, '/'); i >= 0 {
		cluster = cluster[i+1:]
	}
	td := "FAMILY:REVISION"
	if s.TaskDefinition != nil && s.TaskDefinition.Family != nil {
		td = *s.TaskDefinition.Family + ":" + strconv.Itoa(int(s.TaskDefinition.Revision))
	}
	subnets, sgs := strings.Join(eni.SubnetIDs, ","), strings.Join(eni.SecurityGroupIDs, ",")
	return &finding.Remediation{
		Text:   "Run the task with assignPublicIp=ENABLED (a Fargate task in a subnet routed to an internet gateway needs a public IP), or run it in private subnets routed to a NAT gateway or VPC endpoints.",
		TextJA: "タスクを assignPublicIp=ENABLED で起動してください（インターネットゲートウェイへルーティングされたサブネットの Fargate タスクにはパブリック IP が必要です）。または NAT ゲートウェイや VPC エンドポイントへルーティングされたプライベートサブネットで起動してください。",
		Commands: []string{"aws ecs run-task --cluster " + cluster + " --launch-type FARGATE --task-definition " + td +
			" --network-configuration \"awsvpcConfiguration={subnets=[" + subnets + "],securityGroups=[" + sgs + "],assignPublicIp=ENABLED}\""},
		Terraform: "# aws_scheduler_schedule / aws_cloudwatch_event_target ecs_target:\nnetwork_configuration {\n  subnets          = [\"" + strings.Join(eni.SubnetIDs, "\", \"") + "\"]\n  security_groups  = [\"" + strings.Join(eni.SecurityGroupIDs, "\", \"") + "\"]\n  assign_public_ip = true\n}\n",
		Links:     []string{"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html", "https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html"},
	}
}
