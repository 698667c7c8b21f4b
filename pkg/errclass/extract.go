package errclass

import (
	"strconv"
	"strings"
)

// extract pulls the facts a message mentions out of the cleaned text. Anchors
// are found in lower (case-insensitive) and values are read from clean at the
// same offsets, so names and ARNs keep their case. Hand-written scanners
// instead of regular expressions keep Classify within its time budget.
//
// Every anchor is also a token of the automaton, so a scanner reads the text
// only where the single automaton pass saw its anchor (m.index).
func extract(clean, lower string, m *matcher) Extracted {
	var e Extracted
	e.Image = extractImage(clean, lower, m)
	e.Registry = registryOf(e.Image)
	if e.Registry == "" {
		e.Registry = registryFromText(clean, lower, m)
	}
	e.Address = extractAddress(clean, lower, m)
	e.HTTPStatus = extractStatus(lower, m)
	e.Action = extractAction(clean, lower, m)
	e.ARN = extractARN(clean, lower, m)
	return e
}

// Extraction anchors. They are interned before the rule tokens, so their
// ids are small and matcher.pos can record where each first occurs.
var (
	anchorIDs      = map[string]uint16{} // filled by init (rules.go)
	extractAnchors = join(imageAnchors, []string{`": failed to`, "://", "from host ", "dial tcp ", "lookup ",
		"not authorized to perform: ", "on resource: arn:", "arn:aws"}, statusAnchors, statusPhrases)
	statusAnchors = []string{"statuscode: ", "status code: ", "status code ", "http status: ", "status: "}

	// Anchor ids, resolved once so the hot path does no map look-ups.
	imageAnchorIDs, statusAnchorIDs, statusPhraseIDs  []uint16
	idQuotedRef, idScheme, idFromHost, idDialTCP      uint16
	idLookup, idNotAuthorized, idOnResourceARN, idARN uint16

	// Masks of matcher.found[0] (every anchor id is below 64): a text
	// with none of a scanner's anchors is not looked at.
	imageMask, statusMask uint64
)

func initAnchors() {
	ids := func(ss []string) []uint16 {
		out := make([]uint16, len(ss))
		for i, s := range ss {
			out[i] = anchorIDs[s]
		}
		return out
	}
	imageAnchorIDs, statusAnchorIDs, statusPhraseIDs = ids(imageAnchors), ids(statusAnchors), ids(statusPhrases)
	mask := func(ids []uint16) (mk uint64) {
		for _, id := range ids {
			mk |= 1 << id // anchor ids are below 64: see maxAnchors
		}
		return mk
	}
	imageMask = mask(append(ids(imageAnchors), anchorIDs[`": failed to`]))
	statusMask = mask(append(ids(statusAnchors), ids(statusPhrases)...))
	idQuotedRef, idScheme, idFromHost, idDialTCP = anchorIDs[`": failed to`], anchorIDs["://"], anchorIDs["from host "], anchorIDs["dial tcp "]
	idLookup, idNotAuthorized = anchorIDs["lookup "], anchorIDs["not authorized to perform: "]
	idOnResourceARN, idARN = anchorIDs["on resource: arn:"], anchorIDs["arn:aws"]
}

// index is strings.Index(lower, tokens[id]) for an anchor, answered from the
// offsets the automaton recorded when it can: -1 when the anchor is absent.
//
// After spelling variants were rewritten, an anchor's first offset moves
// back by spellingShrink per variant before it. That holds for the anchors
// that cannot overlap the bytes a rewrite changes (shiftSafe, worked out at
// init): their occurrences are the same before and after. The others ("s"
// of "times" followed by "tatus: " is a new "status: ") are searched for.
func (m *matcher) index(lower string, id uint16) int {
	if !m.has(id) {
		return -1
	}
	p := int(m.pos[id])
	if m.nsites == 0 {
		return p
	}
	if !m.overflow && shiftSafe[id] {
		for _, s := range m.sites[:m.nsites] {
			if int(s) >= p {
				break
			}
			p -= spellingShrink
		}
		return p
	}
	return strings.Index(lower, tokens[id])
}

// shiftSafe[id] says that anchor id can overlap none of the bytes a
// spelling rewrite changes, whatever surrounds the variant.
var shiftSafe [maxAnchors]bool

func initShiftSafe() {
	for i, a := range extractAnchors {
		safe := true
		for _, sp := range spellings {
			old, repl := sp.old, strings.ToLower(sp.repl)
			pre := 0
			for pre < len(old) && pre < len(repl) && old[pre] == repl[pre] {
				pre++
			}
			suf := 0
			for suf < len(old)-pre && suf < len(repl)-pre && old[len(old)-1-suf] == repl[len(repl)-1-suf] {
				suf++
			}
			if canTouch(a, old, pre, len(old)-suf) || canTouch(a, repl, pre, len(repl)-suf) {
				safe = false
			}
		}
		shiftSafe[anchorIDs[extractAnchors[i]]] = safe
	}
}

