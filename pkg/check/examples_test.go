package check

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// seedExamples maps each bundled example to the cause the seed document describes: the
// verdict must name it first. This is the end-to-end promise of the README.
var seedExamples = map[string]cause.ID{
	"missing-ecr-permissions":  cause.ExecRolePermissions,
	"tag-not-pushed":           cause.ImageNotFound,
	"private-subnet-no-nat":    cause.NetworkNoRoute,
	"cross-account-repository": cause.RepositoryPolicy,
	"dockerhub-rate-limit":     cause.RegistryRateLimit,
	"fargate-no-public-ip":     cause.PublicIPMissing,
}

// TestExamples diagnoses every bundled example, checks the seed cause ranks first, and
// compares the whole report with its golden file in testdata/examples.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	seen := map[string]bool{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			s, err := snapshot.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			r := Diagnose(s)
			if want, ok := seedExamples[name]; ok {
				if len(r.Verdict.Causes) == 0 || r.Verdict.Causes[0] != want {
					t.Errorf("verdict %v, want %s first", r.Verdict.Causes, want)
				}
			}
			got, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("..", "..", "testdata", "examples", name+".want.json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./pkg/check -run TestExamples -update)", err)
			}
			if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(got)) {
				t.Errorf("report differs from %s (run with -update and review the diff)\n%s", golden, firstDiff(want, got))
			}
		})
	}
	for name := range seedExamples {
		if !seen[name] {
			t.Errorf("seed example %s.json is missing from examples/", name)
		}
	}
}
