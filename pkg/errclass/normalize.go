package errclass

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"
)

// Work caps. Stopped reasons are short (ECS truncates them at 255
// characters); service events and log lines are a few hundred bytes. The caps
// keep pathological input (a 1 MB paste) linear and cheap: bytes past them are
// not looked at.
const (
	// MaxInputBytes is how much of the raw input Normalize and Classify read.
	MaxInputBytes = 64 << 10
	// MaxNormalizedBytes is the most normalised text kept and matched.
	MaxNormalizedBytes = 8 << 10
)

// stackBytes sizes the scratch buffers Classify keeps on its stack: real
// messages fit (the corpus maximum is about 600 bytes), longer ones spill to
// the heap.
const stackBytes = 1024

// Normalize returns the cleaned, lower-cased form of text that the rules match
// on (see the package documentation for every step).
func Normalize(text string) string {
	var cleanBuf, lowerBuf [stackBytes]byte
	clean, lower := cleanLower(text, cleanBuf[:0], lowerBuf[:0])
	start, end := unwrap(lower, true)
	_, lower = unifySpelling(clean[start:end], lower[start:end], true, true)
	return string(lower)
}

// cleanLower returns the cleaned text with its case preserved (extraction
// reads image names and ARNs from it) and its ASCII-lower-cased twin (rules
// match on it), still wrapped (see unwrap). Both have identical byte
// offsets, so an index found in one is valid in the other. They are built in
// cleanBuf and lowerBuf (grown if needed), which the caller owns: nothing
// here allocates for typical input.
func cleanLower(text string, cleanBuf, lowerBuf []byte) (clean, lower []byte) {
	clean = cleanBytes(capInput(text), cleanBuf)
	lower = lowerBuf[:0]
	if cap(lower) < len(clean) {
		lower = make([]byte, 0, len(clean))
	}
	lower = lower[:len(clean)]
	toLowerASCII(lower, clean)
	return clean, lower
}

// capInput returns the part of text that is read.
func capInput(text string) string {
	if len(text) > MaxInputBytes {
		return text[:MaxInputBytes]
	}
	return text
}

// spellings are the variants unifySpelling rewrites, lower-cased, in the
// order their ids are interned (rules.go). Each replacement is
// spellingShrink bytes shorter than what it replaces.
var spellings = [numSpellings]struct{ old, repl string }{
	{"httpreaderseeker", "httpReadSeeker"},
	{"time(s)", "times"},
}

const (
	numSpellings   = 2
	spellingShrink = 2
)

// unifySpelling rewrites spelling variants of the same message ("time(s)" →
// "times", "httpReaderSeeker" → "httpReadSeeker") so the normalised text reads
// one way. No rule token contains these words (a test keeps it so), which lets
// Classify run it only when the automaton saw a variant, and only for the
// variant it saw (neither replacement can create the other variant). It
// works in place: the replacements are shorter than what they replace.
//
// Classify normally uses rewriteSites instead, which gives the same result
// from the offsets the automaton recorded; this searching version serves
// Normalize and texts with more variants than the matcher records.
func unifySpelling(clean, lower []byte, seeker, times bool) ([]byte, []byte) {
	if seeker {
		clean, lower = replaceBoth(clean, lower, spellings[0].old, spellings[0].repl)
	}
	if times {
		clean, lower = replaceBoth(clean, lower, spellings[1].old, spellings[1].repl)
	}
	return clean, lower
}

// rewriteSites is unifySpelling, on the cleaned text alone, given the
// ascending offsets of every variant. Variants can neither overlap nor
// create one another, so rewriting them all in one pass in offset order
// gives what unifySpelling's search-and-replace, one spelling after the
// other, gives.
func rewriteSites(clean []byte, sites []uint16) []byte {
	w, r := 0, 0
	for _, at := range sites {
		s := int(at)
		sp := &spellings[1]
		if lowerByte[clean[s]] == 'h' {
			sp = &spellings[0]
		}
		w += copy(clean[w:], clean[r:s])
		w += copy(clean[w:], sp.repl)
		r = s + len(sp.old)
	}
	w += copy(clean[w:], clean[r:])
	return clean[:w]
}

