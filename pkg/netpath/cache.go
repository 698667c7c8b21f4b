package netpath

import (
	"sync"
	"weak"

	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// The network checks each ask about the same snapshot; For shares one Analyzer between them
// so the indexes are built once per snapshot. The cache holds one entry, keyed by a weak
// pointer (a collected snapshot can never be confused with a new one at the same address)
// and by a shape fingerprint, so a snapshot edited between runs by adding or removing
// resources is re-indexed. Snapshots are otherwise treated as read-only once checked.
var shared struct {
	sync.Mutex
	p  weak.Pointer[snapshot.Snapshot]
	fp [16]int
	a  *Analyzer
}

// For returns the Analyzer for s, building it on first use.
func For(s *snapshot.Snapshot) *Analyzer { return ForWith(s, nil) }

// ForWith is For with the image parser Needed uses (nil: imageref.Parse); a caller that
// memoises parsing passes its memo. The parser must be a pure equivalent of imageref.Parse:
// an analyzer already built for s keeps the parser it was built with.
func ForWith(s *snapshot.Snapshot, parse func(string) (imageref.Ref, error)) *Analyzer {
	fp := fingerprint(s)
	shared.Lock()
	defer shared.Unlock()
	if shared.a != nil && shared.p.Value() == s && shared.fp == fp {
		return shared.a
	}
	a := New(s)
	a.parse = parse
	shared.p, shared.fp, shared.a = weak.Make(s), fp, a
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
