package netpath

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
)

// BenchmarkAnalyze is one task's network analysis on the issue-5 VPC (200 subnets, 50 route
// tables of 100 routes, 30 endpoints, 100 security groups): index the snapshot and follow
// the path of every destination the task needs.
func BenchmarkAnalyze(b *testing.B) {
	s := snaptest.LargeVPC().Build()
	ds := Needed(s)
	if len(ds) < 5 {
		b.Fatalf("destinations: %v", ds)
	}
	r := New(s).ReachAll(ds)
	for _, x := range r {
		if x.Status != OK {
			b.Fatalf("%s: %s %s", x.Dest.Name(), x.Status, x.Path())
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		New(s).ReachAll(ds)
	}
}

// BenchmarkReachCached is the per-check cost once the analyzer exists (a diagnosis shares
// one between its checks).
func BenchmarkReachCached(b *testing.B) {
	s := snaptest.LargeVPC().Build()
	ds := Needed(s)
	a := New(s)
	b.ReportAllocs()
	for b.Loop() {
		a.ReachAll(ds)
	}
}
