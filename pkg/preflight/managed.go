package preflight

import "strings"

// taskExecutionRolePolicy is the document of the AWS managed policy
// arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy (version v1), as the
// Amazon ECS Developer Guide prints it ("Amazon ECS task execution IAM role",
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html)
// and pkg/iampolicy/testdata keeps it. Embedding it lets preflight decide the ECR permissions
// of the most common execution role offline; any other managed policy is a NotCollected gap.
const taskExecutionRolePolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
        "logs:CreateLogStream",
        "logs:PutLogEvents"
      ],
      "Resource": "*"
    }
  ]
}`

const taskExecutionRolePolicyVersion = "v1"

// isTaskExecutionPolicy matches the managed policy's ARN in every partition.
func isTaskExecutionPolicy(arn string) bool {
	return strings.HasPrefix(arn, "arn:aws") && strings.HasSuffix(arn, ":iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
}
