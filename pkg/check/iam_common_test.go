package check

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// iamCase is one row of the IAM checks' table tests: the statuses wanted, and substrings
// the first finding's message (and, for failures, its remediation) must contain.
type iamCase struct {
	name  string
	snap  *snapshot.Snapshot
	want  finding.Status
	msg   string // substring of the first finding's message
	fix   string // substring of the remediation (commands, policy or terraform)
	needs string // a permission Needs must name
}

func runIAMCases(t *testing.T, c Check, cases []iamCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			fs := runOne(t, c, tt.snap)
			f := fs[0]
			if f.Status != tt.want {
				t.Fatalf("status %s, want %s: %s", f.Status, tt.want, f.Message)
			}
			if tt.msg != "" && !strings.Contains(f.Message, tt.msg) {
				t.Errorf("message %q does not contain %q", f.Message, tt.msg)
			}
			if tt.needs != "" && !strings.Contains(strings.Join(f.Needs, " "), tt.needs) {
				t.Errorf("needs %v do not name %s", f.Needs, tt.needs)
			}
			if f.Status == finding.Fail {
				r := f.Remediation
				all := strings.Join(r.Commands, "\n") + string(r.Policy) + r.Terraform + r.Text
				if tt.fix != "" && !strings.Contains(all, tt.fix) {
					t.Errorf("remediation does not contain %q:\n%s", tt.fix, all)
				}
				if r.TextJA == "" || len(r.Links) == 0 {
					t.Errorf("remediation lacks Japanese text or links: %+v", r)
				}
			}
			if len(f.Evidence) == 0 && (f.Status == finding.Pass || f.Status == finding.Fail) {
				t.Errorf("no evidence: %+v", f)
			}
		})
	}
}

// fargate is a Fargate task with the execution role and one ECR image, a base for the rows.
func fargate(cs ...snaptest.Container) *snaptest.Snap {
	if len(cs) == 0 {
		cs = []snaptest.Container{{Image: snaptest.ECRImage}}
	}
	return snaptest.New().Fargate(snaptest.ExecRole, cs...)
}

const (
	ecrAllowOnRepo = `{"Version":"2012-10-17","Statement":[{"Sid":"PullMyApp","Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"],"Resource":"arn:aws:ecr:ap-northeast-1:123456789012:repository/my-app"}]}`
	logsOnly       = `{"Version":"2012-10-17","Statement":[{"Sid":"Logs","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
)

func TestLoadSubjectGaps(t *testing.T) {
	m := ExecRoleECRAuth{}.Meta()
	for _, call := range []string{"iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetPolicyVersion", "iam:GetRole"} {
		s := fargate().Role(snaptest.ExecRole, snaptest.ECSTasksTrust, nil, snaptest.ExecPolicy()).Gap(call, "AccessDenied", snaptest.ExecRole).Build()
		_, f := loadSubject(s, m, snaptest.ExecRole, "execution role", "タスク実行ロール")
		if f == nil || f.Status != finding.Unknown || f.Needs[0] != call {
			t.Errorf("%s: %+v", call, f)
		}
	}
	// GetRolePolicy gaps name role/policy.
	s := fargate().Role(snaptest.ExecRole, snaptest.ECSTasksTrust, nil).Gap("iam:GetRolePolicy", "AccessDenied", snaptest.ExecRole+"/inline").Build()
	if _, f := loadSubject(s, m, snaptest.ExecRole, "execution role", ""); f == nil || f.Needs[0] != "iam:GetRolePolicy" {
		t.Errorf("role/policy ref: %+v", f)
	}
	// A gap about another role does not matter.
	s = fargate().Role(snaptest.ExecRole, snaptest.ECSTasksTrust, nil, snaptest.ExecPolicy()).Gap("iam:GetRolePolicy", "AccessDenied", "arn:aws:iam::123456789012:role/other").Build()
	if sub, f := loadSubject(s, m, snaptest.ExecRole, "execution role", ""); f != nil || len(sub.Set.Identity) != 1 {
		t.Errorf("unrelated gap: %+v", f)
	}
	// Malformed and missing documents.
	s = fargate().Role(snaptest.ExecRole, snaptest.ECSTasksTrust, map[string]string{"broken": `{"Statement":[{"Effect":"Maybe"}]}`}).Build()
	if _, f := loadSubject(s, m, snaptest.ExecRole, "execution role", ""); f == nil || !strings.Contains(f.Message, "broken") {
		t.Errorf("malformed: %+v", f)
	}
	p := snaptest.ExecPolicy()
	p.Document = nil
	s = fargate().Role(snaptest.ExecRole, snaptest.ECSTasksTrust, nil, p).Build()
	if _, f := loadSubject(s, m, snaptest.ExecRole, "execution role", ""); f == nil || f.Needs[0] != "iam:GetPolicyVersion" {
		t.Errorf("no document: %+v", f)
	}
}

func TestPolicyJSONIsValidAndQuoted(t *testing.T) {
	compact, _ := iamPolicyJSON(iamStmt{Effect: "Allow", Action: "a:b", Resource: "arn:x:it's"})
	if got := iamShellQuote(string(compact)); !strings.Contains(got, `'\''`) {
		t.Errorf("single quote not escaped: %s", got)
	}
}

func TestIndentJSON(t *testing.T) {
	docs := []any{
		iamPolicyDoc{Version: "2012-10-17", Statement: []iamStmt{
			{Sid: "A", Effect: "Allow", Principal: map[string]any{"AWS": "arn:aws:iam::123456789012:role/x"}, Action: []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}, Resource: "*"},
			{Effect: "Deny", Action: "kms:Decrypt", Resource: "arn:aws:kms:ap-northeast-1:123456789012:key/k",
				Condition: map[string]any{"StringEquals": map[string]any{"kms:ViaService": "secretsmanager.ap-northeast-1.amazonaws.com"}, "Null": map[string]any{}}},
		}},
		map[string]any{"empty": []string{}, "obj": map[string]any{}, "s": "quote \" back \\ <html> & \u2028 日本語 {[,:]}", "n": 1.5, "b": true, "z": nil},
		[]any{},
		"just a string",
	}
	for _, d := range docs {
		compact, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := json.Indent(&want, compact, "", "  "); err != nil {
			t.Fatal(err)
		}
		if got := indentJSON(compact); string(got) != want.String() {
			t.Errorf("indentJSON(%s) =\n%s\nwant\n%s", compact, got, want.String())
		}
	}
}

// Diagnoses of one snapshot running at once share its session, and so the IAM checks'
// shared state (iamShared): each must still get the report a diagnosis on its own gets.
func TestIAMSharedConcurrent(t *testing.T) {
	for _, file := range []string{"../../examples/cross-account-repository.json", "../../examples/missing-ecr-permissions.json"} {
		s, err := snapshot.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(DiagnoseWith(s, iamChecks()))
		got := make(chan []byte)
		for range 4 {
			go func() {
				b, _ := json.Marshal(DiagnoseWith(s, iamChecks()))
				got <- b
			}()
		}
		for range 4 {
			if b := <-got; !bytes.Equal(b, want) {
				t.Errorf("%s: concurrent diagnosis differs:\n%s\nwant\n%s", file, b, want)
			}
		}
	}
}