// canTouch reports whether an occurrence of a, in a text holding w, can
// overlap w[lo:hi] or, when lo == hi, straddle offset lo of w. The text
// around w is arbitrary, so only the bytes of a that fall inside w must
// agree with it.
func canTouch(a, w string, lo, hi int) bool {
	for d := 1 - len(a); d < len(w); d++ { // a starts at offset d of w
		if d >= hi || d+len(a) <= lo {
			continue
		}
		fits := true
		for k := 0; k < len(a) && fits; k++ {
			if j := d + k; j >= 0 && j < len(w) && a[k] != w[j] {
				fits = false
			}
		}
		if fits {
			return true
		}
	}
	return false
}

// indexFrom is strings.Index(s[from:], sub) as an offset in s.
func indexFrom(s, sub string, from int) int {
	if j := strings.Index(s[from:], sub); j >= 0 {
		return from + j
	}
	return -1
}

// tokenAt returns the run of non-space characters of s starting at i, with
// surrounding quotes and trailing punctuation removed.
func tokenAt(s string, i int) string {
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != ',' {
		j++
	}
	t := s[i:j]
	for t != "" && (t[0] == '"' || t[0] == '\'') {
		t = t[1:]
	}
	for t != "" && tokenTrail[t[len(t)-1]] {
		t = t[:len(t)-1]
	}
	return t
}

// Byte sets, as tables: strings.Trim* and ContainsAny build such a set on
// every call.
var (
	tokenTrail  = byteSet(`"':.;)`)
	arnTrail    = byteSet(".,;:]")
	arnEnd      = byteSet(" ,'\"()<>")
	notInImages = byteSet("<>{}[]\\")
)

func byteSet(chars string) (set [256]bool) {
	for i := 0; i < len(chars); i++ {
		set[chars[i]] = true
	}
	return set
}

// imageAnchors precede an image reference in the messages Docker,
// containerd and the ECS agent print.
var imageAnchors = []string{
	"pull access denied for ",
	"failed to resolve ref ",
	"failed to resolve reference ",
	"failed to pull and unpack image ",
	"failed to pull image ",
	"manifest for ",
	"error: image ",
	"repository ",
}

func extractImage(clean, lower string, m *matcher) string {
	if m.found[0]&imageMask == 0 {
		return ""
	}
	for ai, a := range imageAnchors {
		for j := m.index(lower, imageAnchorIDs[ai]); j >= 0; j = indexFrom(lower, a, j+len(a)) {
			start := j + len(a)
			t := tokenAt(clean, start)
			if !plausibleImage(t) {
				continue
			}
			rest := lower[start+len(t):]
			switch a {
			case "manifest for ", "error: image ":
				if !strings.Contains(rest[:min(len(rest), 16)], "not found") {
					continue
				}
			case "repository ":
				if !strings.Contains(rest[:min(len(rest), 16)], "not found") {
					continue
				}
			}
			return t
		}
	}
	// `"<ref>": failed to ...` (containerd quoting the reference).
	if j := m.index(lower, idQuotedRef); j > 0 {
		if k := strings.LastIndexByte(lower[:j], '"'); k >= 0 && plausibleImage(clean[k+1:j]) {
			return clean[k+1 : j]
		}
	}
	return ""
}

// plausibleImage rejects words that follow an anchor but are not references.
func plausibleImage(t string) bool {
	if t == "" || len(t) > 512 || strings.HasPrefix(t, "http") {
		return false
	}
	for i := 0; i < len(t); i++ {
		if notInImages[t[i]] {
			return false
		}
	}
	if len(t) > len("manifest") { // longer than every word below: skip ToLower
		return true
	}
	switch strings.ToLower(t) {
	case "not", "does", "with", "has", "manifest", "is", "the", "name", "contains":
		return false
	}
	return true
}

// registryOf returns the registry host of an image reference: the first path
// component when it looks like a host, Docker Hub otherwise.
func registryOf(image string) string {
	if image == "" {
		return ""
	}
	first, _, found := strings.Cut(image, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return strings.ToLower(first)
	}
	if strings.HasPrefix(image, "sha256:") {
		return ""
	}
	return "docker.io"
}

// registryFromText finds a registry host in a URL of the registry API
// (https://host/v2/...) or a "from host X" phrase.
func registryFromText(clean, lower string, m *matcher) string {
	for j := m.index(lower, idScheme); j >= 0; j = indexFrom(lower, "://", j+3) {
		start := j + 3
		end := start
		for end < len(lower) && lower[end] != '/' && lower[end] != ' ' && lower[end] != '"' && lower[end] != ':' {
			end++
		}
		if strings.HasPrefix(lower[end:], "/v2/") && end > start {
			return lower[start:end]
		}
	}
	if j := m.index(lower, idFromHost); j >= 0 {
		return strings.ToLower(tokenAt(clean, j+len("from host ")))
	}
	return ""
}

