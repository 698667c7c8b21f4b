package preflight

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulldoctor/pulldoctor/pkg/check"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "preflight", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func status(r *finding.Report, id string) finding.Status {
	for _, f := range r.Findings {
		if f.Check == id {
			return f.Status
		}
	}
	return ""
}

func TestParseKinds(t *testing.T) {
	cases := []struct {
		file    string
		opts    Options
		kind    Kind
		region  string
		account string
		// want maps check ids to the status they must have.
		want    map[string]finding.Status
		gaps    []string // calls that must be NotCollected gaps
		failing bool
	}{
		{file: "register-task-definition.json", kind: KindTaskDefinition, region: "us-east-1", account: "123456789012",
			want: map[string]finding.Status{"exec-role-present": finding.Pass, "exec-role-ecr-pull": finding.Unknown, "subnet-egress-path": finding.Unknown, "ecr-image-exists": finding.Unknown},
			gaps: []string{"iam:GetRole", "ecr:DescribeImages", "ecs:DescribeServices", "secretsmanager:DescribeSecret", "logs:DescribeLogGroups"}},
		{file: "describe-task-definition.json", opts: Options{Region: "us-east-1"}, kind: KindTaskDefinition, region: "us-east-1", account: "123456789012",
			want: map[string]finding.Status{"image-reference-valid": finding.Pass, "image-platform": finding.Unknown},
			gaps: []string{"ecs:DescribeContainerInstances"}},
		{file: "tfplan-private-no-nat.json", kind: KindTerraformPlan, region: "ap-northeast-1", account: "123456789012", failing: true,
			want: map[string]finding.Status{"subnet-egress-path": finding.Fail, "ecr-endpoints-complete": finding.Fail, "exec-role-trust": finding.Pass, "exec-role-ecr-pull": finding.Pass, "exec-role-ecr-auth": finding.Pass, "ecr-image-exists": finding.Unknown}},
		{file: "tfplan-private-endpoints.json", kind: KindTerraformPlan, region: "ap-northeast-1", account: "123456789012",
			want: map[string]finding.Status{"subnet-egress-path": finding.Pass, "ecr-endpoints-complete": finding.Pass, "endpoint-private-dns": finding.Pass, "s3-gateway-endpoint": finding.Pass, "nacl-egress": finding.Pass, "task-sg-egress": finding.Pass}},
		{file: "cloudformation.json", opts: Options{Region: "eu-west-1", Account: "111122223333"}, kind: KindCloudFormation, region: "eu-west-1", account: "111122223333",
			want: map[string]finding.Status{"exec-role-trust": finding.Pass, "exec-role-ecr-pull": finding.Pass, "image-reference-valid": finding.Pass, "subnet-egress-path": finding.Unknown}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			res, err := Parse(fixture(t, c.file), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			s := res.Snapshot
			if res.Kind != c.kind || s.Region != c.region || s.Account != c.account || s.Source != "preflight" {
				t.Fatalf("kind %s region %q account %q source %q", res.Kind, s.Region, s.Account, s.Source)
			}
			for _, g := range s.Gaps {
				if g.Error != NotCollected {
					t.Errorf("gap %+v is not NotCollected", g)
				}
			}
			for _, call := range c.gaps {
				if s.Gap(call, "") == nil {
					t.Errorf("no gap for %s", call)
				}
			}
			rep := check.Diagnose(s)
			for id, st := range c.want {
				if got := status(rep, id); got != st {
					t.Errorf("%s: %s, want %s", id, got, st)
				}
			}
			if rep.HasFailures() != c.failing {
				for _, f := range rep.Findings {
					if f.Status == finding.Fail {
						t.Logf("fail: %s %s", f.Check, f.Message)
					}
				}
				t.Errorf("failing = %v, want %v", rep.HasFailures(), c.failing)
			}
			// Nothing the file leaves out may pass silently: round-trips as a snapshot.
			b, err := snapshot.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := snapshot.Unmarshal(b); err != nil {
				t.Fatalf("snapshot does not round-trip: %v", err)
			}
		})
	}
}

