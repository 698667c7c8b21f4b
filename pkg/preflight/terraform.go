package preflight

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// A Terraform plan (`terraform show -json plan.out`, format_version 1.x) holds the planned
// values of every resource in planned_values.root_module (child_modules recursively), which
// values are unknown until apply in resource_changes[].change.after_unknown, and how each
// attribute was written, with the resources it references, in configuration. Known values
// are taken as they are; an unknown one is followed through its configuration reference to
// the resource it names, so "subnets = [aws_subnet.private_a.id]" still leads to that
// subnet's planned route table even though its id does not exist yet.
// Format: https://developer.hashicorp.com/terraform/internals/json-format

type tfRes struct {
	addr    string // module.net[0].aws_subnet.private[1]
	modAddr string // "module.net[0]." or ""
	modKey  string // "module.net." (no instance keys), the configuration's module path
	typ     string
	mode    string
	values  map[string]any
	unknown map[string]any
	expr    map[string]any
	created bool
	id      string
	arn     string // aws_iam_role, aws_iam_policy, aws_secretsmanager_secret
}

type tfPlan struct {
	b      *builder
	res    []*tfRes
	byAddr map[string]*tfRes
	// routeTables etc. are keyed by resolved id, to attach associations and routes.
	rts   map[string]*ec2types.RouteTable
	rtIDs []string
	sgs   map[string]*ec2types.SecurityGroup
	sgIDs []string
	eps   map[string]*ec2types.VpcEndpoint
	epIDs []string
	roles map[string]*snapshot.Role // by resource address
	// providerRegion is the aws provider's region when the configuration sets it literally.
	providerRegion string
}

var indexRE = regexp.MustCompile(`\[[^\]]*\]`)

func (b *builder) terraform(top map[string]any) error {
	p := &tfPlan{b: b, byAddr: map[string]*tfRes{}, rts: map[string]*ec2types.RouteTable{},
		sgs: map[string]*ec2types.SecurityGroup{}, eps: map[string]*ec2types.VpcEndpoint{}, roles: map[string]*snapshot.Role{}}
	root := obj(obj(top["planned_values"])["root_module"])
	if root == nil {
		root = obj(obj(top["values"])["root_module"]) // `terraform show -json` of a state
	}
	p.walk(root)
	// Data sources (and resources unchanged by the plan) as they were read.
	p.walk(obj(obj(obj(top["prior_state"])["values"])["root_module"]))
	for _, rc := range arr(top["resource_changes"]) {
		rc := obj(rc)
		r := p.byAddr[str(rc["address"])]
		if r == nil {
			continue
		}
		ch := obj(rc["change"])
		r.unknown = obj(ch["after_unknown"])
		for _, a := range arr(ch["actions"]) {
			if str(a) == "create" {
				r.created = true
			}
		}
	}
	cfg := map[string]map[string]any{}
	var walkCfg func(m map[string]any, prefix string)
	walkCfg = func(m map[string]any, prefix string) {
		for _, r := range arr(m["resources"]) {
			r := obj(r)
			cfg[prefix+str(r["address"])] = obj(r["expressions"])
		}
		for name, mc := range obj(m["module_calls"]) {
			walkCfg(obj(obj(mc)["module"]), prefix+"module."+name+".")
		}
	}
	walkCfg(obj(obj(top["configuration"])["root_module"]), "")
	p.providerRegion = str(obj(obj(obj(obj(obj(top["configuration"])["provider_config"])["aws"])["expressions"])["region"])["constant_value"])
	for _, r := range p.res {
		r.expr = cfg[indexRE.ReplaceAllString(r.addr, "")]
	}
	p.build()
	return nil
}

func (p *tfPlan) walk(m map[string]any) {
	if m == nil {
		return
	}
	for _, r := range arr(m["resources"]) {
		r := obj(r)
		addr := str(r["address"])
		if addr == "" || p.byAddr[addr] != nil {
			continue
		}
		typ, mode := str(r["type"]), str(r["mode"])
		local := typ + "." + str(r["name"])
		if mode == "data" {
			local = "data." + local
		}
		modAddr := ""
		if i := strings.Index(addr, local); i > 0 {
			modAddr = addr[:i]
		}
		res := &tfRes{addr: addr, modAddr: modAddr, modKey: indexRE.ReplaceAllString(modAddr, ""), typ: typ, mode: mode, values: obj(r["values"])}
		if res.values == nil {
			res.values = map[string]any{}
		}
		p.res = append(p.res, res)
		p.byAddr[addr] = res
	}
	for _, c := range arr(m["child_modules"]) {
		p.walk(obj(c))
	}
}

