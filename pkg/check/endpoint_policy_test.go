package check

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

func TestEndpointPolicy(t *testing.T) {
	const s3Other = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-app-assets/*"}]}`
	const s3Layers = `{"Version":"2012-10-17","Statement":[{"Sid":"Access-to-specific-bucket-only","Principal":"*","Action":["s3:GetObject"],"Effect":"Allow","Resource":["arn:aws:s3:::prod-ap-northeast-1-starport-layer-bucket/*"]}]}`
	const dkrDeny = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"ecr:*","Resource":"arn:aws:ecr:ap-northeast-1:123456789012:repository/my-app"}]}`
	const cond = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}`
	runNetCases(t, EndpointPolicy{}, []netCase{
		{name: "S3 policy without the layer bucket", b: netEndpoints().EndpointPolicy("vpce-0s3", s3Other), want: finding.Fail, cause: cause.S3LayerAccess,
			in: "aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0s3 --policy-document file://endpoint-policy.json"},
		{name: "dkr policy denies the repository", b: netEndpoints().EndpointPolicy("vpce-0dkr", dkrDeny), want: finding.Fail, cause: cause.VPCEndpointConfig},
		{name: "S3 policy with the layer bucket (AWS example)", b: netEndpoints().EndpointPolicy("vpce-0s3", s3Layers), want: finding.Pass},
		{name: "default policies", b: netEndpoints(), want: finding.Pass},
		{name: "condition not evaluated", b: netEndpoints().EndpointPolicy("vpce-0api", cond), want: finding.Unknown},
		{name: "no endpoints on the path", b: netNAT(), want: finding.NotApplicable},
		{name: "docker hub only", b: netDockerHub(), want: finding.NotApplicable},
	})
}
