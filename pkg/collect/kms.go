package collect

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// kmsKey reads a customer key's metadata and key policy. AWS managed keys
// (alias/aws/secretsmanager, alias/aws/ssm) are skipped: their policy always lets the
// account's principals use them through the service.
func (c *collector) kmsKey(ctx context.Context, depth int, region, ref string) {
	if strings.Contains(ref, "alias/aws/") || !c.once("kms:"+region+"/"+ref) {
		return
	}
	cl := c.cl.KMS(region)
	isAlias := strings.Contains(ref, "alias/")
	key := &snapshot.KMSKey{KeyID: ref}
	if isAlias {
		key.Aliases = []string{ref[strings.Index(ref, "alias/"):]}
	}
	found := false
	readPolicy := func(depth int, id string) {
		var out *kms.GetKeyPolicyOutput
		if err := c.call(ctx, depth, "kms:GetKeyPolicy", id, func(ctx context.Context) (err error) {
			out, err = cl.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: &id, PolicyName: aws.String("default")})
			return err
		}); err != nil {
			return
		}
		c.mu.Lock()
		key.Policy = decodePolicy(aws.ToString(out.Policy))
		c.mu.Unlock()
	}
	done := make(chan struct{})
	if !isAlias {
		// A key id or ARN is enough for both calls: read them together.
		c.spawn(func() { defer close(done); readPolicy(depth, ref) })
	}
	var out *kms.DescribeKeyOutput
	if err := c.call(ctx, depth, "kms:DescribeKey", ref, func(ctx context.Context) (err error) {
		out, err = cl.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &ref})
		return err
	}); err == nil && out.KeyMetadata != nil {
		m := out.KeyMetadata
		c.mu.Lock()
		found = true
		key.KeyID, key.ARN = aws.ToString(m.KeyId), aws.ToString(m.Arn)
		key.KeyManager, key.KeyState = string(m.KeyManager), string(m.KeyState)
		c.mu.Unlock()
		if isAlias {
			readPolicy(depth+1, key.KeyID)
		}
	}
	if !isAlias {
		<-done
	}
	if found {
		c.with(func(s *snapshot.Snapshot) { s.KMSKeys = append(s.KMSKeys, *key) })
	}
}
