package collect

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// secretARN strips what ECS appends to a secret ARN in valueFrom
// (":json-key:version-stage:version-id") so the secret itself is asked for.
func secretARN(ref string) string {
	if !strings.HasPrefix(ref, "arn:") {
		return ref
	}
	parts := strings.Split(ref, ":")
	if len(parts) > 7 {
		parts = parts[:7]
	}
	return strings.Join(parts, ":")
}

// secret reads a secret's metadata and resource policy, never its value — except, with
// Options.InspectSecretFormat and for repositoryCredentials, the value's shape, after which
// the value is dropped.
func (c *collector) secret(ctx context.Context, depth int, ref string, repoCreds bool) {
	id := secretARN(ref)
	if !c.once("secret:" + id) {
		return
	}
	region := arnPart(id, 3)
	cl := c.cl.SecretsManager(region)
	sec := &snapshot.Secret{ARN: id}
	found := false
	done := make(chan struct{})
	c.spawn(func() {
		defer close(done)
		var out *secretsmanager.DescribeSecretOutput
		if err := c.call(ctx, depth, "secretsmanager:DescribeSecret", id, func(ctx context.Context) (err error) {
			out, err = cl.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &id})
			return err
		}); err != nil {
			return
		}
		c.mu.Lock()
		found = true
		if a := aws.ToString(out.ARN); a != "" {
			sec.ARN = a
		}
		sec.Name = aws.ToString(out.Name)
		sec.KmsKeyID = aws.ToString(out.KmsKeyId)
		sec.DeletedDate = out.DeletedDate
		c.mu.Unlock()
		if k := sec.KmsKeyID; k != "" {
			c.spawn(func() { c.kmsKey(ctx, depth+1, orDefault(arnPart(sec.ARN, 3), region), k) })
		}
	})
	c.spawn(func() {
		var out *secretsmanager.GetResourcePolicyOutput
		if err := c.call(ctx, depth, "secretsmanager:GetResourcePolicy", id, func(ctx context.Context) (err error) {
			out, err = cl.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: &id})
			return err
		}); err != nil {
			return
		}
		c.mu.Lock()
		sec.ResourcePolicy = decodePolicy(aws.ToString(out.ResourcePolicy))
		c.mu.Unlock()
	})
	if repoCreds && c.o.InspectSecretFormat {
		c.spawn(func() {
			var format *snapshot.SecretFormat
			if err := c.call(ctx, depth, ActionSecretValue, id, func(ctx context.Context) error {
				out, err := cl.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &id})
				if err != nil {
					return err
				}
				format = secretFormat(aws.ToString(out.SecretString))
				out.SecretString, out.SecretBinary = nil, nil
				return nil
			}); err != nil {
				return
			}
			c.mu.Lock()
			sec.Format = format
			c.mu.Unlock()
		})
	}
	c.spawn(func() {
		<-done
		c.mu.Lock()
		ok := found
		c.mu.Unlock()
		if ok {
			c.mu.Lock()
			c.secrets = append(c.secrets, sec)
			c.mu.Unlock()
		}
	})
}

// secretFormat keeps only what repositoryCredentials needs: a JSON object with "username"
// and "password" keys. Values are not kept.
func secretFormat(v string) *snapshot.SecretFormat {
	f := &snapshot.SecretFormat{}
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(v), &m) != nil {
		return f
	}
	f.IsJSON = true
	_, f.HasUsername = m["username"]
	_, f.HasPassword = m["password"]
	return f
}
