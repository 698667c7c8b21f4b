package check

import (
	"path/filepath"
	"testing"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// BenchmarkDiagnose runs every check over each bundled example (the snapshots are decoded
// once; decoding is I/O-side work). Goal: ≥20,000 snapshots/s on one core.
func BenchmarkDiagnose(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.json"))
	var snaps []*snapshot.Snapshot
	for _, f := range files {
		s, err := snapshot.Load(f)
		if err != nil {
			b.Fatal(err)
		}
		snaps = append(snaps, s)
	}
	if len(snaps) == 0 {
		b.Fatal("no examples")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Diagnose(snaps[i%len(snaps)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "snapshots/s")
}

// BenchmarkLoadAndDiagnose includes decoding the snapshot file's JSON, as
// `diagnose --snapshot` does.
func BenchmarkLoadAndDiagnose(b *testing.B) {
	path := filepath.Join("..", "..", "examples", "private-subnet-no-nat.json")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s, err := snapshot.Load(path)
		if err != nil {
			b.Fatal(err)
		}
		Diagnose(s)
	}
}

// BenchmarkDiagnoseScenarios runs every check over each scenario snapshot (39 of them, from
// healthy to several failures at once): a wider mix than the six failure-heavy examples.
func BenchmarkDiagnoseScenarios(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "scenarios", "*", "snapshot.json"))
	var snaps []*snapshot.Snapshot
	for _, f := range files {
		s, err := snapshot.Load(f)
		if err != nil {
			b.Fatal(err)
		}
		snaps = append(snaps, s)
	}
	if len(snaps) == 0 {
		b.Fatal("no scenarios")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Diagnose(snaps[i%len(snaps)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "snapshots/s")
}
