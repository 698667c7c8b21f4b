package collect

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// role reads a role with its trust policy and every policy that applies to it: attached
// (default version), inline and the permissions boundary. known is the role when a caller
// already has it (GetInstanceProfile returns it), saving GetRole.
func (c *collector) role(ctx context.Context, depth int, arn string, known *iamtypes.Role) {
	if !c.once("role:" + arn) {
		return
	}
	r := &snapshot.Role{ARN: arn, RoleName: snapshot.RoleNameFromARN(arn)}
	c.mu.Lock()
	c.roles = append(c.roles, r)
	c.mu.Unlock()
	name := r.RoleName
	var wg sync.WaitGroup
	run := func(fn func()) {
		wg.Add(1)
		c.spawn(func() { defer wg.Done(); fn() })
	}
	setRole := func(ir *iamtypes.Role) {
		c.mu.Lock()
		r.RoleID = aws.ToString(ir.RoleId)
		r.AssumeRolePolicyDocument = decodePolicy(aws.ToString(ir.AssumeRolePolicyDocument))
		c.mu.Unlock()
		if b := ir.PermissionsBoundary; b != nil && aws.ToString(b.PermissionsBoundaryArn) != "" {
			pa := aws.ToString(b.PermissionsBoundaryArn)
			d := depth
			if known == nil {
				d++
			}
			run(func() {
				if p, ok := c.managedPolicy(ctx, d, pa); ok {
					c.mu.Lock()
					r.PermissionsBoundary = &p
					c.mu.Unlock()
				}
			})
		}
	}
	if known != nil {
		setRole(known)
	} else {
		run(func() {
			var out *iam.GetRoleOutput
			if err := c.call(ctx, depth, "iam:GetRole", arn, func(ctx context.Context) (err error) {
				out, err = c.cl.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
				return err
			}); err == nil && out.Role != nil {
				setRole(out.Role)
			}
		})
	}
	run(func() {
		p := iam.NewListAttachedRolePoliciesPaginator(c.cl.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: &name})
		d := depth
		for p.HasMorePages() {
			var out *iam.ListAttachedRolePoliciesOutput
			if err := c.call(ctx, d, "iam:ListAttachedRolePolicies", arn, func(ctx context.Context) (err error) {
				out, err = p.NextPage(ctx)
				return err
			}); err != nil {
				return
			}
			d++
			for _, ap := range out.AttachedPolicies {
				pa, pd := aws.ToString(ap.PolicyArn), d
				run(func() {
					if pol, ok := c.managedPolicy(ctx, pd, pa); ok {
						c.mu.Lock()
						r.AttachedPolicies = append(r.AttachedPolicies, pol)
						c.mu.Unlock()
					}
				})
			}
		}
	})
	run(func() {
		p := iam.NewListRolePoliciesPaginator(c.cl.IAM, &iam.ListRolePoliciesInput{RoleName: &name})
		d := depth
		for p.HasMorePages() {
			var out *iam.ListRolePoliciesOutput
			if err := c.call(ctx, d, "iam:ListRolePolicies", arn, func(ctx context.Context) (err error) {
				out, err = p.NextPage(ctx)
				return err
			}); err != nil {
				return
			}
			d++
			for _, pn := range out.PolicyNames {
				pd := d
				run(func() {
					var got *iam.GetRolePolicyOutput
					if err := c.call(ctx, pd, "iam:GetRolePolicy", arn+"/"+pn, func(ctx context.Context) (err error) {
						got, err = c.cl.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &name, PolicyName: aws.String(pn)})
						return err
					}); err != nil {
						return
					}
					c.mu.Lock()
					r.InlinePolicies = append(r.InlinePolicies, snapshot.Policy{Name: pn, Document: decodePolicy(aws.ToString(got.PolicyDocument))})
					c.mu.Unlock()
				})
			}
		}
	})
	wg.Wait()
}

// managedPolicy reads a managed policy's default version, once per ARN however many roles
// attach it.
func (c *collector) managedPolicy(ctx context.Context, depth int, arn string) (snapshot.Policy, bool) {
	v := c.future("policy:"+arn, func() any {
		var gp *iam.GetPolicyOutput
		if err := c.call(ctx, depth, "iam:GetPolicy", arn, func(ctx context.Context) (err error) {
			gp, err = c.cl.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &arn})
			return err
		}); err != nil || gp.Policy == nil {
			return nil
		}
		pol := snapshot.Policy{Name: aws.ToString(gp.Policy.PolicyName), ARN: arn, VersionID: aws.ToString(gp.Policy.DefaultVersionId)}
		var gv *iam.GetPolicyVersionOutput
		if err := c.call(ctx, depth+1, "iam:GetPolicyVersion", arn, func(ctx context.Context) (err error) {
			gv, err = c.cl.IAM.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &arn, VersionId: gp.Policy.DefaultVersionId})
			return err
		}); err == nil && gv.PolicyVersion != nil {
			pol.Document = decodePolicy(aws.ToString(gv.PolicyVersion.Document))
		}
		return pol
	})
	p, ok := v.(snapshot.Policy)
	return p, ok
}

// instanceProfile reads the container instance's instance profile for its role, which the
// ECS agent falls back to when a task has no execution role.
func (c *collector) instanceProfile(ctx context.Context, depth int, profileARN string) {
	name := snapshot.RoleNameFromARN(profileARN)
	if !c.once("profile:" + name) {
		return
	}
	var out *iam.GetInstanceProfileOutput
	if err := c.call(ctx, depth, "iam:GetInstanceProfile", profileARN, func(ctx context.Context) (err error) {
		out, err = c.cl.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: &name})
		return err
	}); err != nil || out.InstanceProfile == nil || len(out.InstanceProfile.Roles) == 0 {
		return
	}
	ir := out.InstanceProfile.Roles[0]
	arn := aws.ToString(ir.Arn)
	c.with(func(s *snapshot.Snapshot) { s.InstanceRoleARN = arn })
	c.role(ctx, depth+1, arn, &ir)
}

// decodePolicy turns IAM's URL-encoded policy text into a JSON document; text that is not
// JSON after decoding is kept as a JSON string so nothing is lost.
func decodePolicy(doc string) json.RawMessage {
	if doc == "" {
		return nil
	}
	if !json.Valid([]byte(doc)) && strings.Contains(doc, "%") {
		// RFC 3986 encoding, as IAM documents it: PathUnescape keeps a literal '+'.
		if d, err := url.PathUnescape(doc); err == nil {
			doc = d
		}
	}
	if json.Valid([]byte(doc)) {
		return json.RawMessage(doc)
	}
	b, _ := json.Marshal(doc)
	return b
}
