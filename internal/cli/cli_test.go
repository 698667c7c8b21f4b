package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func example(name string) string { return filepath.Join("..", "..", "examples", name+".json") }

func TestDiagnoseSnapshotExitCodes(t *testing.T) {
	code, out, _ := run(t, "", "diagnose", "--snapshot", example("tag-not-pushed"))
	if code != ExitProblems {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if !strings.HasPrefix(out, "Target:") || !strings.Contains(out, "VERDICT") {
		t.Errorf("text output should open with the target and verdict:\n%s", out)
	}
	// A healthy snapshot exits 0.
	dir := t.TempDir()
	healthy := filepath.Join(dir, "ok.json")
	os.WriteFile(healthy, []byte(`{"schemaVersion":1,"region":"us-east-1","taskDefinition":{"family":"x","networkMode":"bridge","requiresCompatibilities":["EC2"],"containerDefinitions":[{"name":"a","image":"public.ecr.aws/nginx/nginx:1.27"}]},"task":{"launchType":"EC2","lastStatus":"RUNNING"}}`), 0o644)
	code, out, errOut := run(t, "", "diagnose", "--snapshot", healthy, "--output", "json")
	if code != ExitOK && code != ExitProblems {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json output does not parse: %v\n%s", err, out)
	}
	for _, k := range []string{"schemaVersion", "target", "stoppedReason", "classification", "findings", "verdict", "gaps"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
}

func TestDiagnoseBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	cases := map[string][]string{
		"missing file":      {"diagnose", "--snapshot", filepath.Join(dir, "nope.json")},
		"malformed JSON":    {"diagnose", "--snapshot", write("bad.json", `{"schemaVersion":1,`)},
		"unknown schema":    {"diagnose", "--snapshot", write("v9.json", `{"schemaVersion":9}`)},
		"no schema":         {"diagnose", "--snapshot", write("v0.json", `{"region":"x"}`)},
		"not an object":     {"diagnose", "--snapshot", write("arr.json", `[1,2]`)},
		"invalid UTF-8":     {"diagnose", "--snapshot", write("utf.json", "{\"schemaVersion\":1,\"region\":\"\xff\"}")},
		"nothing to do":     {"diagnose"},
		"task and service":  {"diagnose", "--cluster", "c", "--task", "t", "--service", "s"},
		"bad output":        {"diagnose", "--snapshot", example("tag-not-pushed"), "--output", "yaml"},
		"bad lang":          {"diagnose", "--snapshot", example("tag-not-pushed"), "--lang", "fr"},
		"explain empty":     {"explain", "   "},
		"explain no arg":    {"explain"},
		"snapshot and live": {"diagnose", "--snapshot", example("tag-not-pushed"), "--cluster", "c", "--task", "t"},
		"collect no out":    {"collect", "--cluster", "c", "--task", "t"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := run(t, "", args...)
			if code != ExitError {
				t.Fatalf("exit %d, want 2 (stdout %q)", code, out)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "pulldoctor: ") {
				t.Errorf("want one error line on stderr, got %q", errOut)
			}
		})
	}
}

func TestExplainJSONContract(t *testing.T) {
	code, out, _ := run(t, "", "explain", "--output", "json",
		`CannotPullContainerError: Error response from daemon: pull access denied for 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app, repository does not exist or may require 'docker login'`)
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var got struct {
		SchemaVersion  int    `json:"schemaVersion"`
		Input          string `json:"input"`
		Classification []struct {
			Cause      string  `json:"cause"`
			Confidence float64 `json:"confidence"`
			Title      string  `json:"title"`
		} `json:"classification"`
		Extracted map[string]any `json:"extracted"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.SchemaVersion != 1 || got.Input == "" || len(got.Classification) == 0 || got.Classification[0].Title == "" {
		t.Fatalf("contract fields missing: %+v", got)
	}
	if got.Extracted["image"] != "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app" {
		t.Errorf("extracted image = %v", got.Extracted["image"])
	}
	for i := 1; i < len(got.Classification); i++ {
		if got.Classification[i].Confidence > got.Classification[i-1].Confidence {
			t.Errorf("classification not ranked: %+v", got.Classification)
		}
	}
}

func TestExplainStdinOneJSONPerLine(t *testing.T) {
	in := "CannotPullContainerError: toomanyrequests: You have reached your pull rate limit\n\nsomething unrelated happened\n"
	code, out, _ := run(t, in, "explain", "--output", "json", "-")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines, got %d:\n%s", len(lines), out)
	}
	var second struct {
		Classification []struct{ Cause string } `json:"classification"`
	}
	json.Unmarshal([]byte(lines[1]), &second)
	if len(second.Classification) == 0 || second.Classification[0].Cause != "unknown" {
		t.Errorf("unrelated text should be unknown: %s", lines[1])
	}
}

func TestJapaneseOutput(t *testing.T) {
	_, out, _ := run(t, "", "diagnose", "--snapshot", example("private-subnet-no-nat"), "--lang", "ja")
	if !strings.Contains(out, "結論") {
		t.Errorf("Japanese output lacks the verdict label:\n%s", out)
	}
}

func TestEveryOutputFormat(t *testing.T) {
	for _, f := range []string{"text", "json", "sarif", "markdown"} {
		code, out, errOut := run(t, "", "diagnose", "--snapshot", example("dockerhub-rate-limit"), "--output", f)
		if code != ExitProblems || out == "" {
			t.Errorf("%s: exit %d, stderr %q", f, code, errOut)
		}
		if f == "sarif" || f == "json" {
			if !json.Valid([]byte(out)) {
				t.Errorf("%s output is not JSON", f)
			}
		}
	}
}

func TestChecksCommand(t *testing.T) {
	code, out, _ := run(t, "", "checks")
	if code != ExitOK || !strings.Contains(out, "fargate-public-ip") || !strings.Contains(out, "exec-role-missing") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
