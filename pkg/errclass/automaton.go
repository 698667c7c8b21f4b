package errclass

// automaton is an Aho-Corasick DFA over every rule token: one pass over the
// normalised text finds all tokens at once, so the cost of classification is
// linear in the text and independent of how many rules the table grows to.
// (Calling strings.Contains per token was 15x slower: tokens that start with a
// common byte make Index probe the text over and over.)
type automaton struct {
	class [256]uint8 // byte -> column; 0 for bytes no token uses
	cols  int
	// delta[state*cols+class] is next<<1 | 1 when next ends a token, so the
	// scan loop touches the output lists only on a hit.
	delta  []uint16
	output [][]uint16 // state -> tokens ending here (suffix closure included)
}

func buildAutomaton(toks []string) *automaton {
	a := &automaton{}
	for _, t := range toks {
		for i := 0; i < len(t); i++ {
			if a.class[t[i]] == 0 {
				a.cols++
				a.class[t[i]] = uint8(a.cols)
			}
		}
	}
	a.cols++ // column 0: any other byte
	// Trie.
	next := [][]int32{make([]int32, a.cols)}
	out := [][]uint16{nil}
	for id, t := range toks {
		s := 0
		for i := 0; i < len(t); i++ {
			c := a.class[t[i]]
			if next[s][c] == 0 {
				next = append(next, make([]int32, a.cols))
				out = append(out, nil)
				next[s][c] = int32(len(next) - 1)
			}
			s = int(next[s][c])
		}
		out[s] = append(out[s], uint16(id))
	}
	if len(next) >= 1<<15 { // one bit of each entry is the hit flag
		panic("errclass: automaton too large")
	}
	// Breadth-first: failure links, then the full transition table.
	fail := make([]int, len(next))
	a.delta = make([]uint16, len(next)*a.cols)
	queue := []int{}
	for c := 0; c < a.cols; c++ {
		if n := int(next[0][c]); n != 0 {
			fail[n] = 0
			queue = append(queue, n)
			a.delta[c] = uint16(n)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		out[s] = append(out[s], out[fail[s]]...)
		for c := 0; c < a.cols; c++ {
			n := int(next[s][c])
			if n == 0 {
				a.delta[s*a.cols+c] = a.delta[fail[s]*a.cols+c]
				continue
			}
			fail[n] = int(a.delta[fail[s]*a.cols+c])
			a.delta[s*a.cols+c] = uint16(n)
			queue = append(queue, n)
		}
	}
	a.output = out
	for i, v := range a.delta {
		if len(out[v]) > 0 {
			a.delta[i] = v<<1 | 1
		} else {
			a.delta[i] = v << 1
		}
	}
	return a
}

// scan marks in found every token that occurs in text.
func (a *automaton) scan(text string, found *[maxTokens]bool) {
	s := 0
	cols := a.cols
	delta := a.delta
	for i := 0; i < len(text); i++ {
		v := delta[s*cols+int(a.class[text[i]])]
		s = int(v >> 1)
		if v&1 != 0 {
			for _, t := range a.output[s] {
				found[t] = true
			}
		}
	}
}
