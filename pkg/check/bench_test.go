package check

import (
	"path/filepath"
	"testing"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// fresh returns a new snapshot with the same contents (a shallow copy: checks only read), so
// each iteration is a diagnosis of a snapshot never seen before: what a diagnosis derives
// (the network model, the role's parsed policy set, the image targets) lives in its session
// and is built again. Only the bounded text-keyed memos of memo.go (classification, image
// parsing, policy parsing) carry over, as they do between the services of a scan.
func fresh(s *snapshot.Snapshot) *snapshot.Snapshot {
	c := *s
	return &c
}

// BenchmarkDiagnose runs every check over each bundled example (the snapshots are decoded
// once; decoding is I/O-side work). Goal: ≥20,000 snapshots/s.
func BenchmarkDiagnose(b *testing.B) {
	snaps := loadSnapshots(b, filepath.Join("..", "..", "examples", "*.json"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Diagnose(fresh(snaps[i%len(snaps)]))
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
	snaps := loadSnapshots(b, filepath.Join("..", "..", "testdata", "scenarios", "*", "snapshot.json"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Diagnose(fresh(snaps[i%len(snaps)]))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "snapshots/s")
}

// BenchmarkDiagnoseParallel is the throughput of diagnoses running side by side on every
// core, as `pulldoctor scan` runs them. Checks share no mutable state across snapshots, so
// this also exercises their per-snapshot caches under concurrency.
func BenchmarkDiagnoseParallel(b *testing.B) {
	snaps := loadSnapshots(b, filepath.Join("..", "..", "examples", "*.json"))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			Diagnose(fresh(snaps[i%len(snaps)]))
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "snapshots/s")
}

// loadSnapshots decodes every snapshot matching pattern, once, before the timer starts.
func loadSnapshots(b *testing.B, pattern string) []*snapshot.Snapshot {
	b.Helper()
	files, _ := filepath.Glob(pattern)
	if len(files) == 0 {
		b.Fatalf("no snapshots match %s", pattern)
	}
	snaps := make([]*snapshot.Snapshot, 0, len(files))
	for _, f := range files {
		s, err := snapshot.Load(f)
		if err != nil {
			b.Fatal(err)
		}
		snaps = append(snaps, s)
	}
	return snaps
}

// BenchmarkEachCheck runs one check at a time over the bundled examples, outside a diagnosis:
// what each check costs on its own, shared derivations (the network model, the parsed
// policies) included, to find where the time of BenchmarkDiagnose goes.
func BenchmarkEachCheck(b *testing.B) {
	snaps := loadSnapshots(b, filepath.Join("..", "..", "examples", "*.json"))
	for _, c := range All() {
		b.Run(c.Meta().ID, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				c.Run(fresh(snaps[i%len(snaps)]))
			}
		})
	}
}
