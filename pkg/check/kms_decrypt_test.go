package check

import (
	"strings"
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestKMSDecrypt(t *testing.T) {
	trust := snaptest.ECSTasksTrust
	secretARN := "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:prod/db-password-AbCdEf"
	keyID := "1234abcd-12ab-34cd-56ef-1234567890ab"
	keyARN := "arn:aws:kms:ap-northeast-1:123456789012:key/" + keyID
	docInline := string(snaptest.PolicyFixture("ecs-secrets-inline-policy.json"))
	rootDelegation := string(snaptest.PolicyFixture("kms-default-key-policy.json"))
	adminsOnly := `{"Version":"2012-10-17","Statement":[{"Sid":"KeyAdmins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/KeyAdmin"},"Action":"kms:*","Resource":"*"}]}`
	roleDirect := `{"Version":"2012-10-17","Statement":[{"Sid":"ExecRoleViaSM","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ecsTaskExecutionRole"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.ap-northeast-1.amazonaws.com"}}}]}`
	viaSSMOnly := strings.ReplaceAll(roleDirect, "secretsmanager.ap-northeast-1", "ssm.ap-northeast-1")
	c := snaptest.Container{Image: snaptest.ECRImage, Secrets: map[string]string{"DB_PASSWORD": secretARN}}
	base := func(inline map[string]string) *snaptest.Snap {
		return fargate(c).Role(snaptest.ExecRole, trust, inline, snaptest.ExecPolicy())
	}
	runIAMCases(t, KMSDecrypt{}, []iamCase{
		{name: "root delegation + identity allows", snap: base(map[string]string{"secrets": docInline}).SecretWith(secretARN, keyARN, "").KMSKey(keyID, "CUSTOMER", "Enabled", rootDelegation).Build(), want: finding.Pass},
		{name: "root delegation, identity silent", snap: base(nil).SecretWith(secretARN, keyARN, "").KMSKey(keyID, "CUSTOMER", "Enabled", rootDelegation).Build(), want: finding.Fail, fix: "put-role-policy"},
		{name: "key policy without the role (identity alone is not enough)", snap: base(map[string]string{"secrets": docInline}).SecretWith(secretARN, keyARN, "").KMSKey(keyID, "CUSTOMER", "Enabled", adminsOnly).Build(), want: finding.Fail, msg: "allows neither", fix: "aws kms get-key-policy --key-id " + keyID},
		{name: "key policy names the role via Secrets Manager", snap: base(nil).SecretWith(secretARN, keyARN, "").KMSKey(keyID, "CUSTOMER", "Enabled", roleDirect).Build(), want: finding.Pass, msg: "ExecRoleViaSM"},
		{name: "key policy names the role via SSM only", snap: base(nil).SecretWith(secretARN, keyARN, "").KMSKey(keyID, "CUSTOMER", "Enabled", viaSSMOnly).Build(), want: finding.Fail, fix: "create-grant"},
		{name: "key by alias", snap: base(map[string]string{"secrets": docInline}).SecretWith(secretARN, "alias/prod-secrets", "").KMSKey(keyID, "CUSTOMER", "Enabled", rootDelegation, "alias/prod-secrets").Build(), want: finding.Pass},
		{name: "key disabled", snap: base(map[string]string{"secrets": docInline}).SecretWith(secretARN, keyARN, "").KMSKey(keyID, "CUSTOMER", "Disabled", rootDelegation).Build(), want: finding.Fail, fix: "enable-key"},
		{name: "AWS managed key", snap: base(nil).SecretWith(secretARN, keyARN, "").KMSKey(keyID, "AWS", "Enabled", "").Build(), want: finding.Pass},
		{name: "key policy unreadable", snap: base(nil).SecretWith(secretARN, keyARN, "").KMSKey(keyID, "CUSTOMER", "Enabled", "").Gap("kms:GetKeyPolicy", "AccessDeniedException", keyARN).Build(), want: finding.Unknown, needs: "kms:GetKeyPolicy"},
		{name: "key not in snapshot", snap: base(nil).SecretWith(secretARN, keyARN, "").Build(), want: finding.Unknown, needs: "kms:DescribeKey"},
		{name: "SecureString with customer key", snap: fargate(snaptest.Container{Image: snaptest.ECRImage, Secrets: map[string]string{"P": "/prod/api-key"}}).Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).Parameter("/prod/api-key", "SecureString", keyARN).KMSKey(keyID, "CUSTOMER", "Enabled", viaSSMOnly).Build(), want: finding.Pass},
		{name: "default aws/secretsmanager key", snap: base(nil).SecretWith(secretARN, "alias/aws/secretsmanager", "").Build(), want: finding.NotApplicable},
		{name: "no secrets", snap: fargate().Build(), want: finding.NotApplicable},
	})
}
