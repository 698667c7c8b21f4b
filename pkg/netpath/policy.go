package netpath

import (
	"encoding/json"
	"net/url"
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

// policyStep evaluates an endpoint policy for the calls the destination needs. It is a
// statement-level check (Effect, Principal, Action/NotAction, Resource/NotResource with
// wildcards; explicit Deny wins); a statement with a Condition is not evaluated and makes the
// answer undecided rather than guessed.
func (a *Analyzer) policyStep(ep *ec2types.VpcEndpoint, d Destination, c cause.ID) Step {
	epID := deref(ep.VpcEndpointId)
	doc := deref(ep.PolicyDocument)
	if strings.TrimSpace(doc) == "" {
		return Step{Layer: LayerEndpointPolicy, Status: OK,
			Evidence:  []finding.Evidence{{Source: srcEP, Ref: epID, Key: "PolicyDocument", Value: "(default: full access)"}},
			Message:   epID + " has the default full-access endpoint policy",
			MessageJA: epID + " は既定のフルアクセスのエンドポイントポリシーです"}
	}
	if len(d.Actions) == 0 {
		return Step{Layer: LayerEndpointPolicy, Status: Skipped} // no calls to check
	}
	pol, err := parsePolicy(doc)
	if err != nil {
		return Step{Layer: LayerEndpointPolicy, Status: Unknown, Needs: []string{"ec2:DescribeVpcEndpoints"},
			Evidence:  []finding.Evidence{{Source: srcEP, Ref: epID, Key: "PolicyDocument", Value: "unparseable: " + err.Error()}},
			Message:   "cannot decide: the policy of " + epID + " cannot be parsed: " + err.Error(),
			MessageJA: "判定できません: " + epID + " のポリシーを解析できません: " + err.Error()}
	}
	principal, account := a.s.ExecutionRoleARN(), a.s.Account
	if principal == "" {
		principal = a.s.InstanceRoleARN
	}
	if d.Service == S3 {
		// ECR hands out presigned S3 URLs for layers, signed by ECR rather than the task's
		// role: only statements for any principal ("*") let them through.
		principal, account = "", ""
	}
	for _, act := range d.Actions {
		res := d.Resources
		if act == "ecr:GetAuthorizationToken" || len(res) == 0 {
			res = []string{"*"}
		}
		for _, rsc := range res {
			v, why := pol.decide(act, rsc, principal, account)
			ev := []finding.Evidence{{Source: srcEP, Ref: epID, Key: "PolicyDocument", Value: why}}
			switch v {
			case no:
				return Step{Layer: LayerEndpointPolicy, Status: Blocked, Cause: c, Evidence: ev, Fix: a.fixEndpointPolicy(epID, d),
					Message:   "the endpoint policy of " + epID + " does not allow " + act + " on " + rsc + " (" + why + ")",
					MessageJA: epID + " のエンドポイントポリシーが " + rsc + " に対する " + act + " を許可していません（" + why + "）"}
			case maybe:
				return Step{Layer: LayerEndpointPolicy, Status: Unknown, Evidence: ev, Needs: []string{"iam:SimulateCustomPolicy"},
					Message:   "cannot decide whether the policy of " + epID + " allows " + act + " on " + rsc + ": " + why,
					MessageJA: epID + " のポリシーが " + rsc + " に対する " + act + " を許可するか決められません: " + why}
			}
		}
	}
	return Step{Layer: LayerEndpointPolicy, Status: OK,
		Evidence:  []finding.Evidence{{Source: srcEP, Ref: epID, Key: "PolicyDocument", Value: "allows " + strings.Join(d.Actions, ", ")}},
		Message:   "the endpoint policy of " + epID + " allows " + strings.Join(d.Actions, ", "),
		MessageJA: epID + " のエンドポイントポリシーは " + strings.Join(d.Actions, ", ") + " を許可しています"}
}

type stmt struct {
	sid                 string
	allow               bool
	principals          []string // "*" or ARNs / account ids; nil means no Principal element
	notPrincipal        bool
	actions, notActions []string
	res, notRes         []string
	hasCond             bool
}

type policy struct{ stmts []stmt }

func parsePolicy(doc string) (*policy, error) {
	doc = strings.TrimSpace(doc)
	if strings.HasPrefix(doc, "%7B") || strings.HasPrefix(doc, "%7b") {
		if u, err := url.QueryUnescape(doc); err == nil {
			doc = u
		}
	}
	var raw struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, err
	}
	var list []map[string]any
	if err := json.Unmarshal(raw.Statement, &list); err != nil {
		var one map[string]any
		if err2 := json.Unmarshal(raw.Statement, &one); err2 != nil {
			return nil, err
		}
		list = []map[string]any{one}
	}
	p := &policy{}
	for i, m := range list {
		s := stmt{sid: "#" + itoa(i+1)}
		if v, ok := m["Sid"].(string); ok && v != "" {
			s.sid = v
		}
		s.allow = strings.EqualFold(str(m["Effect"]), "Allow")
		s.actions, s.notActions = strs(m["Action"]), strs(m["NotAction"])
		s.res, s.notRes = strs(m["Resource"]), strs(m["NotResource"])
		if pr, ok := m["Principal"]; ok {
			s.principals = principals(pr)
		} else if pr, ok := m["NotPrincipal"]; ok {
			s.principals, s.notPrincipal = principals(pr), true
		}
		if c, ok := m["Condition"].(map[string]any); ok && len(c) > 0 {
			s.hasCond = true
		}
		p.stmts = append(p.stmts, s)
	}
	return p, nil
}

