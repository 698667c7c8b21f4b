package iampolicy

// AllowsPrincipal evaluates p as a resource-based policy, typically a role's
// trust policy: can principal (e.g. the service principal
// "ecs-tasks.amazonaws.com") perform action (e.g. "sts:AssumeRole") given
// the request context (aws:SourceAccount, aws:SourceArn…)? resource is the
// ARN of the role or resource that carries the policy; it only matters when
// the policy has Resource elements. ctx keys missing from the context make
// conditions on them Unknown, as in Evaluate.
func (p *Policy) AllowsPrincipal(name, principal, action, resource string, ctx map[string][]string) Decision {
	return Evaluate(PolicySet{Resource: &NamedPolicy{Name: name, Policy: p}, SCPs: []SCPLevel{}}, Request{
		PrincipalARN: principal,
		Action:       action,
		Resource:     resource,
		Context:      ctx,
	})
}
