package netpath

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

// tri is a three-valued answer: a rule may match an address we only know as "somewhere on the
// internet".
type tri int8

const (
	no tri = iota
	maybe
	yes
)

// destSet is where packets go, as precisely as the snapshot says.
type destSet struct {
	name string
	// ja is the Japanese name when it differs.
	ja string
	// prefixes, when known, hold every address the destination may use.
	prefixes []netip.Prefix
	// public: an unknown public address (Docker Hub, ECR's public endpoints via NAT).
	public bool
	// plID is the managed prefix list that names the destination (S3); a rule referencing it
	// matches whether or not its entries were read.
	plID string
	// sgIDs are the destination's security groups (an endpoint's), for SG-reference rules.
	sgIDs []string
}

func internetDest() destSet {
	return destSet{name: "the internet (0.0.0.0/0)", ja: "インターネット (0.0.0.0/0)", public: true}
}

func (d destSet) nameJA() string { return firstNonEmpty(d.ja, d.name) }

var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("169.254.0.0/16"),
}

// matchCIDR says whether a rule's CIDR covers the destination.
func (d destSet) matchCIDR(c netip.Prefix) tri {
	if !c.Addr().Is4() {
		return no
	}
	if len(d.prefixes) > 0 {
		all, any := true, false
		for _, p := range d.prefixes {
			if c.Bits() <= p.Bits() && c.Contains(p.Addr()) {
				any = true
				continue
			}
			all = false
			if c.Overlaps(p) {
				any = true
			}
		}
		switch {
		case all:
			return yes
		case any:
			return maybe
		}
		return no
	}
	if d.public {
		if c.Bits() == 0 {
			return yes
		}
		for _, p := range privateRanges {
			if p.Bits() <= c.Bits() && p.Contains(c.Addr()) {
				return no
			}
		}
		return maybe
	}
	return no
}

