package preflight

import (
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// The network a CloudFormation template creates: a VPC of its own with its subnets, route
// tables, gateways, endpoints, security groups and network ACLs. A VPC the template creates
// has nothing else in it, so a private subnet with neither a NAT gateway nor endpoints fails
// before the stack exists. Subnets and security groups passed in as parameters stay gaps.
// Properties: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/AWS_EC2.html

// ofType returns the logical ids of the template's resources of these types, in order.
func (t *cfnTemplate) ofType(ids []string, types ...string) []string {
	var out []string
	for _, id := range ids {
		typ := str(t.resources[id]["Type"])
		for _, want := range types {
			if typ == want {
				out = append(out, id)
			}
		}
	}
	return out
}

func (t *cfnTemplate) props(id string) map[string]any {
	p := obj(t.resolve(t.resources[id]["Properties"]))
	if p == nil {
		p = map[string]any{}
	}
	return p
}

func (t *cfnTemplate) network(ids []string) {
	b := t.b
	n := &b.s.Network
	var vpcs []string
	for _, id := range t.ofType(ids, "AWS::EC2::VPC") {
		p := t.props(id)
		ref := str(t.ref(id))
		vpc := snapshot.VPC{Vpc: ec2types.Vpc{VpcId: ptr(ref), CidrBlock: ptr(str(p["CidrBlock"])), State: ec2types.VpcStateAvailable}}
		// CloudFormation's defaults: DNS support on, DNS hostnames off.
		sup, host := boolOr(p["EnableDnsSupport"], true), boolOr(p["EnableDnsHostnames"], false)
		vpc.EnableDnsSupport, vpc.EnableDnsHostnames = &sup, &host
		n.Vpcs = append(n.Vpcs, vpc)
		b.ownVPCs[ref], b.newVPCs[ref] = true, true
		vpcs = append(vpcs, ref)
	}
	for _, id := range t.ofType(ids, "AWS::EC2::Subnet") {
		p := t.props(id)
		n.Subnets = append(n.Subnets, ec2types.Subnet{
			SubnetId: ptr(str(t.ref(id))), VpcId: ptr(str(p["VpcId"])), CidrBlock: ptr(str(p["CidrBlock"])),
			AvailabilityZone: ptr(str(p["AvailabilityZone"])), MapPublicIpOnLaunch: boolPtr(boolOr(p["MapPublicIpOnLaunch"], false)),
			State: ec2types.SubnetStateAvailable,
		})
	}
	for _, id := range t.ofType(ids, "AWS::EC2::InternetGateway") {
		n.InternetGateways = append(n.InternetGateways, ec2types.InternetGateway{InternetGatewayId: ptr(str(t.ref(id)))})
	}
	for _, id := range t.ofType(ids, "AWS::EC2::VPCGatewayAttachment") {
		p := t.props(id)
		for i := range n.InternetGateways {
			if deref(n.InternetGateways[i].InternetGatewayId) == str(p["InternetGatewayId"]) {
				n.InternetGateways[i].Attachments = append(n.InternetGateways[i].Attachments,
					ec2types.InternetGatewayAttachment{VpcId: ptr(str(p["VpcId"])), State: ec2types.AttachmentStatus("available")})
			}
		}
	}
	for _, id := range t.ofType(ids, "AWS::EC2::NatGateway") {
		p := t.props(id)
		sub := str(p["SubnetId"])
		nat := ec2types.NatGateway{NatGatewayId: ptr(str(t.ref(id))), SubnetId: ptr(sub), State: ec2types.NatGatewayStateAvailable,
			ConnectivityType: ec2types.ConnectivityType(firstNonEmpty(str(p["ConnectivityType"]), "public"))}
		if sn := b.s.Subnet(sub); sn != nil {
			nat.VpcId = sn.VpcId
		}
		n.NatGateways = append(n.NatGateways, nat)
	}
	rts := map[string]*ec2types.RouteTable{}
	var rtIDs []string
	table := func(id, vpc string) *ec2types.RouteTable {
		rt := rts[id]
		if rt == nil {
			rt = &ec2types.RouteTable{RouteTableId: ptr(id)}
			rts[id] = rt
			rtIDs = append(rtIDs, id)
		}
		if vpc != "" && rt.VpcId == nil {
			rt.VpcId = ptr(vpc)
		}
		return rt
	}
	for _, id := range t.ofType(ids, "AWS::EC2::RouteTable") {
		table(str(t.ref(id)), str(t.props(id)["VpcId"]))
	}
	for _, id := range t.ofType(ids, "AWS::EC2::Route") {
		p := t.props(id)
		r := ec2types.Route{
			DestinationCidrBlock: ptr(str(p["DestinationCidrBlock"])), DestinationIpv6CidrBlock: ptr(str(p["DestinationIpv6CidrBlock"])),
			DestinationPrefixListId: ptr(str(p["DestinationPrefixListId"])), State: ec2types.RouteStateActive, Origin: ec2types.RouteOriginCreateRoute,
			GatewayId: ptr(firstNonEmpty(str(p["GatewayId"]), str(p["VpcEndpointId"]))), NatGatewayId: ptr(str(p["NatGatewayId"])),
			TransitGatewayId: ptr(str(p["TransitGatewayId"])), VpcPeeringConnectionId: ptr(str(p["VpcPeeringConnectionId"])),
			NetworkInterfaceId: ptr(str(p["NetworkInterfaceId"])), EgressOnlyInternetGatewayId: ptr(str(p["EgressOnlyInternetGatewayId"])),
			LocalGatewayId: ptr(str(p["LocalGatewayId"])), CarrierGatewayId: ptr(str(p["CarrierGatewayId"])),
			CoreNetworkArn: ptr(str(p["CoreNetworkArn"])), InstanceId: ptr(str(p["InstanceId"])),
		}
		rt := table(str(p["RouteTableId"]), "")
		rt.Routes = append(rt.Routes, r)
	}
	for _, id := range t.ofType(ids, "AWS::EC2::SubnetRouteTableAssociation") {
		p := t.props(id)
		rtID := str(p["RouteTableId"])
		rt := table(rtID, "")
		rt.Associations = append(rt.Associations, ec2types.RouteTableAssociation{Main: boolPtr(false), RouteTableId: ptr(rtID), SubnetId: ptr(str(p["SubnetId"]))})
	}
	// A new VPC's main route table holds only the local route; CloudFormation cannot replace
	// it, so a subnet the template does not associate uses it.
	for _, vpc := range vpcs {
		id := "(" + strings.TrimSuffix(strings.TrimPrefix(vpc, "(Ref: "), ")") + ".MainRouteTable)"
		rt := table(id, vpc)
		rt.Associations = append(rt.Associations, ec2types.RouteTableAssociation{Main: boolPtr(true), RouteTableId: ptr(id)})
	}
	for _, id := range rtIDs {
		rt := rts[id]
		if v := b.s.VPC(deref(rt.VpcId)); v != nil && deref(v.CidrBlock) != "" && !strings.HasPrefix(deref(v.CidrBlock), "(") {
			local := ec2types.Route{DestinationCidrBlock: v.CidrBlock, GatewayId: ptr("local"), State: ec2types.RouteStateActive, Origin: ec2types.RouteOriginCreateRouteTable}
			rt.Routes = append([]ec2types.Route{local}, rt.Routes...)
		}
		n.RouteTables = append(n.RouteTables, *rt)
	}
	for _, id := range t.ofType(ids, "AWS::EC2::VPCEndpoint") {
		p := t.props(id)
		ep := ec2types.VpcEndpoint{
			VpcEndpointId: ptr(str(t.ref(id))), VpcId: ptr(str(p["VpcId"])), ServiceName: ptr(str(p["ServiceName"])),
			VpcEndpointType:   ec2types.VpcEndpointType(firstNonEmpty(str(p["VpcEndpointType"]), "Gateway")),
			State:             ec2types.State("available"),
			PrivateDnsEnabled: boolPtr(boolOr(p["PrivateDnsEnabled"], false)),
			SubnetIds:         strs(p["SubnetIds"]),
			RouteTableIds:     strs(p["RouteTableIds"]),
		}
		for _, g := range strs(p["SecurityGroupIds"]) {
			ep.Groups = append(ep.Groups, ec2types.SecurityGroupIdentifier{GroupId: ptr(g)})
		}
		if pol := p["PolicyDocument"]; pol != nil {
			if doc := rawJSON(pol); doc != nil {
				ep.PolicyDocument = ptr(string(doc))
			}
		}
		n.VpcEndpoints = append(n.VpcEndpoints, ep)
	}
	t.securityGroups(ids)
	t.nacls(ids, vpcs)
}

func (t *cfnTemplate) securityGroups(ids []string) {
	n := &t.b.s.Network
	for _, id := range t.ofType(ids, "AWS::EC2::SecurityGroup") {
		p := t.props(id)
		ref := str(t.ref(id))
		sg := ec2types.SecurityGroup{GroupId: ptr(ref), GroupName: ptr(firstNonEmpty(str(p["GroupName"]), id)), VpcId: ptr(str(p["VpcId"]))}
		if eg, ok := p["SecurityGroupEgress"]; ok {
			for _, r := range arr(eg) {
				sg.IpPermissionsEgress = append(sg.IpPermissionsEgress, cfnPermission(obj(r), "Destination"))
			}
		} else {
			// Without SecurityGroupEgress, CloudFormation keeps the default allow-all rule.
			sg.IpPermissionsEgress = []ec2types.IpPermission{{IpProtocol: ptr("-1"), IpRanges: []ec2types.IpRange{{CidrIp: ptr("0.0.0.0/0")}}}}
		}
		for _, r := range arr(p["SecurityGroupIngress"]) {
			sg.IpPermissions = append(sg.IpPermissions, cfnPermission(obj(r), "Source"))
		}
		n.SecurityGroups = append(n.SecurityGroups, sg)
	}
	for _, id := range t.ofType(ids, "AWS::EC2::SecurityGroupEgress", "AWS::EC2::SecurityGroupIngress") {
		p := t.props(id)
		for i := range n.SecurityGroups {
			sg := &n.SecurityGroups[i]
			if deref(sg.GroupId) != str(p["GroupId"]) {
				continue
			}
			if str(t.resources[id]["Type"]) == "AWS::EC2::SecurityGroupEgress" {
				sg.IpPermissionsEgress = append(sg.IpPermissionsEgress, cfnPermission(p, "Destination"))
			} else {
				sg.IpPermissions = append(sg.IpPermissions, cfnPermission(p, "Source"))
			}
		}
	}
}

// cfnPermission converts a security group rule; side is "Destination" for egress and
// "Source" for ingress.
func cfnPermission(r map[string]any, side string) ec2types.IpPermission {
	perm := ec2types.IpPermission{IpProtocol: ptr(ipProtocol(str(r["IpProtocol"])))}
	if deref(perm.IpProtocol) != "-1" {
		if f, ok := int32Of(r["FromPort"]); ok {
			perm.FromPort = &f
		}
		if to, ok := int32Of(r["ToPort"]); ok {
			perm.ToPort = &to
		}
	}
	if c := str(r["CidrIp"]); c != "" {
		perm.IpRanges = append(perm.IpRanges, ec2types.IpRange{CidrIp: ptr(c)})
	}
	if c := str(r["CidrIpv6"]); c != "" {
		perm.Ipv6Ranges = append(perm.Ipv6Ranges, ec2types.Ipv6Range{CidrIpv6: ptr(c)})
	}
	if pl := str(r[side+"PrefixListId"]); pl != "" {
		perm.PrefixListIds = append(perm.PrefixListIds, ec2types.PrefixListId{PrefixListId: ptr(pl)})
	}
	if g := str(r[side+"SecurityGroupId"]); g != "" {
		perm.UserIdGroupPairs = append(perm.UserIdGroupPairs, ec2types.UserIdGroupPair{GroupId: ptr(g)})
	}
	return perm
}

func (t *cfnTemplate) nacls(ids, vpcs []string) {
	n := &t.b.s.Network
	for _, id := range t.ofType(ids, "AWS::EC2::NetworkAcl") {
		n.NetworkAcls = append(n.NetworkAcls, ec2types.NetworkAcl{NetworkAclId: ptr(str(t.ref(id))), VpcId: ptr(str(t.props(id)["VpcId"])), IsDefault: boolPtr(false)})
	}
	for _, id := range t.ofType(ids, "AWS::EC2::NetworkAclEntry", "AWS::EC2::SubnetNetworkAclAssociation") {
		p := t.props(id)
		for i := range n.NetworkAcls {
			acl := &n.NetworkAcls[i]
			if deref(acl.NetworkAclId) != str(p["NetworkAclId"]) {
				continue
			}
			if str(t.resources[id]["Type"]) == "AWS::EC2::SubnetNetworkAclAssociation" {
				acl.Associations = append(acl.Associations, ec2types.NetworkAclAssociation{NetworkAclId: acl.NetworkAclId, SubnetId: ptr(str(p["SubnetId"]))})
				continue
			}
			e := ec2types.NetworkAclEntry{
				Protocol: ptr(naclProtocol(str(p["Protocol"]))), RuleAction: ec2types.RuleAction(strings.ToLower(str(p["RuleAction"]))),
				Egress: boolPtr(boolOr(p["Egress"], false)), CidrBlock: ptr(str(p["CidrBlock"])), Ipv6CidrBlock: ptr(str(p["Ipv6CidrBlock"])),
			}
			if rn, ok := int32Of(p["RuleNumber"]); ok {
				e.RuleNumber = &rn
			}
			pr := obj(p["PortRange"])
			f, fok := int32Of(pr["From"])
			to, tok := int32Of(pr["To"])
			if fok && tok && deref(e.Protocol) != "-1" {
				e.PortRange = &ec2types.PortRange{From: &f, To: &to}
			}
			acl.Entries = append(acl.Entries, e)
		}
	}
	// A new VPC's default network ACL allows all traffic both ways (rule 100), then denies.
	// https://docs.aws.amazon.com/vpc/latest/userguide/default-network-acl.html
	for _, vpc := range vpcs {
		id := "(" + strings.TrimSuffix(strings.TrimPrefix(vpc, "(Ref: "), ")") + ".DefaultNetworkAcl)"
		acl := ec2types.NetworkAcl{NetworkAclId: ptr(id), VpcId: ptr(vpc), IsDefault: boolPtr(true)}
		for _, eg := range []bool{true, false} {
			acl.Entries = append(acl.Entries,
				ec2types.NetworkAclEntry{RuleNumber: int32Lit(100), Protocol: ptr("-1"), RuleAction: ec2types.RuleActionAllow, Egress: boolPtr(eg), CidrBlock: ptr("0.0.0.0/0")},
				ec2types.NetworkAclEntry{RuleNumber: int32Lit(32767), Protocol: ptr("-1"), RuleAction: ec2types.RuleActionDeny, Egress: boolPtr(eg), CidrBlock: ptr("0.0.0.0/0")})
		}
		n.NetworkAcls = append(n.NetworkAcls, acl)
	}
}