// extractAddress returns the IP:port (or host:port) of "dial tcp X" or, for
// DNS failures, the resolver in "lookup name on X".
func extractAddress(clean, lower string, m *matcher) string {
	if j := m.index(lower, idDialTCP); j >= 0 {
		if a := hostPort(tokenAt(clean, j+len("dial tcp "))); a != "" {
			return a
		}
	}
	if j := m.index(lower, idLookup); j >= 0 {
		rest := lower[j:]
		if k := strings.Index(rest, " on "); k >= 0 && k < 300 {
			if a := hostPort(tokenAt(clean, j+k+len(" on "))); a != "" {
				return a
			}
		}
	}
	return ""
}

// hostPort accepts "host:port" or "[v6]:port" with a numeric port.
func hostPort(t string) string {
	k := strings.LastIndexByte(t, ':')
	if k <= 0 || k == len(t)-1 {
		return ""
	}
	if _, err := strconv.Atoi(t[k+1:]); err != nil {
		return ""
	}
	return t
}

var statusPhrases = []string{
	" forbidden", " unauthorized", " not found", " too many requests", " internal server error",
	" bad gateway", " service unavailable", " gateway timeout", " bad request",
}

// extractStatus finds "status code: N", "StatusCode: N" or "N <Reason>".
func extractStatus(lower string, m *matcher) int {
	if m.found[0]&statusMask == 0 {
		return 0
	}
	for ai, a := range statusAnchors {
		if j := m.index(lower, statusAnchorIDs[ai]); j >= 0 {
			if n := threeDigits(lower[j+len(a):]); n > 0 {
				return n
			}
		}
	}
	// "403 Forbidden": a three-digit number after a delimiter, then a
	// reason phrase; the leftmost such number wins. The phrases are
	// automaton tokens, so only their occurrences are looked at, and not at
	// all when the text has none.
	best := -1
	for pi, p := range statusPhrases {
		for j := m.index(lower, statusPhraseIDs[pi]); j >= 0; j = indexFrom(lower, p, j+1) {
			i := j - 3 // the phrase starts with the space after the number
			if best >= 0 && i >= best {
				break
			}
			if i >= 0 && lower[i] >= '1' && lower[i] <= '5' && (i == 0 || strings.IndexByte(" :([", lower[i-1]) >= 0) && threeDigits(lower[i:]) > 0 {
				best = i
				break
			}
		}
	}
	if best < 0 {
		return 0
	}
	return threeDigits(lower[best:])
}

// threeDigits parses a leading HTTP status (100-599) not followed by a digit.
func threeDigits(s string) int {
	if len(s) < 3 {
		return 0
	}
	n := 0
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
		n = n*10 + int(s[i]-'0')
	}
	if len(s) > 3 && s[3] >= '0' && s[3] <= '9' {
		return 0
	}
	if n < 100 || n > 599 {
		return 0
	}
	return n
}

// extractAction returns the IAM action of "not authorized to perform: svc:Action".
func extractAction(clean, lower string, m *matcher) string {
	j := m.index(lower, idNotAuthorized)
	if j < 0 {
		return ""
	}
	t := tokenAt(clean, j+len("not authorized to perform: "))
	svc, act, ok := strings.Cut(t, ":")
	if !ok || svc == "" || act == "" || !isWord(svc) || !isWord(strings.TrimSuffix(act, "*")) {
		return ""
	}
	return t
}

func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// extractARN prefers the resource of an access-denied message ("on resource:
// arn:...") and falls back to the first ARN in the text.
func extractARN(clean, lower string, m *matcher) string {
	if !m.has(idARN) {
		return ""
	}
	j := m.index(lower, idOnResourceARN)
	if j >= 0 {
		j += len("on resource: ")
	} else {
		j = m.index(lower, idARN)
	}
	if j < 0 {
		return ""
	}
	end := j
	for end < len(clean) && !arnEnd[clean[end]] {
		end++
	}
	for end > j && arnTrail[clean[end-1]] {
		end--
	}
	a := clean[j:end]
	if strings.Count(a, ":") < 5 {
		return ""
	}
	// The ECS agent's template "The task can't retrieve the secret with ARN %sfrom AWS
	// Secrets Manager" (agent/asm/asm.go) glues "from" to the ARN; Secrets Manager ARNs
	// end in a 6-character random suffix, so "-AbCdEffrom" is that suffix plus the word.
	if t := strings.TrimSuffix(a, "from"); len(t) < len(a) && strings.Contains(a, ":secret:") && len(t) > 7 && t[len(t)-7] == '-' &&
		strings.HasPrefix(clean[end:], " AWS Secrets Manager") {
		a = t
	}
	return a
}
