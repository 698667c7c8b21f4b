package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// CloudFormation YAML is read directly, from a file or stdin, with the exit codes of JSON.
func TestPreflightCloudFormationYAML(t *testing.T) {
	code, out, errOut := run(t, "", "preflight", "--region", "us-east-1", "--account", "123456789012", pfFixture("cloudformation-fargate-private-no-nat.yaml"))
	if code != ExitProblems || !strings.Contains(out, "network-no-route") {
		t.Fatalf("private subnet without NAT: exit %d, want 1 with network-no-route\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run(t, "", "preflight", "--region", "eu-west-1", "--account", "111122223333", pfFixture("cloudformation.yaml"))
	if code != ExitOK || !strings.Contains(out, "eu-west-1") {
		t.Fatalf("cloudformation.yaml: exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	_, jsonOut, _ := run(t, "", "preflight", "--region", "eu-west-1", "--account", "111122223333", "--output", "json", pfFixture("cloudformation.json"))
	_, yamlOut, _ := run(t, "", "preflight", "--region", "eu-west-1", "--account", "111122223333", "--output", "json", pfFixture("cloudformation.yaml"))
	if jsonOut == "" || strings.ReplaceAll(jsonOut, "cloudformation.json", "F") != strings.ReplaceAll(yamlOut, "cloudformation.yaml", "F") {
		t.Errorf("JSON and YAML templates give different reports:\n%.1500s\n---\n%.1500s", jsonOut, yamlOut)
	}
	data, err := os.ReadFile(pfFixture("cloudformation-fargate-private-no-nat.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, string(data), "preflight", "--region", "us-east-1", "--account", "123456789012", "-")
	if code != ExitProblems || !strings.Contains(out, "network-no-route") {
		t.Fatalf("stdin: exit %d, want 1\n%s", code, out)
	}
}

func TestPreflightCloudFormationYAMLBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := map[string]struct {
		file string
		want *regexp.Regexp
	}{
		"malformed":     {write("bad.yaml", "Resources:\n  TD:\n    Type: AWS::ECS::TaskDefinition\n   Properties: {}\n"), regexp.MustCompile(`bad\.yaml .*parse YAML: line 4 column 4: did not find expected key`)},
		"unknown tag":   {write("tag.yaml", "Resources:\n  TD:\n    Type: !Foo AWS::ECS::TaskDefinition\n"), regexp.MustCompile(`line 3 column 11: unknown tag !Foo`)},
		"two documents": {write("two.yaml", "Resources: {}\n---\nResources: {}\n"), regexp.MustCompile(`line 2 column 1: more than one YAML document`)},
		"no td":         {write("s3.yaml", "AWSTemplateFormatVersion: 2010-09-09\nResources:\n  B:\n    Type: AWS::S3::Bucket\n"), regexp.MustCompile(`has no ECS task definition`)},
		"not cfn":       {write("k8s.yaml", "apiVersion: v1\nkind: Pod\n"), regexp.MustCompile(`is neither a task definition.*no top-level Resources`)},
		"needs account": {write("acct.yaml", "Resources:\n  TD:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: app\n          Image: !Sub ${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/app:1\n"), regexp.MustCompile(`pass --account and --region`)},
		"no containers": {write("empty.yaml", "Resources:\n  X:\n    Type: AWS::ECS::TaskDefinition\n"), regexp.MustCompile(`task definition X has no ContainerDefinitions`)},
		"no image":      {write("noimg.yaml", "Resources:\n  TD:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: app\n"), regexp.MustCompile(`container app has no image`)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := run(t, "", "preflight", c.file)
			if code != ExitError {
				t.Fatalf("exit %d, want 2 (stdout %q, stderr %q)", code, out, errOut)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "pulldoctor: ") || !c.want.MatchString(lines[0]) {
				t.Errorf("want one error line matching %s, got %q", c.want, errOut)
			}
		})
	}
}
