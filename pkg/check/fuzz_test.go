package check

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// FuzzDiagnose feeds mutated snapshots (seeded with every example and scenario) through
// every check: a snapshot that parses must never make a check panic, and every check must
// still say something about it.
func FuzzDiagnose(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.json"))
	more, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "scenarios", "*", "snapshot.json"))
	for _, p := range append(seeds, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := snapshot.Unmarshal(data)
		if err != nil {
			return
		}
		r := Diagnose(s)
		seen := map[string]bool{}
		for _, fd := range r.Findings {
			seen[fd.Check] = true
			if fd.Status != finding.Fail && fd.Status != finding.Pass && fd.Status != finding.Unknown && fd.Status != finding.NotApplicable {
				t.Fatalf("%s: status %q", fd.Check, fd.Status)
			}
		}
		for _, c := range All() {
			if !seen[c.Meta().ID] {
				t.Fatalf("%s said nothing", c.Meta().ID)
			}
		}
	})
}
