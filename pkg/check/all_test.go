package check

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

var update = flag.Bool("update", false, "rewrite golden files (docs/checks pages, scenario want.json)")

var kebab = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// TestCheckMeta keeps the catalogue honest: unique kebab-case ids, a known cause for every
// check, both languages, and a docs page for each.
func TestCheckMeta(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range All() {
		m := c.Meta()
		if !kebab.MatchString(m.ID) {
			t.Errorf("check id %q is not kebab-case", m.ID)
		}
		if seen[m.ID] {
			t.Errorf("duplicate check id %q", m.ID)
		}
		seen[m.ID] = true
		if _, ok := cause.Lookup(m.Cause); !ok {
			t.Errorf("check %s: cause %q is not in the catalogue", m.ID, m.Cause)
		}
		if m.Title == "" || m.TitleJA == "" || m.Description == "" {
			t.Errorf("check %s: title, Japanese title and description are required", m.ID)
		}
		if m.Severity != finding.Error && m.Severity != finding.Warning && m.Severity != finding.Info {
			t.Errorf("check %s: severity %q", m.ID, m.Severity)
		}
		if ByID(m.ID) == nil {
			t.Errorf("ByID(%q) = nil", m.ID)
		}
		if _, err := os.Stat(filepath.Join("..", "..", m.Doc())); err != nil && !*update {
			t.Errorf("check %s has no docs page %s (run go test ./pkg/check -run TestCheckDocs -update)", m.ID, m.Doc())
		}
	}
}

// TestCheckDocs keeps docs/checks/<id>.md in sync with each check's metadata.
func TestCheckDocs(t *testing.T) {
	dir := filepath.Join("..", "..", "docs", "checks")
	want := map[string]bool{"README.md": true}
	var index bytes.Buffer
	index.WriteString("# Checks\n\nGenerated from the checks' metadata by `go test ./pkg/check -run TestCheckDocs -update`; do not edit by hand.\n\n| check | cause | severity | what it checks |\n|---|---|---|---|\n")
	for _, c := range All() {
		m := c.Meta()
		name := m.ID + ".md"
		want[name] = true
		fmt.Fprintf(&index, "| [`%s`](%s) | `%s` | %s | %s |\n", m.ID, name, m.Cause, m.Severity, m.Title)
		checkGolden(t, filepath.Join(dir, name), []byte(docPage(m)))
	}
	checkGolden(t, filepath.Join(dir, "README.md"), index.Bytes())
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !want[e.Name()] {
			if *update {
				os.Remove(filepath.Join(dir, e.Name()))
				continue
			}
			t.Errorf("docs/checks/%s belongs to no check", e.Name())
		}
	}
}

func docPage(m Meta) string {
	info, _ := cause.Lookup(m.Cause)
	var b strings.Builder
	fmt.Fprintf(&b, "# `%s`\n\n%s\n\n%s\n\n", m.ID, m.Title, m.TitleJA)
	fmt.Fprintf(&b, "- **Cause:** `%s` — %s\n- **Severity when failing:** %s\n", m.Cause, info.Title.EN, m.Severity)
	if len(m.Needs) > 0 {
		fmt.Fprintf(&b, "- **Reads (permissions):** `%s`\n", strings.Join(m.Needs, "`, `"))
	}
	fmt.Fprintf(&b, "\n## What it checks\n\n%s\n", m.Description)
	if info.Explanation.EN != "" {
		fmt.Fprintf(&b, "\n## About the cause\n\n%s\n\n%s\n", info.Explanation.EN, info.Explanation.JA)
	}
	fmt.Fprintf(&b, "\n## Statuses\n\n- `fail`: the problem is present; the finding carries the evidence and a fix for the actual resources.\n- `pass`: ruled out, with the evidence.\n- `unknown`: an input could not be read; the finding names the permission that would decide it.\n- `not-applicable`: the check does not concern this task.\n")
	if len(info.Links) > 0 {
		b.WriteString("\n## AWS documentation\n\n")
		for _, l := range info.Links {
			fmt.Fprintf(&b, "- <%s>\n", l)
		}
	}
	return b.String()
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%s: %v (run with -update)", path, err)
		return
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s is out of date (run go test ./pkg/check -update and review the diff)", path)
	}
}

// runOne runs a single check and returns its findings, failing the test on a panic-free but
// empty answer: every check must report something.
func runOne(t *testing.T, c Check, s *snapshot.Snapshot) []finding.Finding {
	t.Helper()
	fs := c.Run(s)
	if len(fs) == 0 {
		t.Fatalf("%s returned no finding", c.Meta().ID)
	}
	for _, f := range fs {
		if f.Check != c.Meta().ID {
			t.Errorf("finding check id %q, want %q", f.Check, c.Meta().ID)
		}
		if f.Message == "" || f.MessageJA == "" {
			t.Errorf("%s: finding without English or Japanese message: %+v", f.Check, f)
		}
		if f.Status == finding.Fail && f.Remediation == nil {
			t.Errorf("%s: failing finding without remediation: %s", f.Check, f.Message)
		}
		if f.Status == finding.Unknown && len(f.Needs) == 0 {
			t.Errorf("%s: unknown finding without the permission that would decide it: %s", f.Check, f.Message)
		}
	}
	return fs
}

// statuses lists the statuses of findings, for compact assertions.
func statuses(fs []finding.Finding) []finding.Status {
	out := make([]finding.Status, len(fs))
	for i, f := range fs {
		out[i] = f.Status
	}
	return out
}
