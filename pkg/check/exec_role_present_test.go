package check

import (
	"reflect"
	"strings"
	"testing"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

func TestExecRolePresent(t *testing.T) {
	secretARN := "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf"
	tests := []struct {
		name string
		snap *snapshot.Snapshot
		want finding.Status
	}{
		{"fargate ECR image with role", snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: snaptest.ECRImage}).Build(), finding.Pass},
		{"fargate ECR image without role", snaptest.New().Fargate("", snaptest.Container{Image: snaptest.ECRImage}).Build(), finding.Fail},
		{"fargate awslogs without role", snaptest.New().Fargate("", snaptest.Container{Image: "nginx:1.27", LogDriver: "awslogs"}).Build(), finding.Fail},
		{"fargate public image, nothing needs a role", snaptest.New().Fargate("", snaptest.Container{Image: "nginx:1.27"}).Build(), finding.NotApplicable},
		{"EC2 ECR image without role falls back to instance role", snaptest.New().EC2("", ecstypes.NetworkModeBridge, snaptest.Container{Image: snaptest.ECRImage}).Build(), finding.Pass},
		{"EC2 secrets without role", snaptest.New().EC2("", ecstypes.NetworkModeBridge, snaptest.Container{Image: snaptest.ECRImage, Secrets: map[string]string{"DB": secretARN}}).Build(), finding.Fail},
		{"EC2 repositoryCredentials without role", snaptest.New().EC2("", ecstypes.NetworkModeBridge, snaptest.Container{Image: "myorg/private:1", CredentialsARN: secretARN}).Build(), finding.Fail},
		{"role named but does not exist", snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: snaptest.ECRImage}).Gap("iam:GetRole", "NoSuchEntity", snaptest.ExecRole).Build(), finding.Fail},
		{"role unreadable is not a failure here", snaptest.New().Fargate(snaptest.ExecRole, snaptest.Container{Image: snaptest.ECRImage}).Gap("iam:GetRole", "AccessDenied", snaptest.ExecRole).Build(), finding.Pass},
		{"no task definition, gap", snaptest.New().Gap("ecs:DescribeTaskDefinition", "AccessDeniedException", "").Build(), finding.Unknown},
		{"no task definition", snaptest.New().Build(), finding.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := runOne(t, ExecRolePresent{}, tt.snap)
			if got := statuses(fs); !reflect.DeepEqual(got, []finding.Status{tt.want}) {
				t.Fatalf("statuses %v, want [%s]: %s", got, tt.want, fs[0].Message)
			}
		})
	}
}

func TestExecRolePresentRemediationNamesAccount(t *testing.T) {
	fs := ExecRolePresent{}.Run(snaptest.New().Fargate("", snaptest.Container{Image: snaptest.ECRImage}).Build())
	rem := fs[0].Remediation
	if rem == nil || len(rem.Commands) != 2 {
		t.Fatalf("want create-role and attach-role-policy commands, got %+v", rem)
	}
	if !strings.Contains(string(rem.Policy), `"aws:SourceAccount":"123456789012"`) {
		t.Errorf("trust policy should pin aws:SourceAccount to the task's account: %s", rem.Policy)
	}
}
