package iampolicy

import (
	"strconv"
	"strings"
)

// Effect is the outcome of an evaluation.
type Effect uint8

// The four outcomes. Unknown means the policies decide differently depending
// on request-context values that the caller did not supply.
const (
	Unknown Effect = iota
	Allow
	ExplicitDeny
	ImplicitDeny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	case ImplicitDeny:
		return "ImplicitDeny"
	}
	return "Unknown"
}

// NamedPolicy is a policy with the name or ARN a report should cite.
type NamedPolicy struct {
	Name   string
	ARN    string
	Policy *Policy
}

func (n *NamedPolicy) label() string {
	if n.ARN != "" {
		return n.ARN
	}
	return n.Name
}

// SCPLevel is the set of SCPs attached at one level of the organization
// (root, each OU, the account). At every level at least one SCP must allow.
type SCPLevel struct {
	Target   string // e.g. "r-abcd", "ou-abcd-1234", "123456789012"
	Policies []NamedPolicy
}

// PolicySet is every policy that applies to one request.
type PolicySet struct {
	Identity []NamedPolicy
	Boundary *NamedPolicy // permissions boundary of the principal, if any
	Resource *NamedPolicy // resource-based policy (repository policy, trust policy…)
	// SCPs, root level first. nil means "not provided": Evaluate then assumes
	// they allow and sets Decision.SCPsAssumed. A non-nil empty slice means
	// "no SCP applies" (e.g. the management account).
	SCPs []SCPLevel
}

// Request is the request being authorized.
type Request struct {
	// PrincipalARN is the caller: a user, role, assumed-role session
	// (arn:aws:sts::111122223333:assumed-role/Name/session), the account
	// root, or a service principal such as "ecs-tasks.amazonaws.com".
	PrincipalARN string
	// PrincipalAccount defaults to the account in PrincipalARN.
	PrincipalAccount string
	Action           string
	Resource         string
	// ResourceAccount is the account owning Resource; empty means the
	// principal's own account.
	ResourceAccount string
	// Context holds request-context keys (names match case-insensitively).
	// aws:PrincipalArn, aws:PrincipalAccount, aws:ResourceAccount and
	// aws:username are derived from the fields above when absent. A key
	// present with no values is known to be absent from the request.
	Context map[string][]string
	// ContextComplete says that keys missing from Context are absent from the
	// real request, so conditions on them are decided as AWS decides them
	// instead of making the result Unknown.
	ContextComplete bool
}

// StatementRef identifies a statement: the policy's ARN (or name), its Sid
// and its 0-based index.
type StatementRef struct {
	Policy string
	Sid    string
	Index  int

	// quoted, when set, is a decision's reason that ends with String(), which starts at
	// byte nameAt: callers name the deciding statement again in their messages.
	quoted string
	nameAt int
}

func (r StatementRef) String() string {
	if r.quoted != "" {
		return r.quoted[r.nameAt:]
	}
	return r.withPrefix("")
}

// withPrefix is prefix + r.String() in one allocation. Concatenation rather than fmt: every
// decision names its statements, and this is on the hot path of every IAM check
// (strconv.Quote is what %q does for a string).
func (r StatementRef) withPrefix(prefix string) string {
	if r.Sid != "" {
		return prefix + r.Policy + " statement " + strconv.Quote(r.Sid)
	}
	return prefix + r.Policy + " statement #" + strconv.Itoa(r.Index)
}

// nameFirst returns prefix + refs[0].String(). A reference named with that prefix already
// has it; one never named keeps it, for later mentions. Named references are never
// modified: a policy's may be shared between decisions (Policy.soleAllow).
func nameFirst(prefix string, refs []StatementRef) string {
	r := &refs[0]
	if r.quoted != "" {
		if r.nameAt == len(prefix) && r.quoted[:r.nameAt] == prefix {
			return r.quoted
		}
		return prefix + r.String()
	}
	s := r.withPrefix(prefix)
	r.quoted, r.nameAt = s, len(prefix)
	return s
}

// Decision is the answer, with the statements that decided it. For
// ExplicitDeny they are the matching Deny statements; for Allow the Allow
// statements that grant access; for Unknown the statements whose
// applicability could not be decided; for ImplicitDeny usually none.
// Deciding may be shared with other decisions over the same policy: read it,
// append to it, but do not modify its elements.
type Decision struct {
	Effect   Effect
	Deciding []StatementRef
	Reason   string
	// SCPsAssumed is true when PolicySet.SCPs was nil and the principal is
	// subject to SCPs: the decision assumed that they allow the request.
	SCPsAssumed bool
}

