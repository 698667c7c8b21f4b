package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestFargatePublicIP(t *testing.T) {
	const vpc, subnet, sg = "vpc-0a1b2c3d", "subnet-0pub1111", "sg-0task1111"
	const ecrTimeout = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/my-app:v1: failed to do request: Head "https://123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/v2/my-app/manifests/v1": dial tcp 3.112.64.21:443: i/o timeout`
	base := func(publicIP string) *snaptest.Snap {
		return snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: snaptest.ECRImage}).
			ENI("eni-0abc", subnet, publicIP, sg).
			VPC(vpc, "10.0.0.0/16").Subnet(subnet, vpc, "ap-northeast-1a", "10.0.1.0/24")
	}
	public := func(b *snaptest.Snap) *snaptest.Snap {
		return b.RouteTable("rtb-0public", vpc, false, []string{subnet},
			snaptest.Route{Dest: "10.0.0.0/16", Target: "local"}, snaptest.Route{Dest: "0.0.0.0/0", Target: "igw-0abc"}).
			RouteTable("rtb-0main", vpc, true, nil, snaptest.Route{Dest: "10.0.0.0/16", Target: "local"})
	}
	// open adds a security group and a NACL that let everything out, so that only the public
	// IP is left undecided on the path.
	open := func(b *snaptest.Snap) *snaptest.Snap {
		return b.SG(sg, vpc, snaptest.AllTraffic(), nil).NACL("acl-0abc", vpc, true, []string{subnet},
			snaptest.NACLRule{Num: 100, Egress: true, Allow: true, Proto: "-1", CIDR: "0.0.0.0/0"},
			snaptest.NACLRule{Num: 100, Allow: true, Proto: "-1", CIDR: "0.0.0.0/0"})
	}
	tests := []struct {
		name string
		b    *snaptest.Snap
		want finding.Status
	}{
		{"public subnet, no public IP", public(base("")).Service("web", []string{subnet}, []string{sg}, false), finding.Fail},
		{"public subnet, assignPublicIp ENABLED", public(base("")).Service("web", []string{subnet}, []string{sg}, true), finding.Pass},
		{"public subnet, ENI had a public IP", public(base("203.0.113.10")), finding.Pass},
		{"public subnet, ENI gone and no service config", public(base("")).Fn(func(b *snaptest.Snap) { b.S.Network.NetworkInterfaces = nil }), finding.Unknown},
		// A standalone (run-task) task whose ENI Fargate deleted: the pull's network timeout
		// and an IGW-only path leave the missing public IP as the explanation.
		{"public subnet, ENI gone, pull timed out", open(public(base(""))).Fn(func(b *snaptest.Snap) { b.S.Network.NetworkInterfaces = nil; b.S.StoppedReason = ecrTimeout }), finding.Fail},
		{"public subnet, ENI gone, the image was missing", public(base("")).Fn(func(b *snaptest.Snap) {
			b.S.Network.NetworkInterfaces = nil
			b.S.StoppedReason = "CannotPullContainerError: Error response from daemon: manifest for 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/my-app:v1 not found: manifest unknown: manifest unknown"
		}), finding.Unknown},
		{"public subnet, ENI gone, pull timed out, NACL unreadable", public(base("")).SG(sg, vpc, snaptest.AllTraffic(), nil).Gap("ec2:DescribeNetworkAcls", "UnauthorizedOperation", "").
			Fn(func(b *snaptest.Snap) { b.S.Network.NetworkInterfaces = nil; b.S.StoppedReason = ecrTimeout }), finding.Unknown},
		{"public subnet without IP but full ECR endpoints", public(base("")).Service("web", []string{subnet}, []string{sg}, false).
			Endpoint("vpce-api", vpc, "com.amazonaws.ap-northeast-1.ecr.api", "Interface", true, []string{subnet}, sg).
			Endpoint("vpce-dkr", vpc, "com.amazonaws.ap-northeast-1.ecr.dkr", "Interface", true, []string{subnet}, sg).
			Endpoint("vpce-s3", vpc, "com.amazonaws.ap-northeast-1.s3", "Gateway", false, []string{"rtb-0public"}), finding.Pass},
		{"main table routes to NAT (no explicit association)", base("").
			RouteTable("rtb-0main", vpc, true, nil, snaptest.Route{Dest: "0.0.0.0/0", Target: "nat-0abc"}), finding.NotApplicable},
		{"explicit association overrides a public main table", base("").
			RouteTable("rtb-0main", vpc, true, nil, snaptest.Route{Dest: "0.0.0.0/0", Target: "igw-0abc"}).
			RouteTable("rtb-0private", vpc, false, []string{subnet}, snaptest.Route{Dest: "0.0.0.0/0", Target: "nat-0abc"}), finding.NotApplicable},
		{"route tables unreadable", base("").Gap("ec2:DescribeRouteTables", "UnauthorizedOperation", ""), finding.Unknown},
		{"subnet missing", snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: snaptest.ECRImage}).ENI("eni-0abc", subnet, "", sg), finding.Unknown},
		{"EC2 task", snaptest.New().EC2(snaptest.ExecRole, "bridge", snaptest.Container{Image: snaptest.ECRImage}), finding.NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := runOne(t, FargatePublicIP{}, tt.b.Build())
			if len(fs) != 1 || fs[0].Status != tt.want {
				t.Fatalf("got %v, want %s: %s", statuses(fs), tt.want, fs[0].Message)
			}
			if fs[0].Status == finding.Fail && fs[0].Remediation.Commands[0] == "" {
				t.Fatal("no command in remediation")
			}
		})
	}
}