func parsePrefix(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

// portCovers says whether a permission's protocol and ports cover TCP port range [lo,hi].
func portCovers(proto string, from, to *int32, lo, hi int32) tri {
	switch strings.ToLower(proto) {
	case "-1", "all":
		return yes
	case "tcp", "6":
	default:
		return no
	}
	if from == nil || to == nil || (*from == -1 && *to == -1) {
		return yes
	}
	f, t := *from, *to
	if f <= lo && t >= hi {
		return yes
	}
	if t < lo || f > hi {
		return no
	}
	return maybe
}

// ruleDecision is the answer of a set of rules, with the rule that decided it.
type ruleDecision struct {
	v    tri
	rule string // human description of the deciding rule
	ref  string // the SG or NACL id that holds it
}

// sgEgress evaluates task security groups' egress for TCP 443 to d (stateful: no return rule).
func (a *Analyzer) sgEgress(groups []string, d destSet) (ruleDecision, []finding.Evidence, []string) {
	return a.bestPermission(groups, "IpPermissionsEgress",
		func(sg *ec2types.SecurityGroup) []ec2types.IpPermission { return sg.IpPermissionsEgress },
		func(p ec2types.IpPermission) tri { return a.permTargets(p, d) })
}

// bestPermission walks one direction of the groups' rules (egress or ingress) and keeps the
// rule that best covers TCP 443 to or from the peer; peer rates one rule's CIDRs, prefix
// lists and group references. Every rule read is evidence; a group not in the snapshot is
// reported as missing so the caller can say "unknown".
func (a *Analyzer) bestPermission(groups []string, key string, perms func(*ec2types.SecurityGroup) []ec2types.IpPermission,
	peer func(ec2types.IpPermission) tri) (ruleDecision, []finding.Evidence, []string) {
	best := ruleDecision{v: no}
	var ev []finding.Evidence
	var missing []string
	more := 0
	for _, gid := range groups {
		sg := a.sgs.get(gid)
		if sg == nil {
			missing = append(missing, gid)
			continue
		}
		ps := perms(sg)
		if len(ps) == 0 {
			ev = append(ev, finding.Evidence{Source: "ec2:DescribeSecurityGroups", Ref: gid, Key: key, Value: "(none)"})
		}
		for i := range ps {
			p := &ps[i]
			desc := ""
			if len(ev) < maxRuleEvidence {
				desc = describePerm(p)
				ev = append(ev, finding.Evidence{Source: "ec2:DescribeSecurityGroups", Ref: gid, Key: key, Value: desc})
			} else {
				// Describing every rule of a large group would be the analysis's main
				// cost: past the cap, rules are only counted.
				more++
			}
			pv := portCovers(deref(p.IpProtocol), p.FromPort, p.ToPort, 443, 443)
			if pv == no {
				continue
			}
			v := min(pv, peer(*p))
			if v > best.v {
				if desc == "" {
					desc = describePerm(p)
				}
				best = ruleDecision{v: v, rule: desc, ref: gid}
			}
		}
	}
	return best, moreEvidence(ev, more), missing
}

// permTargets matches the targets of one permission (CIDRs, prefix lists, SG references).
func (a *Analyzer) permTargets(p ec2types.IpPermission, d destSet) tri {
	v := no
	for _, r := range p.IpRanges {
		if c, ok := parsePrefix(deref(r.CidrIp)); ok {
			v = max(v, d.matchCIDR(c))
		}
	}
	for _, pl := range p.PrefixListIds {
		id := deref(pl.PrefixListId)
		if id != "" && id == d.plID {
			v = yes
			continue
		}
		if l := a.pls.get(id); l != nil {
			lv := no
			for _, c := range l.Cidrs {
				if pc, ok := parsePrefix(c); ok {
					lv = max(lv, d.matchCIDR(pc))
				}
			}
			v = max(v, lv)
		} else if d.public || len(d.prefixes) > 0 {
			v = max(v, maybe) // a prefix list we could not read may hold the destination
		}
	}
	for _, g := range p.UserIdGroupPairs {
		if contains(d.sgIDs, deref(g.GroupId)) {
			v = yes
		}
	}
	return v
}

// sgIngressFrom evaluates endpoint security groups' ingress for TCP 443 from the task.
func (a *Analyzer) sgIngressFrom(groups, taskGroups []string, src destSet) (ruleDecision, []finding.Evidence, []string) {
	return a.bestPermission(groups, "IpPermissions",
		func(sg *ec2types.SecurityGroup) []ec2types.IpPermission { return sg.IpPermissions },
		func(p ec2types.IpPermission) tri { return a.permSources(p, taskGroups, src) })
}

// permSources matches the sources of one ingress permission against the task (its address
// range and security groups).
func (a *Analyzer) permSources(p ec2types.IpPermission, taskGroups []string, src destSet) tri {
	tv := no
	for _, r := range p.IpRanges {
		if c, ok := parsePrefix(deref(r.CidrIp)); ok {
			tv = max(tv, src.matchCIDR(c))
		}
	}
	for _, g := range p.UserIdGroupPairs {
		if contains(taskGroups, deref(g.GroupId)) {
			tv = yes
		}
	}
	for _, pl := range p.PrefixListIds {
		if l := a.pls.get(deref(pl.PrefixListId)); l != nil {
			for _, c := range l.Cidrs {
				if pc, ok := parsePrefix(c); ok {
					tv = max(tv, src.matchCIDR(pc))
				}
			}
		} else {
			tv = max(tv, maybe)
		}
	}
	return tv
}

// naclFor returns the NACL of a subnet: its association, else the VPC's default.
func (a *Analyzer) naclFor(subnetID, vpcID string) *ec2types.NetworkAcl {
	if acl := a.assocACL(subnetID); acl != nil {
		return acl
	}
	return a.defaultACL(vpcID)
}

// naclEval walks a NACL's entries in rule-number order for one direction: the first rule
// that matches decides. A rule that may match (an unknown public address against a narrow
// CIDR) before a deciding rule of the other action leaves the answer undecided.
func naclEval(acl *ec2types.NetworkAcl, egress bool, peer destSet, lo, hi int32) ruleDecision {
	// Every NACL step evaluates two directions, for every destination: the direction's
	// entries are sorted as pointers, in a buffer that a usual NACL fits.
	var buf [16]*ec2types.NetworkAclEntry
	entries := buf[:0]
	for i := range acl.Entries {
		if e := &acl.Entries[i]; e.Egress != nil && *e.Egress == egress {
			entries = append(entries, e)
		}
	}
	slices.SortStableFunc(entries, func(x, y *ec2types.NetworkAclEntry) int { return cmp.Compare(num(x.RuleNumber), num(y.RuleNumber)) })
	var maybes []string
	maybeAllow, maybeDeny := false, false
	for _, e := range entries {
		var pv tri
		if e.PortRange != nil {
			pv = portCovers(deref(e.Protocol), e.PortRange.From, e.PortRange.To, lo, hi)
		} else {
			pv = portCovers(deref(e.Protocol), nil, nil, lo, hi)
		}
		if pv == no {
			continue
		}
		c, ok := parsePrefix(deref(e.CidrBlock))
		if !ok {
			continue // IPv6 entries
		}
		v := min(pv, peer.matchCIDR(c))
		allow := e.RuleAction == ec2types.RuleActionAllow
		switch v {
		case yes:
			d := ruleDecision{v: no, rule: describeEntry(e), ref: deref(acl.NetworkAclId)}
			if allow {
				d.v = yes
			}
			if (allow && maybeDeny) || (!allow && maybeAllow) {
				d.v = maybe
				d.rule += "; but earlier rule(s) may match first: " + strings.Join(maybes, ", ")
			}
			return d
		case maybe:
			maybes = append(maybes, describeEntry(e))
			if allow {
				maybeAllow = true
			} else {
				maybeDeny = true
			}
		}
	}
	d := ruleDecision{v: no, rule: "no rule matches (implicit deny)", ref: deref(acl.NetworkAclId)}
	if maybeAllow {
		d.v = maybe
		d.rule = "only rule(s) that may match allow: " + strings.Join(maybes, ", ")
	}
	return d
}

func num(p *int32) int32 {
	if p == nil {
		return 32767
	}
	return *p
}

// describePerm and describeEntry name the rules quoted as evidence and in messages, for
// every rule read: each is written into a stack buffer and allocated once, as the string.
func describePerm(p *ec2types.IpPermission) string {
	var buf [128]byte
	b := buf[:0]
	switch proto := deref(p.IpProtocol); proto {
	case "-1":
		b = append(b, "all traffic"...)
	default:
		b = append(b, proto...)
		if p.FromPort != nil && p.ToPort != nil {
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(*p.FromPort), 10)
			if *p.FromPort != *p.ToPort {
				b = append(b, '-')
				b = strconv.AppendInt(b, int64(*p.ToPort), 10)
			}
		}
	}
	sep := " ↔ "
	target := func(t string) {
		b = append(b, sep...)
		b = append(b, t...)
		sep = ", "
	}
	for _, r := range p.IpRanges {
		target(deref(r.CidrIp))
	}
	for _, r := range p.Ipv6Ranges {
		target(deref(r.CidrIpv6))
	}
	for _, r := range p.PrefixListIds {
		target(deref(r.PrefixListId))
	}
	for _, r := range p.UserIdGroupPairs {
		target(deref(r.GroupId))
	}
	return string(b)
}