type principalKind uint8

const (
	pkOther principalKind = iota
	pkRoot
	pkUser
	pkRole
	pkSession
	pkFederatedUser
	pkService
)

type reqCtx struct {
	// req is a copy, not a pointer: reqCtx is passed down to every statement and its
	// conditions, and a pointer would move the caller's Request to the heap.
	req      Request
	action   string
	kind     principalKind
	account  string
	name     string // user name, role name or session's role name
	session  string
	complete bool
	boundary bool // the principal has a permissions boundary
	// derived holds the values of derivedKeys, so that lookup hands them out as slices of
	// the request's own context: a new slice would make every Request escape to the heap.
	derived [len(derivedKeys)]string
}

// classify splits a principal ARN into its kind, account and names.
func classify(arn string) (k principalKind, account, name, session string) {
	if !strings.HasPrefix(arn, "arn:") {
		if strings.Contains(arn, ".") {
			return pkService, "", "", ""
		}
		return pkOther, "", "", ""
	}
	// strings.SplitN(arn, ":", 6) into an array: every evaluation classifies its principal,
	// and a slice would be a heap allocation each time.
	var parts [6]string
	rest := arn
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return pkOther, "", "", ""
		}
		parts[i], rest = rest[:j], rest[j+1:]
	}
	parts[5] = rest
	account, res := parts[4], parts[5]
	last := func(s string) string { return s[strings.LastIndexByte(s, '/')+1:] }
	switch {
	case parts[2] == "iam" && res == "root":
		return pkRoot, account, "", ""
	case parts[2] == "iam" && strings.HasPrefix(res, "user/"):
		return pkUser, account, last(res), ""
	case parts[2] == "iam" && strings.HasPrefix(res, "role/"):
		return pkRole, account, last(res), ""
	case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		if role, session, ok := strings.Cut(strings.TrimPrefix(res, "assumed-role/"), "/"); ok {
			return pkSession, account, role, session
		}
	case parts[2] == "sts" && strings.HasPrefix(res, "federated-user/"):
		return pkFederatedUser, account, strings.TrimPrefix(res, "federated-user/"), ""
	}
	return pkOther, account, "", ""
}