// cleanBytes decodes JSON escapes, folds curly quotes, replaces invalid UTF-8
// and control characters, and collapses whitespace, in one linear pass.
// It appends to dst[:0].
func cleanBytes(s string, dst []byte) []byte {
	w := writer{out: dst[:0], space: true}
	for i := 0; i < len(s) && len(w.out) < MaxNormalizedBytes; {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case plain(c):
				// Most of a message is printable ASCII with single
				// spaces: copy such a run at once rather than byte by
				// byte. The run stops at the output cap exactly where
				// the byte-wise loop would.
				run := s[i:min(len(s), i+MaxNormalizedBytes-len(w.out))]
				k, prev := asIsWords(run, 1, c)
				for ; k < len(run); k++ {
					d := run[k]
					if !plainByte[d] && (d != ' ' || prev == ' ') {
						break
					}
					prev = d
				}
				w.out = append(w.out, run[:k]...)
				w.space = prev == ' '
				i += k
			case c == '\\' && i+1 < len(s):
				var n int
				w, n = w.escape(s, i)
				i += n
			case c <= ' ' || c == 0x7f:
				if !w.space {
					w.out = append(w.out, ' ')
					w.space = true
				}
				i++
			default: // a lone backslash at the end
				w.out = append(w.out, c)
				w.space = false
				i++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch r {
		case '\u2018', '\u2019', '\u201a', '\u2032':
			w = w.byte('\'')
		case '\u201c', '\u201d', '\u201e', '\u2033':
			w = w.byte('"')
		case '\u00a0', '\u2002', '\u2003', '\u2009', '\u200b', '\u2028', '\u2029', '\ufeff':
			w = w.byte(' ')
		case '\u2026':
			w.out = append(w.out, "..."...)
			w.space = false
		case utf8.RuneError:
			w = w.rune(utf8.RuneError)
		default:
			w.out = append(w.out, s[i-size:i]...)
			w.space = false
		}
	}
	for len(w.out) > 0 && w.out[len(w.out)-1] == ' ' {
		w.out = w.out[:len(w.out)-1]
	}
	return w.out
}

// plain reports whether c is copied unchanged: printable ASCII other than
// space and backslash.
func plain(c byte) bool { return ' ' < c && c < 0x7f && c != '\\' }

// plainByte is plain as a table, for the per-byte loop.
var plainByte = func() (p [256]bool) {
	for c := range 256 {
		p[c] = plain(byte(c))
	}
	return p
}()

// Byte-wise constants for the eight-bytes-at-a-time loops.
const (
	ones = 0x0101010101010101
	high = 0x8080808080808080
)

// asIsWords advances k over run eight bytes at a time while cleanBytes
// copies them unchanged (prev is the byte before run[k]), and returns the
// offset it stopped at and the byte before it.
//
// Eight bytes x (in memory order) are copied unchanged when each is plain or
// a space, and no space follows a space (nor the byte before x, when prev is
// one). Each test below sets the high bit of the bytes it matches; with high
// bits masked off, no addition carries from one byte into the next, so the
// tests are exact. The test is written out here rather than in a function
// of its own: too large to be inlined, it cost a call per word.
func asIsWords(run string, k int, prev byte) (int, byte) {
	for k+8 <= len(run) {
		x := load64(run[k:])
		low := x &^ high
		ctl := ^(low + (0x80-' ')*ones) & high        // < ' '
		del := (low + ones) & high                    // 0x7f
		bs := ^((low ^ '\\'*ones) + 0x7f*ones) & high // '\\'
		if (x&high)|ctl|del|bs != 0 {                 // non-ASCII or any of the above
			break
		}
		sp := ^((low ^ ' '*ones) + 0x7f*ones) & high // ' '
		// Bytes that follow a space: shifting by a byte moves each mark
		// onto the next byte in memory order.
		afterSpace := sp << 8
		if prev == ' ' {
			afterSpace |= 0x80
		}
		if sp&afterSpace != 0 {
			break
		}
		prev = byte(x >> 56)
		k += 8
	}
	return k, prev
}

