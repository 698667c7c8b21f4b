package collect

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// logGroup looks up the awslogs log group by name prefix and keeps the exact match: a
// missing group fails the task at start-up just like a failed pull ("log group does not
// exist"), unless awslogs-create-group lets the agent create it. Read and absent is an
// empty answer, not a gap, so the check can tell "missing" from "not read".
func (c *collector) logGroup(ctx context.Context, depth int, region, name string) {
	if region == "" {
		region = c.region
	}
	if !c.once("loggroup:" + region + "/" + name) {
		return
	}
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c.cl.Logs(region), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	d := depth
	for p.HasMorePages() {
		var out *cloudwatchlogs.DescribeLogGroupsOutput
		if err := c.call(ctx, d, "logs:DescribeLogGroups", name, func(ctx context.Context) (err error) {
			out, err = p.NextPage(ctx)
			return err
		}); err != nil {
			return
		}
		d++
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				lg := snapshot.LogGroup{Name: name, ARN: aws.ToString(g.Arn)}
				c.with(func(s *snapshot.Snapshot) { s.LogGroups = append(s.LogGroups, lg) })
				return
			}
		}
	}
}
