package errclass

import (
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

// Normalize returns the cleaned, lower-cased form of text that the rules match
// on (see the package documentation for every step).
func Normalize(text string) string {
	clean, lower := normalize(text)
	_, lower = unifySpelling(clean, lower)
	return lower
}

// normalize returns the cleaned text with its case preserved (extraction
// reads image names and ARNs from it) and its ASCII-lower-cased twin (rules
// match on it). Both have identical byte offsets, so an index found in one is
// valid in the other.
func normalize(text string) (clean, lower string) {
	if len(text) > MaxInputBytes {
		text = text[:MaxInputBytes]
	}
	buf := cleanBytes(text)
	low := make([]byte, len(buf))
	for i, c := range buf {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	clean, lower = string(buf), string(low)
	return unwrap(clean, lower)
}

// unifySpelling rewrites spelling variants of the same message ("time(s)" →
// "times", "httpReaderSeeker" → "httpReadSeeker") so the normalised text reads
// one way. No rule token contains these words (a test keeps it so), which lets
// Classify run it only when the automaton saw a variant.
func unifySpelling(clean, lower string) (string, string) {
	clean, lower = replaceBoth(clean, lower, "httpreaderseeker", "httpReadSeeker")
	return replaceBoth(clean, lower, "time(s)", "times")
}

// cleanBytes decodes JSON escapes, folds curly quotes, replaces invalid UTF-8
// and control characters, and collapses whitespace, in one linear pass.
func cleanBytes(s string) []byte {
	n := len(s)
	if n > MaxNormalizedBytes {
		n = MaxNormalizedBytes
	}
	w := writer{out: make([]byte, 0, n+8), space: true}
	for i := 0; i < len(s) && len(w.out) < MaxNormalizedBytes; {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\\' && i+1 < len(s):
				i += w.escape(s, i)
			case c <= ' ' || c == 0x7f:
				if !w.space {
					w.out = append(w.out, ' ')
					w.space = true
				}
				i++
			default:
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
			w.byte('\'')
		case '\u201c', '\u201d', '\u201e', '\u2033':
			w.byte('"')
		case '\u00a0', '\u2002', '\u2003', '\u2009', '\u200b', '\u2028', '\u2029', '\ufeff':
			w.byte(' ')
		case '\u2026':
			w.out = append(w.out, "..."...)
			w.space = false
		case utf8.RuneError:
			w.rune(utf8.RuneError)
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

// writer appends normalised bytes, collapsing runs of spaces (and dropping
// leading ones).
type writer struct {
	out   []byte
	space bool // last byte written was a space, or nothing written yet
}

func (w *writer) byte(c byte) {
	if c == ' ' || c < ' ' {
		if w.space {
			return
		}
		c = ' '
		w.space = true
	} else {
		w.space = false
	}
	w.out = append(w.out, c)
}

func (w *writer) rune(r rune) {
	w.out = utf8.AppendRune(w.out, r)
	w.space = false
}

// escape handles the JSON/Go escape starting at s[i] == '\\' and returns
// how many bytes it consumed. Unknown escapes are kept verbatim.
func (w *writer) escape(s string, i int) int {
	switch s[i+1] {
	case '"', '\'', '/', '\\':
		w.byte(s[i+1])
		return 2
	case 'n', 'r', 't', 'f', 'b', 'v':
		w.byte(' ')
		return 2
	case 'u':
		if i+6 <= len(s) {
			if r, ok := hex4(s[i+2 : i+6]); ok {
				switch {
				case r < utf8.RuneSelf:
					w.byte(byte(r))
				case r == 0x2018 || r == 0x2019:
					w.byte('\'')
				case r == 0x201c || r == 0x201d:
					w.byte('"')
				case r >= 0xd800 && r <= 0xdfff: // lone surrogate: not text
					w.rune(utf8.RuneError)
				default:
					w.rune(r)
				}
				return 6
			}
		}
	}
	w.byte('\\')
	return 1
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
// trailing truncation mark. It works on offsets of lower and applies the same
// cut to clean.
func unwrap(clean, lower string) (string, string) {
	start, end := 0, len(lower)
	cut := func(n int) { start += n }
	for pass := 0; pass < 4; pass++ {
		l := lower[start:end]
		switch {
		case len(l) >= 2 && l[0] == '"' && l[len(l)-1] == '"':
			start++
			end--
		case strings.HasPrefix(l, "level=") || strings.HasPrefix(l, "time="):
			// logfmt (ECS agent, dockerd): drop level= and time= fields and
			// an enclosing msg="...".
			for {
				l = lower[start:end]
				if strings.HasPrefix(l, "level=") || strings.HasPrefix(l, "time=") {
					cut(logfmtFieldLen(l))
					continue
				}
				break
			}
			if strings.HasPrefix(lower[start:end], `msg="`) {
				start += len(`msg="`)
				if end > start && lower[end-1] == '"' {
					end--
				}
			}
		case isTimestampLevel(l):
			// Older agent format: "2018-07-17T08:41:11Z [INFO] ...".
			cut(strings.IndexByte(l, ']') + 1)
		case strings.HasPrefix(l, "(service ") || strings.HasPrefix(l, "(task "):
			for {
				l = lower[start:end]
				if !(strings.HasPrefix(l, "(service ") || strings.HasPrefix(l, "(task ")) {
					break
				}
				j := strings.IndexByte(l, ')')
				if j < 0 {
					break
				}
				cut(j + 1)
			}
			if j := strings.Index(head(lower[start:end]), "reason: "); j >= 0 {
				cut(j + len("reason: "))
			}
		default:
			if j := strings.Index(head(l), "failed to launch a task with (error "); j >= 0 {
				cut(j + len("failed to launch a task with (error "))
				l = lower[start:end]
				if strings.HasSuffix(l, ").") {
					end -= 2
				} else if strings.HasSuffix(l, ")") {
					end--
				}
				continue
			}
			pass = 4
		}
		for start < end && lower[start] == ' ' {
			start++
		}
	}
	// Truncation marks: "...", possibly repeated or followed by a quote.
	for end > start {
		l := lower[start:end]
		switch {
		case strings.HasSuffix(l, "..."):
			end -= 3
		case strings.HasSuffix(l, " "):
			end--
		default:
			return clean[start:end], lower[start:end]
		}
	}
	return clean[start:end], lower[start:end]
}

// logfmtFieldLen returns the length of the leading key=value field of l
// (value possibly quoted) including the following space.
func logfmtFieldLen(l string) int {
	eq := strings.IndexByte(l, '=')
	i := eq + 1
	if i < len(l) && l[i] == '"' {
		if j := strings.IndexByte(l[i+1:], '"'); j >= 0 {
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
func isTimestampLevel(l string) bool {
	if len(l) < 24 || l[4] != '-' || l[7] != '-' || l[10] != 't' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3} {
		if l[i] < '0' || l[i] > '9' {
			return false
		}
	}
	j := strings.IndexByte(l, ' ')
	return j > 0 && j < 40 && j+1 < len(l) && l[j+1] == '[' && strings.IndexByte(l[j:], ']') > 0 && strings.IndexByte(l[j:], ']') < 12
}

// replaceBoth replaces every occurrence of old (lower-case) found in lower by
// repl, in both strings, keeping their offsets aligned.
func replaceBoth(clean, lower, old, repl string) (string, string) {
	if !strings.Contains(lower, old) {
		return clean, lower
	}
	var c, l strings.Builder
	c.Grow(len(clean))
	l.Grow(len(lower))
	for {
		j := strings.Index(lower, old)
		if j < 0 {
			break
		}
		c.WriteString(clean[:j])
		l.WriteString(lower[:j])
		c.WriteString(repl)
		l.WriteString(strings.ToLower(repl))
		clean, lower = clean[j+len(old):], lower[j+len(old):]
	}
	c.WriteString(clean)
	l.WriteString(lower)
	return c.String(), l.String()
}

// head bounds the search for wrapper phrases, which only occur near the start.
func head(s string) string {
	if len(s) > 240 {
		return s[:240]
	}
	return s
}
