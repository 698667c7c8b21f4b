package collect

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// callerIdentity records who is looking: checks compare the caller's account with the
// task's and the image's, and a report names the principal whose view it is.
func (c *collector) callerIdentity(ctx context.Context) {
	var out *sts.GetCallerIdentityOutput
	if err := c.call(ctx, 0, "sts:GetCallerIdentity", "", func(ctx context.Context) (err error) {
		out, err = c.cl.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}); err != nil {
		return
	}
	c.mu.Lock()
	c.callerAcct = aws.ToString(out.Account)
	c.mu.Unlock()
	c.with(func(s *snapshot.Snapshot) {
		s.CallerARN = aws.ToString(out.Arn)
		s.Partition = arnPart(s.CallerARN, 1)
	})
}
