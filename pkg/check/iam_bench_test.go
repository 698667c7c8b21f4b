package check

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// BenchmarkIAMChecks runs every IAM check over a realistic snapshot: the secrets/KMS
// scenario plus ten custom policies on the execution role.
func BenchmarkIAMChecks(b *testing.B) {
	s, err := snapshot.Load("../../testdata/scenarios/iam-kms-key-policy-without-role/snapshot.json")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		s.Roles[0].AttachedPolicies = append(s.Roles[0].AttachedPolicies, snapshot.Policy{
			Name: fmt.Sprintf("custom%d", i), ARN: fmt.Sprintf("arn:aws:iam::123456789012:policy/custom%d", i),
			Document: []byte(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
			 {"Sid":"Logs%d","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:*:log-group:/ecs/svc%d:*"},
			 {"Sid":"Secrets%d","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:svc%d-*"},
			 {"Sid":"DenyInsecure%d","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, i, i, i, i, i)),
		})
	}
	checks := []Check{ExecRoleTrust{}, ExecRoleECRAuth{}, ExecRoleECRPull{}, ECRRepositoryPolicy{}, PullThroughCachePermissions{}, ExecRoleLogs{}, SecretsAccess{}, KMSDecrypt{}}
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range checks {
			c.Run(s)
		}
	}
}

// iamChecks are the checks whose cost BenchmarkIAMInDiagnosis measures.
func iamChecks() []Check {
	return []Check{ExecRoleTrust{}, ExecRoleECRAuth{}, ExecRoleECRPull{}, ECRRepositoryPolicy{}, PullThroughCachePermissions{}, ExecRoleLogs{}, SecretsAccess{}, KMSDecrypt{}}
}

// BenchmarkIAMInDiagnosis is the IAM checks' share of BenchmarkDiagnose: the same examples,
// run the way DiagnoseWith runs them (one session per snapshot, findings appended to one
// list), without the other checks and the report assembly.
func BenchmarkIAMInDiagnosis(b *testing.B) {
	snaps := loadSnapshots(b, filepath.Join("..", "..", "examples", "*.json"))
	checks := iamChecks()
	dst := make([]finding.Finding, 0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := fresh(snaps[i%len(snaps)])
		ss := beginSession(s)
		dst = dst[:0]
		for _, c := range checks {
			if a, ok := c.(appender); ok {
				dst = a.appendFindings(dst, s)
			} else {
				dst = append(dst, c.Run(s)...)
			}
		}
		endSession(s, ss)
	}
}
