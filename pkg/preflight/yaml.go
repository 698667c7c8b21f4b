package preflight

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// A CloudFormation template in YAML becomes the value encoding/json gives for the same
// template in JSON (map[string]any, []any, string, json.Number, bool, nil), so one reader
// serves both. The short-form tags are the long forms CloudFormation documents
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html);
// the table matches AWS's own converter (aws-cloudformation/rain, cft/tags.go): !Condition is
// {"Condition": x}, not Fn::Condition.
var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition",
	"!Sub": "Fn::Sub", "!GetAtt": "Fn::GetAtt", "!Join": "Fn::Join", "!Select": "Fn::Select",
	"!Split": "Fn::Split", "!If": "Fn::If", "!Equals": "Fn::Equals", "!Not": "Fn::Not",
	"!And": "Fn::And", "!Or": "Fn::Or", "!FindInMap": "Fn::FindInMap", "!ImportValue": "Fn::ImportValue",
	"!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr", "!GetAZs": "Fn::GetAZs", "!Transform": "Fn::Transform",
}

// maxYAMLValues bounds what aliases may expand to: a few nested aliases can otherwise make
// a small file expand into billions of values.
const maxYAMLValues = 1 << 20

// maxColumnSearch bounds the input the column of a syntax error is looked for in (a
// CloudFormation template is at most 1 MB).
const maxColumnSearch = 4 << 20

// decodeYAML parses a single YAML document. ok is false when it parsed but is not a mapping
// with a CloudFormation template's top-level keys.
func decodeYAML(data []byte) (top map[string]any, ok bool, err error) {
	root, err := parseYAML(data)
	if err != nil {
		return nil, false, err
	}
	for root != nil && root.Kind == yaml.AliasNode {
		root = root.Alias
	}
	if root == nil || root.Kind != yaml.MappingNode {
		return nil, false, nil
	}
	c := &yamlConv{budget: maxYAMLValues, active: map[*yaml.Node]bool{}}
	v, err := c.value(root)
	if err != nil {
		return nil, false, err
	}
	top = obj(v)
	if !isObject(top["Resources"]) && top["AWSTemplateFormatVersion"] == nil {
		return nil, false, nil
	}
	return top, true, nil
}