func describeEntry(e *ec2types.NetworkAclEntry) string {
	proto := deref(e.Protocol)
	switch proto {
	case "-1":
		proto = "all"
	case "6":
		proto = "tcp"
	case "17":
		proto = "udp"
	}
	var buf [96]byte
	b := append(buf[:0], '#')
	b = strconv.AppendInt(b, int64(num(e.RuleNumber)), 10)
	b = append(b, ' ')
	b = append(b, e.RuleAction...)
	b = append(b, ' ')
	b = append(b, proto...)
	if e.PortRange != nil && e.PortRange.From != nil && e.PortRange.To != nil {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(*e.PortRange.From), 10)
		if *e.PortRange.To != *e.PortRange.From {
			b = append(b, '-')
			b = strconv.AppendInt(b, int64(*e.PortRange.To), 10)
		}
	}
	b = append(b, ' ')
	b = append(b, deref(e.CidrBlock)...)
	return string(b)
}

// maxRuleEvidence bounds the rules quoted as evidence; the deciding rule is named in the
// message anyway, and a group of hundreds of rules should not flood the report.
const maxRuleEvidence = 8

// moreEvidence notes how many rules were not quoted.
func moreEvidence(ev []finding.Evidence, more int) []finding.Evidence {
	if more == 0 {
		return ev
	}
	return append(ev, finding.Evidence{Source: "ec2:DescribeSecurityGroups", Key: "more", Value: strconv.Itoa(more) + " more rule(s)"})
}
