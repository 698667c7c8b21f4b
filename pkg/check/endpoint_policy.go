package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/netpath"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// EndpointPolicy checks endpoint policies with a statement-level evaluation (Effect,
// Principal, Action/NotAction, Resource/NotResource, wildcards; Deny wins).
type EndpointPolicy struct{}

// Meta implements Check.
func (EndpointPolicy) Meta() Meta {
	return Meta{
		ID: "endpoint-policy", Cause: cause.VPCEndpointConfig, Severity: finding.Error,
		Title:       "Endpoint policies allow the calls the pull makes",
		TitleJA:     "エンドポイントポリシーが pull に必要な呼び出しを許可している",
		Description: "For each endpoint on the task's path, evaluates its policy document for the calls made through it: ecr:GetAuthorizationToken (ecr.api), ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on the repository ARN (ecr.dkr), s3:GetObject on arn:aws:s3:::prod-REGION-starport-layer-bucket/* (S3 gateway; layer URLs are presigned by ECR, so only statements for any principal apply), secretsmanager:GetSecretValue, ssm:GetParameters, logs:CreateLogStream/PutLogEvents. Explicit Deny wins; an Allow is needed; statements with conditions leave the answer unknown. Cause s3-layer-access for the S3 gateway endpoint.",
		Needs:       []string{"ec2:DescribeVpcEndpoints"},
	}
}

// The check's Meta and netLayer are fixed: built once rather than on every run.
var (
	endpointPolicyMeta  = EndpointPolicy{}.Meta()
	endpointPolicyLayer = netLayer{
		routeIndependent: true,
		layers:           []netpath.Layer{netpath.LayerEndpointPolicy},
		want:             endpointDest,
		naEN:             "no VPC endpoint is on the task's path",
		naJA:             "タスクの経路上に VPC エンドポイントはありません",
		noNeedEN:         "the task uses no service an endpoint could serve", noNeedJA: "エンドポイントで扱えるサービスをタスクが使いません",
	}
)

// Run implements Check.
func (c EndpointPolicy) Run(s *snapshot.Snapshot) []finding.Finding { return c.appendFindings(nil, s) }

func (EndpointPolicy) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	return appendNetLayer(dst, &endpointPolicyMeta, s, &endpointPolicyLayer)
}