// unknownAt reports whether an after_unknown subtree marks anything unknown.
func unknownAt(u any) bool {
	switch x := u.(type) {
	case bool:
		return x
	case []any:
		for _, e := range x {
			if unknownAt(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if unknownAt(e) {
				return true
			}
		}
	}
	return false
}

// view is one object of a resource (the resource itself, or one of its nested blocks) with
// its unknown marks and configuration expressions.
type view struct {
	p       *tfPlan
	r       *tfRes
	values  map[string]any
	unknown map[string]any
	expr    map[string]any
}

func (p *tfPlan) view(r *tfRes) view {
	return view{p: p, r: r, values: r.values, unknown: r.unknown, expr: r.expr}
}

func (v view) known(attr string) (any, bool) {
	if unknownAt(v.unknown[attr]) {
		return nil, false
	}
	val, ok := v.values[attr]
	return val, ok && val != nil
}

// block returns the first nested block attr.
func (v view) block(attr string) (view, bool) {
	vals := first(v.values[attr])
	if vals == nil && !unknownAt(v.unknown[attr]) {
		return view{}, false
	}
	return view{p: v.p, r: v.r, values: orEmpty(vals), unknown: first(v.unknown[attr]), expr: first(v.expr[attr])}, true
}

// blocks returns every nested block attr; a block's expressions are matched by the constant
// value of key (sets of blocks are not in configuration order).
func (v view) blocks(attr, key string) []view {
	var out []view
	unk := arr(v.unknown[attr])
	for i, e := range arr(v.values[attr]) {
		bv := view{p: v.p, r: v.r, values: orEmpty(obj(e))}
		if i < len(unk) {
			bv.unknown = obj(unk[i])
		}
		for _, ce := range arr(v.expr[attr]) {
			ce := obj(ce)
			if key == "" || str(obj(ce[key])["constant_value"]) == str(bv.values[key]) {
				bv.expr = ce
				break
			}
		}
		out = append(out, bv)
	}
	return out
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// str resolves a string attribute: its planned value, else the attribute of the resource
// its expression references, else a placeholder; "" when the attribute is not set at all.
func (v view) str(attr string) string {
	if val, ok := v.known(attr); ok {
		return str(val)
	}
	if rs := v.p.refs(v.r, v.expr[attr]); len(rs) > 0 {
		return rs[0]
	}
	if unknownAt(v.unknown[attr]) {
		return "(known after apply: " + v.r.addr + "." + attr + ")"
	}
	return ""
}

// list resolves a list attribute the same way; each reference contributes its values.
func (v view) list(attr string) []string {
	if val, ok := v.known(attr); ok {
		return strs(val)
	}
	if rs := v.p.refs(v.r, v.expr[attr]); len(rs) > 0 {
		return rs
	}
	if unknownAt(v.unknown[attr]) {
		return []string{"(known after apply: " + v.r.addr + "." + attr + ")"}
	}
	return nil
}

func (v view) boolOr(attr string, def bool) bool {
	if val, ok := v.known(attr); ok {
		return boolOr(val, def)
	}
	return def
}

// refRE splits a reference: optional "data.", type, name, optional index, optional attribute.
var refRE = regexp.MustCompile(`^(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)(\[[^\]]*\])?(?:\.([A-Za-z0-9_]+))?`)

// refs resolves the references of an expression to the values they name, in order, one per
// referenced resource instance.
func (p *tfPlan) refs(from *tfRes, expr any) []string {
	var out []string
	seen := map[string]bool{}
	type hit struct {
		r    *tfRes
		attr string
	}
	var hits []hit
	for _, ref := range strs(obj(expr)["references"]) {
		m := refRE.FindStringSubmatch(ref)
		if m == nil || m[2] == "var" || m[2] == "local" || m[2] == "module" || m[2] == "each" || m[2] == "count" || m[2] == "path" {
			continue
		}
		local := m[1] + m[2] + "." + m[3]
		var targets []*tfRes
		if m[4] != "" {
			if r := p.byAddr[from.modAddr+local+m[4]]; r != nil {
				targets = append(targets, r)
			}
		} else if r := p.byAddr[from.modAddr+local]; r != nil {
			targets = append(targets, r)
		} else {
			for _, r := range p.res {
				if strings.HasPrefix(r.addr, from.modAddr+local+"[") {
					targets = append(targets, r)
				}
			}
		}
		for _, t := range targets {
			key := t.addr
			if seen[key] {
				// "aws_subnet.a.id" and "aws_subnet.a" both appear; keep the first attribute.
				continue
			}
			seen[key] = true
			hits = append(hits, hit{t, m[5]})
		}
	}
	for _, h := range hits {
		out = append(out, p.attrOf(h.r, h.attr))
	}
	return out
}

// attrOf is the value of another resource's attribute, known or symbolic.
func (p *tfPlan) attrOf(r *tfRes, attr string) string {
	switch {
	case attr == "" || attr == "id":
		return r.id
	case attr == "arn" && r.arn != "":
		return r.arn
	case r.typ == "aws_vpc" && (attr == "default_route_table_id" || attr == "main_route_table_id"):
		if v, ok := p.view(r).known(attr); ok {
			return str(v)
		}
		return "(main route table of " + r.addr + ")"
	case r.typ == "aws_vpc" && attr == "default_network_acl_id":
		if v, ok := p.view(r).known(attr); ok {
			return str(v)
		}
		return "(default network ACL of " + r.addr + ")"
	}
	if v, ok := p.view(r).known(attr); ok {
		return str(v)
	}
	return "(known after apply: " + r.addr + "." + attr + ")"
}

func (p *tfPlan) ofType(types ...string) []*tfRes {
	var out []*tfRes
	for _, r := range p.res {
		if r.mode == "data" {
			continue
		}
		for _, t := range types {
			if r.typ == t {
				out = append(out, r)
			}
		}
	}
	return out
}

func (p *tfPlan) build() {
	b := p.b
	s := b.s
	// Ids first: every later reference resolves to them.
	for _, r := range p.res {
		v := p.view(r)
		if id, ok := v.known("id"); ok && str(id) != "" {
			r.id = str(id)
		} else {
			r.id = "(known after apply: " + r.addr + ")"
		}
		if a, ok := v.known("arn"); ok {
			b.seeARN(str(a))
		}
		if r.typ == "aws_caller_identity" {
			if a, ok := v.known("account_id"); ok && accountRE.MatchString(str(a)) {
				b.accts = append([]string{str(a)}, b.accts...)
			}
		}
		if r.typ == "aws_region" && s.Region == "" {
			if n, ok := v.known("name"); ok {
				s.Region = str(n)
			}
		}
	}
	if s.Region == "" {
		s.Region = p.providerRegion
	}
	var images []string
	for _, r := range p.ofType("aws_ecs_task_definition") {
		if cds, ok := p.view(r).known("container_definitions"); ok {
			var list []struct {
				Image string `json:"image"`
			}
			if json.Unmarshal([]byte(str(cds)), &list) == nil {
				for _, c := range list {
					images = append(images, c.Image)
				}
			}
		}
	}
	acct := firstNonEmpty(b.o.Account, firstOf(b.accts), b.imageAccount(images))
	for _, r := range p.res {
		v := p.view(r)
		if a, ok := v.known("arn"); ok && str(a) != "" {
			r.arn = str(a)
			continue
		}
		switch r.typ {
		case "aws_iam_role", "aws_iam_policy":
			kind := strings.TrimPrefix(r.typ, "aws_iam_")
			name, nok := v.known("name")
			if nok && acct != "" {
				path := firstNonEmpty(str(r.values["path"]), "/")
				r.arn = "arn:" + imageref.PartitionOf(s.Region) + ":iam::" + acct + ":" + kind + path + str(name)
			} else {
				r.arn = "(known after apply: " + r.addr + ".arn)"
			}
		case "aws_secretsmanager_secret", "aws_ecr_repository", "aws_cloudwatch_log_group":
			r.arn = "(known after apply: " + r.addr + ".arn)"
		}
	}
	p.network()
	p.iam()
	p.ecr()
	p.ecs()
}

func firstOf(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (p *tfPlan) network() {
	s := p.b.s
	n := &s.Network
	for _, r := range p.ofType("aws_vpc", "aws_default_vpc") {
		v := p.view(r)
		vpc := snapshot.VPC{Vpc: ec2types.Vpc{VpcId: ptr(r.id), CidrBlock: ptr(v.str("cidr_block")), State: ec2types.VpcStateAvailable}}
		sup, host := v.boolOr("enable_dns_support", true), v.boolOr("enable_dns_hostnames", r.typ == "aws_default_vpc")
		vpc.EnableDnsSupport, vpc.EnableDnsHostnames = &sup, &host
		n.Vpcs = append(n.Vpcs, vpc)
		p.b.ownVPCs[r.id] = true
		if r.created {
			p.b.newVPCs[r.id] = true
		}
	}
	for _, r := range p.ofType("aws_subnet", "aws_default_subnet") {
		v := p.view(r)
		n.Subnets = append(n.Subnets, ec2types.Subnet{
			SubnetId: ptr(r.id), VpcId: ptr(v.str("vpc_id")), CidrBlock: ptr(v.str("cidr_block")),
			AvailabilityZone: ptr(v.str("availability_zone")), MapPublicIpOnLaunch: boolPtr(v.boolOr("map_public_ip_on_launch", false)),
			State: ec2types.SubnetStateAvailable,
		})
	}
	for _, r := range p.ofType("aws_internet_gateway") {
		v := p.view(r)
		igw := ec2types.InternetGateway{InternetGatewayId: ptr(r.id)}
		if vpc := v.str("vpc_id"); vpc != "" {
			igw.Attachments = []ec2types.InternetGatewayAttachment{{VpcId: ptr(vpc), State: ec2types.AttachmentStatus("available")}}
		}
		n.InternetGateways = append(n.InternetGateways, igw)
	}
	for _, r := range p.ofType("aws_internet_gateway_attachment") {
		v := p.view(r)
		for i := range n.InternetGateways {
			if deref(n.InternetGateways[i].InternetGatewayId) == v.str("internet_gateway_id") {
				n.InternetGateways[i].Attachments = append(n.InternetGateways[i].Attachments, ec2types.InternetGatewayAttachment{VpcId: ptr(v.str("vpc_id")), State: ec2types.AttachmentStatus("available")})
			}
		}
	}
	for _, r := range p.ofType("aws_nat_gateway") {
		v := p.view(r)
		sub := v.str("subnet_id")
		nat := ec2types.NatGateway{NatGatewayId: ptr(r.id), SubnetId: ptr(sub), State: ec2types.NatGatewayStateAvailable,
			ConnectivityType: ec2types.ConnectivityType(firstNonEmpty(v.str("connectivity_type"), "public"))}
		if sn := s.Subnet(sub); sn != nil {
			nat.VpcId = sn.VpcId
		}
		n.NatGateways = append(n.NatGateways, nat)
	}
	// Route tables.
	for _, r := range p.ofType("aws_route_table") {
		v := p.view(r)
		rt := p.routeTable(r.id, v.str("vpc_id"))
		for _, rb := range v.blocks("route", "cidr_block") {
			if route, ok := routeFrom(rb, "cidr_block", "ipv6_cidr_block", "destination_prefix_list_id", "egress_only_gateway_id"); ok {
				rt.Routes = append(rt.Routes, route)
			}
		}
	}
	for _, r := range p.ofType("aws_default_route_table") {
		v := p.view(r)
		id := v.str("default_route_table_id")
		vpc := v.str("vpc_id")
		if vpc == "" || strings.HasPrefix(vpc, "(known after apply") {
			for _, ref := range strs(obj(r.expr["default_route_table_id"])["references"]) {
				if m := refRE.FindStringSubmatch(ref); m != nil {
					if vr := p.byAddr[r.modAddr+m[2]+"."+m[3]+m[4]]; vr != nil && vr.typ == "aws_vpc" {
						vpc = vr.id
					}
				}
			}
		}
		rt := p.routeTable(id, vpc)
		rt.Associations = append(rt.Associations, ec2types.RouteTableAssociation{Main: boolPtr(true), RouteTableId: ptr(id)})
		for _, rb := range v.blocks("route", "cidr_block") {
			if route, ok := routeFrom(rb, "cidr_block", "ipv6_cidr_block", "destination_prefix_list_id", "egress_only_gateway_id"); ok {
				rt.Routes = append(rt.Routes, route)
			}
		}
	}
	for _, r := range p.ofType("aws_route") {
		v := p.view(r)
		rt := p.routeTable(v.str("route_table_id"), "")
		if route, ok := routeFrom(v, "destination_cidr_block", "destination_ipv6_cidr_block", "destination_prefix_list_id", "egress_only_gateway_id"); ok {
			rt.Routes = append(rt.Routes, route)
		}
	}
	for _, r := range p.ofType("aws_route_table_association") {
		v := p.view(r)
		if sub := v.str("subnet_id"); sub != "" {
			rtID := v.str("route_table_id")
			rt := p.routeTable(rtID, "")
			rt.Associations = append(rt.Associations, ec2types.RouteTableAssociation{Main: boolPtr(false), RouteTableId: ptr(rtID), SubnetId: ptr(sub)})
		}
	}
	for _, r := range p.ofType("aws_main_route_table_association") {
		v := p.view(r)
		rtID := v.str("route_table_id")
		rt := p.routeTable(rtID, v.str("vpc_id"))
		rt.Associations = append(rt.Associations, ec2types.RouteTableAssociation{Main: boolPtr(true), RouteTableId: ptr(rtID)})
	}
	// A VPC this plan creates starts with a main route table holding only the local route,
	// unless the plan replaces or manages it.
	for _, r := range p.ofType("aws_vpc") {
		if !p.b.newVPCs[r.id] || p.hasMain(r.id) {
			continue
		}
		id := p.attrOf(r, "default_route_table_id")
		rt := p.routeTable(id, r.id)
		rt.Associations = append(rt.Associations, ec2types.RouteTableAssociation{Main: boolPtr(true), RouteTableId: ptr(id)})
	}
	for _, id := range p.rtIDs {
		rt := p.rts[id]
		if v := s.VPC(deref(rt.VpcId)); v != nil && deref(v.CidrBlock) != "" && !strings.HasPrefix(deref(v.CidrBlock), "(") {
			local := ec2types.Route{DestinationCidrBlock: v.CidrBlock, GatewayId: ptr("local"), State: ec2types.RouteStateActive, Origin: ec2types.RouteOriginCreateRouteTable}
			rt.Routes = append([]ec2types.Route{local}, rt.Routes...)
		}
		n.RouteTables = append(n.RouteTables, *rt)
	}
	// Endpoints.
	for _, r := range p.ofType("aws_vpc_endpoint") {
		v := p.view(r)
		ep := &ec2types.VpcEndpoint{
			VpcEndpointId: ptr(r.id), VpcId: ptr(v.str("vpc_id")), ServiceName: ptr(v.str("service_name")),
			VpcEndpointType:   ec2types.VpcEndpointType(firstNonEmpty(v.str("vpc_endpoint_type"), "Gateway")),
			State:             ec2types.State("available"),
			PrivateDnsEnabled: boolPtr(v.boolOr("private_dns_enabled", false)),
			SubnetIds:         v.list("subnet_ids"),
			RouteTableIds:     v.list("route_table_ids"),
		}
		for _, g := range v.list("security_group_ids") {
			ep.Groups = append(ep.Groups, ec2types.SecurityGroupIdentifier{GroupId: ptr(g)})
		}
		if pol := v.str("policy"); pol != "" && !strings.HasPrefix(pol, "(") {
			ep.PolicyDocument = ptr(pol)
		}
		p.eps[r.id] = ep
		p.epIDs = append(p.epIDs, r.id)
	}
	for _, r := range p.ofType("aws_vpc_endpoint_route_table_association") {
		v := p.view(r)
		if ep := p.eps[v.str("vpc_endpoint_id")]; ep != nil {
			ep.RouteTableIds = append(ep.RouteTableIds, v.str("route_table_id"))
		}
	}
	for _, r := range p.ofType("aws_vpc_endpoint_subnet_association") {
		v := p.view(r)
		if ep := p.eps[v.str("vpc_endpoint_id")]; ep != nil {
			ep.SubnetIds = append(ep.SubnetIds, v.str("subnet_id"))
		}
	}
	for _, r := range p.ofType("aws_vpc_endpoint_security_group_association") {
		v := p.view(r)
		if ep := p.eps[v.str("vpc_endpoint_id")]; ep != nil {
			ep.Groups = append(ep.Groups, ec2types.SecurityGroupIdentifier{GroupId: ptr(v.str("security_group_id"))})
		}
	}
	for _, id := range p.epIDs {
		n.VpcEndpoints = append(n.VpcEndpoints, *p.eps[id])
	}
	p.securityGroups()
	p.nacls()
}

func (p *tfPlan) hasMain(vpc string) bool {
	for _, id := range p.rtIDs {
		rt := p.rts[id]
		for _, a := range rt.Associations {
			if a.Main != nil && *a.Main && deref(rt.VpcId) == vpc {
				return true
			}
		}
	}
	return false
}

// routeTable returns the route table with this id, creating it when first met.
func (p *tfPlan) routeTable(id, vpc string) *ec2types.RouteTable {
	rt := p.rts[id]
	if rt == nil {
		rt = &ec2types.RouteTable{RouteTableId: ptr(id)}
		p.rts[id] = rt
		p.rtIDs = append(p.rtIDs, id)
	}
	if vpc != "" && rt.VpcId == nil {
		rt.VpcId = ptr(vpc)
	}
	return rt
}

// routeFrom builds an EC2 route from a Terraform route (inline block or aws_route).
func routeFrom(v view, cidr, ipv6, pl, eigw string) (ec2types.Route, bool) {
	r := ec2types.Route{DestinationCidrBlock: ptr(v.str(cidr)), DestinationIpv6CidrBlock: ptr(v.str(ipv6)),
		DestinationPrefixListId: ptr(v.str(pl)), State: ec2types.RouteStateActive, Origin: ec2types.RouteOriginCreateRoute}
	if r.DestinationCidrBlock == nil && r.DestinationIpv6CidrBlock == nil && r.DestinationPrefixListId == nil {
		return r, false
	}
	r.GatewayId = ptr(v.str("gateway_id"))
	r.NatGatewayId = ptr(v.str("nat_gateway_id"))
	r.TransitGatewayId = ptr(v.str("transit_gateway_id"))
	r.VpcPeeringConnectionId = ptr(v.str("vpc_peering_connection_id"))
	r.NetworkInterfaceId = ptr(v.str("network_interface_id"))
	r.EgressOnlyInternetGatewayId = ptr(v.str(eigw))
	r.LocalGatewayId = ptr(v.str("local_gateway_id"))
	r.CarrierGatewayId = ptr(v.str("carrier_gateway_id"))
	r.CoreNetworkArn = ptr(v.str("core_network_arn"))
	if ep := v.str("vpc_endpoint_id"); ep != "" {
		r.GatewayId = ptr(ep) // EC2 reports a gateway endpoint route under GatewayId
	}
	// A gateway id Terraform will create has no "igw-" prefix yet: say what it is.
	if g := deref(r.GatewayId); strings.HasPrefix(g, "(") {
		if strings.Contains(g, "aws_internet_gateway.") {
			r.GatewayId = ptr("igw-" + g)
		} else if strings.Contains(g, "aws_vpc_endpoint.") {
			r.GatewayId = ptr("vpce-" + g)
		}
	}
	return r, true
}

func (p *tfPlan) securityGroups() {
	n := &p.b.s.Network
	for _, r := range p.ofType("aws_security_group", "aws_default_security_group") {
		v := p.view(r)
		sg := &ec2types.SecurityGroup{GroupId: ptr(r.id), GroupName: ptr(v.str("name")), VpcId: ptr(v.str("vpc_id"))}
		for _, e := range v.blocks("egress", "") {
			sg.IpPermissionsEgress = append(sg.IpPermissionsEgress, permission(e, r.id, "protocol", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups"))
		}
		for _, e := range v.blocks("ingress", "") {
			sg.IpPermissions = append(sg.IpPermissions, permission(e, r.id, "protocol", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups"))
		}
		p.sgs[r.id] = sg
		p.sgIDs = append(p.sgIDs, r.id)
	}
	for _, r := range p.ofType("aws_vpc_security_group_egress_rule", "aws_vpc_security_group_ingress_rule") {
		v := p.view(r)
		sg := p.sgs[v.str("security_group_id")]
		if sg == nil {
			continue
		}
		perm := permission(v, "", "ip_protocol", "cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id")
		if r.typ == "aws_vpc_security_group_egress_rule" {
			sg.IpPermissionsEgress = append(sg.IpPermissionsEgress, perm)
		} else {
			sg.IpPermissions = append(sg.IpPermissions, perm)
		}
	}
	for _, r := range p.ofType("aws_security_group_rule") {
		v := p.view(r)
		sg := p.sgs[v.str("security_group_id")]
		if sg == nil {
			continue
		}
		perm := permission(v, v.str("security_group_id"), "protocol", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "source_security_group_id")
		if v.str("type") == "egress" {
			sg.IpPermissionsEgress = append(sg.IpPermissionsEgress, perm)
		} else {
			sg.IpPermissions = append(sg.IpPermissions, perm)
		}
	}
	for _, id := range p.sgIDs {
		n.SecurityGroups = append(n.SecurityGroups, *p.sgs[id])
	}
}

// permission converts a Terraform rule to an EC2 IpPermission.
func permission(v view, self, proto, cidr4, cidr6, pl, groups string) ec2types.IpPermission {
	perm := ec2types.IpPermission{IpProtocol: ptr(ipProtocol(v.str(proto)))}
	if deref(perm.IpProtocol) != "-1" {
		if f, ok := int32Of(v.values["from_port"]); ok {
			perm.FromPort = &f
		}
		if t, ok := int32Of(v.values["to_port"]); ok {
			perm.ToPort = &t
		}
	}
	for _, c := range v.list(cidr4) {
		perm.IpRanges = append(perm.IpRanges, ec2types.IpRange{CidrIp: ptr(c)})
	}
	for _, c := range v.list(cidr6) {
		perm.Ipv6Ranges = append(perm.Ipv6Ranges, ec2types.Ipv6Range{CidrIpv6: ptr(c)})
	}
	for _, c := range v.list(pl) {
		perm.PrefixListIds = append(perm.PrefixListIds, ec2types.PrefixListId{PrefixListId: ptr(c)})
	}
	for _, g := range v.list(groups) {
		perm.UserIdGroupPairs = append(perm.UserIdGroupPairs, ec2types.UserIdGroupPair{GroupId: ptr(g)})
	}
	if self != "" && v.boolOr("self", false) {
		perm.UserIdGroupPairs = append(perm.UserIdGroupPairs, ec2types.UserIdGroupPair{GroupId: ptr(self)})
	}
	return perm
}

// ipProtocol normalises Terraform's protocol names to what EC2 returns.
func ipProtocol(p string) string {
	switch strings.ToLower(p) {
	case "", "-1", "all":
		return "-1"
	case "tcp", "6":
		return "tcp"
	case "udp", "17":
		return "udp"
	case "icmp", "1":
		return "icmp"
	}
	return p
}

// naclProtocol is the protocol number NACL entries carry.
func naclProtocol(p string) string {
	switch strings.ToLower(p) {
	case "", "-1", "all":
		return "-1"
	case "tcp":
		return "6"
	case "udp":
		return "17"
	case "icmp":
		return "1"
	}
	return p
}

func (p *tfPlan) nacls() {
	s := p.b.s
	n := &s.Network
	hasDefault := map[string]bool{}
	add := func(r *tfRes, id, vpc string, def bool) {
		v := p.view(r)
		acl := ec2types.NetworkAcl{NetworkAclId: ptr(id), VpcId: ptr(vpc), IsDefault: boolPtr(def)}
		for _, dir := range []string{"egress", "ingress"} {
			for _, e := range v.blocks(dir, "") {
				acl.Entries = append(acl.Entries, naclEntry(e, dir == "egress"))
			}
		}
		for _, sub := range v.list("subnet_ids") {
			acl.Associations = append(acl.Associations, ec2types.NetworkAclAssociation{NetworkAclId: ptr(id), SubnetId: ptr(sub)})
		}
		n.NetworkAcls = append(n.NetworkAcls, acl)
	}
	for _, r := range p.ofType("aws_network_acl") {
		add(r, r.id, p.view(r).str("vpc_id"), false)
	}
	for _, r := range p.ofType("aws_default_network_acl") {
		v := p.view(r)
		vpc := ""
		for _, ref := range strs(obj(r.expr["default_network_acl_id"])["references"]) {
			if m := refRE.FindStringSubmatch(ref); m != nil {
				if vr := p.byAddr[r.modAddr+m[2]+"."+m[3]+m[4]]; vr != nil && vr.typ == "aws_vpc" {
					vpc = vr.id
				}
			}
		}
		add(r, v.str("default_network_acl_id"), vpc, true)
		hasDefault[vpc] = true
	}
	for _, r := range p.ofType("aws_network_acl_rule") {
		v := p.view(r)
		for i := range n.NetworkAcls {
			if deref(n.NetworkAcls[i].NetworkAclId) == v.str("network_acl_id") {
				e := naclEntry(v, v.boolOr("egress", false))
				e.RuleNumber = int32Ptr(v.values["rule_number"])
				e.RuleAction = ec2types.RuleAction(strings.ToLower(v.str("rule_action")))
				n.NetworkAcls[i].Entries = append(n.NetworkAcls[i].Entries, e)
			}
		}
	}
	for _, r := range p.ofType("aws_network_acl_association") {
		v := p.view(r)
		for i := range n.NetworkAcls {
			if deref(n.NetworkAcls[i].NetworkAclId) == v.str("network_acl_id") {
				n.NetworkAcls[i].Associations = append(n.NetworkAcls[i].Associations, ec2types.NetworkAclAssociation{NetworkAclId: ptr(v.str("network_acl_id")), SubnetId: ptr(v.str("subnet_id"))})
			}
		}
	}
	// A new VPC's default network ACL allows all traffic both ways (rule 100), then denies.
	// https://docs.aws.amazon.com/vpc/latest/userguide/default-network-acl.html
	for _, r := range p.ofType("aws_vpc") {
		if !p.b.newVPCs[r.id] || hasDefault[r.id] {
			continue
		}
		id := p.attrOf(r, "default_network_acl_id")
		acl := ec2types.NetworkAcl{NetworkAclId: ptr(id), VpcId: ptr(r.id), IsDefault: boolPtr(true)}
		for _, eg := range []bool{true, false} {
			acl.Entries = append(acl.Entries,
				ec2types.NetworkAclEntry{RuleNumber: int32Lit(100), Protocol: ptr("-1"), RuleAction: ec2types.RuleActionAllow, Egress: boolPtr(eg), CidrBlock: ptr("0.0.0.0/0")},
				ec2types.NetworkAclEntry{RuleNumber: int32Lit(32767), Protocol: ptr("-1"), RuleAction: ec2types.RuleActionDeny, Egress: boolPtr(eg), CidrBlock: ptr("0.0.0.0/0")})
		}
		n.NetworkAcls = append(n.NetworkAcls, acl)
	}
}

func naclEntry(v view, egress bool) ec2types.NetworkAclEntry {
	e := ec2types.NetworkAclEntry{
		RuleNumber: int32Ptr(v.values["rule_no"]), Protocol: ptr(naclProtocol(v.str("protocol"))),
		RuleAction: ec2types.RuleAction(strings.ToLower(v.str("action"))), Egress: boolPtr(egress),
		CidrBlock: ptr(v.str("cidr_block")), Ipv6CidrBlock: ptr(v.str("ipv6_cidr_block")),
	}
	f, fok := int32Of(v.values["from_port"])
	t, tok := int32Of(v.values["to_port"])
	if fok && tok && deref(e.Protocol) != "-1" {
		e.PortRange = &ec2types.PortRange{From: &f, To: &t}
	}
	return e
}

func (p *tfPlan) iam() {
	s := p.b.s
	for _, r := range p.ofType("aws_iam_role") {
		v := p.view(r)
		role := &snapshot.Role{ARN: r.arn, RoleName: v.str("name"), AssumeRolePolicyDocument: rawJSON(v.str("assume_role_policy"))}
		if strings.HasPrefix(role.RoleName, "(") {
			role.RoleName = ""
		}
		if strings.HasPrefix(string(role.AssumeRolePolicyDocument), `"(`) {
			role.AssumeRolePolicyDocument = nil
		}
		for _, ib := range v.blocks("inline_policy", "name") {
			if unknownAt(ib.unknown) {
				continue
			}
			if doc := ib.str("policy"); doc != "" {
				role.InlinePolicies = append(role.InlinePolicies, snapshot.Policy{Name: ib.str("name"), Document: rawJSON(doc)})
			}
		}
		if arns, ok := v.known("managed_policy_arns"); ok {
			for _, arn := range strs(arns) {
				p.attach(role, arn, "")
			}
		}
		p.roles[r.addr] = role
	}
	for _, r := range p.ofType("aws_iam_role_policy") {
		v := p.view(r)
		if role := p.roleFor(r, v, "role"); role != nil {
			doc := v.str("policy")
			pol := snapshot.Policy{Name: v.str("name")}
			if !strings.HasPrefix(doc, "(") {
				pol.Document = rawJSON(doc)
			} else {
				p.b.gapMsg("iam:GetRolePolicy", role.ARN+"/"+pol.Name, "the document of "+r.addr+" is known only after apply")
			}
			role.InlinePolicies = append(role.InlinePolicies, pol)
		}
	}
	for _, r := range p.ofType("aws_iam_role_policy_attachment") {
		v := p.view(r)
		if role := p.roleFor(r, v, "role"); role != nil {
			p.attach(role, v.str("policy_arn"), p.policyDoc(r, v, "policy_arn"))
		}
	}
	for _, r := range p.ofType("aws_iam_policy_attachment") {
		v := p.view(r)
		for _, name := range v.list("roles") {
			if role := p.roleByName(name); role != nil {
				p.attach(role, v.str("policy_arn"), p.policyDoc(r, v, "policy_arn"))
			}
		}
	}
	var addrs []string
	for a := range p.roles {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		s.Roles = append(s.Roles, *p.roles[a])
	}
}

// policyDoc returns the document of a customer managed policy the plan itself declares.
func (p *tfPlan) policyDoc(r *tfRes, v view, attr string) string {
	arn := v.str(attr)
	for _, pr := range p.ofType("aws_iam_policy") {
		if pr.arn == arn {
			return p.view(pr).str("policy")
		}
	}
	_ = r
	return ""
}

// attach records a managed policy on a role. The document of AWS's
// AmazonECSTaskExecutionRolePolicy is known (managed.go); any other policy the plan does not
// declare needs iam:GetPolicyVersion.
func (p *tfPlan) attach(role *snapshot.Role, arn, doc string) {
	pol := snapshot.Policy{ARN: arn, Name: snapshot.RoleNameFromARN(arn)}
	switch {
	case doc != "" && !strings.HasPrefix(doc, "("):
		pol.Document = rawJSON(doc)
	case isTaskExecutionPolicy(arn):
		pol.Document = json.RawMessage(taskExecutionRolePolicy)
		pol.VersionID = taskExecutionRolePolicyVersion
	default:
		p.b.gap("iam:GetPolicyVersion", arn)
	}
	role.AttachedPolicies = append(role.AttachedPolicies, pol)
}

// roleFor finds the role an attachment or inline policy names (by name, id or reference).
func (p *tfPlan) roleFor(r *tfRes, v view, attr string) *snapshot.Role {
	for _, ref := range strs(obj(r.expr[attr])["references"]) {
		if m := refRE.FindStringSubmatch(ref); m != nil {
			if role := p.roles[r.modAddr+m[2]+"."+m[3]+m[4]]; role != nil {
				return role
			}
		}
	}
	return p.roleByName(v.str(attr))
}

func (p *tfPlan) roleByName(name string) *snapshot.Role {
	if name == "" {
		return nil
	}
	for addr, role := range p.roles {
		if role.RoleName == name || role.ARN == name || p.byAddr[addr].id == name {
			return role
		}
	}
	return nil
}

func (p *tfPlan) ecr() {
	s := p.b.s
	for _, r := range p.ofType("aws_ecr_repository") {
		v := p.view(r)
		name := v.str("name")
		repo := snapshot.Repository{Region: s.Region, Repository: ecrtypes.Repository{
			RepositoryName: ptr(name), RepositoryArn: ptr(r.arn), RegistryId: ptr(v.str("registry_id")),
		}}
		if u := v.str("repository_url"); !strings.HasPrefix(u, "(") {
			repo.RepositoryUri = ptr(u)
		}
		if strings.HasPrefix(deref(repo.RegistryId), "(") {
			repo.RegistryId = ptr(p.b.o.Account)
		}
		for _, pr := range p.ofType("aws_ecr_repository_policy") {
			pv := p.view(pr)
			if pv.str("repository") == name {
				repo.Policy = rawJSON(pv.str("policy"))
			}
		}
		s.ECR.Repositories = append(s.ECR.Repositories, repo)
		p.b.ownRepos[name] = true
	}
	for _, r := range p.ofType("aws_cloudwatch_log_group") {
		v := p.view(r)
		s.LogGroups = append(s.LogGroups, snapshot.LogGroup{Name: v.str("name"), ARN: r.arn})
	}
	for _, r := range p.ofType("aws_secretsmanager_secret") {
		v := p.view(r)
		s.Secrets = append(s.Secrets, snapshot.Secret{ARN: r.arn, Name: v.str("name"), KmsKeyID: v.str("kms_key_id")})
	}
}

func (p *tfPlan) ecs() {
	b := p.b
	s := b.s
	tds := p.ofType("aws_ecs_task_definition")
	svcs := p.ofType("aws_ecs_service")
	var td *tfRes
	var svc *tfRes
	for _, sr := range svcs {
		for _, ref := range strs(obj(sr.expr["task_definition"])["references"]) {
			if m := refRE.FindStringSubmatch(ref); m != nil {
				if t := p.byAddr[sr.modAddr+m[2]+"."+m[3]+m[4]]; t != nil && t.typ == "aws_ecs_task_definition" && td == nil {
					td, svc = t, sr
				}
			}
		}
	}
	if td == nil && len(tds) > 0 {
		td = tds[0]
		if len(svcs) == 1 {
			svc = svcs[0]
		}
	}
	if td == nil {
		return
	}
	if len(tds) > 1 {
		b.note("%d task definitions in the plan; checked %s (the first one a service uses)", len(tds), td.addr)
	}
	v := p.view(td)
	m := map[string]any{
		"family":      v.str("family"),
		"networkMode": v.str("network_mode"),
		"cpu":         v.str("cpu"),
		"memory":      v.str("memory"),
	}
	if arn := v.str("arn"); !strings.HasPrefix(arn, "(") {
		m["taskDefinitionArn"] = arn
	}
	for k, attr := range map[string]string{"executionRoleArn": "execution_role_arn", "taskRoleArn": "task_role_arn"} {
		if val := v.str(attr); val != "" {
			m[k] = val
		}
	}
	var compat []any
	for _, c := range v.list("requires_compatibilities") {
		compat = append(compat, c)
	}
	m["requiresCompatibilities"] = compat
	if rp, ok := v.block("runtime_platform"); ok {
		m["runtimePlatform"] = map[string]any{"operatingSystemFamily": rp.str("operating_system_family"), "cpuArchitecture": rp.str("cpu_architecture")}
	}
	cds, ok := v.known("container_definitions")
	if !ok {
		b.gapMsg("ecs:DescribeTaskDefinition", "", "the container_definitions of "+td.addr+" are known only after apply (they interpolate a value Terraform has not created yet); check the rendered task definition with `pulldoctor preflight` after apply, or pass the values as variables")
		b.note("%s: container_definitions are known only after apply; the checks that read containers report unknown", td.addr)
		p.service(svc)
		return
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(str(cds))))
	dec.UseNumber()
	var list []any
	if err := dec.Decode(&list); err != nil {
		b.gapMsg("ecs:DescribeTaskDefinition", "", fmt.Sprintf("the container_definitions of %s do not parse: %v", td.addr, err))
		p.service(svc)
		return
	}
	m["containerDefinitions"] = list
	for k, val := range m {
		if sv, ok := val.(string); ok && (sv == "" || strings.HasPrefix(sv, "(") && k != "executionRoleArn" && k != "taskRoleArn") {
			delete(m, k)
		}
	}
	t, err := decodeTaskDefinition(m)
	if err != nil {
		b.gapMsg("ecs:DescribeTaskDefinition", "", td.addr+": "+err.Error())
		p.service(svc)
		return
	}
	s.TaskDefinition = t
	p.service(svc)
}

func (p *tfPlan) service(r *tfRes) {
	if r == nil {
		return
	}
	s := p.b.s
	v := p.view(r)
	svc := &ecstypes.Service{ServiceName: ptr(v.str("name")), LaunchType: ecstypes.LaunchType(v.str("launch_type"))}
	if strings.HasPrefix(string(svc.LaunchType), "(") {
		svc.LaunchType = ""
	}
	for _, cp := range v.blocks("capacity_provider_strategy", "capacity_provider") {
		svc.CapacityProviderStrategy = append(svc.CapacityProviderStrategy, ecstypes.CapacityProviderStrategyItem{CapacityProvider: ptr(cp.str("capacity_provider"))})
	}
	if nc, ok := v.block("network_configuration"); ok {
		apip := ecstypes.AssignPublicIpDisabled
		if nc.boolOr("assign_public_ip", false) {
			apip = ecstypes.AssignPublicIpEnabled
		}
		svc.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: nc.list("subnets"), SecurityGroups: nc.list("security_groups"), AssignPublicIp: apip,
		}}
	}
	if c := v.str("cluster"); c != "" {
		s.Target.Cluster = c
	}
	s.Service = svc
}

func boolPtr(b bool) *bool { return &b }

func int32Lit(n int32) *int32 { return &n }

func int32Ptr(v any) *int32 {
	if n, ok := int32Of(v); ok {
		return &n
	}
	return nil
}
