package netpath

import (
	"net/netip"
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

// endpointTarget is where traffic to an interface endpoint lands.
type endpointTarget struct {
	ep     *ec2types.VpcEndpoint
	subnet string // the endpoint subnet the task most likely reaches (same AZ first)
	az     string
}

// Endpoint returns the endpoint of the task's VPC for a service (interface endpoints for the
// interface services, the gateway endpoint for S3), preferring an available one with private
// DNS; nil when there is none.
func (a *Analyzer) Endpoint(svc Service) *ec2types.VpcEndpoint {
	kind := ec2types.VpcEndpointTypeInterface
	if svc == S3 {
		kind = ec2types.VpcEndpointTypeGateway
	}
	var best *ec2types.VpcEndpoint
	score := -1
	for _, ep := range a.endpoints {
		if !strings.EqualFold(string(ep.VpcEndpointType), string(kind)) || !isServiceName(deref(ep.ServiceName), a.s.Region, svc) {
			continue
		}
		sc := 0
		if strings.EqualFold(string(ep.State), "available") {
			sc += 2
		}
		if ep.PrivateDnsEnabled != nil && *ep.PrivateDnsEnabled {
			sc++
		}
		if sc > score {
			best, score = ep, sc
		}
	}
	return best
}

// reachInterface: an interface endpoint with private DNS (and VPC DNS on) captures the
// service's public name, so the endpoint path is the path even when a NAT exists; otherwise the
// name resolves to public IPs and the internet path decides.
func (a *Analyzer) reachInterface(r *Result) {
	a.addDNS(r)
	svc := r.Dest.Service
	ep := a.Endpoint(svc)
	if ep == nil {
		a.reachInternet(r, internetDest(), true)
		r.finish()
		b := internetBlocker(r)
		if b == nil {
			r.add(Step{Layer: LayerEndpoint, Status: Skipped})
			return
		}
		// Endpoints are the alternative to the broken internet path. Only when the VPC
		// already has some (a private path was intended) is the missing one its own cause;
		// otherwise the cause is whatever broke the internet path.
		c := b.Cause
		if a.privatePathIntended() {
			c = cause.VPCEndpointConfig
		}
		sn := ServiceName(a.s.Region, svc)
		r.add(Step{Layer: LayerEndpoint, Status: Blocked, Cause: c,
			Message:   a.SubnetID() + " has no working internet path and " + a.vpcID + " has no " + sn + " interface endpoint",
			MessageJA: a.SubnetID() + " にはインターネットへの有効な経路がなく、" + a.vpcID + " に " + sn + " のインターフェイスエンドポイントもありません",
			Evidence:  []finding.Evidence{{Source: srcEP, Ref: a.vpcID, Key: "ServiceName=" + sn, Value: "(none)"}},
			Fix:       a.fixCreateInterface(svc)})
		return
	}
	epID := deref(ep.VpcEndpointId)
	sname := deref(ep.ServiceName)
	pdns := ep.PrivateDnsEnabled != nil && *ep.PrivateDnsEnabled
	ev := []finding.Evidence{{Source: srcEP, Ref: epID, Key: "PrivateDnsEnabled", Value: boolWord(pdns, "true", "false")}}
	dnsOff := a.vpc != nil && (isFalse(a.vpc.EnableDnsSupport) || isFalse(a.vpc.EnableDnsHostnames))
	if !pdns || dnsOff {
		// The public name resolves to public IPs: the endpoint is bypassed.
		a.reachInternet(r, internetDest(), true)
		r.finish()
		works := r.Status != Blocked
		if !pdns {
			st := Step{Layer: LayerPrivateDNS, Status: Warn, Evidence: ev, Cause: cause.VPCEndpointConfig,
				Message:   epID + " (" + sname + ") has private DNS disabled, so " + r.Dest.Host + " resolves to public addresses and the endpoint is not used; traffic goes over " + string(r.Via),
				MessageJA: epID + "（" + sname + "）はプライベート DNS が無効なため、" + r.Dest.Host + " はパブリックアドレスに解決され、エンドポイントは使われません（" + string(r.Via) + " 経由）"}
			if !works {
				st.Status = Blocked
				st.Fix = a.fixPrivateDNS(epID)
				st.Message = epID + " (" + sname + ") has private DNS disabled, so " + r.Dest.Host + " resolves to public addresses — and " + a.SubnetID() + " has no working internet path"
				st.MessageJA = epID + "（" + sname + "）はプライベート DNS が無効で、" + r.Dest.Host + " はパブリックアドレスに解決されますが、" + a.SubnetID() + " にはインターネットへの有効な経路がありません"
			}
			r.add(st)
		} else {
			// VPC DNS attributes switch private DNS off for the whole VPC.
			d := r.Step(LayerDNS)
			off := "enableDnsHostnames=false"
			switch {
			case isFalse(a.vpc.EnableDnsSupport) && isFalse(a.vpc.EnableDnsHostnames):
				off = "enableDnsSupport=false and enableDnsHostnames=false"
			case isFalse(a.vpc.EnableDnsSupport):
				off = "enableDnsSupport=false"
			}
			if d != nil && d.Status != Blocked {
				d.Cause = cause.VPCEndpointConfig
				d.Evidence = append(d.Evidence, ev...)
				d.Status = Warn
				d.Message = a.vpcID + " has " + off + ", so the private DNS of " + epID + " (" + sname + ") does not apply; traffic goes over " + string(r.Via)
				d.MessageJA = a.vpcID + " が " + off + " のため、" + epID + "（" + sname + "）のプライベート DNS が効かず、" + string(r.Via) + " 経由になります"
				if !works {
					d.Status = Blocked
					d.Fix = a.fixVPCDNS(isFalse(a.vpc.EnableDnsSupport), isFalse(a.vpc.EnableDnsHostnames))
					d.Message = a.vpcID + " has " + off + ", so the private DNS of " + epID + " (" + sname + ") does not apply, and " + a.SubnetID() + " has no working internet path"
					d.MessageJA = a.vpcID + " が " + off + " のため " + epID + "（" + sname + "）のプライベート DNS が効かず、" + a.SubnetID() + " にはインターネットへの有効な経路もありません"
				}
			}
			r.add(Step{Layer: LayerPrivateDNS, Status: OK, Evidence: ev, Message: epID + " has private DNS enabled", MessageJA: epID + " はプライベート DNS が有効です"})
		}
		return
	}
	// The endpoint path.
	r.Via = ViaInterfaceEndpoint
	r.add(Step{Layer: LayerPrivateDNS, Status: OK, Evidence: ev,
		Message:   epID + " (" + sname + ") has private DNS enabled: " + r.Dest.Host + " resolves to the endpoint, even when a NAT or internet gateway exists",
		MessageJA: epID + "（" + sname + "）はプライベート DNS が有効で、NAT やインターネットゲートウェイがあっても " + r.Dest.Host + " はエンドポイントに解決されます"})
	tgt, st := a.endpointStep(ep)
	r.Hops = append(r.Hops, Hop{ID: epID, Note: sname + ", private DNS" + subnetNote(tgt)})
	r.add(st)
	r.add(a.endpointSGStep(ep))
	r.add(a.policyStep(ep, r.Dest, cause.VPCEndpointConfig))
	a.addSGAndNACL(r, a.endpointDest(ep, tgt), &tgt)
}

func subnetNote(t endpointTarget) string {
	if t.subnet == "" {
		return ""
	}
	return ", ENI in " + t.subnet + " " + t.az
}

func isFalse(b *bool) bool { return b != nil && !*b }

// internetBlocker is the step that broke the internet path (route, public IP or NAT), or nil.
func internetBlocker(r *Result) *Step {
	for _, l := range []Layer{LayerRoute, LayerPublicIP, LayerNAT} {
		if st := r.Step(l); st != nil && st.Status == Blocked {
			return st
		}
	}
	return nil
}

// privatePathIntended says the VPC already has endpoints for the pull (an ECR interface
// endpoint or an S3 gateway endpoint): then a missing one is an endpoint configuration fault.
func (a *Analyzer) privatePathIntended() bool {
	for _, ep := range a.endpoints {
		switch svcOf(ep, a.s.Region) {
		case ECRAPI, ECRDKR, S3:
			return true
		}
	}
	return false
}

// endpointStep: state and AZ coverage. An endpoint with no ENI in the task's AZ still works
// (the regional DNS name returns every endpoint ENI, reachable over the VPC's local route) but
// costs cross-AZ traffic and fails with that AZ: a warning.
func (a *Analyzer) endpointStep(ep *ec2types.VpcEndpoint) (endpointTarget, Step) {
	epID := deref(ep.VpcEndpointId)
	t := endpointTarget{ep: ep}
	ev := []finding.Evidence{{Source: srcEP, Ref: epID, Key: "State", Value: string(ep.State)}, {Source: srcEP, Ref: epID, Key: "SubnetIds", Value: strings.Join(ep.SubnetIds, ", ")}}
	if !strings.EqualFold(string(ep.State), "available") {
		return t, Step{Layer: LayerEndpoint, Status: Blocked, Cause: cause.VPCEndpointConfig, Evidence: ev, Fix: a.fixCreateInterface(svcOf(ep, a.s.Region)),
			Message:   epID + " (" + deref(ep.ServiceName) + ") is " + string(ep.State) + ", not available",
			MessageJA: epID + "（" + deref(ep.ServiceName) + "）の状態が " + string(ep.State) + " で、available ではありません"}
	}
	if len(ep.SubnetIds) == 0 {
		return t, Step{Layer: LayerEndpoint, Status: Blocked, Cause: cause.VPCEndpointConfig, Evidence: ev, Fix: a.fixEndpointSubnet(epID),
			Message: epID + " has no subnets, so it has no network interface to connect to", MessageJA: epID + " にサブネットがなく、接続先のネットワークインターフェイスがありません"}
	}
	var azs []string
	unknownAZ := ""
	for _, sid := range ep.SubnetIds {
		sub := a.subnets.get(sid)
		if sub == nil {
			unknownAZ = sid
			continue
		}
		az := deref(sub.AvailabilityZone)
		azs = append(azs, sid+"="+az)
		if az == a.az && t.subnet == "" {
			t.subnet, t.az = sid, az
		}
	}
	ev = append(ev, finding.Evidence{Source: "ec2:DescribeSubnets", Ref: epID, Key: "endpoint subnet AZs", Value: strings.Join(azs, ", ")})
	if t.subnet != "" {
		return t, Step{Layer: LayerEndpoint, Status: OK, Evidence: ev,
			Message:   epID + " is available with a network interface in the task's AZ " + a.az + " (" + t.subnet + ")",
			MessageJA: epID + " は available で、タスクの AZ " + a.az + " にネットワークインターフェイス（" + t.subnet + "）があります"}
	}
	if unknownAZ != "" {
		st := a.missing(LayerEndpoint, "ec2:DescribeSubnets", unknownAZ, "the endpoint subnet "+unknownAZ, "エンドポイントのサブネット "+unknownAZ)
		st.Evidence = append(ev, st.Evidence...)
		return t, st
	}
	t.subnet = ep.SubnetIds[0]
	if s := a.subnets.get(t.subnet); s != nil {
		t.az = deref(s.AvailabilityZone)
	}
	return t, Step{Layer: LayerEndpoint, Status: Warn, Cause: cause.VPCEndpointConfig, Evidence: ev, Fix: a.fixEndpointSubnet(epID),
		Message:   epID + " has no network interface in the task's AZ " + a.az + " (only " + strings.Join(azs, ", ") + "): it is reached across AZs, which works but costs cross-AZ traffic and fails if that AZ does; add a subnet in " + a.az,
		MessageJA: epID + " にはタスクの AZ " + a.az + " のネットワークインターフェイスがありません（" + strings.Join(azs, ", ") + " のみ）。AZ をまたいで到達はできますが、AZ 間通信の料金がかかり、その AZ の障害時に失敗します。" + a.az + " のサブネットを追加してください"}
}

func svcOf(ep *ec2types.VpcEndpoint, region string) Service {
	n := deref(ep.ServiceName)
	for _, p := range [...]string{"cn.com.amazonaws.", "com.amazonaws."} {
		if rest, ok := strings.CutPrefix(n, p); ok {
			if rest, ok := strings.CutPrefix(rest, region); ok && strings.HasPrefix(rest, ".") {
				return Service(rest[1:])
			}
		}
	}
	return Service(n)
}

// endpointDest is the endpoint as a packet destination: its ENIs' addresses when the snapshot
// has them, else its subnets' CIDRs (in the chosen AZ).
func (a *Analyzer) endpointDest(ep *ec2types.VpcEndpoint, t endpointTarget) destSet {
	d := destSet{name: deref(ep.VpcEndpointId)}
	for _, g := range ep.Groups {
		d.sgIDs = append(d.sgIDs, deref(g.GroupId))
	}
	for _, id := range ep.NetworkInterfaceIds {
		if eni := a.enis.get(id); eni != nil && (t.subnet == "" || deref(eni.SubnetId) == t.subnet) {
			if ip, err := netip.ParseAddr(deref(eni.PrivateIpAddress)); err == nil {
				d.prefixes = append(d.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
			}
		}
	}
	if len(d.prefixes) == 0 {
		for _, sid := range ep.SubnetIds {
			if t.subnet != "" && sid != t.subnet {
				continue
			}
			if s := a.subnets.get(sid); s != nil {
				if p, ok := parsePrefix(deref(s.CidrBlock)); ok {
					d.prefixes = append(d.prefixes, p)
				}
			}
		}
	}
	if len(d.prefixes) > 0 {
		var cs []string
		for _, p := range d.prefixes {
			cs = append(cs, p.String())
		}
		d.name += " (" + strings.Join(cs, ", ") + ")"
	} else if a.vpc != nil {
		// Somewhere in the VPC: match against its CIDR.
		if p, ok := parsePrefix(deref(a.vpc.CidrBlock)); ok {
			d.prefixes = []netip.Prefix{p}
		}
	}
	return d
}

// endpointSGStep: the endpoint's security groups must let TCP 443 in from the task.
func (a *Analyzer) endpointSGStep(ep *ec2types.VpcEndpoint) Step {
	epID := deref(ep.VpcEndpointId)
	var groups []string
	for _, g := range ep.Groups {
		groups = append(groups, deref(g.GroupId))
	}
	if len(groups) == 0 {
		return a.missing(LayerEndpointSG, srcEP, epID, "the security groups of "+epID, epID+" のセキュリティグループ")
	}
	src := a.taskSource()
	dec, ev, missing := a.sgIngressFrom(groups, a.eni.SecurityGroupIDs, src)
	switch {
	case dec.v == yes:
		return Step{Layer: LayerEndpointSG, Status: OK, Evidence: ev,
			Message:   dec.ref + " (on " + epID + ") allows inbound " + dec.rule + ", which covers TCP 443 from the task",
			MessageJA: dec.ref + "（" + epID + "）のインバウンドルール " + dec.rule + " がタスクからの TCP 443 を許可しています"}
	case len(missing) > 0:
		return a.missing(LayerEndpointSG, srcSG, missing[0], "security group "+missing[0]+" of "+epID, epID+" のセキュリティグループ "+missing[0])
	case dec.v == maybe:
		return Step{Layer: LayerEndpointSG, Status: Unknown, Evidence: ev, Needs: []string{"ec2:GetManagedPrefixListEntries"},
			Message:   "cannot decide: the inbound rule " + dec.rule + " of " + dec.ref + " may or may not cover the task (" + src.name + ")",
			MessageJA: "判定できません: " + dec.ref + " のインバウンドルール " + dec.rule + " がタスク（" + src.name + "）を含むか決められません"}
	}
	return Step{Layer: LayerEndpointSG, Status: Blocked, Cause: cause.VPCEndpointConfig, Evidence: ev, Fix: a.fixEndpointSG(groups[0]),
		Message:   "the security groups of " + epID + " (" + strings.Join(groups, ", ") + ") do not allow inbound TCP 443 from the task (" + src.name + ", " + strings.Join(a.eni.SecurityGroupIDs, ", ") + ")",
		MessageJA: epID + " のセキュリティグループ（" + strings.Join(groups, ", ") + "）がタスク（" + src.name + "、" + strings.Join(a.eni.SecurityGroupIDs, ", ") + "）からのインバウンド TCP 443 を許可していません"}
}

// s3PrefixList finds the S3 managed prefix list id: from a route to the gateway endpoint, else
// by name.
func (a *Analyzer) s3PrefixList(rt *ec2types.RouteTable, gwID string) string {
	if rt != nil {
		for _, r := range rt.Routes {
			if pl := deref(r.DestinationPrefixListId); pl != "" && (gwID == "" || deref(r.GatewayId) == gwID) && strings.HasPrefix(deref(r.GatewayId), "vpce-") {
				return pl
			}
		}
	}
	name := "com.amazonaws." + a.s.Region + ".s3"
	for _, pl := range a.s.Network.PrefixLists {
		if pl.PrefixListName == name {
			return pl.PrefixListID
		}
	}
	return ""
}

func (a *Analyzer) s3Dest(plID string) destSet {
	d := destSet{name: "S3", plID: plID, public: true}
	if plID != "" {
		d.name = "S3 (" + plID + ")"
		if pl := a.pls.get(plID); pl != nil {
			d.prefixes = make([]netip.Prefix, 0, len(pl.Cidrs))
			for _, c := range pl.Cidrs {
				if p, ok := parsePrefix(c); ok {
					d.prefixes = append(d.prefixes, p)
				}
			}
		}
	}
	return d
}

// reachS3: ECR serves layers from S3. A gateway endpoint on the subnet's route table carries
// them privately (the prefix-list route is more specific than 0.0.0.0/0); without it they go
// the internet way.
func (a *Analyzer) reachS3(r *Result) {
	a.addDNS(r)
	rt, explicit := a.routeTable(a.SubnetID(), a.vpcID)
	rtID := ""
	if rt != nil {
		rtID = deref(rt.RouteTableId)
	}
	var onRT *ec2types.VpcEndpoint
	var other []*ec2types.VpcEndpoint
	for _, ep := range a.endpoints {
		if !strings.EqualFold(string(ep.VpcEndpointType), "Gateway") || !isServiceName(deref(ep.ServiceName), a.s.Region, S3) {
			continue
		}
		if rtID != "" && (contains(ep.RouteTableIds, rtID) || routesTo(rt, deref(ep.VpcEndpointId))) {
			onRT = ep
		} else {
			other = append(other, ep)
		}
	}
	if rt == nil {
		r.add(a.missing(LayerRoute, srcRT, "", "the route table of "+a.SubnetID(), a.SubnetID()+" のルートテーブル"))
		return
	}
	if onRT != nil {
		epID := deref(onRT.VpcEndpointId)
		pl := a.s3PrefixList(rt, epID)
		d := a.s3Dest(pl)
		r.Via = ViaGatewayEndpoint
		r.Hops = append(r.Hops, Hop{ID: rtID, Note: rtNote(explicit, firstNonEmpty(pl, "S3 prefix list")+" → "+epID)}, Hop{ID: "S3", Note: LayerBucket(a.s.Region)})
		ev := []finding.Evidence{{Source: srcEP, Ref: epID, Key: "RouteTableIds", Value: strings.Join(onRT.RouteTableIds, ", ")}, {Source: srcEP, Ref: epID, Key: "State", Value: string(onRT.State)}}
		if !strings.EqualFold(string(onRT.State), "available") {
			r.add(Step{Layer: LayerS3Gateway, Status: Blocked, Cause: cause.S3LayerAccess, Evidence: ev, Fix: a.fixS3Gateway(rtID, ""),
				Message: "the S3 gateway endpoint " + epID + " is " + string(onRT.State), MessageJA: "S3 ゲートウェイエンドポイント " + epID + " の状態が " + string(onRT.State) + " です"})
		} else {
			r.add(Step{Layer: LayerS3Gateway, Status: OK, Evidence: ev,
				Message:   "the S3 gateway endpoint " + epID + " is associated with " + rtID + ", the route table of " + a.SubnetID(),
				MessageJA: "S3 ゲートウェイエンドポイント " + epID + " は " + a.SubnetID() + " のルートテーブル " + rtID + " に関連付けられています"})
		}
		r.add(a.policyStep(onRT, r.Dest, cause.S3LayerAccess))
		a.addSGAndNACL(r, d, nil)
		return
	}
	a.reachInternet(r, a.s3Dest(a.s3PrefixList(nil, "")), true)
	r.finish()
	b := internetBlocker(r)
	if b == nil {
		r.add(Step{Layer: LayerS3Gateway, Status: Skipped})
		return
	}
	var ev []finding.Evidence
	for _, ep := range other {
		ev = append(ev, finding.Evidence{Source: srcEP, Ref: deref(ep.VpcEndpointId), Key: "RouteTableIds", Value: strings.Join(ep.RouteTableIds, ", ")})
	}
	st := Step{Layer: LayerS3Gateway, Status: Blocked, Evidence: ev}
	st.Cause = b.Cause
	if a.privatePathIntended() {
		st.Cause = cause.S3LayerAccess
	}
	if len(other) > 0 {
		epID := deref(other[0].VpcEndpointId)
		st.Message = "the S3 gateway endpoint " + epID + " is associated with " + strings.Join(other[0].RouteTableIds, ", ") + " but not with " + rtID + ", the route table " + a.SubnetID() + " uses, and there is no working internet path: ECR layers (" + LayerBucket(a.s.Region) + ") cannot be fetched"
		st.MessageJA = "S3 ゲートウェイエンドポイント " + epID + " は " + strings.Join(other[0].RouteTableIds, ", ") + " に関連付けられていますが、" + a.SubnetID() + " が使う " + rtID + " には関連付けられておらず、インターネットへの経路もないため、ECR のレイヤー（" + LayerBucket(a.s.Region) + "）を取得できません"
		st.Fix = a.fixS3Gateway(rtID, epID)
	} else {
		st.Message = a.vpcID + " has no S3 gateway endpoint and " + a.SubnetID() + " has no working internet path: ECR layers (" + LayerBucket(a.s.Region) + ") cannot be fetched"
		st.MessageJA = a.vpcID + " に S3 ゲートウェイエンドポイントがなく、" + a.SubnetID() + " にインターネットへの経路もないため、ECR のレイヤー（" + LayerBucket(a.s.Region) + "）を取得できません"
		st.Evidence = append(st.Evidence, finding.Evidence{Source: srcEP, Ref: a.vpcID, Key: "ServiceName=" + ServiceName(a.s.Region, S3), Value: "(none)"})
		st.Fix = a.fixS3Gateway(rtID, "")
	}
	r.add(st)
}

func routesTo(rt *ec2types.RouteTable, gw string) bool {
	for _, r := range rt.Routes {
		if deref(r.GatewayId) == gw && deref(r.DestinationPrefixListId) != "" {
			return true
		}
	}
	return false
}
