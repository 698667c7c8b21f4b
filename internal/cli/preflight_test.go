package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func pfFixture(name string) string { return filepath.Join("..", "..", "testdata", "preflight", name) }

func TestPreflightExitCodes(t *testing.T) {
	code, out, errOut := run(t, "", "preflight", pfFixture("tfplan-private-no-nat.json"))
	if code != ExitProblems {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "network-no-route") || !strings.Contains(out, "checks need live state: run with --live") {
		t.Errorf("text output lacks the cause or the live-state summary:\n%s", out)
	}
	if strings.Contains(out, "NotCollected") {
		t.Errorf("text output lists NotCollected unknowns without --verbose:\n%s", out)
	}
	code, out, _ = run(t, "", "preflight", pfFixture("tfplan-private-endpoints.json"))
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s", code, out)
	}
	code, out, _ = run(t, "", "preflight", "--verbose", pfFixture("tfplan-private-endpoints.json"))
	if code != ExitOK || !strings.Contains(out, "NotCollected") || strings.Contains(out, "need live state") {
		t.Errorf("--verbose must list every unknown (exit %d):\n%s", code, out)
	}
}

func TestPreflightJSONAndSARIFKeepUnknowns(t *testing.T) {
	code, out, _ := run(t, "", "preflight", "--output", "json", pfFixture("register-task-definition.json"))
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	var rep struct {
		Findings []struct{ Status string } `json:"findings"`
		Gaps     []struct{ Error string }  `json:"gaps"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	unknown := 0
	for _, f := range rep.Findings {
		if f.Status == "unknown" {
			unknown++
		}
	}
	if unknown == 0 || len(rep.Gaps) == 0 || rep.Gaps[0].Error != "NotCollected" {
		t.Errorf("json must keep unknowns (%d) and NotCollected gaps (%v)", unknown, rep.Gaps)
	}
	code, out, _ = run(t, "", "preflight", "--output", "sarif", pfFixture("tfplan-private-no-nat.json"))
	if code != ExitProblems || !strings.Contains(out, "tfplan-private-no-nat.json") || !strings.Contains(out, `"version"`) {
		t.Errorf("sarif: exit %d, want 1 and the file as location:\n%.600s", code, out)
	}
}

func TestPreflightStdinAndFlags(t *testing.T) {
	data, err := os.ReadFile(pfFixture("cloudformation.json"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, string(data), "preflight", "--region", "eu-west-1", "--account", "111122223333", "-")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "eu-west-1") {
		t.Errorf("region flag not used:\n%s", out)
	}
}

func TestPreflightBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	cases := map[string]struct {
		args []string
		want string
	}{
		"missing file":  {[]string{"preflight", filepath.Join(dir, "nope.json")}, "no such file"},
		"malformed":     {[]string{"preflight", write("bad.json", `{"family":`)}, "is neither a task definition, a Terraform plan nor a CloudFormation template (JSON or YAML)"},
		"empty":         {[]string{"preflight", write("empty.json", ``)}, "is neither a task definition"},
		"array":         {[]string{"preflight", write("arr.json", `[1]`)}, "is neither a task definition"},
		"yaml not cfn":  {[]string{"preflight", write("t.yaml", "family: x\ncontainerDefinitions: []\n")}, "is neither a task definition"},
		"plan no td":    {[]string{"preflight", write("plan.json", `{"format_version":"1.2","terraform_version":"1.9.5","planned_values":{"root_module":{}}}`)}, "has no ECS task definition"},
		"no arg":        {[]string{"preflight"}, "arg"},
		"live no creds": {[]string{"preflight", "--live", pfFixture("register-task-definition.json")}, "preflight --live"},
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := run(t, "", c.args...)
			if code != ExitError {
				t.Fatalf("exit %d, want 2 (stdout %q, stderr %q)", code, out, errOut)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "pulldoctor: ") || !strings.Contains(lines[0], c.want) {
				t.Errorf("want one error line containing %q, got %q", c.want, errOut)
			}
		})
	}
}
