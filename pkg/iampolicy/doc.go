// Package iampolicy parses AWS IAM policy documents and evaluates requests
// against them with AWS's documented policy evaluation logic, so pulldoctor
// can say which statement blocks an image pull instead of guessing.
//
// API:
//
//	func Parse(doc []byte) (*Policy, error)      // JSON, URL-encoded JSON, or a JSON string holding the document
//	func ParseString(s string) (*Policy, error)
//	func Evaluate(set PolicySet, req Request) Decision
//	func (p *Policy) AllowsPrincipal(name, principal, action, resource string, ctx map[string][]string) Decision
//
// Decision.Effect is Allow, ExplicitDeny, ImplicitDeny or Unknown. Unknown is
// returned instead of a guess when the answer depends on a condition key the
// caller did not put in Request.Context (e.g. aws:SourceVpce); a Deny that
// matches regardless still decides ExplicitDeny, and an Allow still allows
// when no Deny could apply. IfExists and Null operators treat a missing key
// as absent. Set Request.ContextComplete when the context is known to be
// complete: missing keys are then absent and nothing is Unknown.
//
// SCPs: PolicySet.SCPs == nil means "not provided"; Evaluate then assumes
// they allow and sets Decision.SCPsAssumed, and callers decide what to make
// of that. An empty non-nil slice means no SCP applies.
//
// Limitations (documented, not guessed): session policies, RCPs and VPC
// endpoint policies are not modelled; service-specific authorization (KMS key
// policies' account trust, S3 ACLs) is not modelled; AllowsPrincipal reports
// the resource-policy side only, which is the whole answer for service
// principals such as ecs-tasks.amazonaws.com.
//
// Correctness is checked by unit tests from AWS documentation examples and a
// differential test against @cloud-copilot/iam-simulate (test/iamdiff).
package iampolicy
