package check

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// TestScenarios runs every testdata/scenarios/<name>/snapshot.json end to end and compares
// the JSON report with want.json. `go test ./pkg/check -run TestScenarios -update` rewrites
// the golden files; review their diff like code.
func TestScenarios(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "scenarios")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		n++
		dir := filepath.Join(root, d.Name())
		t.Run(d.Name(), func(t *testing.T) {
			s, err := snapshot.Load(filepath.Join(dir, "snapshot.json"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(Diagnose(s), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			wantPath := filepath.Join(dir, "want.json")
			if *update {
				if err := os.WriteFile(wantPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(got)) {
				t.Errorf("report differs from %s; run `go test ./pkg/check -run TestScenarios/%s -update` and review the diff\n%s", wantPath, d.Name(), firstDiff(want, got))
			}
		})
	}
	if n == 0 {
		t.Fatal("no scenarios found")
	}
}

// firstDiff shows the first differing line, enough to see what moved.
func firstDiff(a, b []byte) string {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(al) && i < len(bl); i++ {
		if !bytes.Equal(bytes.TrimSpace(al[i]), bytes.TrimSpace(bl[i])) {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + string(al[i]) + "\n  got:  " + string(bl[i])
		}
	}
	return "lengths differ"
}
