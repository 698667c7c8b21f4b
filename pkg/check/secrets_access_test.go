package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestResolveSecretRef(t *testing.T) {
	s := snaptest.New().Build()
	for _, tt := range []struct{ in, service, arn string }{
		{"arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:prod/db-AbCdEf:password::", "secretsmanager", "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:prod/db-AbCdEf"},
		{"arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:prod/db-AbCdEf:json-key:AWSCURRENT:", "secretsmanager", "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:prod/db-AbCdEf"},
		{"arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:prod/db", "secretsmanager", "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:prod/db"},
		{"arn:aws:ssm:ap-northeast-1:123456789012:parameter/prod/db-password", "ssm", "arn:aws:ssm:ap-northeast-1:123456789012:parameter/prod/db-password"},
		{"/prod/db-password", "ssm", "arn:aws:ssm:ap-northeast-1:123456789012:parameter/prod/db-password"},
		{"db-password", "ssm", "arn:aws:ssm:ap-northeast-1:123456789012:parameter/db-password"},
	} {
		r := resolveSecretRef(s, "app", "secrets[X]", tt.in, false)
		if r.Service != tt.service || r.ARN != tt.arn {
			t.Errorf("%s: %s %s", tt.in, r.Service, r.ARN)
		}
	}
}

func TestSecretsAccess(t *testing.T) {
	trust := snaptest.ECSTasksTrust
	secretARN := "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:prod/db-password-AbCdEf"
	docInline := string(snaptest.PolicyFixture("ecs-secrets-inline-policy.json"))
	withSecret := func(valueFrom string) snaptest.Container {
		return snaptest.Container{Image: snaptest.ECRImage, Secrets: map[string]string{"DB_PASSWORD": valueFrom}}
	}
	ssmAllow := `{"Version":"2012-10-17","Statement":[{"Sid":"Params","Effect":"Allow","Action":"ssm:GetParameters","Resource":"arn:aws:ssm:ap-northeast-1:123456789012:parameter/prod/*"}]}`
	denyPolicy := `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyCI","Effect":"Deny","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ci"}}}]}`
	runIAMCases(t, SecretsAccess{}, []iamCase{
		{name: "documented inline policy, json-key form", snap: fargate(withSecret(secretARN+":password::")).Role(snaptest.ExecRole, trust, map[string]string{"secrets": docInline}, snaptest.ExecPolicy()).SecretWith(secretARN, "", "").Build(), want: finding.Pass},
		{name: "partial ARN resolves to the secret", snap: fargate(withSecret("arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:prod/db-password")).Role(snaptest.ExecRole, trust, map[string]string{"secrets": docInline}).SecretWith(secretARN, "", "").Build(), want: finding.Pass},
		{name: "secrets denied (no statement)", snap: fargate(withSecret(secretARN)).Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).SecretWith(secretARN, "", "").Build(), want: finding.Fail, msg: "secretsmanager:GetSecretValue", fix: `"Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:prod/db-password-AbCdEf"`},
		{name: "secret resource policy denies", snap: fargate(withSecret(secretARN)).Role(snaptest.ExecRole, trust, map[string]string{"secrets": docInline}).SecretWith(secretARN, "", denyPolicy).Build(), want: finding.Fail, msg: `"OnlyCI"`, fix: "put-resource-policy"},
		{name: "secret not found", snap: fargate(withSecret(secretARN)).Role(snaptest.ExecRole, trust, map[string]string{"secrets": docInline}).Build(), want: finding.Fail, msg: "not found", fix: "list-secrets"},
		{name: "secret not found per DescribeSecret", snap: fargate(withSecret(secretARN)).Role(snaptest.ExecRole, trust, map[string]string{"secrets": docInline}).Gap("secretsmanager:DescribeSecret", "ResourceNotFoundException", secretARN).Build(), want: finding.Fail, msg: "not found"},
		{name: "secret unreadable", snap: fargate(withSecret(secretARN)).Role(snaptest.ExecRole, trust, map[string]string{"secrets": docInline}).Gap("secretsmanager:DescribeSecret", "AccessDeniedException", secretARN).Build(), want: finding.Unknown, needs: "secretsmanager:DescribeSecret"},
		{name: "SSM parameter by name allowed", snap: fargate(withSecret("/prod/db-password")).Role(snaptest.ExecRole, trust, map[string]string{"ssm": ssmAllow}).Parameter("/prod/db-password", "SecureString", "").Build(), want: finding.Pass, msg: "Params"},
		{name: "SSM parameter denied", snap: fargate(withSecret("arn:aws:ssm:ap-northeast-1:123456789012:parameter/prod/db-password")).Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).Parameter("/prod/db-password", "SecureString", "").Build(), want: finding.Fail, fix: "ssm:GetParameters"},
		{name: "SSM parameter missing", snap: fargate(withSecret("prod-db-password")).Role(snaptest.ExecRole, trust, map[string]string{"ssm": ssmAllow}).Build(), want: finding.Fail, msg: "not found", fix: "put-parameter"},
		{name: "repositoryCredentials", snap: fargate(snaptest.Container{Image: "ghcr.io/acme/api:1", CredentialsARN: secretARN}).Role(snaptest.ExecRole, trust, map[string]string{"secrets": docInline}).SecretWith(secretARN, "", "").Build(), want: finding.Pass},
		{name: "role unreadable", snap: fargate(withSecret(secretARN)).Role(snaptest.ExecRole, trust, nil).Gap("iam:GetRolePolicy", "AccessDenied", "").SecretWith(secretARN, "", "").Build(), want: finding.Unknown, needs: "iam:GetRolePolicy"},
		{name: "no secrets", snap: fargate().Build(), want: finding.NotApplicable},
		{name: "no execution role", snap: snaptest.New().Fargate("", withSecret(secretARN)).Build(), want: finding.NotApplicable},
	})
}