func TestSeedCauseFromTerraformPlan(t *testing.T) {
	res, err := Parse(fixture(t, "tfplan-private-no-nat.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep := check.Diagnose(res.Snapshot)
	if len(rep.Verdict.Causes) == 0 || rep.Verdict.Causes[0] != "network-no-route" {
		t.Fatalf("verdict %v, want network-no-route first", rep.Verdict.Causes)
	}
	// The planned subnet leads to its planned route table through the configuration.
	rt, explicit := res.Snapshot.RouteTableFor("(known after apply: aws_subnet.private_a)", "(known after apply: aws_vpc.main)")
	if rt == nil || !explicit || deref(rt.RouteTableId) != "(known after apply: aws_route_table.private)" {
		t.Fatalf("route table of the planned subnet: %+v explicit=%v", rt, explicit)
	}
}

func TestCloudFormationNeedsAccountForPseudoParameters(t *testing.T) {
	_, err := Parse(fixture(t, "cloudformation.json"), Options{})
	if err == nil || errors.Is(err, ErrUnrecognized) {
		t.Fatalf("err = %v, want a request for --account and --region", err)
	}
}

func TestBadInput(t *testing.T) {
	cases := map[string]struct {
		in   string
		want error
	}{
		"empty":           {"", ErrUnrecognized},
		"blank":           {"  \n", ErrUnrecognized},
		"malformed":       {`{"family": "x", "containerDefinitions": [`, ErrUnrecognized},
		"array":           {`[{"family":"x"}]`, ErrUnrecognized},
		"other object":    {`{"schemaVersion": 1}`, ErrUnrecognized},
		"invalid utf8":    {"{\"family\":\"\xff\"}", ErrUnrecognized},
		"plan without td": {`{"format_version":"1.2","terraform_version":"1.9.5","planned_values":{"root_module":{"resources":[{"address":"aws_vpc.main","mode":"managed","type":"aws_vpc","name":"main","values":{"cidr_block":"10.0.0.0/16"}}]}}}`, ErrNoTaskDefinition},
		"cfn without td":  {`{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"B":{"Type":"AWS::S3::Bucket"}}}`, ErrNoTaskDefinition},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.in), Options{})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	// A container without an image is an error, not a silent pass.
	if _, err := Parse([]byte(`{"family":"x","containerDefinitions":[{"name":"a"}]}`), Options{}); err == nil {
		t.Error("container without image accepted")
	}
}

func TestUnknownContainerDefinitionsAreAGap(t *testing.T) {
	in := `{"format_version":"1.2","terraform_version":"1.9.5",
 "planned_values":{"root_module":{"resources":[{"address":"aws_ecs_task_definition.app","mode":"managed","type":"aws_ecs_task_definition","name":"app","values":{"family":"app","requires_compatibilities":["FARGATE"],"network_mode":"awsvpc"}}]}},
 "resource_changes":[{"address":"aws_ecs_task_definition.app","change":{"actions":["create"],"after_unknown":{"container_definitions":true,"arn":true,"id":true}}}]}`
	res, err := Parse([]byte(in), Options{Region: "us-east-1", Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Snapshot.TaskDefinition != nil || res.Snapshot.Gap("ecs:DescribeTaskDefinition", "") == nil || len(res.Notes) == 0 {
		t.Fatalf("unknown container_definitions: td=%v gaps=%v notes=%v", res.Snapshot.TaskDefinition, res.Snapshot.Gaps, res.Notes)
	}
	rep := check.Diagnose(res.Snapshot)
	for _, f := range rep.Findings {
		if f.Status == finding.Pass {
			t.Errorf("%s passes without a task definition", f.Check)
		}
	}
}

func TestOverlay(t *testing.T) {
	res, err := Parse(fixture(t, "register-task-definition.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	live, err := Parse(fixture(t, "tfplan-private-endpoints.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ls := live.Snapshot
	ls.StoppedReason = "CannotPullContainerError: old revision"
	out := Overlay(ls, res.Snapshot)
	if deref(out.TaskDefinition.Family) != "fargate-webapp" || out.StoppedReason != "" || out.Source != "preflight+live" {
		t.Fatalf("overlay: family %s reason %q source %s", deref(out.TaskDefinition.Family), out.StoppedReason, out.Source)
	}
	if out.Service == nil || len(out.Network.VpcEndpoints) != len(ls.Network.VpcEndpoints) {
		t.Fatal("live network lost")
	}
	if g := out.Gap("iam:GetRole", "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"); g == nil {
		t.Error("the file's execution role, absent live, must be a gap")
	}
}
