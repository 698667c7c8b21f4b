package check

import (
	"path/filepath"
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

// networkChecks are the checks built on pkg/netpath.
func networkChecks() []Check {
	return []Check{FargatePublicIP{}, SubnetEgressPath{}, NATGatewayHealth{}, ECREndpointsComplete{}, EndpointPrivateDNS{},
		VPCDNSAttributes{}, EndpointSecurityGroup{}, EndpointPolicy{}, S3GatewayEndpoint{}, TaskSGEgress{}, NACLEgress{}}
}

// BenchmarkNetworkChecks is one task's network checks on the issue-5 VPC (200 subnets, 50
// route tables of 100 routes, 30 endpoints, 100 security groups). A fresh snapshot per
// iteration would measure JSON decoding; instead each iteration diagnoses a new snapshot
// value (a shallow copy), so the eleven checks share one analyzer built from scratch.
func BenchmarkNetworkChecks(b *testing.B) {
	base := snaptest.LargeVPC().Build()
	for _, c := range networkChecks() {
		if f := c.Run(base)[0]; f.Status == finding.Fail || f.Status == finding.Unknown {
			b.Fatalf("%s: %s %s", f.Check, f.Status, f.Message)
		}
	}
	b.ReportAllocs()
	checks := networkChecks()
	for b.Loop() {
		s := *base
		DiagnoseWith(&s, checks)
	}
}

// BenchmarkDiagnoseNetwork is the network checks' share of BenchmarkDiagnose: the eleven
// checks in one diagnosis of each bundled example, sharing one analyzer.
func BenchmarkDiagnoseNetwork(b *testing.B) {
	snaps := loadSnapshots(b, filepath.Join("..", "..", "examples", "*.json"))
	checks := networkChecks()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		DiagnoseWith(fresh(snaps[i%len(snaps)]), checks)
	}
}
