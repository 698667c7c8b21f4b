package check

import (
	"strings"
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestECRRepositoryPolicy(t *testing.T) {
	trust := snaptest.ECSTasksTrust
	xAcct, xImage := "987654321098", "987654321098.dkr.ecr.ap-northeast-1.amazonaws.com/shared/base-api:2.4.0"
	docExample := string(snaptest.PolicyFixture("ecr-cross-account-repository-policy.json"))
	otherAccount := strings.ReplaceAll(docExample, "123456789012", "555555555555")
	orgOnly := `{"Version":"2012-10-17","Statement":[{"Sid":"AllowOrg","Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"],"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`
	vpceDeny := `{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideVpce","Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0a1b2c3d4e5f67890"}}}]}`
	denyRole := `{"Version":"2012-10-17","Statement":[{"Sid":"DenyTaskRole","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:role/ecsTaskExecutionRole"},"Action":"ecr:BatchGetImage"}]}`
	cross := func(policy string, inline map[string]string, attached ...bool) *snaptest.Snap {
		b := fargate(snaptest.Container{Image: xImage}).RepoIn(xAcct, snaptest.Region, "shared/base-api", policy)
		if len(attached) > 0 {
			return b.Role(snaptest.ExecRole, trust, inline)
		}
		return b.Role(snaptest.ExecRole, trust, inline, snaptest.ExecPolicy())
	}
	runIAMCases(t, ECRRepositoryPolicy{}, []iamCase{
		{name: "cross account allowed (AWS example)", snap: cross(docExample, nil).Build(), want: finding.Pass, msg: "AllowCrossAccountPull"},
		{name: "cross account: policy lists another account", snap: cross(otherAccount, nil).Build(), want: finding.Fail, msg: "does not let", fix: "aws ecr set-repository-policy --registry-id 987654321098 --repository-name shared/base-api"},
		{name: "cross account: no repository policy", snap: cross("", nil).Build(), want: finding.Fail, msg: "no repository policy", fix: `"Principal":{"AWS":"arn:aws:iam::123456789012:role/ecsTaskExecutionRole"}`},
		{name: "cross account: repository allows, identity does not", snap: cross(docExample, map[string]string{"logs": logsOnly}, true).Build(), want: finding.Fail, fix: "put-role-policy --role-name ecsTaskExecutionRole"},
		{name: "cross account: organization condition undecided", snap: cross(orgOnly, nil).Build(), want: finding.Unknown, needs: "organizations:DescribeOrganization"},
		{name: "cross account: policy unreadable", snap: fargate(snaptest.Container{Image: xImage}).Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).Gap("ecr:GetRepositoryPolicy", "AccessDeniedException", xAcct+"/ap-northeast-1/shared/base-api").Build(), want: finding.Unknown, needs: "ecr:GetRepositoryPolicy"},
		{name: "cross account: repository not in snapshot", snap: fargate(snaptest.Container{Image: xImage}).Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).Build(), want: finding.Unknown, needs: "ecr:GetRepositoryPolicy"},
		{name: "same account: VPC endpoint deny undecided", snap: fargate().Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).RepoIn(snaptest.Account, snaptest.Region, "my-app", vpceDeny).Build(), want: finding.Unknown, needs: "ec2:DescribeVpcEndpoints"},
		{name: "same account: explicit deny of the role", snap: fargate().Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).RepoIn(snaptest.Account, snaptest.Region, "my-app", denyRole).Build(), want: finding.Fail, msg: `"DenyTaskRole"`, fix: "get-repository-policy"},
		{name: "same account: no policy", snap: fargate().Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).RepoIn(snaptest.Account, snaptest.Region, "my-app", "").Build(), want: finding.NotApplicable},
		{name: "same account: malformed policy", snap: fargate().Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).RepoIn(snaptest.Account, snaptest.Region, "my-app", `{"Statement":[{"Effect":"Allow","Action":7}]}`).Build(), want: finding.Unknown, needs: "ecr:GetRepositoryPolicy"},
		{name: "repository does not exist (collector convention: ARN ref)", snap: fargate().Role(snaptest.ExecRole, trust, nil, snaptest.ExecPolicy()).
			Gap("ecr:DescribeRepositories", "RepositoryNotFoundException", "arn:aws:ecr:ap-northeast-1:123456789012:repository/my-app").
			Gap("ecr:GetRepositoryPolicy", "RepositoryNotFoundException", "arn:aws:ecr:ap-northeast-1:123456789012:repository/my-app").Build(), want: finding.NotApplicable},
		{name: "public image", snap: fargate(snaptest.Container{Image: "nginx:1.27"}).Build(), want: finding.NotApplicable},
	})
}
