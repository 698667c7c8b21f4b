package iampolicy

import (
	"strings"
	"unicode/utf8"
)

// glob is a pattern compiled at parse time so that Evaluate only walks bytes.
// wild[i] is '*' or '?' where s[i] is a wildcard, 0 where it is literal; a
// parallel mask (rather than escaping) lets policy variables such as ${*}
// produce a literal '*' without a second escaping scheme.
type glob struct {
	s    string
	wild []byte // nil when the pattern has no wildcard at all
}

func compileGlob(p string) glob {
	if !strings.ContainsAny(p, "*?") {
		return glob{s: p}
	}
	w := make([]byte, len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '*' || p[i] == '?' {
			w[i] = p[i]
		}
	}
	return glob{s: p, wild: w}
}

// match reports whether str matches g. fold makes literal bytes compare
// ASCII-case-insensitively (actions); the pattern must then be lower case.
// The algorithm is the classic single-backtrack-point glob match, which is
// linear in practice and never allocates.
func (g glob) match(str string, fold bool) bool {
	if g.wild == nil {
		if fold {
			return strings.EqualFold(g.s, str)
		}
		return g.s == str
	}
	p, s := 0, 0
	starP, starS := -1, 0
	for s < len(str) {
		if p < len(g.s) {
			switch g.wild[p] {
			case '*':
				starP, starS = p, s
				p++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(str[s:])
				p++
				s += n
				continue
			default:
				c := str[s]
				if fold && 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				pc := g.s[p]
				if fold && 'A' <= pc && pc <= 'Z' {
					pc += 'a' - 'A'
				}
				if c == pc {
					p++
					s++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		// a '*' must not split a multi-byte rune
		for starS < len(str) && !utf8.RuneStart(str[starS]) {
			starS++
		}
		p, s = starP+1, starS
	}
	for p < len(g.s) && g.wild[p] == '*' {
		p++
	}
	return p == len(g.s)
}

// arnGlob matches ARNs the way IAM matches Resource and ArnLike values: the
// partition, service, region and account fields are matched one by one, so a
// wildcard there cannot run into the next field, while a wildcard in the
// resource part may span ':' and '/' (arn:aws:logs:*:*:log-group:/ecs/*
// matches ...:log-group:/ecs/app:log-stream:x).
type arnGlob struct {
	whole  glob    // used when the pattern is not an ARN (e.g. "*")
	fields [5]glob // arn, partition, service, region, account
	rest   glob
	isARN  bool
}

func compileARNGlob(p string) arnGlob { return arnGlobFrom(compileGlob(p)) }

// arnGlobFrom splits an already compiled glob at its literal colons, so that a
// ':' produced by a policy variable stays part of its field.
func arnGlobFrom(g glob) arnGlob {
	if !strings.HasPrefix(g.s, "arn:") {
		return arnGlob{whole: g}
	}
	var a arnGlob
	a.isARN = true
	start, field := 0, 0
	for i := 0; i < len(g.s) && field < 5; i++ {
		if g.s[i] == ':' {
			a.fields[field] = g.sub(start, i)
			field++
			start = i + 1
		}
	}
	if field < 5 { // "arn:aws:ecr:*" covers everything below it
		a.fields[field] = g.sub(start, len(g.s))
		for field++; field < 5; field++ {
			a.fields[field] = compileGlob("*")
		}
		a.rest = compileGlob("*")
		return a
	}
	a.rest = g.sub(start, len(g.s))
	return a
}

func (g glob) sub(i, j int) glob {
	out := glob{s: g.s[i:j]}
	if g.wild != nil {
		for _, w := range g.wild[i:j] {
			if w != 0 {
				out.wild = g.wild[i:j]
				break
			}
		}
	}
	return out
}

func (a *arnGlob) match(s string) bool {
	if !a.isARN {
		return a.whole.match(s, false)
	}
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return false
		}
		if !a.fields[i].match(s[:j], false) {
			return false
		}
		s = s[j+1:]
	}
	return a.rest.match(s, false)
}
