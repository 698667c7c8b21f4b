package errclass

import (
	"encoding/binary"
	"strings"
)

// automaton is an Aho-Corasick DFA over every rule token: one pass over the
// normalised text finds all tokens at once, so the cost of classification is
// linear in the text and independent of how many rules the table grows to.
// (Calling strings.Contains per token was 15x slower: tokens that start with a
// common byte make Index probe the text over and over.)
//
// Each step of a walk waits for the previous step's table load, so that
// latency decides the speed of Classify. The design keeps the table small
// (cache misses lengthen the chain), the chain short, and runs several chains
// at once:
//   - the DFA holds only the first plen bytes of each token; a longer token
//     is confirmed by comparing the rest of it when its prefix is seen. This
//     keeps the table small (about 100 KB rather than 500 KB for the full
//     tokens) and, above all, lets a text be split into segments that
//     overlap by only plen-1 bytes and are walked in step (see scan);
//   - bytes are mapped to a small alphabet (the bytes token prefixes use,
//     plus one class for all others), so a row is cols entries, not 256;
//   - entries hold the next state's row offset rather than its number, so
//     no multiplication sits on the chain, in 16 bits: buildAutomaton picks
//     the longest plen (up to maxPrefixLen) whose table 16 bits can address;
//   - states are numbered breadth-first, so the shallow states the scan
//     spends most of its time in share a few cache lines; states that end a
//     prefix come after all others, so "is this a hit?" is a comparison
//     beside the chain rather than a bit to mask off on it.
type automaton struct {
	class [256]uint8 // byte -> column; 0 for bytes no token uses; ASCII case folded
	cols  int
	// delta[row+class] is the row offset of the next state; rows from
	// hitRow on belong to states that end a token prefix, and for those
	// delta[row+cols] is the index in hits of their first hit (so that a
	// hit needs no division to find it). The array is larger than the table so that
	// any uint16 row plus any class is in range: the scan loop needs no
	// bounds checks.
	delta  *[1<<16 + 256]uint16
	hitRow uint16
	// hits lists, state after state, the prefixes ending in each hit
	// state; flat and small so that a report touches a cache line or two.
	hits  []hit
	rests string // the rest of every token, after its prefix: see hit
	plen  int    // token bytes the DFA itself matches
}

// Bounds of automaton.plen. Longer prefixes mean fewer prefixes to confirm
// but a larger table and more overlap between scan segments; 12 measured
// best on the corpus.
const (
	maxPrefixLen = 12
	minPrefixLen = 4
)

// hit is a token whose prefix ends in a state.
type hit struct {
	tok     uint16
	restOff uint16 // the rest of the token, checked against the text, is
	restLen uint8  // rests[restOff:][:restLen]
	plen    uint8  // length of the prefix in the DFA
	last    bool   // the last hit of its state
}

// trieHit is a hit while the automaton is built.
type trieHit struct {
	tok  uint16
	plen int
	rest string
}

// buildAutomaton returns the automaton for toks with the longest prefix
// length whose table fits 16-bit row offsets: as the rule table grows, the
// prefixes shorten rather than the scan slowing down on a larger table.
func buildAutomaton(toks []string) *automaton {
	for plen := maxPrefixLen; plen >= minPrefixLen; plen-- {
		if a := buildAutomatonPrefix(toks, plen); a != nil {
			return a
		}
	}
	panic("errclass: automaton too large")
}

