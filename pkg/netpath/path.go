package netpath

import (
	"net/netip"
	"slices"
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

const (
	srcRT  = "ec2:DescribeRouteTables"
	srcNAT = "ec2:DescribeNatGateways"
	srcEP  = "ec2:DescribeVpcEndpoints"
	srcSG  = "ec2:DescribeSecurityGroups"
	srcACL = "ec2:DescribeNetworkAcls"
	srcVPC = "ec2:DescribeVpcAttribute"
)

// Linux picks client ports from 32768–60999; a NACL must let replies back in on them. AWS
// recommends allowing 1024–65535 (NAT gateways and other clients use the wider range).
const ephLo, ephHi = 32768, 60999

// routeTable is the table a subnet uses: its explicit association, else its VPC's main table.
func (a *Analyzer) routeTable(subnetID, vpcID string) (*ec2types.RouteTable, bool) {
	if t := a.assocTable(subnetID); t != nil {
		return t, true
	}
	return a.mainTable(vpcID), false
}

// lookup is longest-prefix match over a table's IPv4 routes for a destination set. Prefix-list
// routes (gateway endpoints) that name the destination's prefix list rank above any CIDR.
func lookup(rt *ec2types.RouteTable, d destSet) (*ec2types.Route, string) {
	var best *ec2types.Route
	bestBits := -1
	var bestCIDR netip.Prefix // the best CIDR route's, named once the search is over
	for i := range rt.Routes {
		r := &rt.Routes[i]
		if pl := deref(r.DestinationPrefixListId); pl != "" {
			if d.plID != "" && pl == d.plID && bestBits < 33 {
				best, bestBits = r, 33
			}
			continue
		}
		c, ok := parsePrefix(deref(r.DestinationCidrBlock))
		if !ok {
			continue
		}
		if d.matchCIDR(c) == yes && c.Bits() > bestBits {
			best, bestBits, bestCIDR = r, c.Bits(), c
		}
	}
	switch {
	case best == nil:
		return nil, ""
	case bestBits == 33:
		return best, d.plID
	}
	// A route's CIDR is almost always written canonically: then it is the name as it stands.
	var buf [48]byte
	if s := deref(best.DestinationCidrBlock); string(bestCIDR.AppendTo(buf[:0])) == s {
		return best, s
	}
	return best, bestCIDR.String()
}

// target names a route's target and its kind.
func target(r *ec2types.Route) (id, kind string) {
	switch {
	case deref(r.NatGatewayId) != "":
		return deref(r.NatGatewayId), "nat"
	case deref(r.TransitGatewayId) != "":
		return deref(r.TransitGatewayId), "outside"
	case deref(r.VpcPeeringConnectionId) != "":
		return deref(r.VpcPeeringConnectionId), "outside"
	case deref(r.NetworkInterfaceId) != "":
		return deref(r.NetworkInterfaceId), "outside"
	case deref(r.InstanceId) != "":
		return deref(r.InstanceId), "outside"
	case deref(r.LocalGatewayId) != "":
		return deref(r.LocalGatewayId), "outside"
	case deref(r.CarrierGatewayId) != "":
		return deref(r.CarrierGatewayId), "outside"
	case deref(r.CoreNetworkArn) != "":
		return deref(r.CoreNetworkArn), "outside"
	case deref(r.EgressOnlyInternetGatewayId) != "":
		return deref(r.EgressOnlyInternetGatewayId), "eigw"
	}
	g := deref(r.GatewayId)
	switch {
	case g == "local":
		return g, "local"
	case strings.HasPrefix(g, "igw-"):
		return g, "igw"
	case strings.HasPrefix(g, "vpce-"):
		return g, "vpce"
	case g != "":
		return g, "outside" // vgw- and anything newer
	}
	return "", "none"
}

func routeText(dest string, r *ec2types.Route) string {
	id, _ := target(r)
	if r.State == ec2types.RouteStateBlackhole {
		return dest + " → " + id + ", blackhole"
	}
	return dest + " → " + id
}

// summarizeRoutes lists a table's routes (the first 12) for evidence. The internet and S3
// paths often cross the same tables: each table is summarised once per analyzer.
func (a *Analyzer) summarizeRoutes(rt *ec2types.RouteTable) string {
	for _, s := range a.summaries[:a.nSummaries] {
		if s.rt == rt {
			return s.text
		}
	}
	text := summarizeRoutes(rt)
	if a.nSummaries < len(a.summaries) {
		a.summaries[a.nSummaries] = routeSummary{rt, text}
		a.nSummaries++
	}
	return text
}

// routeSummary is one memoised summarizeRoutes answer.
type routeSummary struct {
	rt   *ec2types.RouteTable
	text string
}

func summarizeRoutes(rt *ec2types.RouteTable) string {
	const max = 12
	routes := rt.Routes
	if len(routes) == 0 {
		return "(no routes)"
	}
	if len(routes) > max {
		routes = routes[:max]
	}
	dest := func(r *ec2types.Route) string {
		return firstNonEmpty(deref(r.DestinationCidrBlock), deref(r.DestinationIpv6CidrBlock), deref(r.DestinationPrefixListId))
	}
	// Sized first, written once: "dest → target[, blackhole]" joined by "; ", with "; …"
	// after the twelfth route.
	n := 0
	for i := range routes {
		r := &routes[i]
		id, _ := target(r)
		n += len("; ") + len(dest(r)) + len(" → ") + len(id)
		if r.State == ec2types.RouteStateBlackhole {
			n += len(", blackhole")
		}
	}
	var b strings.Builder
	b.Grow(n + len("; …"))
	for i := range routes {
		r := &routes[i]
		if i > 0 {
			b.WriteString("; ")
		}
		id, _ := target(r)
		b.WriteString(dest(r))
		b.WriteString(" → ")
		b.WriteString(id)
		if r.State == ec2types.RouteStateBlackhole {
			b.WriteString(", blackhole")
		}
	}
	if len(routes) == max {
		b.WriteString("; …")
	}
	return b.String()
}

// rtNote is the hop note for a route table: which route decided, and whether the table is
// the main one (no explicit association).
func rtNote(explicit bool, text string) string {
	if explicit {
		return text
	}
	return "main, " + text
}

// tailKey names one reachInternet question: what it appends depends only on the destination
// set and whether an S3 block is an S3 cause.
type tailKey struct {
	dest      string
	s3        bool
	startHops int
}

// internetTailKey names the tail of the plain internet path (after the subnet hop), which
// interface services without an endpoint share.
func internetTailKey() tailKey { return tailKey{dest: internetDest().name, startHops: 1} }

// tail is what reachInternet appended to a Result: the route part (way, shared with other
// tails that leave by the same route), then the rest (the security group and NACL steps).
type tail struct {
	key   tailKey
	via   Via
	way   *way
	hops  []Hop
	steps []Step
}

// tail returns reachInternet's memoised answer for k, or nil.
func (a *Analyzer) tail(k tailKey) *tail {
	for i := range a.tails[:a.nTails] {
		if a.tails[i].key == k {
			return &a.tails[i]
		}
	}
	return nil
}

// reachInternet follows the route table to an IGW or a NAT gateway and then checks the task's
// security groups and NACL towards d. The answer is memoised per analyzer (see tails); a
// replay appends the same hops and steps the first walk did.
func (a *Analyzer) reachInternet(r *Result, d destSet, dns bool) {
	if r.Via != ViaNone {
		a.walkInternet(r, d, dns)
		return
	}
	// The DNS step is the same for every destination: added here, outside the memoised
	// tail, so that a destination whose DNS step is already in place (an interface service
	// without an endpoint) and one that still needs it (the plain internet) share the tail.
	if !dns {
		a.addDNS(r)
		dns = true
	}
	k := tailKey{dest: d.name, s3: r.Dest.Service == S3, startHops: len(r.Hops)}
	if t := a.tail(k); t != nil {
		r.Via = t.via
		if t.way != nil {
			r.Hops = append(r.Hops, t.way.hops...)
			r.Steps = append(r.Steps, t.way.steps...)
		}
		r.Hops = append(r.Hops, t.hops...)
		r.Steps = append(r.Steps, t.steps...)
		return
	}
	h0, s0 := len(r.Hops), len(r.Steps)
	w := a.walkInternet(r, d, dns)
	if a.nTails == len(a.tails) {
		return
	}
	if w != nil {
		h0 += len(w.hops)
		s0 += len(w.steps)
	}
	// Steps are values, but their slices would be shared between Results: clip them so that
	// an append on one Result's copy can never write into another's.
	t := tail{key: k, via: r.Via, way: w, hops: slices.Clone(r.Hops[h0:]), steps: slices.Clone(r.Steps[s0:])}
	for i := range t.steps {
		t.steps[i].Evidence = slices.Clip(t.steps[i].Evidence)
		t.steps[i].Needs = slices.Clip(t.steps[i].Needs)
	}
	a.tails[a.nTails] = t
	a.nTails++
}

// walkInternet is reachInternet without its memo. It returns the memoised route part it
// appended (nil when there was none, or no room to keep it).
func (a *Analyzer) walkInternet(r *Result, d destSet, dns bool) *way {
	if !dns {
		a.addDNS(r)
	}
	rt, explicit := a.routeTable(a.SubnetID(), a.vpcID)
	if rt == nil {
		r.add(a.missing(LayerRoute, srcRT, "", "the route table of "+a.SubnetID(), a.SubnetID()+" のルートテーブル"))
		return nil
	}
	route, dest := lookup(rt, d)
	k := wayKey{route: route, dest: dest}
	if route == nil {
		k.dest = d.name // the message names the destination that has no route
	}
	w := a.way(k)
	more := false
	if w != nil {
		r.Via = w.via
		r.Hops = append(r.Hops, w.hops...)
		r.Steps = append(r.Steps, w.steps...)
		more = w.more
	} else {
		h0, s0 := len(r.Hops), len(r.Steps)
		more = a.walkRoute(r, d, rt, explicit, route, dest)
		w = a.keepWay(k, r, h0, s0, more)
	}
	if more {
		a.addSGAndNACL(r, d, nil)
	}
	return w
}

// wayKey names one walkRoute answer: the route that matched (nil: none) and the destination
// it matched as.
type wayKey struct {
	route *ec2types.Route
	dest  string
}

// way is what walkRoute appended to a Result, and whether the security groups and NACLs
// come next.
type way struct {
	key   wayKey
	via   Via
	hops  []Hop
	steps []Step
	more  bool
}

// way returns walkRoute's memoised answer for k, or nil. The internet and S3 paths usually
// leave by the same default route: the route, NAT and public-IP steps are then the same.
func (a *Analyzer) way(k wayKey) *way {
	for i := range a.ways[:a.nWays] {
		if a.ways[i].key == k {
			return &a.ways[i]
		}
	}
	return nil
}

// keepWay memoises what walkRoute appended to r after h0 hops and s0 steps, and returns it
// (nil when the memo is full).
func (a *Analyzer) keepWay(k wayKey, r *Result, h0, s0 int, more bool) *way {
	if a.nWays == len(a.ways) {
		return nil
	}
	steps := slices.Clone(r.Steps[s0:])
	for i := range steps {
		steps[i].Evidence = slices.Clip(steps[i].Evidence)
		steps[i].Needs = slices.Clip(steps[i].Needs)
	}
	a.ways[a.nWays] = way{key: k, via: r.Via, hops: slices.Clone(r.Hops[h0:]), steps: steps, more: more}
	a.nWays++
	return &a.ways[a.nWays-1]
}

// walkRoute follows the route the task subnet's table rt picked for d (nil: none) to an
// internet gateway or a NAT gateway. It reports whether the path goes on to the security
// groups and NACLs.
func (a *Analyzer) walkRoute(r *Result, d destSet, rt *ec2types.RouteTable, explicit bool, route *ec2types.Route, dest string) bool {
	rtID := deref(rt.RouteTableId)
	assoc := "main route table of " + a.vpcID
	if explicit {
		assoc = "explicitly associated with " + a.SubnetID()
	}
	// Sized for the route that decides, appended below.
	ev := append(make([]finding.Evidence, 0, 3),
		finding.Evidence{Source: srcRT, Ref: rtID, Key: "association", Value: assoc},
		finding.Evidence{Source: srcRT, Ref: rtID, Key: "routes", Value: a.summarizeRoutes(rt)})
	if route == nil {
		msg := rtID + " (" + assoc + ") has no route to " + d.name
		msgJA := rtID + "（" + assocJA(explicit, a.SubnetID(), a.vpcID) + "）に " + d.nameJA() + " へのルートがありません"
		for i := range rt.Routes {
			if deref(rt.Routes[i].DestinationIpv6CidrBlock) == "::/0" {
				id, _ := target(&rt.Routes[i])
				msg += " (only an IPv6 default route ::/0 → " + id + "; image pulls from an IPv4-only task use IPv4)"
				msgJA += "（IPv6 の ::/0 → " + id + " のみ。IPv4 のみのタスクは IPv4 で pull します）"
			}
		}
		r.Hops = append(r.Hops, Hop{ID: rtID, Note: rtNote(explicit, "no route to 0.0.0.0/0")})
		r.add(Step{Layer: LayerRoute, Status: Blocked, Message: msg, MessageJA: msgJA, Evidence: ev, Cause: cause.NetworkNoRoute, Fix: a.fixRoute(rtID)})
		return false
	}
	tid, kind := target(route)
	rtext := routeText(dest, route)
	ev = append(ev, finding.Evidence{Source: srcRT, Ref: rtID, Key: "route", Value: rtext})
	if route.State == ec2types.RouteStateBlackhole {
		r.Hops = append(r.Hops, Hop{ID: rtID, Note: rtNote(explicit, rtext)})
		r.add(Step{Layer: LayerRoute, Status: Blocked, Cause: cause.NetworkNoRoute, Evidence: ev, Fix: a.fixRoute(rtID),
			Message:   rtID + " routes " + dest + " to " + tid + ", which is a blackhole (its target was deleted or is not working)",
			MessageJA: rtID + " は " + dest + " を " + tid + " へルーティングしていますが、ブラックホールです（ターゲットが削除されたか動作していません）"})
		if n := a.nats.get(tid); n != nil && kind == "nat" {
			// Say why: a failed or deleted NAT gateway turns its routes into blackholes.
			r.add(a.natStep(r, tid))
		}
		return false
	}
	switch kind {
	case "igw":
		r.Via = ViaInternetGateway
		r.Hops = append(r.Hops, Hop{ID: rtID, Note: rtNote(explicit, rtext)})
		if igw := a.igws.get(tid); igw != nil && !attachedTo(igw, a.vpcID) {
			r.add(Step{Layer: LayerRoute, Status: Blocked, Cause: cause.NetworkNoRoute, Evidence: append(ev, finding.Evidence{Source: "ec2:DescribeInternetGateways", Ref: tid, Key: "attachments", Value: "not attached to " + a.vpcID}), Fix: a.fixRoute(rtID),
				Message: tid + " is not attached to " + a.vpcID, MessageJA: tid + " が " + a.vpcID + " にアタッチされていません"})
			return false
		}
		r.add(Step{Layer: LayerRoute, Status: OK, Evidence: ev, Message: rtID + " routes " + dest + " to the internet gateway " + tid, MessageJA: rtID + " は " + dest + " をインターネットゲートウェイ " + tid + " へルーティングしています"})
		r.add(a.publicIPStep(r, tid))
	case "nat":
		r.Via = ViaNATGateway
		note := rtext
		if n := a.nats.get(tid); n != nil {
			note += ", " + string(n.State)
		}
		r.Hops = append(r.Hops, Hop{ID: rtID, Note: rtNote(explicit, note)})
		r.add(Step{Layer: LayerRoute, Status: OK, Evidence: ev, Message: rtID + " routes " + dest + " to the NAT gateway " + tid, MessageJA: rtID + " は " + dest + " を NAT ゲートウェイ " + tid + " へルーティングしています"})
		r.add(a.natStep(r, tid))
	default:
		r.Via = ViaOutsideModel
		r.Hops = append(r.Hops, Hop{ID: rtID, Note: rtNote(explicit, rtext)}, Hop{ID: "?", Note: "path leaves the model"})
		r.add(Step{Layer: LayerRoute, Status: Unknown, Evidence: ev, Needs: farSide(tid),
			Message:   "cannot decide: " + rtID + " routes " + dest + " to " + tid + "; the path leaves the model (transit gateway, peering, appliance ENI or VPN): check the far side, e.g. with VPC Reachability Analyzer",
			MessageJA: "判定できません: " + rtID + " は " + dest + " を " + tid + " へルーティングしており、経路がモデルの外に出ます（Transit Gateway・ピアリング・アプライアンス ENI・VPN）。先の経路を Reachability Analyzer などで確認してください"})
	}
	return true
}

func assocJA(explicit bool, subnet, vpc string) string {
	if explicit {
		return subnet + " に明示的に関連付け"
	}
	return vpc + " のメインルートテーブル"
}

func attachedTo(igw *ec2types.InternetGateway, vpc string) bool {
	for _, at := range igw.Attachments {
		if deref(at.VpcId) == vpc && (at.State == "available" || at.State == ec2types.AttachmentStatusAttached) {
			return true
		}
	}
	return false
}

// publicIPStep: an IGW only carries traffic of an ENI that has a public IP.
func (a *Analyzer) publicIPStep(r *Result, igw string) Step {
	ctx := a.eni
	ev := make([]finding.Evidence, 0, 1)
	if ctx.Source == "instance" {
		ev = append(ev, finding.Evidence{Source: "ec2:DescribeInstances", Ref: deref(a.s.Instance.InstanceId), Key: "PublicIpAddress", Value: firstNonEmpty(ctx.PublicIP, "(none)")})
		if ctx.PublicIP == "" {
			r.Hops = append(r.Hops, Hop{ID: igw, Note: "no public IP"})
			return Step{Layer: LayerPublicIP, Status: Blocked, Cause: cause.NetworkNoRoute, Evidence: ev, Fix: a.fixPublicIP(),
				Message:   "the container instance " + deref(a.s.Instance.InstanceId) + " has no public IP, so " + igw + " cannot carry its traffic",
				MessageJA: "コンテナインスタンス " + deref(a.s.Instance.InstanceId) + " にパブリック IP がないため、" + igw + " を通信に使えません"}
		}
		r.Hops = append(r.Hops, Hop{ID: igw, Note: "public IP " + ctx.PublicIP})
		return Step{Layer: LayerPublicIP, Status: OK, Evidence: ev, Message: "the container instance has the public IP " + ctx.PublicIP, MessageJA: "コンテナインスタンスにパブリック IP " + ctx.PublicIP + " があります"}
	}
	if ctx.PublicIP != "" {
		ev = append(ev, finding.Evidence{Source: "ec2:DescribeNetworkInterfaces", Ref: ctx.ENIID, Key: "Association.PublicIp", Value: ctx.PublicIP})
		r.Hops = append(r.Hops, Hop{ID: igw, Note: "public IP " + ctx.PublicIP})
		return Step{Layer: LayerPublicIP, Status: OK, Evidence: ev, Message: "the task ENI has the public IP " + ctx.PublicIP, MessageJA: "タスクの ENI にパブリック IP " + ctx.PublicIP + " があります"}
	}
	if ctx.AssignPublicIP == nil {
		st := a.missing(LayerPublicIP, "ecs:DescribeServices", "", "whether the task was given a public IP (assignPublicIp)", "タスクにパブリック IP が割り当てられたか（assignPublicIp）")
		st.Needs = append(st.Needs, "ec2:DescribeNetworkInterfaces")
		r.Hops = append(r.Hops, Hop{ID: igw, Note: "public IP unknown"})
		return st
	}
	ev = append(ev, finding.Evidence{Source: "ecs:DescribeServices", Ref: a.s.Target.Service, Key: "networkConfiguration.awsvpcConfiguration.assignPublicIp", Value: boolWord(*ctx.AssignPublicIP, "ENABLED", "DISABLED")})
	if !*ctx.AssignPublicIP {
		r.Hops = append(r.Hops, Hop{ID: igw, Note: "no public IP"})
		return Step{Layer: LayerPublicIP, Status: Blocked, Cause: cause.PublicIPMissing, Evidence: ev, Fix: a.fixPublicIP(),
			Message:   a.SubnetID() + " routes to " + igw + " but the task has assignPublicIp=DISABLED: without a public IP the internet gateway drops its traffic",
			MessageJA: a.SubnetID() + " は " + igw + " へルーティングされていますが、タスクは assignPublicIp=DISABLED です。パブリック IP がないとインターネットゲートウェイは通信を通しません"}
	}
	r.Hops = append(r.Hops, Hop{ID: igw, Note: "assignPublicIp=ENABLED"})
	return Step{Layer: LayerPublicIP, Status: OK, Evidence: ev, Message: "the task is launched with assignPublicIp=ENABLED", MessageJA: "タスクは assignPublicIp=ENABLED で起動されています"}
}

func boolWord(b bool, t, f string) string {
	if b {
		return t
	}
	return f
}

// natStep: the NAT gateway must be available, public, and sit in a subnet that routes to an
// internet gateway.
func (a *Analyzer) natStep(r *Result, id string) Step {
	n := a.nats.get(id)
	if n == nil {
		return a.missing(LayerNAT, srcNAT, id, "NAT gateway "+id, "NAT ゲートウェイ "+id)
	}
	nsub := deref(n.SubnetId)
	r.Hops = append(r.Hops, Hop{ID: id + " in " + nsub})
	// Sized for the NAT subnet's routes, appended below.
	ev := append(make([]finding.Evidence, 0, 3),
		finding.Evidence{Source: srcNAT, Ref: id, Key: "State", Value: string(n.State)}, finding.Evidence{Source: srcNAT, Ref: id, Key: "SubnetId", Value: nsub})
	if n.State != ec2types.NatGatewayStateAvailable {
		if fm := deref(n.FailureMessage); fm != "" {
			ev = append(ev, finding.Evidence{Source: srcNAT, Ref: id, Key: "FailureMessage", Value: fm})
		}
		return Step{Layer: LayerNAT, Status: Blocked, Cause: cause.NetworkNoRoute, Evidence: ev, Fix: a.fixNAT(id, ""),
			Message:   "the NAT gateway " + id + " is " + string(n.State) + ", not available",
			MessageJA: "NAT ゲートウェイ " + id + " の状態が " + string(n.State) + " で、available ではありません"}
	}
	if n.ConnectivityType == ec2types.ConnectivityTypePrivate {
		ev = append(ev, finding.Evidence{Source: srcNAT, Ref: id, Key: "ConnectivityType", Value: "private"})
		return Step{Layer: LayerNAT, Status: Blocked, Cause: cause.NetworkNoRoute, Evidence: ev, Fix: a.fixNAT(id, ""),
			Message:   id + " is a private NAT gateway: it cannot reach the internet",
			MessageJA: id + " はプライベート NAT ゲートウェイで、インターネットに出られません"}
	}
	nvpc := firstNonEmpty(deref(n.VpcId), a.vpcID)
	if s := a.subnets.get(nsub); s != nil {
		nvpc = firstNonEmpty(deref(s.VpcId), nvpc)
	}
	rt, explicit := a.routeTable(nsub, nvpc)
	if rt == nil {
		return a.missing(LayerNAT, srcRT, "", "the route table of the NAT gateway's subnet "+nsub, "NAT ゲートウェイのサブネット "+nsub+" のルートテーブル")
	}
	rtID := deref(rt.RouteTableId)
	ev = append(ev, finding.Evidence{Source: srcRT, Ref: rtID, Key: "routes", Value: a.summarizeRoutes(rt)})
	route, dest := lookup(rt, internetDest())
	if route == nil || route.State == ec2types.RouteStateBlackhole {
		note := "no route to 0.0.0.0/0"
		if route != nil {
			note = routeText(dest, route)
		}
		r.Hops = append(r.Hops, Hop{ID: rtID, Note: rtNote(explicit, note)})
		return Step{Layer: LayerNAT, Status: Blocked, Cause: cause.NetworkNoRoute, Evidence: ev, Fix: a.fixNAT(id, rtID),
			Message:   "the NAT gateway " + id + " sits in " + nsub + ", whose route table " + rtID + " has no working route to an internet gateway: a NAT gateway must be in a public subnet",
			MessageJA: "NAT ゲートウェイ " + id + " は " + nsub + " にありますが、そのルートテーブル " + rtID + " にインターネットゲートウェイへの有効なルートがありません。NAT ゲートウェイはパブリックサブネットに置く必要があります"}
	}
	tid, kind := target(route)
	r.Hops = append(r.Hops, Hop{ID: rtID, Note: rtNote(explicit, routeText(dest, route))})
	switch kind {
	case "igw":
		return Step{Layer: LayerNAT, Status: OK, Evidence: ev,
			Message:   "the NAT gateway " + id + " is available and its subnet " + nsub + " routes to " + tid,
			MessageJA: "NAT ゲートウェイ " + id + " は available で、そのサブネット " + nsub + " は " + tid + " へルーティングされています"}
	case "nat":
		return Step{Layer: LayerNAT, Status: Blocked, Cause: cause.NetworkNoRoute, Evidence: ev, Fix: a.fixNAT(id, rtID),
			Message:   "the NAT gateway " + id + " sits in " + nsub + ", whose route table " + rtID + " sends 0.0.0.0/0 to " + tid + " instead of an internet gateway: a NAT gateway must be in a public subnet",
			MessageJA: "NAT ゲートウェイ " + id + " は " + nsub + " にありますが、そのルートテーブル " + rtID + " は 0.0.0.0/0 をインターネットゲートウェイではなく " + tid + " へ送っています。NAT ゲートウェイはパブリックサブネットに置く必要があります"}
	case "outside", "eigw", "vpce", "local":
		return Step{Layer: LayerNAT, Status: Unknown, Evidence: ev, Needs: farSide(tid),
			Message:   "cannot decide: the NAT gateway's subnet " + nsub + " routes 0.0.0.0/0 to " + tid + "; the path leaves the model",
			MessageJA: "判定できません: NAT ゲートウェイのサブネット " + nsub + " は 0.0.0.0/0 を " + tid + " へルーティングしており、経路がモデルの外に出ます"}
	}
	return Step{Layer: LayerNAT, Status: Blocked, Cause: cause.NetworkNoRoute, Evidence: ev, Fix: a.fixNAT(id, rtID),
		Message: "the NAT gateway's subnet has no route to an internet gateway", MessageJA: "NAT ゲートウェイのサブネットにインターネットゲートウェイへのルートがありません"}
}

// addSGAndNACL checks the task's security groups towards d and its subnet NACL both ways; for
// an endpoint in another subnet, that subnet's NACL too (epSubnet).
func (a *Analyzer) addSGAndNACL(r *Result, d destSet, ep *endpointTarget) {
	r.add(a.sgStep(r, d))
	r.add(a.naclStep(d, ep))
}

func (a *Analyzer) sgStep(r *Result, d destSet) Step {
	groups := a.eni.SecurityGroupIDs
	if len(groups) == 0 {
		return a.missing(LayerSGEgress, "ec2:DescribeNetworkInterfaces", a.eni.ENIID, "the task's security groups", "タスクのセキュリティグループ")
	}
	dec, ev, missing := a.sgEgress(groups, d)
	c := cause.NetworkNoRoute
	if r.Dest.Service == S3 {
		c = cause.S3LayerAccess
	}
	switch {
	case dec.v == yes:
		return Step{Layer: LayerSGEgress, Status: OK, Evidence: ev,
			Message:   dec.ref + " allows egress " + dec.rule + " (covers TCP 443 to " + d.name + ")",
			MessageJA: dec.ref + " のアウトバウンドルール " + dec.rule + " が " + d.nameJA() + " への TCP 443 を許可しています"}
	case len(missing) > 0:
		return a.missing(LayerSGEgress, srcSG, missing[0], "security group "+missing[0], "セキュリティグループ "+missing[0])
	case dec.v == maybe:
		return Step{Layer: LayerSGEgress, Status: Unknown, Evidence: ev, Needs: []string{"ec2:GetManagedPrefixListEntries"},
			Message:   "cannot decide: the egress rule " + dec.rule + " of " + dec.ref + " may or may not cover " + d.name + " on TCP 443",
			MessageJA: "判定できません: " + dec.ref + " のアウトバウンドルール " + dec.rule + " が " + d.nameJA() + " への TCP 443 を含むか決められません"}
	}
	return Step{Layer: LayerSGEgress, Status: Blocked, Cause: c, Evidence: ev, Fix: a.fixSGEgress(groups[0], d),
		Message:   "no egress rule of " + strings.Join(groups, ", ") + " allows TCP 443 to " + d.name,
		MessageJA: strings.Join(groups, ", ") + " のアウトバウンドルールに " + d.nameJA() + " への TCP 443 を許可するものがありません"}
}

// ephText is the ephemeral range of the evidence keys and messages.
var ephText = itoa(ephLo) + "-" + itoa(ephHi)

// naclDir is one direction a NACL step evaluates: the task subnet's ACL out to the
// destination and back, and for an endpoint in another subnet, that subnet's ACL in from the
// task and back out.
type naclDir struct {
	dec      ruleDecision
	acl      string
	egress   bool
	from, to int32
	peer     destSet
	// epSubnet is the endpoint subnet of the last two directions ("" for the first two).
	epSubnet string
}

// text says what the direction carries, for a step that blocks or is undecided (a passing
// step does not name them: they are only worded when needed).
func (dr *naclDir) text(a *Analyzer, d destSet) (en, ja string) {
	switch {
	case dr.epSubnet == "" && dr.egress:
		return "outbound TCP 443 to " + d.name + " from " + a.SubnetID(), a.SubnetID() + " から " + d.nameJA() + " へのアウトバウンド TCP 443"
	case dr.epSubnet == "":
		return "inbound return traffic (TCP " + ephText + ") from " + d.name + " to " + a.SubnetID(), d.nameJA() + " から " + a.SubnetID() + " への戻り通信（TCP " + ephText + "）"
	case !dr.egress:
		return "inbound TCP 443 from the task into the endpoint subnet " + dr.epSubnet, "タスクからエンドポイントのサブネット " + dr.epSubnet + " へのインバウンド TCP 443"
	}
	return "return traffic from the endpoint subnet " + dr.epSubnet + " to the task", "エンドポイントのサブネット " + dr.epSubnet + " からタスクへの戻り通信"
}

func (a *Analyzer) naclStep(d destSet, ep *endpointTarget) Step {
	acl := a.naclFor(a.SubnetID(), a.vpcID)
	if acl == nil {
		return a.missing(LayerNACL, srcACL, "", "the network ACL of "+a.SubnetID(), a.SubnetID()+" のネットワーク ACL")
	}
	id := deref(acl.NetworkAclId)
	out := naclEval(acl, true, d, 443, 443)
	back := naclEval(acl, false, d, ephLo, ephHi)
	ev := []finding.Evidence{
		{Source: srcACL, Ref: id, Key: "egress tcp 443 → " + d.name, Value: out.rule},
		{Source: srcACL, Ref: id, Key: "ingress tcp " + ephText + " ← " + d.name, Value: back.rule},
	}
	var dbuf [4]naclDir
	dirs := append(dbuf[:0],
		naclDir{dec: out, acl: id, egress: true, from: 443, to: 443, peer: d},
		naclDir{dec: back, acl: id, egress: false, from: 1024, to: 65535, peer: d})
	if ep != nil && ep.subnet != "" && ep.subnet != a.SubnetID() {
		if eacl := a.naclFor(ep.subnet, a.vpcID); eacl != nil && deref(eacl.NetworkAclId) != id {
			src := a.taskSource()
			eid := deref(eacl.NetworkAclId)
			in := naclEval(eacl, false, src, 443, 443)
			ret := naclEval(eacl, true, src, ephLo, ephHi)
			ev = append(ev, finding.Evidence{Source: srcACL, Ref: eid, Key: "ingress tcp 443 ← " + src.name, Value: in.rule},
				finding.Evidence{Source: srcACL, Ref: eid, Key: "egress tcp ephemeral → " + src.name, Value: ret.rule})
			dirs = append(dirs,
				naclDir{dec: in, acl: eid, egress: false, from: 443, to: 443, peer: src, epSubnet: ep.subnet},
				naclDir{dec: ret, acl: eid, egress: true, from: 1024, to: 65535, peer: src, epSubnet: ep.subnet})
		}
	}
	for i := range dirs {
		if dr := &dirs[i]; dr.dec.v == no {
			en, ja := dr.text(a, d)
			return Step{Layer: LayerNACL, Status: Blocked, Cause: cause.NetworkNoRoute, Evidence: ev, Fix: a.fixNACL(dr.acl, dr.egress, dr.from, dr.to, dr.peer),
				Message:   "network ACL " + dr.acl + " denies " + en + ": " + dr.dec.rule,
				MessageJA: "ネットワーク ACL " + dr.acl + " が" + ja + "を拒否しています: " + dr.dec.rule}
		}
	}
	for i := range dirs {
		if dr := &dirs[i]; dr.dec.v == maybe {
			en, ja := dr.text(a, d)
			return Step{Layer: LayerNACL, Status: Unknown, Evidence: ev, Needs: []string{"ec2:GetManagedPrefixListEntries"},
				Message:   "cannot decide whether network ACL " + dr.acl + " allows " + en + ": " + dr.dec.rule,
				MessageJA: "ネットワーク ACL " + dr.acl + " が" + ja + "を許可するか決められません: " + dr.dec.rule}
		}
	}
	return Step{Layer: LayerNACL, Status: OK, Evidence: ev,
		Message:   "network ACL " + id + " allows TCP 443 out to " + d.name + " and the replies back in",
		MessageJA: "ネットワーク ACL " + id + " は " + d.nameJA() + " への TCP 443 と戻り通信を許可しています"}
}

// taskSource is the task as a packet source: its private IP, else its subnet.
func (a *Analyzer) taskSource() destSet {
	if a.taskIP.IsValid() && a.taskIP.Is4() {
		return destSet{name: a.taskIP.String(), prefixes: []netip.Prefix{netip.PrefixFrom(a.taskIP, 32)}}
	}
	if a.subnet != nil {
		if p, ok := parsePrefix(deref(a.subnet.CidrBlock)); ok {
			return destSet{name: p.String(), prefixes: []netip.Prefix{p}}
		}
	}
	return destSet{name: "the task", public: false}
}

// addDNS records whether names resolve at all: enableDnsSupport off with the Amazon resolver
// means nothing resolves; custom DNS servers are a warning (they must forward to the VPC
// resolver for endpoint private DNS to apply).
func (a *Analyzer) addDNS(r *Result) {
	if r.Step(LayerDNS) != nil {
		return
	}
	r.add(a.dnsStep())
}

// dnsStep is the same for every destination: worked out once per analyzer, its slices
// clipped so that a caller appending evidence to its copy gets its own array.
func (a *Analyzer) dnsStep() Step {
	if a.dns == nil {
		st := a.walkDNS()
		st.Evidence = slices.Clip(st.Evidence)
		st.Needs = slices.Clip(st.Needs)
		a.dns = &st
	}
	return *a.dns
}

func (a *Analyzer) walkDNS() Step {
	if a.vpc == nil {
		return a.missing(LayerDNS, "ec2:DescribeVpcs", a.vpcID, "VPC "+a.vpcID, "VPC "+a.vpcID)
	}
	ev := make([]finding.Evidence, 0, 3)
	custom := a.customDNS()
	if custom != "" {
		ev = append(ev, finding.Evidence{Source: "ec2:DescribeDhcpOptions", Ref: deref(a.vpc.DhcpOptionsId), Key: "domain-name-servers", Value: custom})
	}
	if a.vpc.EnableDnsSupport == nil {
		st := a.missing(LayerDNS, srcVPC, a.vpcID, "the enableDnsSupport attribute of "+a.vpcID, a.vpcID+" の enableDnsSupport 属性")
		st.Evidence = append(st.Evidence, ev...)
		return st
	}
	ev = append(ev, finding.Evidence{Source: srcVPC, Ref: a.vpcID, Key: "enableDnsSupport", Value: boolWord(*a.vpc.EnableDnsSupport, "true", "false")})
	if a.vpc.EnableDnsHostnames != nil {
		ev = append(ev, finding.Evidence{Source: srcVPC, Ref: a.vpcID, Key: "enableDnsHostnames", Value: boolWord(*a.vpc.EnableDnsHostnames, "true", "false")})
	}
	if !*a.vpc.EnableDnsSupport && custom == "" {
		return Step{Layer: LayerDNS, Status: Blocked, Cause: cause.DNSResolution, Evidence: ev, Fix: a.fixVPCDNS(true, false),
			Message:   a.vpcID + " has enableDnsSupport=false and uses the Amazon-provided DNS: no name (ECR, S3, Docker Hub) resolves in this VPC",
			MessageJA: a.vpcID + " は enableDnsSupport=false で Amazon 提供の DNS を使っているため、VPC 内で名前（ECR・S3・Docker Hub）が解決できません"}
	}
	if custom != "" {
		return Step{Layer: LayerDNS, Status: Warn, Cause: cause.DNSResolution, Evidence: ev,
			Message:   a.vpcID + " uses custom DNS servers (" + custom + "): they must resolve public names and forward AWS names to the VPC resolver (169.254.169.253) for endpoint private DNS to apply",
			MessageJA: a.vpcID + " はカスタム DNS サーバー（" + custom + "）を使っています。パブリックな名前を解決でき、エンドポイントのプライベート DNS が効くよう AWS の名前を VPC リゾルバー（169.254.169.253）へ転送している必要があります"}
	}
	return Step{Layer: LayerDNS, Status: OK, Evidence: ev, Message: a.vpcID + " resolves names with the Amazon-provided DNS", MessageJA: a.vpcID + " は Amazon 提供の DNS で名前を解決します"}
}

// customDNS returns the custom domain-name-servers of the VPC's DHCP options ("" when it
// uses AmazonProvidedDNS or the options are unknown).
func (a *Analyzer) customDNS() string {
	id := deref(a.vpc.DhcpOptionsId)
	if id == "" || id == "default" {
		return ""
	}
	for i := range a.s.Network.DhcpOptions {
		o := &a.s.Network.DhcpOptions[i]
		if deref(o.DhcpOptionsId) != id {
			continue
		}
		for _, c := range o.DhcpConfigurations {
			if deref(c.Key) != "domain-name-servers" {
				continue
			}
			var vals []string
			amazon := false
			for _, v := range c.Values {
				x := deref(v.Value)
				if strings.EqualFold(x, "AmazonProvidedDNS") {
					amazon = true
				}
				vals = append(vals, x)
			}
			if !amazon && len(vals) > 0 {
				return strings.Join(vals, ", ")
			}
		}
	}
	return ""
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var b [12]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = digits[i%10]
		i /= 10
	}
	return string(b[n:])
}

// farSide names the reads that would let a later version follow a path out of the VPC.
func farSide(target string) []string {
	switch {
	case strings.HasPrefix(target, "tgw-"):
		return []string{"ec2:DescribeTransitGatewayRouteTables", "ec2:SearchTransitGatewayRoutes"}
	case strings.HasPrefix(target, "pcx-"):
		return []string{"ec2:DescribeVpcPeeringConnections"}
	case strings.HasPrefix(target, "eni-"), strings.HasPrefix(target, "i-"):
		return []string{"ec2:DescribeNetworkInterfaces", "ec2:DescribeInstances"}
	}
	return []string{"ec2:DescribeRouteTables"}
}
