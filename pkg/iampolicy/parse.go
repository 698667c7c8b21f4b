package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
)

// Policy versions. Policy variables are substituted only under Version2012.
const (
	Version2008 = "2008-10-17"
	Version2012 = "2012-10-17"
)

// ErrMalformed is wrapped by every error Parse returns, so callers can tell
// "this is not a policy" from I/O errors with errors.Is.
var ErrMalformed = errors.New("malformed IAM policy")

// Policy is a parsed policy document. Patterns are compiled at parse time so
// that evaluating it is cheap and allocation-light.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement

	// allowedBy holds, per statement, what soleAllow made for it last.
	allowedBy []atomic.Pointer[[]StatementRef]
}

// Statement is one statement of a policy.
type Statement struct {
	Sid   string
	Index int // position in the policy, 0-based: statements often have no Sid
	Deny  bool

	Actions      []string // raw values, as written
	NotActions   []string
	Resources    []string
	NotResources []string
	// Principal and NotPrincipal are nil when the element is absent.
	Principal    *Principals
	NotPrincipal *Principals
	Conditions   []Condition

	actions      []glob // lower-cased
	resources    []value
	notResources []value
	notAction    bool
	notResource  bool
	hasResource  bool
}

// Principals is a Principal or NotPrincipal element. "*" (or {"AWS": "*"})
// sets Wildcard.
type Principals struct {
	Wildcard      bool
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Condition is one operator/key pair of a Condition block, e.g.
// StringEquals aws:SourceAccount ["123456789012"].
type Condition struct {
	Operator string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Key      string
	Values   []string

	op     opKind
	set    setKind
	ifEx   bool
	negate bool
	vals   []value
}

// value is one policy string compiled once. Strings with policy variables
// keep their parts and are resolved per request.
type value struct {
	raw   string
	g     glob
	arn   arnGlob
	parts []varPart // non-nil only when the string has policy variables
}

type varPart struct {
	lit    string // literal text; wildcards active unless escaped
	esc    bool   // lit came from ${*} ${?} ${$}: no wildcard meaning
	name   string // variable name when lit == "" && !esc
	def    string
	hasDef bool
}

func compileValue(s string, vars bool) value {
	v := value{raw: s}
	if vars && strings.Contains(s, "${") {
		v.parts = splitVars(s)
	}
	if v.parts == nil {
		v.g = compileGlob(s)
		v.arn = arnGlobFrom(v.g)
	}
	return v
}

// splitVars splits s into literal text and ${...} variables; it returns nil
// when there is no well-formed variable so the fast path stays in use.
func splitVars(s string) []varPart {
	var parts []varPart
	found := false
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		if i > 0 {
			parts = append(parts, varPart{lit: s[:i]})
		}
		inner := s[i+2 : i+j]
		found = true
		switch inner {
		case "*", "?", "$":
			parts = append(parts, varPart{lit: inner, esc: true})
		default:
			p := varPart{name: strings.TrimSpace(inner)}
			if k := strings.IndexByte(inner, ','); k >= 0 {
				d := strings.TrimSpace(inner[k+1:])
				if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
					p.name = strings.TrimSpace(inner[:k])
					p.def, p.hasDef = d[1:len(d)-1], true
				}
			}
			parts = append(parts, p)
		}
		s = s[i+j+1:]
	}
	if !found {
		return nil
	}
	if s != "" {
		parts = append(parts, varPart{lit: s})
	}
	return parts
}

// ParseString parses a policy document held in a string (as the AWS SDKs
// return it, possibly URL-encoded).
func ParseString(s string) (*Policy, error) { return Parse([]byte(s)) }

// Parse parses a policy document in any form AWS hands one out: plain JSON,
// URL-encoded JSON (IAM's GetRolePolicy and GetPolicyVersion return that), or
// a JSON string whose content is the document (CloudFormation, Terraform).
func Parse(doc []byte) (*Policy, error) {
	return parseDepth(doc, 0)
}

