package check

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/pulldoctor/pulldoctor/pkg/errclass"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
)

// Several checks derive the same facts from the same strings: the stopped reason is
// classified by Diagnose and three checks, and every image-related check parses every
// container image. Both are pure functions of their input, so their answers are memoised by
// the text itself (no staleness: a snapshot edited between runs simply asks for a new key).
// Callers treat the results as read-only. The caches are bounded: when full they start over,
// which keeps the memory of a long-running process flat.
const memoMax = 256

type memo[V any] struct {
	sync.Mutex
	m map[string]V
}

func (c *memo[V]) get(key string, compute func(string) V) V {
	c.Lock()
	v, ok := c.m[key]
	c.Unlock()
	if ok {
		return v
	}
	v = compute(key)
	c.Lock()
	if c.m == nil || len(c.m) >= memoMax {
		c.m = make(map[string]V, 16)
	}
	c.m[key] = v
	c.Unlock()
	return v
}

// getBytes is get for a key held as bytes: a hit costs no copy of the key (indexing a map
// with string(b) does not allocate); only a miss stores one.
func (c *memo[V]) getBytes(key []byte, compute func(string) V) V {
	c.Lock()
	v, ok := c.m[string(key)]
	c.Unlock()
	if ok {
		return v
	}
	return c.get(string(key), compute)
}

var classifyMemo memo[errclass.Result]

// classify is errclass.Classify, memoised. The result's slices are shared: do not modify.
func classify(text string) errclass.Result {
	return classifyMemo.get(text, errclass.Classify)
}

type parsedImage struct {
	ref imageref.Ref
	err error
}

var imageMemo memo[parsedImage]

// parseImage is imageref.Parse, memoised.
func parseImage(image string) (imageref.Ref, error) {
	p := imageMemo.get(image, func(s string) parsedImage {
		ref, err := imageref.Parse(s)
		return parsedImage{ref, err}
	})
	return p.ref, p.err
}

var compactMemo memo[string]

// compactJSON renders a raw document on one line for evidence. Memoised: the trust and
// repository policies are quoted by several checks on every run.
func compactJSON(raw json.RawMessage) string {
	return compactMemo.getBytes(raw, func(doc string) string {
		var b bytes.Buffer
		if json.Compact(&b, []byte(doc)) == nil {
			return b.String()
		}
		return doc
	})
}