func str(v any) string { s, _ := v.(string); return s }

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func principals(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case map[string]any:
		var out []string
		for _, k := range []string{"AWS", "Service", "Federated", "CanonicalUser"} {
			out = append(out, strs(x[k])...)
		}
		return out
	}
	return nil
}

// decide answers for one call: explicit Deny wins, then an Allow is needed.
func (p *policy) decide(action, resource, principal, account string) (tri, string) {
	allowWhy, maybeWhy := "", ""
	for _, s := range p.stmts {
		if !s.matches(action, resource, principal, account) {
			continue
		}
		switch {
		case !s.allow && !s.hasCond:
			return no, "statement " + s.sid + " denies it"
		case !s.allow:
			maybeWhy = "statement " + s.sid + " denies it under a Condition that is not evaluated"
		case s.hasCond:
			if maybeWhy == "" {
				maybeWhy = "statement " + s.sid + " allows it only under a Condition that is not evaluated"
			}
		default:
			if allowWhy == "" {
				allowWhy = "statement " + s.sid + " allows it"
			}
		}
	}
	switch {
	case allowWhy != "" && !strings.Contains(maybeWhy, "denies"):
		return yes, allowWhy
	case maybeWhy != "":
		return maybe, maybeWhy
	}
	return no, "no statement allows it (implicit deny)"
}

func (s stmt) matches(action, resource, principal, account string) bool {
	if len(s.actions) > 0 && !anyGlob(s.actions, action, true) {
		return false
	}
	if len(s.notActions) > 0 && anyGlob(s.notActions, action, true) {
		return false
	}
	if len(s.actions) == 0 && len(s.notActions) == 0 {
		return false
	}
	if len(s.res) > 0 && !anyGlob(s.res, resource, false) {
		return false
	}
	if len(s.notRes) > 0 && anyGlob(s.notRes, resource, false) {
		return false
	}
	if s.principals != nil {
		hit := false
		for _, p := range s.principals {
			if p == "*" || (principal != "" && p == principal) || (account != "" && (p == account || p == "arn:aws:iam::"+account+":root" || p == "arn:aws-cn:iam::"+account+":root")) {
				hit = true
			}
		}
		if hit == s.notPrincipal {
			return false
		}
	}
	return true
}

func anyGlob(patterns []string, v string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			if glob(strings.ToLower(p), strings.ToLower(v)) {
				return true
			}
		} else if glob(p, v) {
			return true
		}
	}
	return false
}

// glob matches IAM wildcards: * any run, ? one character. A requested "*" resource (calls
// that take no resource) is matched only by a pattern of "*".
func glob(p, s string) bool {
	if s == "*" {
		return p == "*"
	}
	px, sx := 0, 0
	nextP, nextS := -1, -1
	for sx < len(s) || px < len(p) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				nextP, nextS = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextS > 0 && nextS <= len(s) {
			px, sx = nextP, nextS
			continue
		}
		return false
	}
	return true
}
