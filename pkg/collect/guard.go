package collect

import (
	"context"
	"fmt"
	"slices"
	"strings"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

type smithyStack = middleware.Stack

// readActions is every action the collector may call: the allowlist the guard enforces and
// the policy docs/iam-policy.json grants (a test keeps the two equal).
var readActions = []string{
	"ec2:DescribeDhcpOptions",
	"ec2:DescribeEgressOnlyInternetGateways",
	"ec2:DescribeInstances",
	"ec2:DescribeInternetGateways",
	"ec2:DescribeManagedPrefixLists",
	"ec2:DescribeNatGateways",
	"ec2:DescribeNetworkAcls",
	"ec2:DescribeNetworkInterfaces",
	"ec2:DescribeRouteTables",
	"ec2:DescribeSecurityGroups",
	"ec2:DescribeSubnets",
	"ec2:DescribeVpcAttribute",
	"ec2:DescribeVpcEndpoints",
	"ec2:DescribeVpcs",
	"ec2:GetManagedPrefixListEntries",
	"ecr:BatchGetImage",
	"ecr:DescribeImages",
	"ecr:DescribePullThroughCacheRules",
	"ecr:DescribeRepositories",
	"ecr:GetRepositoryPolicy",
	"ecs:DescribeClusters",
	"ecs:DescribeContainerInstances",
	"ecs:DescribeServices",
	"ecs:DescribeTaskDefinition",
	"ecs:DescribeTasks",
	"ecs:ListClusters",
	"ecs:ListServices",
	"ecs:ListTasks",
	"iam:GetInstanceProfile",
	"iam:GetPolicy",
	"iam:GetPolicyVersion",
	"iam:GetRole",
	"iam:GetRolePolicy",
	"iam:ListAttachedRolePolicies",
	"iam:ListRolePolicies",
	"kms:DescribeKey",
	"logs:DescribeLogGroups",
	"kms:GetKeyPolicy",
	"secretsmanager:DescribeSecret",
	"secretsmanager:GetResourcePolicy",
	"ssm:DescribeParameters",
	"sts:GetCallerIdentity",
}

// ActionSecretValue is the one value-reading action, allowed only with
// Options.InspectSecretFormat (and kept out of the default IAM policy).
const ActionSecretValue = "secretsmanager:GetSecretValue"

// Actions returns the IAM actions the collector may call without InspectSecretFormat, sorted.
func Actions() []string { return slices.Clone(readActions) }

// valueReading are reads that return secret material: refused whatever the allowlist says,
// so a later edit of readActions cannot leak a value into a snapshot.
var valueReading = map[string]bool{
	"ssm:GetParameter":           true,
	"ssm:GetParameters":          true,
	"ssm:GetParametersByPath":    true,
	"ssm:GetParameterHistory":    true,
	"ecr:GetAuthorizationToken":  true,
	"sts:GetSessionToken":        true,
	"sts:GetFederationToken":     true,
	"kms:GetParametersForImport": true,
}

// serviceIAMPrefix maps the SDK's service id to the IAM action prefix.
var serviceIAMPrefix = map[string]string{
	"ECS":             "ecs",
	"EC2":             "ec2",
	"ECR":             "ecr",
	"IAM":             "iam",
	"STS":             "sts",
	"Secrets Manager": "secretsmanager",
	"SSM":             "ssm",
	"KMS":             "kms",
	"CloudWatch Logs": "logs",
}

// ReadOnlyError is what the guard returns for a refused operation; it never reaches the
// network.
type ReadOnlyError struct{ Action string }

func (e *ReadOnlyError) Error() string {
	return fmt.Sprintf("pulldoctor is read-only: refusing %s", e.Action)
}

// IAMAction converts an SDK service id and operation name to "prefix:Operation".
func IAMAction(serviceID, operation string) string {
	p, ok := serviceIAMPrefix[serviceID]
	if !ok {
		p = strings.ToLower(strings.ReplaceAll(serviceID, " ", ""))
	}
	return p + ":" + operation
}

// CheckAction says whether the collector may call action ("service:Operation").
func CheckAction(action string, inspectSecretFormat bool) error {
	_, op, _ := strings.Cut(action, ":")
	readName := false
	for _, p := range []string{"Describe", "Get", "List", "BatchGet"} {
		if strings.HasPrefix(op, p) {
			readName = true
		}
	}
	switch {
	case !readName, valueReading[action]:
		return &ReadOnlyError{Action: action}
	case action == ActionSecretValue:
		if inspectSecretFormat {
			return nil
		}
		return &ReadOnlyError{Action: action}
	case !slices.Contains(readActions, action):
		return &ReadOnlyError{Action: action}
	}
	return nil
}

// GuardAPIOption is the read-only guard as an SDK APIOptions entry, for a client built
// outside NewClients.
func GuardAPIOption(inspectSecretFormat bool) func(*middleware.Stack) error {
	return readOnlyGuard(inspectSecretFormat)
}

// readOnlyGuard refuses, before signing or sending, any operation CheckAction refuses. It
// sits in the Initialize step after the SDK has registered the operation's metadata.
func readOnlyGuard(inspectSecretFormat bool) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("pulldoctorReadOnlyGuard",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				action := IAMAction(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
				if err := CheckAction(action, inspectSecretFormat); err != nil {
					return middleware.InitializeOutput{}, middleware.Metadata{}, err
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
}