func (rc *reqCtx) lookup(key string) ([]string, bool) {
	ctx := rc.req.Context
	if v, ok := ctx[key]; ok {
		return v, true
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	if len(key) > 4 && strings.EqualFold(key[:4], "aws:") {
		for i, name := range derivedKeys {
			if strings.EqualFold(key[4:], name) && rc.derived[i] != "" {
				return rc.derived[i : i+1], true
			}
		}
	}
	return nil, rc.complete
}

// derivedKeys are the keys (after "aws:") whose values Evaluate derives from the request
// when the context lacks them, in the order of reqCtx.derived.
var derivedKeys = [...]string{"principalarn", "principalaccount", "resourceaccount", "username"}

type level uint8

const (
	lvNone level = iota
	lvAccount
	lvSession // names the role (or user) behind the calling session
	lvDirect  // names the caller itself, or "*"
)

func (p *Principals) level(rc *reqCtx) level {
	if p.Wildcard {
		return lvDirect
	}
	best := lvNone
	for _, a := range p.AWS {
		l := lvNone
		switch {
		case a == rc.req.PrincipalARN:
			l = lvDirect
		case a == rc.account && rc.account != "":
			l = lvAccount
		case rc.account != "" && a == "arn:aws:iam::"+rc.account+":root":
			l = lvAccount
			if rc.kind == pkRoot {
				l = lvDirect
			}
		default:
			k, acct, name, _ := classify(a)
			if acct == rc.account && name == rc.name &&
				((k == pkRole && rc.kind == pkSession) || (k == pkUser && rc.kind == pkFederatedUser)) {
				l = lvSession
			}
		}
		best = max(best, l)
	}
	for _, l := range [...][]string{p.Service, p.Federated, p.CanonicalUser} {
		for _, s := range l {
			if s == rc.req.PrincipalARN {
				return lvDirect
			}
		}
	}
	return best
}

// eval decides whether the statement applies to the request. forResource
// makes the Principal element mandatory (resource-based policies). why is the
// condition that made the result unknown, if any.
func (s *Statement) eval(rc *reqCtx, forResource bool) (t tri, lv level, wild bool, why *Condition) {
	am := false
	for i := range s.actions {
		if s.actions[i].match(rc.action, true) {
			am = true
			break
		}
	}
	if am == s.notAction {
		return triFalse, lvNone, false, nil
	}
	lv = lvDirect
	if forResource {
		switch {
		case s.Principal != nil:
			lv = s.Principal.level(rc)
			wild = s.Principal.Wildcard
		case s.NotPrincipal != nil:
			// AWS: "The NotPrincipal element with a Deny effect will always
			// deny any IAM principal that has a permissions boundary policy
			// attached" (IAM User Guide, Permissions boundaries).
			if !(s.Deny && rc.boundary) && s.NotPrincipal.level(rc) != lvNone {
				lv = lvNone
			}
		default:
			lv = lvNone
		}
		if lv == lvNone {
			return triFalse, lvNone, false, nil
		}
	}
	t = triTrue
	if s.hasResource || s.notResource {
		vals := s.resources
		if s.notResource {
			vals = s.notResources
		}
		rm := triFalse
		for i := range vals {
			m := vals[i].matchResource(rc)
			if m == triInvalid {
				// AWS: a variable that cannot be resolved can make the
				// whole statement invalid; under NotResource it must not
				// turn into "matches everything".
				if s.notResource {
					return triFalse, lvNone, false, nil
				}
				m = triFalse
			}
			rm = or(rm, m)
			if rm == triTrue && !s.notResource {
				break
			}
		}
		if s.notResource {
			rm = rm.not()
		}
		if rm == triFalse {
			return triFalse, lvNone, false, nil
		}
		t = rm
	}
	for i := range s.Conditions {
		c := &s.Conditions[i]
		ct := c.eval(rc)
		if ct == triFalse {
			return triFalse, lvNone, false, nil
		}
		if ct == triUnknown && why == nil {
			why = c
		}
		t = and(t, ct)
	}
	return t, lv, wild, why
}

func (v *value) matchResource(rc *reqCtx) tri {
	if v.parts == nil {
		if v.raw == "*" {
			return triTrue
		}
		return triOf(v.arn.match(rc.req.Resource))
	}
	g, t := v.resolve(rc)
	if t == triFalse {
		return triInvalid
	}
	if t != triTrue {
		return t
	}
	a := arnGlobFrom(g)
	return triOf(a.match(rc.req.Resource))
}

// soleAllow returns []StatementRef{ref} for statement i of p, named "allowed by ...": the
// list of deciding statements of a request that this statement alone allows, as most are.
// It is kept in p for the policy label it was made for, so that the decisions over a policy
// (parsed once, and shared by every request that evaluates it) share one list and one
// reason instead of making them per request. Read-only: appending to it copies (its
// capacity is 1), and nameFirst never modifies a named reference.
func (p *Policy) soleAllow(i int, ref StatementRef) []StatementRef {
	if i >= len(p.allowedBy) { // not made by Parse
		return []StatementRef{ref}
	}
	if c := p.allowedBy[i].Load(); c != nil && (*c)[0].Policy == ref.Policy {
		return *c
	}
	ref.quoted, ref.nameAt = ref.withPrefix("allowed by "), len("allowed by ")
	refs := []StatementRef{ref}
	p.allowedBy[i].Store(&refs)
	return refs
}

// tally collects the statements of one kind of policy that may apply.
type tally struct {
	allow, deny             tri
	allowRefs, denyRefs     []StatementRef
	maybeAllow, maybeDeny   []StatementRef
	whyAllow, whyDeny       string
	direct, account, bypass tri // resource-policy allows by principal level
	directRefs, accountRefs []StatementRef
}

func newTally() tally {
	return tally{allow: triFalse, deny: triFalse, direct: triFalse, account: triFalse, bypass: triFalse}
}

func reasonFor(rc *reqCtx, c *Condition) string {
	if c == nil {
		return "a policy variable has no value in the request context"
	}
	if _, known := rc.lookup(c.Key); !known {
		return "condition key " + c.Key + " has no value in the request context"
	}
	return "a policy variable in condition " + c.Operator + " " + c.Key + " has no value in the request context"
}

func (t *tally) add(rc *reqCtx, np *NamedPolicy, forResource bool) {
	if np == nil || np.Policy == nil {
		return
	}
	for i := range np.Policy.Statements {
		s := &np.Policy.Statements[i]
		r, lv, wild, why := s.eval(rc, forResource)
		if r == triFalse {
			continue
		}
		ref := StatementRef{Policy: np.label(), Sid: s.Sid, Index: s.Index}
		if s.Deny {
			t.deny = or(t.deny, r)
			if r == triTrue {
				t.denyRefs = append(t.denyRefs, ref)
			} else {
				t.maybeDeny = append(t.maybeDeny, ref)
				if t.whyDeny == "" {
					t.whyDeny = reasonFor(rc, why)
				}
			}
			continue
		}
		t.allow = or(t.allow, r)
		if r == triTrue {
			if t.allowRefs == nil {
				t.allowRefs = np.Policy.soleAllow(i, ref)
			} else {
				t.allowRefs = append(t.allowRefs, ref)
			}
		} else {
			t.maybeAllow = append(t.maybeAllow, ref)
			if t.whyAllow == "" {
				t.whyAllow = reasonFor(rc, why)
			}
		}
		if forResource {
			switch lv {
			case lvDirect, lvSession:
				t.direct = or(t.direct, r)
				if r == triTrue {
					if t.directRefs == nil {
						t.directRefs = np.Policy.soleAllow(i, ref)
					} else {
						t.directRefs = append(t.directRefs, ref)
					}
				}
			case lvAccount:
				t.account = or(t.account, r)
				if r == triTrue {
					t.accountRefs = append(t.accountRefs, ref)
				}
			}
			// A same-account resource policy naming the calling user or
			// session itself is not limited by the permissions boundary;
			// one naming the role behind a session is.
			if lv == lvDirect && (rc.kind != pkRole || wild) {
				t.bypass = or(t.bypass, r)
			}
		}
	}
}

// Evaluate applies AWS's policy evaluation logic to the request:
//
//  1. an applicable explicit Deny in any policy (SCP, resource, boundary,
//     identity) decides ExplicitDeny;
//  2. every SCP level must allow (when SCPs are provided);
//  3. same account: a resource-policy Allow naming the caller (or its role)
//     suffices, or an identity-policy Allow that the permissions boundary
//     also allows; a resource-policy Allow for the account principal only
//     delegates to identity policies. An implicit deny in the boundary is
//     overridden only by a resource-policy Allow naming the user or session
//     ARN itself, not the role ARN;
//  4. cross account: the resource policy must allow (naming the caller or its
//     account) AND the identity policies (and boundary) must allow;
//  5. a service principal is authorized by the resource policy alone.
//
// Statements that cannot be decided make the result Unknown only when the
// answer depends on them.
func Evaluate(set PolicySet, req Request) Decision {
	rc := reqCtx{req: req, action: req.Action, complete: req.ContextComplete, boundary: set.Boundary != nil}
	rc.kind, rc.account, rc.name, rc.session = classify(req.PrincipalARN)
	if req.PrincipalAccount != "" {
		rc.account = req.PrincipalAccount
	}
	// Filled here rather than by a method: a store through a pointer would leak the request.
	rc.derived[0] = req.PrincipalARN
	rc.derived[1] = rc.account
	rc.derived[2] = req.ResourceAccount
	if rc.derived[2] == "" {
		rc.derived[2] = rc.account
	}
	if rc.kind == pkUser {
		rc.derived[3] = rc.name
	}
	service := rc.kind == pkService

	id, bd, res, dec := newTally(), newTally(), newTally(), Decision{}
	if !service {
		for i := range set.Identity {
			id.add(&rc, &set.Identity[i], false)
		}
		if set.Boundary != nil {
			bd.add(&rc, set.Boundary, false)
		}
	}
	res.add(&rc, set.Resource, true)

	scpAllow := triTrue
	var scp []tally
	if !service {
		if set.SCPs == nil {
			dec.SCPsAssumed = true
		}
		for _, lvl := range set.SCPs {
			t := newTally()
			for i := range lvl.Policies {
				t.add(&rc, &lvl.Policies[i], false)
			}
			scp = append(scp, t)
			scpAllow = and(scpAllow, t.allow)
		}
	}

	// tallies visits every tally in order. A fixed array plus the SCP slice, rather than
	// appending pointers to a new slice, keeps id, bd and res on the stack: Evaluate runs for
	// every action of every IAM check.
	tallies := func(yield func(*tally) bool) {
		for _, t := range [3]*tally{&id, &bd, &res} {
			if !yield(t) {
				return
			}
		}
		for i := range scp {
			if !yield(&scp[i]) {
				return
			}
		}
	}

	// 1. explicit deny
	deny := or(or(id.deny, bd.deny), res.deny)
	var denyRefs, maybeDeny []StatementRef
	whyDeny := ""
	for t := range tallies {
		deny = or(deny, t.deny)
		denyRefs = joinRefs(denyRefs, t.denyRefs)
		maybeDeny = joinRefs(maybeDeny, t.maybeDeny)
		if whyDeny == "" {
			whyDeny = t.whyDeny
		}
	}
	if deny == triTrue {
		dec.Effect, dec.Deciding = ExplicitDeny, denyRefs
		dec.Reason = nameFirst("explicitly denied by ", denyRefs)
		return dec
	}

	// 2-5. allow
	boundary := triTrue
	if set.Boundary != nil {
		boundary = bd.allow
	}
	cross := req.ResourceAccount != "" && req.ResourceAccount != rc.account
	var allowed tri
	switch {
	case service:
		allowed = res.allow
	case cross:
		allowed = and(and(or(res.direct, res.account), id.allow), boundary)
	default:
		resPath := res.direct
		if set.Boundary != nil {
			resPath = and(resPath, or(boundary, res.bypass))
		}
		allowed = or(and(id.allow, boundary), resPath)
	}
	scpDenies := -1 // the SCP level that allows nothing, when the SCPs decide
	if scpAllow == triFalse && allowed != triFalse {
		allowed = triFalse
		for i, t := range scp {
			if t.allow == triFalse {
				scpDenies = i
				break
			}
		}
	} else {
		allowed = and(allowed, scpAllow)
	}

	switch {
	case allowed == triFalse:
		// Denied either way; an undecided Deny can only change which kind.
		dec.Effect = ImplicitDeny
		if scpDenies >= 0 {
			dec.Reason = "no SCP attached at " + set.SCPs[scpDenies].Target + " allows " + req.Action
		} else {
			dec.Reason = notAllowedReason(&set, &req, &rc, &id, &res, service, cross, boundary)
		}
		if deny == triUnknown {
			dec.Reason += "; an explicit Deny may also apply (" + whyDeny + ")"
			dec.Deciding = maybeDeny
		}
	case deny == triUnknown:
		dec.Effect, dec.Deciding = Unknown, maybeDeny
		dec.Reason = "a Deny statement may apply: " + whyDeny
	case allowed == triTrue:
		dec.Effect = Allow
		resOK := service || cross || (res.direct == triTrue && (set.Boundary == nil || boundary == triTrue || res.bypass == triTrue))
		if resOK {
			dec.Deciding = joinRefs(dec.Deciding, res.directRefs)
			if cross {
				dec.Deciding = joinRefs(dec.Deciding, res.accountRefs)
			}
		}
		if !service && (cross || (id.allow == triTrue && boundary == triTrue)) {
			dec.Deciding = joinRefs(dec.Deciding, id.allowRefs)
			dec.Deciding = joinRefs(dec.Deciding, bd.allowRefs)
		}
		for i := range scp {
			dec.Deciding = joinRefs(dec.Deciding, scp[i].allowRefs)
		}
		if len(dec.Deciding) == 0 {
			dec.Reason = "allowed"
			break
		}
		dec.Reason = nameFirst("allowed by ", dec.Deciding)
	default:
		dec.Effect = Unknown
		for t := range tallies {
			dec.Deciding = joinRefs(dec.Deciding, t.maybeAllow)
			if dec.Reason == "" && t.whyAllow != "" {
				dec.Reason = "an Allow statement may apply: " + t.whyAllow
			}
		}
		if dec.Reason == "" {
			dec.Reason = "the outcome depends on request-context values that were not provided"
		}
	}
	return dec
}

// notAllowedReason says why no policy path allows the request (SCPs aside). Worked out only
// for a denied request: most requests are allowed, and the text names the request.
func notAllowedReason(set *PolicySet, req *Request, rc *reqCtx, id, res *tally, service, cross bool, boundary tri) string {
	switch {
	case service:
		return "the resource policy does not allow the service principal " + req.PrincipalARN
	case cross:
		switch {
		case or(res.direct, res.account) == triFalse:
			return "cross-account request: the resource policy of account " + req.ResourceAccount + " does not allow " + req.PrincipalARN
		case id.allow == triFalse:
			return "cross-account request: no identity-based policy in account " + rc.account + " allows " + req.Action
		}
		return "the permissions boundary does not allow " + req.Action
	}
	switch {
	case id.allow == triFalse && res.direct == triFalse:
		return "no identity-based or resource-based policy allows " + req.Action + " on " + req.Resource
	case boundary == triFalse:
		return "the permissions boundary " + set.Boundary.label() + " does not allow " + req.Action
	}
	return ""
}

// joinRefs is append(dst, src...), except that it hands back src itself when dst is empty:
// each tally's lists are built afresh by every Evaluate and read once, so a decision made by
// one kind of policy (the usual case) takes its list without a copy.
func joinRefs(dst, src []StatementRef) []StatementRef {
	if len(dst) == 0 {
		return src
	}
	return append(dst, src...)
}
