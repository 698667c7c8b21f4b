package jsonpos

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	data := []byte("{\n  \"a\": 1,\n  \"b\": tru\n}")
	var v map[string]any
	err := Describe(data, json.Unmarshal(data, &v))
	if err == nil || !strings.HasPrefix(err.Error(), "line 3 column") {
		t.Fatalf("syntax error: %v", err)
	}
	var n struct{ A string }
	err = Describe([]byte(`{"A": 5}`), json.Unmarshal([]byte(`{"A": 5}`), &n))
	if err == nil || !strings.HasPrefix(err.Error(), "line 1 column") {
		t.Fatalf("type error: %v", err)
	}
	other := errors.New("boom")
	if Describe(data, other) != other {
		t.Error("other errors pass through unchanged")
	}
}