// buildAutomatonPrefix returns nil when the table is too large for 16 bits.
func buildAutomatonPrefix(toks []string, prefixLen int) *automaton {
	a := &automaton{plen: prefixLen}
	for _, t := range toks {
		for i := 0; i < min(len(t), prefixLen); i++ {
			if a.class[t[i]] == 0 {
				a.cols++
				a.class[t[i]] = uint8(a.cols)
			}
		}
	}
	a.cols++ // column 0: any other byte
	// Tokens are lower-case; upper-case letters share their column, so
	// the scan reads the cleaned text as if it were lower-cased.
	for c := 'A'; c <= 'Z'; c++ {
		a.class[c] = a.class[c+'a'-'A']
	}
	// Trie of the prefixes, in insertion order.
	next := [][]int32{make([]int32, a.cols)}
	out := [][]trieHit{nil}
	for id, t := range toks {
		p := t[:min(len(t), prefixLen)]
		s := 0
		for i := 0; i < len(p); i++ {
			c := a.class[p[i]]
			if next[s][c] == 0 {
				next = append(next, make([]int32, a.cols))
				out = append(out, nil)
				next[s][c] = int32(len(next) - 1)
			}
			s = int(next[s][c])
		}
		out[s] = append(out[s], trieHit{tok: uint16(id), plen: len(p), rest: t[len(p):]})
	}
	width := a.cols + 1 // a row of the final table: see automaton.delta
	if len(next)*width > 1<<16 {
		return nil
	}
	// Breadth-first: failure links and the full transition table, in trie
	// numbering; order records the visit so states can be renumbered.
	fail := make([]int, len(next))
	delta := make([]int32, len(next)*a.cols)
	order := []int{0}
	for c := 0; c < a.cols; c++ {
		if n := int(next[0][c]); n != 0 {
			fail[n] = 0
			order = append(order, n)
			delta[c] = int32(n)
		}
	}
	for q := 1; q < len(order); q++ {
		s := order[q]
		out[s] = append(out[s], out[fail[s]]...)
		for c := 0; c < a.cols; c++ {
			n := int(next[s][c])
			if n == 0 {
				delta[s*a.cols+c] = delta[fail[s]*a.cols+c]
				continue
			}
			fail[n] = int(delta[fail[s]*a.cols+c])
			delta[s*a.cols+c] = int32(n)
			order = append(order, n)
		}
	}
	// Renumber: states without output breadth-first, then those with.
	renum := make([]int, len(next))
	k := 0
	for _, hits := range []bool{false, true} {
		for _, s := range order {
			if (len(out[s]) > 0) == hits {
				renum[s] = k
				k++
			}
		}
		if !hits {
			a.hitRow = uint16(k * width)
		}
	}
	a.delta = new([1<<16 + 256]uint16)
	restOff := map[string]int{}
	var rests strings.Builder
	for s := range next {
		row := renum[s] * width
		if len(out[s]) > 0 {
			a.delta[row+a.cols] = uint16(len(a.hits))
			for i, h := range out[s] {
				off, ok := restOff[h.rest]
				if !ok {
					off = rests.Len()
					restOff[h.rest] = off
					rests.WriteString(h.rest)
				}
				if len(h.rest) > 255 || off > 1<<16-1 || len(a.hits) > 1<<16-1 {
					panic("errclass: token too long")
				}
				a.hits = append(a.hits, hit{tok: h.tok, restOff: uint16(off), restLen: uint8(len(h.rest)),
					plen: uint8(h.plen), last: i == len(out[s])-1})
			}
		}
		for c := 0; c < a.cols; c++ {
			a.delta[row+c] = uint16(renum[delta[s*a.cols+c]] * width)
		}
	}
	a.rests = rests.String()
	return a
}

// walks is how many segments of a long text scan walks in step.
const walks = 4