func parseDepth(doc []byte, depth int) (*Policy, error) {
	if depth > 3 {
		return nil, fmt.Errorf("%w: document nested in strings or URL encoding too deeply", ErrMalformed)
	}
	t := bytes.TrimSpace(doc)
	if len(t) == 0 {
		return nil, fmt.Errorf("%w: empty document", ErrMalformed)
	}
	switch t[0] {
	case '%':
		dec, err := url.PathUnescape(string(t))
		if err != nil {
			return nil, fmt.Errorf("%w: URL-decoding document: %v", ErrMalformed, err)
		}
		return parseDepth([]byte(dec), depth+1)
	case '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return nil, fmt.Errorf("%w: document is a JSON string that does not decode: %v", ErrMalformed, err)
		}
		return parseDepth([]byte(s), depth+1)
	case '{':
	default:
		return nil, fmt.Errorf("%w: document does not start with '{'", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the document", ErrMalformed)
	}
	p := &Policy{}
	for k, v := range raw {
		switch k {
		case "Version":
			s, ok := v.(string)
			if !ok || (s != Version2008 && s != Version2012) {
				return nil, fmt.Errorf("%w: Version must be %q or %q, got %v", ErrMalformed, Version2012, Version2008, v)
			}
			p.Version = s
		case "Id":
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%w: Id must be a string", ErrMalformed)
			}
			p.ID = s
		case "Statement":
		default:
			return nil, fmt.Errorf("%w: unknown top-level element %q", ErrMalformed, k)
		}
	}
	st, ok := raw["Statement"]
	if !ok {
		return nil, fmt.Errorf("%w: no Statement element", ErrMalformed)
	}
	var list []any
	switch x := st.(type) {
	case map[string]any:
		list = []any{x}
	case []any:
		list = x
	default:
		return nil, fmt.Errorf("%w: Statement must be an object or a list of objects", ErrMalformed)
	}
	vars := p.Version == Version2012
	p.Statements = make([]Statement, 0, len(list))
	for i, s := range list {
		m, ok := s.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: Statement[%d] is not an object", ErrMalformed, i)
		}
		stmt, err := parseStatement(m, i, vars)
		if err != nil {
			sid := ""
			if id, ok := m["Sid"].(string); ok && id != "" {
				sid = fmt.Sprintf(" (Sid %q)", id)
			}
			return nil, fmt.Errorf("policy Statement[%d]%s: %w", i, sid, err)
		}
		p.Statements = append(p.Statements, stmt)
	}
	p.allowedBy = make([]atomic.Pointer[[]StatementRef], len(p.Statements))
	return p, nil
}

func parseStatement(m map[string]any, idx int, vars bool) (Statement, error) {
	s := Statement{Index: idx}
	var err error
	for k, v := range m {
		switch k {
		case "Sid":
			sid, ok := v.(string)
			if !ok {
				return s, fmt.Errorf("%w: Sid must be a string", ErrMalformed)
			}
			s.Sid = sid
		case "Effect":
			switch v {
			case "Allow":
			case "Deny":
				s.Deny = true
			default:
				return s, fmt.Errorf("%w: Effect must be \"Allow\" or \"Deny\", got %v", ErrMalformed, v)
			}
		case "Action":
			s.Actions, err = stringList(k, v)
		case "NotAction":
			s.NotActions, err = stringList(k, v)
			s.notAction = true
		case "Resource":
			s.Resources, err = stringList(k, v)
			s.hasResource = true
		case "NotResource":
			s.NotResources, err = stringList(k, v)
			s.notResource = true
		case "Principal":
			s.Principal, err = parsePrincipals(k, v)
		case "NotPrincipal":
			s.NotPrincipal, err = parsePrincipals(k, v)
		case "Condition":
			s.Conditions, err = parseConditions(v, vars)
		default:
			return s, fmt.Errorf("%w: unknown element %q", ErrMalformed, k)
		}
		if err != nil {
			return s, err
		}
	}
	if _, ok := m["Effect"]; !ok {
		return s, fmt.Errorf("%w: no Effect", ErrMalformed)
	}
	switch {
	case s.Actions != nil && s.notAction:
		return s, fmt.Errorf("%w: both Action and NotAction", ErrMalformed)
	case s.Actions == nil && !s.notAction:
		return s, fmt.Errorf("%w: neither Action nor NotAction", ErrMalformed)
	case s.hasResource && s.notResource:
		return s, fmt.Errorf("%w: both Resource and NotResource", ErrMalformed)
	case s.Principal != nil && s.NotPrincipal != nil:
		return s, fmt.Errorf("%w: both Principal and NotPrincipal", ErrMalformed)
	}
	acts := s.Actions
	if s.notAction {
		acts = s.NotActions
	}
	s.actions = make([]glob, len(acts))
	for i, a := range acts {
		if a != "*" && !strings.Contains(a, ":") {
			return s, fmt.Errorf("%w: action %q is not of the form service:action", ErrMalformed, a)
		}
		s.actions[i] = compileGlob(strings.ToLower(a))
	}
	for _, r := range s.Resources {
		s.resources = append(s.resources, compileValue(r, vars))
	}
	for _, r := range s.NotResources {
		s.notResources = append(s.notResources, compileValue(r, vars))
	}
	return s, nil
}

