package preflight

import (
	"encoding/json"
	"strconv"
)

// Helpers over decoded JSON (map[string]any with json.Number), tolerant of absent keys.

func isObject(v any) bool { _, ok := v.(map[string]any); return ok }
func isArray(v any) bool  { _, ok := v.([]any); return ok }

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func arr(v any) []any {
	a, _ := v.([]any)
	return a
}

// str returns a string value; numbers and booleans are formatted, anything else is "".
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

// strs returns the string elements of a list (or a single string as a list of one).
func strs(v any) []string {
	if s, ok := v.(string); ok && s != "" {
		return []string{s}
	}
	var out []string
	for _, e := range arr(v) {
		if s := str(e); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// boolOr returns a boolean value, or def when absent or not a boolean.
func boolOr(v any, def bool) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		if b, err := strconv.ParseBool(x); err == nil {
			return b
		}
	}
	return def
}

func int32Of(v any) (int32, bool) {
	s := str(v)
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

// first returns the first element of a list of blocks (Terraform nested blocks are lists).
func first(v any) map[string]any {
	if a := arr(v); len(a) > 0 {
		return obj(a[0])
	}
	return obj(v)
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// rawJSON returns a policy document as JSON: a string holding JSON stays as it is, an object
// is encoded.
func rawJSON(v any) json.RawMessage {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x == "" {
			return nil
		}
		if json.Valid([]byte(x)) {
			return json.RawMessage(x)
		}
		b, _ := json.Marshal(x)
		return b
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