// scan records in m every token that occurs in text, ignoring ASCII case,
// with the offset of its first occurrence.
//
// One walk leaves the CPU mostly waiting on its chain of loads, so a long
// text is split into walks segments walked in step. Segment w starts
// plen-1 bytes before segment w-1 ends, from the root, so every prefix
// ending in a segment (but for the overlap) is seen by its walk. Prefixes in
// the overlap are reported twice, and out of order; matcher.see absorbs
// both.
func (a *automaton) scan(text []byte, m *matcher) {
	overlap := a.plen - 1
	n := len(text)
	if n < 64 { // the segments would be mostly overlap
		a.walkFrom(0, text, 0, n, m)
		return
	}
	// Every segment is segLen bytes but the last, which may be shorter;
	// segment w starts at w*(segLen-overlap).
	segLen := (n + (walks-1)*overlap + walks - 1) / walks
	stride := segLen - overlap
	last := n - (walks-1)*stride // length of the last segment
	var r [walks]uint16          // the root is row 0 and ends no token
	for i := 0; ; i++ {
		i = a.walk4(text, i, last, stride, &r)
		if i >= last {
			break
		}
		for w, row := range r {
			if row >= a.hitRow {
				a.report(text, row, w*stride+i, m)
			}
		}
	}
	r0, r1, r2 := r[0], r[1], r[2]
	// Finish the first three segments, which may be longer than the last.
	a.walkFrom(r0, text, last, segLen, m)
	a.walkFrom(r1, text, stride+last, stride+segLen, m)
	a.walkFrom(r2, text, 2*stride+last, 2*stride+segLen, m)
}

// walk4 advances the four walks of scan in step from offset i of each
// segment until one of them reaches a hit state, and returns that offset, or
// last. It calls nothing, and is kept out of line, so that the compiler keeps
// the rows in registers: with report's calls in the same loop they lived on
// the stack, adding a store and a load to every step of every walk.
//
//go:noinline
func (a *automaton) walk4(text []byte, i, last, stride int, r *[walks]uint16) int {
	// Each [:last] tells the compiler the bytes indexed below are in range.
	s0, s1, s2, s3 := text[:last], text[stride:][:last], text[2*stride:][:last], text[3*stride:][:last]
	delta, hitRow, class := a.delta, a.hitRow, &a.class
	r0, r1, r2, r3 := r[0], r[1], r[2], r[3]
	for ; i < last; i++ {
		r0 = delta[int(r0)+int(class[s0[i]])]
		r1 = delta[int(r1)+int(class[s1[i]])]
		r2 = delta[int(r2)+int(class[s2[i]])]
		r3 = delta[int(r3)+int(class[s3[i]])]
		if r0 >= hitRow || r1 >= hitRow || r2 >= hitRow || r3 >= hitRow {
			break
		}
	}
	r[0], r[1], r[2], r[3] = r0, r1, r2, r3
	return i
}

// walkFrom continues a walk in row over text[from:to] (a plain single pass
// when row is the root).
func (a *automaton) walkFrom(row uint16, text []byte, from, to int, m *matcher) {
	delta, hitRow := a.delta, a.hitRow
	for i := from; i < to; i++ {
		row = delta[int(row)+int(a.class[text[i]])]
		if row >= hitRow {
			a.report(text, row, i, m)
		}
	}
}

// report tells m about the tokens whose prefix ends at offset end of text, in
// the state of row, once the rest of a longer token is confirmed.
func (a *automaton) report(text []byte, row uint16, end int, m *matcher) {
	end++
	for i := int(a.delta[int(row)+a.cols]); i < len(a.hits); i++ {
		h := &a.hits[i]
		if n := int(h.restLen); n == 0 || len(text)-end >= n && foldEqual(text[end:end+n], a.rests[h.restOff:][:n]) {
			m.see(h.tok, end-int(h.plen))
		}
		if h.last {
			return
		}
	}
}

// foldEqual is equalFold (len(b) == len(p)) eight bytes at a time.
func foldEqual(b []byte, p string) bool {
	if len(p) < 8 {
		return equalFold(b, p)
	}
	i := 0
	for ; i+8 < len(p); i += 8 {
		if lower64(binary.LittleEndian.Uint64(b[i:])) != load64(p[i:]) {
			return false
		}
	}
	// The last eight bytes, overlapping the words compared above.
	i = len(p) - 8
	return lower64(binary.LittleEndian.Uint64(b[i:])) == load64(p[i:])
}

// lower64 is toLowerASCII on the eight bytes of x.
func lower64(x uint64) uint64 {
	low := x &^ high
	upper := (low + (0x80-'A')*ones) ^ (low + (0x7f-'Z')*ones)
	upper &^= x
	return x | (upper&high)>>2
}
