package netpath

import (
	"sync"
	"weak"

	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// The network checks each ask about the same snapshot; For shares one Analyzer between them
// so the model is built once per snapshot. Entries are keyed by a weak pointer (a collected
// snapshot can never be confused with a new one at the same address) and by a shape
// fingerprint, so a snapshot edited between runs by adding or removing resources is
// re-indexed. Snapshots are otherwise treated as read-only once checked.
//
// The cache holds a few entries, not one: `scan` diagnoses several snapshots at once, and a
// single slot would make concurrent diagnoses evict each other's analyzer between checks,
// rebuilding it up to once per network check.
const sharedEntries = 32

type cacheEntry struct {
	p  weak.Pointer[snapshot.Snapshot]
	fp [16]int
	a  *Analyzer
}

var shared struct {
	sync.Mutex
	entries []cacheEntry // oldest first
}

// For returns the Analyzer for s, building it on first use.
func For(s *snapshot.Snapshot) *Analyzer { return ForWith(s, nil) }

// ForWith is For with the image parser Needed uses (nil: imageref.Parse); a caller that
// memoises parsing passes its memo. The parser must be a pure equivalent of imageref.Parse:
// an analyzer already built for s keeps the parser it was built with.
func ForWith(s *snapshot.Snapshot, parse func(string) (imageref.Ref, error)) *Analyzer {
	fp := fingerprint(s)
	wp := weak.Make(s)
	shared.Lock()
	for _, e := range shared.entries {
		if e.p == wp && e.fp == fp {
			shared.Unlock()
			return e.a
		}
	}
	shared.Unlock()
	// Built outside the lock so diagnoses of different snapshots do not wait on each other.
	a := New(s)
	a.parse = parse
	shared.Lock()
	defer shared.Unlock()
	// Filter in place (no allocation per diagnosis): drop collected snapshots and this
	// snapshot's stale entry, then the oldest if still full.
	old := len(shared.entries)
	kept := shared.entries[:0]
	for _, e := range shared.entries {
		if e.p != wp && e.p.Value() != nil {
			kept = append(kept, e)
		}
	}
	if len(kept) >= sharedEntries {
		copy(kept, kept[1:])
		kept = kept[:len(kept)-1]
	}
	// Release the analyzers of dropped entries now rather than when the slot is reused.
	clear(shared.entries[len(kept):old])
	if shared.entries == nil {
		kept = make([]cacheEntry, 0, sharedEntries)
	}
	shared.entries = append(kept, cacheEntry{p: wp, fp: fp, a: a})
	return a
}

func fingerprint(s *snapshot.Snapshot) [16]int {
	n := &s.Network
	fp := [16]int{len(n.Vpcs), len(n.Subnets), len(n.RouteTables), len(n.InternetGateways), len(n.NatGateways),
		len(n.VpcEndpoints), len(n.SecurityGroups), len(n.NetworkAcls), len(n.PrefixLists), len(n.DhcpOptions),
		len(n.NetworkInterfaces), len(s.Gaps), len(s.Containers())}
	if s.Task != nil {
		fp[13] = len(s.Task.Attachments) + 1
	}
	if s.Service != nil {
		fp[14] = 1
	}
	if s.Instance != nil {
		fp[15] = 1
	}
	return fp
}