// load64 reads s[:8] little-endian (the compiler makes it one load).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// toLowerASCII sets dst to src with ASCII letters lower-cased, eight bytes at
// a time: a branch per byte mispredicts on mixed case and a table lookup per
// byte was the largest part of normalisation. len(dst) == len(src).
func toLowerASCII(dst, src []byte) {
	i := 0
	for ; i+8 <= len(src); i += 8 {
		x := binary.LittleEndian.Uint64(src[i:])
		// In each byte: the high bit of low+(0x80-'A') is set iff the
		// byte (without its high bit) is ≥ 'A', that of low+(0x7f-'Z') iff
		// > 'Z'. Neither addition carries into the next byte.
		low := x &^ high
		upper := (low + (0x80-'A')*ones) ^ (low + (0x7f-'Z')*ones)
		upper &^= x // non-ASCII bytes (high bit set) are left alone
		binary.LittleEndian.PutUint64(dst[i:], x|(upper&high)>>2)
	}
	for ; i < len(src); i++ {
		c := src[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
}

// writer appends normalised bytes, collapsing runs of spaces (and dropping
// leading ones). Its methods take and return it by value: a pointer receiver
// would make the caller's stack buffer escape to the heap.
type writer struct {
	out   []byte
	space bool // last byte written was a space, or nothing written yet
}

func (w writer) byte(c byte) writer {
	if c == ' ' || c < ' ' {
		if w.space {
			return w
		}
		c = ' '
		w.space = true
	} else {
		w.space = false
	}
	w.out = append(w.out, c)
	return w
}

func (w writer) rune(r rune) writer {
	w.out = utf8.AppendRune(w.out, r)
	w.space = false
	return w
}

// escape handles the JSON/Go escape starting at s[i] == '\\' and returns
// how many bytes it consumed. Unknown escapes are kept verbatim.
func (w writer) escape(s string, i int) (writer, int) {
	switch s[i+1] {
	case '"', '\'', '/', '\\':
		return w.byte(s[i+1]), 2
	case 'n', 'r', 't', 'f', 'b', 'v':
		return w.byte(' '), 2
	case 'u':
		if i+6 <= len(s) {
			if r, ok := hex4(s[i+2 : i+6]); ok {
				switch {
				case r < utf8.RuneSelf:
					w = w.byte(byte(r))
				case r == 0x2018 || r == 0x2019:
					w = w.byte('\'')
				case r == 0x201c || r == 0x201d:
					w = w.byte('"')
				case r >= 0xd800 && r <= 0xdfff: // lone surrogate: not text
					w = w.rune(utf8.RuneError)
				default:
					w = w.rune(r)
				}
				return w, 6
			}
		}
	}
	return w.byte('\\'), 1
}

func hex4(s string) (rune, bool) {
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// unwrap strips the wrappers that carry an error without being part of it:
// surrounding JSON quotes, log prefixes, service-event prefixes and a
// trailing truncation mark. It returns the bounds of the unwrapped text,
// which may be the cleaned text or its lower-cased twin: it ignores ASCII
// case, so both give the same bounds.
//
// The "failed to launch a task with (error …)" wrapper is looked for only
// when launch is set: the search costs more than the rest of unwrap, and
// Classify knows from its scan when the phrase is there.
func unwrap(text []byte, launch bool) (start, end int) {
	start, end = 0, len(text)
	cut := func(n int) { start += n }
	for pass := 0; pass < 4; pass++ {
		l := text[start:end]
		switch {
		case len(l) >= 2 && l[0] == '"' && l[len(l)-1] == '"':
			start++
			end--
		case hasPrefixFold(l, "level=") || hasPrefixFold(l, "time="):
			// logfmt (ECS agent, dockerd): drop level= and time= fields and
			// an enclosing msg="...".
			for {
				l = text[start:end]
				if hasPrefixFold(l, "level=") || hasPrefixFold(l, "time=") {
					cut(logfmtFieldLen(l))
					continue
				}
				break
			}
			if hasPrefixFold(text[start:end], `msg="`) {
				start += len(`msg="`)
				if end > start && text[end-1] == '"' {
					end--
				}
			}
		case isTimestampLevel(l):
			// Older agent format: "2018-07-17T08:41:11Z [INFO] ...".
			cut(bytes.IndexByte(l, ']') + 1)
		case hasPrefixFold(l, "(service ") || hasPrefixFold(l, "(task "):
			for {
				l = text[start:end]
				if !(hasPrefixFold(l, "(service ") || hasPrefixFold(l, "(task ")) {
					break
				}
				j := bytes.IndexByte(l, ')')
				if j < 0 {
					break
				}
				cut(j + 1)
			}
			if j := indexFold(head(text[start:end]), "reason: "); j >= 0 {
				cut(j + len("reason: "))
			}
		default:
			if !launch {
				pass = 4
				break
			}
			if j := indexFold(head(l), "failed to launch a task with (error "); j >= 0 {
				cut(j + len("failed to launch a task with (error "))
				l = text[start:end]
				if hasSuffix(l, ").") {
					end -= 2
				} else if hasSuffix(l, ")") {
					end--
				}
				continue
			}
			pass = 4
		}
		for start < end && text[start] == ' ' {
			start++
		}
	}
	// Truncation marks: "...", possibly repeated or followed by a quote.
	for end > start {
		l := text[start:end]
		switch {
		case hasSuffix(l, "..."):
			end -= 3
		case hasSuffix(l, " "):
			end--
		default:
			return start, end
		}
	}
	return start, end
}

// logfmtFieldLen returns the length of the leading key=value field of l
// (value possibly quoted) including the following space.
func logfmtFieldLen(l []byte) int {
	eq := bytes.IndexByte(l, '=')
	i := eq + 1
	if i < len(l) && l[i] == '"' {
		if j := bytes.IndexByte(l[i+1:], '"'); j >= 0 {
			i += j + 2
		} else {
			return len(l)
		}
	} else {
		for i < len(l) && l[i] != ' ' {
			i++
		}
	}
	for i < len(l) && l[i] == ' ' {
		i++
	}
	return i
}

// isTimestampLevel reports whether l starts with "YYYY-MM-DDTHH:MM:SSZ [LEVEL]".
func isTimestampLevel(l []byte) bool {
	if len(l) < 24 || l[4] != '-' || l[7] != '-' || l[10]|0x20 != 't' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3} {
		if l[i] < '0' || l[i] > '9' {
			return false
		}
	}
	j := bytes.IndexByte(l, ' ')
	return j > 0 && j < 40 && j+1 < len(l) && l[j+1] == '[' && bytes.IndexByte(l[j:], ']') > 0 && bytes.IndexByte(l[j:], ']') < 12
}

// hasPrefixFold reports whether b starts with p (lower-case) ignoring ASCII
// case.
func hasPrefixFold(b []byte, p string) bool { return len(b) >= len(p) && equalFold(b[:len(p)], p) }

// equalFold reports whether b, ASCII-lower-cased, equals p (lower-case, as
// long as b).
func equalFold(b []byte, p string) bool {
	for i := 0; i < len(p); i++ {
		if lowerByte[b[i]] != p[i] {
			return false
		}
	}
	return true
}

// indexFold is bytes.Index(lower-cased s, sub) for a lower-case sub.
func indexFold(s []byte, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if lowerByte[s[i]] == sub[0] && equalFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// lowerByte maps ASCII upper-case letters to lower case and every other
// byte to itself.
var lowerByte = func() (t [256]byte) {
	for c := range 256 {
		t[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t[c] += 'a' - 'A'
		}
	}
	return t
}()

// hasSuffix compares without allocating: the conversion in a comparison
// does not copy.
func hasSuffix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[len(b)-len(p):]) == p
}

// replaceBoth replaces every occurrence of old (lower-case) found in lower by
// repl, in both texts, keeping their offsets aligned. repl is no longer than
// old, so it rewrites the buffers in place.
func replaceBoth(clean, lower []byte, old, repl string) ([]byte, []byte) {
	j := bytes.Index(lower, []byte(old))
	if j < 0 {
		return clean, lower
	}
	replLower := strings.ToLower(repl)
	w, r := 0, 0
	for j >= 0 { // j is relative to r
		copy(clean[w:], clean[r:r+j])
		copy(lower[w:], lower[r:r+j])
		w += j
		copy(clean[w:], repl)
		copy(lower[w:], replLower)
		w += len(repl)
		r += j + len(old)
		j = bytes.Index(lower[r:], []byte(old))
	}
	copy(clean[w:], clean[r:])
	copy(lower[w:], lower[r:])
	w += len(lower) - r
	return clean[:w], lower[:w]
}

// head bounds the search for wrapper phrases, which only occur near the start.
func head(s []byte) []byte {
	if len(s) > 240 {
		return s[:240]
	}
	return s
}