// stringList accepts the string-or-list form AWS allows for most elements.
func stringList(name string, v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%w: %s[%d] is not a string", ErrMalformed, name, i)
			}
			out = append(out, s)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%w: %s is an empty list", ErrMalformed, name)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%w: %s must be a string or a list of strings", ErrMalformed, name)
	}
}

func parsePrincipals(name string, v any) (*Principals, error) {
	p := &Principals{}
	if s, ok := v.(string); ok {
		if s != "*" {
			return nil, fmt.Errorf("%w: %s string must be \"*\", got %q", ErrMalformed, name, s)
		}
		p.Wildcard = true
		return p, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s must be \"*\" or an object", ErrMalformed, name)
	}
	for k, e := range m {
		l, err := stringList(name+"."+k, e)
		if err != nil {
			return nil, err
		}
		switch k {
		case "AWS":
			for _, a := range l {
				if a == "*" {
					p.Wildcard = true
				} else {
					p.AWS = append(p.AWS, a)
				}
			}
		case "Service":
			p.Service = l
		case "Federated":
			p.Federated = l
		case "CanonicalUser":
			p.CanonicalUser = l
		default:
			return nil, fmt.Errorf("%w: unknown %s type %q", ErrMalformed, name, k)
		}
	}
	return p, nil
}

func parseConditions(v any, vars bool) ([]Condition, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: Condition must be an object", ErrMalformed)
	}
	// Sorted so that evaluation (and the first "unknown" reason) is stable.
	ops := make([]string, 0, len(m))
	for k := range m {
		ops = append(ops, k)
	}
	sort.Strings(ops)
	var out []Condition
	for _, opName := range ops {
		keys, ok := m[opName].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: Condition operator %s must map keys to values", ErrMalformed, opName)
		}
		base, err := parseOperator(opName)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, key := range names {
			vals, err := conditionValues(keys[key])
			if err != nil {
				return nil, fmt.Errorf("condition %s %s: %w", opName, key, err)
			}
			c := base
			c.Operator, c.Key, c.Values = opName, key, vals
			c.vals = make([]value, len(vals))
			for i, s := range vals {
				c.vals[i] = compileValue(s, vars && c.op.allowsVars())
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func conditionValues(v any) ([]string, error) {
	one := func(e any) (string, error) {
		switch x := e.(type) {
		case string:
			return x, nil
		case bool:
			if x {
				return "true", nil
			}
			return "false", nil
		case json.Number:
			return x.String(), nil
		default:
			return "", fmt.Errorf("%w: condition value must be a string, number or boolean", ErrMalformed)
		}
	}
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, err := one(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := one(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}
