package collect

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// parameterName turns an SSM parameter ARN into the name DescribeParameters filters on:
// "arn:…:parameter/a/b" is "/a/b", "arn:…:parameter/x" is "x".
func parameterName(ref string) string {
	res := arnPart(ref, 5)
	if res == "" {
		return ref
	}
	rest := strings.TrimPrefix(res, "parameter")
	if strings.Count(rest, "/") == 1 {
		return strings.TrimPrefix(rest, "/")
	}
	return rest
}

// parameter reads a parameter's metadata with DescribeParameters: GetParameter(s) would
// return the value, which pulldoctor never reads.
func (c *collector) parameter(ctx context.Context, depth int, ref string) {
	name := parameterName(ref)
	region := arnPart(ref, 3)
	if !c.once("param:" + region + "/" + name) {
		return
	}
	var out *ssm.DescribeParametersOutput
	if err := c.call(ctx, depth, "ssm:DescribeParameters", ref, func(ctx context.Context) (err error) {
		out, err = c.cl.SSM(region).DescribeParameters(ctx, &ssm.DescribeParametersInput{
			ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{name}}},
		})
		return err
	}); err != nil {
		return
	}
	if len(out.Parameters) == 0 {
		// Read, and not there: recorded so a check can tell "missing" from "not read".
		c.with(func(s *snapshot.Snapshot) {
			s.AddGap(snapshot.Gap{Call: "ssm:DescribeParameters", Error: "ParameterNotFound", Message: fmt.Sprintf("no parameter named %s", name), Ref: ref})
		})
		return
	}
	md := out.Parameters[0]
	p := snapshot.Parameter{ARN: aws.ToString(md.ARN), Name: aws.ToString(md.Name), Type: string(md.Type), KeyID: aws.ToString(md.KeyId)}
	if p.ARN == "" {
		p.ARN = ref
		if !strings.HasPrefix(ref, "arn:") {
			p.ARN = ""
		}
	}
	c.with(func(s *snapshot.Snapshot) { s.Parameters = append(s.Parameters, p) })
	if p.Type == string(ssmtypes.ParameterTypeSecureString) && p.KeyID != "" {
		c.spawn(func() { c.kmsKey(ctx, depth+1, orDefault(region, c.region), p.KeyID) })
	}
}