// parseYAML returns the root node of the only document in data (nil for an empty stream).
func parseYAML(data []byte) (root *yaml.Node, err error) {
	defer func() {
		// The parser reports its own errors as values; anything else is a bug in it that
		// must not take the process down.
		if r := recover(); r != nil {
			err = fmt.Errorf("YAML parser failed: %v", r)
		}
	}()
	var doc yaml.Node
	if err := parseAll(data, &doc); err != nil {
		return nil, yamlSyntaxError(data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

var errMultiDoc = errors.New("more than one YAML document: a template is one document")

// parseAll decodes the first document into doc and makes sure no other follows.
func parseAll(data []byte, doc *yaml.Node) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(doc); err != nil && err != io.EOF {
		return err
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
		return nil
	case err != nil:
		return err
	}
	return fmt.Errorf("line %d column %d: %w", next.Line, next.Column, errMultiDoc)
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// yamlSyntaxError says where a YAML syntax error is. The parser names only a line, and not
// reliably (its parser errors count lines from 0, its scanner errors from 1), so the position
// is where parsing stops: the shortest prefix of the input that fails with the very same
// error ends at the offending character (for an unclosed quote or bracket, at its start).
func yamlSyntaxError(data []byte, err error) error {
	if errors.Is(err, errMultiDoc) {
		return err
	}
	msg := err.Error()
	m := yamlLineRE.FindStringSubmatch(msg)
	text := strings.ReplaceAll(msg[len(m[0]):], "\n", " ")
	line, _ := strconv.Atoi(m[1])
	if len(data) > maxColumnSearch {
		if line > 0 {
			return fmt.Errorf("line %d: %s", line, text)
		}
		return errors.New(text)
	}
	fails := func(n int) bool {
		var doc yaml.Node
		e := parseAll(data[:n], &doc)
		return e != nil && e.Error() == msg
	}
	// The error is at or after the start of the line the parser names.
	lo, hi := 0, len(data)
	if line > 1 {
		if lo = nthLineStart(data, line); fails(lo) {
			lo = 0
		}
	}
	for hi-lo > 1 { // invariant: fails(hi) and not fails(lo)
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	at := max(hi-1, 0) // the last byte the failing prefix needed
	pl := 1 + bytes.Count(data[:at], []byte("\n"))
	col := 1 + utf8.RuneCount(data[bytes.LastIndexByte(data[:at], '\n')+1:at])
	return fmt.Errorf("line %d column %d: %s", pl, col, text)
}

// nthLineStart returns the offset of line n (1-based), or len(data).
func nthLineStart(data []byte, n int) int {
	off := 0
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data[off:], '\n')
		if j < 0 {
			return len(data)
		}
		off += j + 1
	}
	return off
}

// yamlConv converts nodes, expanding aliases within a budget and refusing cycles.
type yamlConv struct {
	budget int
	active map[*yaml.Node]bool
}

func nodeErr(n *yaml.Node, format string, a ...any) error {
	return fmt.Errorf("line %d column %d: %s", n.Line, n.Column, fmt.Sprintf(format, a...))
}

func (c *yamlConv) value(n *yaml.Node) (any, error) {
	if c.budget--; c.budget < 0 {
		return nil, nodeErr(n, "aliases expand to more than %d values", maxYAMLValues)
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, nodeErr(n, "unknown alias *%s", n.Value)
		}
		if c.active[n.Alias] {
			return nil, nodeErr(n, "alias *%s contains itself", n.Value)
		}
		c.active[n.Alias] = true
		defer delete(c.active, n.Alias)
		return c.value(n.Alias)
	}
	if isLocalTag(n.Tag) {
		fn, ok := shortForms[n.Tag]
		if !ok {
			return nil, nodeErr(n, "unknown tag %s (CloudFormation's short forms are !Ref, !Sub, !GetAtt, !Join and the other Fn:: names)", n.Tag)
		}
		return c.intrinsic(fn, n)
	}
	tag := n.ShortTag()
	switch n.Kind {
	case yaml.MappingNode:
		if tag != "!!map" {
			return nil, nodeErr(n, "unsupported tag %s on a mapping", tag)
		}
		return c.mapping(n)
	case yaml.SequenceNode:
		if tag != "!!seq" {
			return nil, nodeErr(n, "unsupported tag %s on a sequence", tag)
		}
		out := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.value(e)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		return scalar(n, tag)
	}
	return nil, nodeErr(n, "unexpected YAML node")
}

// isLocalTag says whether a tag is a "!Name" tag rather than a YAML one ("!!str", "!").
func isLocalTag(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") && tag != "!"
}

// jsonNumberRE is a number as JSON writes it: such YAML numbers stay numbers; others (0x1F,
// 1_000, 012, .inf) keep their text as a string, as an account id with a leading zero must.
var jsonNumberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func scalar(n *yaml.Node, tag string) (any, error) {
	switch tag {
	case "!!str", "!!timestamp":
		// A date such as 2010-09-09 is a string to CloudFormation.
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return n.Value, nil
	case "!!int", "!!float":
		if jsonNumberRE.MatchString(n.Value) {
			return json.Number(n.Value), nil
		}
		return n.Value, nil
	}
	return nil, nodeErr(n, "unsupported tag %s", tag)
}

func (c *yamlConv) mapping(n *yaml.Node) (map[string]any, error) {
	out := make(map[string]any, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		for k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode || isLocalTag(k.Tag) {
			return nil, nodeErr(n.Content[i], "a mapping key must be a plain string")
		}
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if _, dup := out[k.Value]; dup {
			return nil, nodeErr(n.Content[i], "duplicate key %q", k.Value)
		}
		val, err := c.value(v)
		if err != nil {
			return nil, err
		}
		out[k.Value] = val
	}
	// Merge keys (<<: *base), which `aws cloudformation package` resolves: the mapping's own
	// keys win, then the merged mappings in order.
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if r := resolveAlias(m); r != nil && r.Kind == yaml.SequenceNode {
			srcs = r.Content
		}
		for _, s := range srcs {
			v, err := c.value(s)
			if err != nil {
				return nil, err
			}
			mm, ok := v.(map[string]any)
			if !ok {
				return nil, nodeErr(s, "a merge key (<<) takes a mapping or a list of mappings")
			}
			for k, e := range mm {
				if _, ok := out[k]; !ok {
					out[k] = e
				}
			}
		}
	}
	return out, nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// intrinsic converts a short-form tag to its long form. A tagged scalar is a string.
func (c *yamlConv) intrinsic(fn string, n *yaml.Node) (any, error) {
	var arg any
	switch n.Kind {
	case yaml.ScalarNode:
		arg = n.Value
		if fn == "Fn::GetAtt" {
			id, attr, ok := strings.Cut(n.Value, ".")
			if !ok || id == "" || attr == "" {
				return nil, nodeErr(n, "!GetAtt %q: want Resource.Attribute", n.Value)
			}
			arg = []any{id, attr}
		}
	case yaml.MappingNode, yaml.SequenceNode:
		plain := *n
		plain.Tag = ""
		v, err := c.value(&plain)
		if err != nil {
			return nil, err
		}
		arg = v
	default:
		return nil, nodeErr(n, "%s: unexpected argument", n.Tag)
	}
	if (fn == "Ref" || fn == "Condition") && !isString(arg) {
		return nil, nodeErr(n, "%s takes a name", n.Tag)
	}
	return map[string]any{fn: arg}, nil
}

func isString(v any) bool { _, ok := v.(string); return ok }
