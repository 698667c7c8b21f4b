package check

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
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

// parsedImage is imageref.Parse's answer together with the renderings of the reference
// that the checks quote in their messages, so each is built once per image text.
type parsedImage struct {
	ref imageref.Ref
	err error
	// str is ref.String(), familiar ref.Familiar(), repoARN ref.RepositoryARN().
	str, familiar, repoARN string
}

var imageMemo memo[*parsedImage]

// imageInfo is imageref.Parse with its renderings, memoised. Read-only.
func imageInfo(image string) *parsedImage {
	return imageMemo.get(image, func(s string) *parsedImage {
		ref, err := imageref.Parse(s)
		p := &parsedImage{ref: ref, err: err}
		if err == nil {
			p.str, p.familiar, p.repoARN = ref.String(), ref.Familiar(), ref.RepositoryARN()
		}
		return p
	})
}

// parseImage is imageref.Parse, memoised.
func parseImage(image string) (imageref.Ref, error) {
	p := imageInfo(image)
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

// causeCatalogue is the cause catalogue by id. cause.Lookup copies an entry's slices for
// each caller; the catalogue is fixed, so one copy serves every diagnosis.
var causeCatalogue = sync.OnceValue(func() map[cause.ID]cause.Info {
	m := make(map[cause.ID]cause.Info)
	for _, info := range cause.Catalogue() {
		m[info.ID] = info
	}
	return m
})

// causeInfo is cause.Lookup without the copy. The entry's slices are shared: do not modify.
func causeInfo(id cause.ID) (cause.Info, bool) {
	info, ok := causeCatalogue()[id]
	return info, ok
}
