package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sampleReport is a fixed report, so the goldens change only when a renderer does.
func sampleReport() *finding.Report {
	return &finding.Report{
		SchemaVersion:  1,
		Target:         finding.Target{Cluster: "prod", Task: "arn:aws:ecs:ap-northeast-1:123456789012:task/prod/0123", Region: "ap-northeast-1", Account: "123456789012"},
		StoppedReason:  `ResourceInitializationError: unable to pull secrets or registry auth: ... dial tcp 10.0.0.1:443: i/o timeout`,
		Classification: []finding.Classified{{Cause: cause.NetworkNoRoute, Confidence: 0.8}, {Cause: cause.VPCEndpointConfig, Confidence: 0.5}},
		Findings: []finding.Finding{
			{Check: "subnet-egress-path", Cause: cause.NetworkNoRoute, Status: finding.Fail, Severity: finding.Error,
				Message: "subnet-0abc has no route to the internet and no ecr.dkr endpoint", MessageJA: "subnet-0abc にはインターネットへの経路も ecr.dkr エンドポイントもありません",
				Path:     "subnet-0abc → rtb-0123 (10.0.0.0/16 local only)",
				Evidence: []finding.Evidence{{Source: "ec2:DescribeRouteTables", Ref: "rtb-0123", Key: "routes", Value: "10.0.0.0/16 local"}},
				Remediation: &finding.Remediation{Text: "Add a NAT gateway route or VPC endpoints.", TextJA: "NAT ゲートウェイへのルートか VPC エンドポイントを追加してください。",
					Commands:  []string{"aws ec2 create-vpc-endpoint --vpc-id vpc-1 --service-name com.amazonaws.ap-northeast-1.ecr.dkr --vpc-endpoint-type Interface --subnet-ids subnet-0abc"},
					Policy:    json.RawMessage(`{"Version":"2012-10-17"}`),
					Terraform: "resource \"aws_vpc_endpoint\" \"ecr_dkr\" {\n  vpc_id = \"vpc-1\"\n}",
					Links:     []string{"https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html"}}},
			{Check: "endpoint-policy", Cause: cause.VPCEndpointConfig, Status: finding.Unknown, Severity: finding.Warning,
				Message: "cannot decide: VPC endpoints could not be read", MessageJA: "判定できません", Needs: []string{"ec2:DescribeVpcEndpoints"}},
			{Check: "exec-role-present", Cause: cause.ExecRoleMissing, Status: finding.Pass, Severity: finding.Info, Message: "execution role is set", MessageJA: "設定されています"},
			{Check: "dockerhub-credentials", Cause: cause.RegistryRateLimit, Status: finding.NotApplicable, Severity: finding.Info, Message: "no Docker Hub image", MessageJA: "ありません"},
		},
		Verdict: finding.Verdict{Causes: []cause.ID{cause.NetworkNoRoute}, Summary: "most likely: No network path to the registry", SummaryJA: "最も可能性が高い原因: レジストリへのネットワーク経路がない"},
		Gaps:    []finding.Gap{{Call: "ec2:DescribeVpcEndpoints", Error: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."}},
	}
}

func TestGolden(t *testing.T) {
	for _, format := range Formats {
		for _, lang := range []string{"en", "ja"} {
			name := format + "." + lang + ".golden"
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Report(&buf, sampleReport(), format, Options{Lang: lang, SourceFile: "taskdef.json"}); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", name)
				if *update {
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./pkg/render -update)", err)
				}
				if !bytes.Equal(want, buf.Bytes()) {
					t.Errorf("%s differs; run go test ./pkg/render -update and review\n--- got ---\n%s", path, buf.String())
				}
			})
		}
	}
}

func TestTextPutsVerdictBeforeFindings(t *testing.T) {
	var buf bytes.Buffer
	Report(&buf, sampleReport(), "text", Options{Lang: "en"})
	out := buf.String()
	v, f, p := strings.Index(out, "VERDICT"), strings.Index(out, "✗ FAIL"), strings.Index(out, "Ruled out")
	if !(v >= 0 && v < f && f < p) {
		t.Errorf("want verdict, then failures, then passes:\n%s", out)
	}
}

func TestJSONKeepsContractIdsInJapanese(t *testing.T) {
	var buf bytes.Buffer
	Report(&buf, sampleReport(), "json", Options{Lang: "ja"})
	var r finding.Report
	if err := json.Unmarshal(buf.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Findings[0].Check != "subnet-egress-path" || r.Findings[0].Status != finding.Fail || !strings.Contains(r.Findings[0].Message, "経路") {
		t.Errorf("ids must stay, prose must be Japanese: %+v", r.Findings[0])
	}
}

func TestSARIFShape(t *testing.T) {
	var buf bytes.Buffer
	Report(&buf, sampleReport(), "sarif", Options{Lang: "en"})
	var doc struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
				Level  string `json:"level"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.1.0" || len(doc.Runs) != 1 || len(doc.Runs[0].Results) != 2 {
		t.Fatalf("want 2 results (fail + unknown) in SARIF 2.1.0: %s", buf.String())
	}
	if doc.Runs[0].Results[0].Level != "error" || doc.Runs[0].Results[1].Level != "note" {
		t.Errorf("levels: %+v", doc.Runs[0].Results)
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := Report(&bytes.Buffer{}, sampleReport(), "yaml", Options{}); err == nil {
		t.Fatal("want an error for an unknown format")
	}
}
