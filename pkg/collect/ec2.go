package collect

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

type (
	awsTime    = time.Time
	subnet     = ec2types.Subnet
	routeTable = ec2types.RouteTable
	igw        = ec2types.InternetGateway
	eigw       = ec2types.EgressOnlyInternetGateway
	nat        = ec2types.NatGateway
	vpce       = ec2types.VpcEndpoint
	sg         = ec2types.SecurityGroup
	nacl       = ec2types.NetworkAcl
	dhcp       = ec2types.DhcpOptions
	eni        = ec2types.NetworkInterface
)

// paginate walks an SDK paginator, one call per page, each page one wave deeper than the
// last (pages are sequential by nature). each gets the page and the depth reached.
func paginate[T any](ctx context.Context, c *collector, depth int, action, ref string, more func() bool, next func(context.Context) (T, error), each func(T, int)) {
	d := depth
	for more() {
		var out T
		if err := c.call(ctx, d, action, ref, func(ctx context.Context) (err error) {
			out, err = next(ctx)
			return err
		}); err != nil {
			return
		}
		d++
		each(out, d)
	}
}

// claim returns the ids not asked for yet and marks them, so overlapping id sets (the task's
// security groups and an endpoint's) are read once.
func (c *collector) claim(kind string, ids []string) []string {
	var out []string
	for _, id := range ids {
		if id != "" && c.once(kind+":"+id) {
			out = append(out, id)
		}
	}
	return out
}

func (c *collector) subnets(ctx context.Context, depth int, ids []string) {
	ids = c.claim("subnet", ids)
	if len(ids) == 0 {
		return
	}
	var out *ec2.DescribeSubnetsOutput
	if err := c.call(ctx, depth, "ec2:DescribeSubnets", joinRef(ids), func(ctx context.Context) (err error) {
		out, err = c.cl.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: ids})
		return err
	}); err != nil {
		return
	}
	c.addSubnets(out.Subnets)
	for _, sn := range out.Subnets {
		if v := aws.ToString(sn.VpcId); v != "" {
			c.spawn(func() { c.vpc(ctx, depth+1, v) })
		}
	}
}

func (c *collector) addSubnets(sns []ec2types.Subnet) {
	c.with(func(s *snapshot.Snapshot) {
		for _, sn := range sns {
			if s.Subnet(aws.ToString(sn.SubnetId)) == nil {
				s.Network.Subnets = append(s.Network.Subnets, sn)
			}
		}
	})
}

func (c *collector) networkInterface(ctx context.Context, depth int, id string) {
	if len(c.claim("eni", []string{id})) == 0 {
		return
	}
	var out *ec2.DescribeNetworkInterfacesOutput
	if err := c.call(ctx, depth, "ec2:DescribeNetworkInterfaces", id, func(ctx context.Context) (err error) {
		out, err = c.cl.EC2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{id}})
		return err
	}); err != nil {
		return
	}
	c.with(func(s *snapshot.Snapshot) {
		s.Network.NetworkInterfaces = append(s.Network.NetworkInterfaces, out.NetworkInterfaces...)
	})
	for _, n := range out.NetworkInterfaces {
		var groups []string
		for _, g := range n.Groups {
			groups = append(groups, aws.ToString(g.GroupId))
		}
		c.spawn(func() { c.securityGroups(ctx, depth+1, groups) })
		if v := aws.ToString(n.VpcId); v != "" {
			c.spawn(func() { c.vpc(ctx, depth+1, v) })
		}
	}
}

func (c *collector) instance(ctx context.Context, depth int, id string) {
	var out *ec2.DescribeInstancesOutput
	if err := c.call(ctx, depth, "ec2:DescribeInstances", id, func(ctx context.Context) (err error) {
		out, err = c.cl.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		return err
	}); err != nil {
		return
	}
	var found []ec2types.Instance
	for _, r := range out.Reservations {
		found = append(found, r.Instances...)
	}
	for _, in := range found[:min(len(found), 1)] {
		{
			c.with(func(s *snapshot.Snapshot) { s.Instance = &in })
			d := depth + 1
			var groups []string
			for _, g := range in.SecurityGroups {
				groups = append(groups, aws.ToString(g.GroupId))
			}
			if sn := aws.ToString(in.SubnetId); sn != "" {
				c.spawn(func() { c.subnets(ctx, d, []string{sn}) })
			}
			if v := aws.ToString(in.VpcId); v != "" {
				c.spawn(func() { c.vpc(ctx, d, v) })
			}
			c.spawn(func() { c.securityGroups(ctx, d, groups) })
			if in.IamInstanceProfile != nil && aws.ToString(in.IamInstanceProfile.Arn) != "" {
				pa := aws.ToString(in.IamInstanceProfile.Arn)
				c.spawn(func() { c.instanceProfile(ctx, d, pa) })
			}
		}
	}
}

func (c *collector) securityGroups(ctx context.Context, depth int, ids []string) {
	ids = c.claim("sg", ids)
	if len(ids) == 0 {
		return
	}
	var out *ec2.DescribeSecurityGroupsOutput
	if err := c.call(ctx, depth, "ec2:DescribeSecurityGroups", joinRef(ids), func(ctx context.Context) (err error) {
		out, err = c.cl.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: ids})
		return err
	}); err != nil {
		return
	}
	c.with(func(s *snapshot.Snapshot) {
		s.Network.SecurityGroups = append(s.Network.SecurityGroups, out.SecurityGroups...)
	})
	for _, g := range out.SecurityGroups {
		for _, perms := range [][]ec2types.IpPermission{g.IpPermissionsEgress, g.IpPermissions} {
			for _, p := range perms {
				for _, pl := range p.PrefixListIds {
					id := aws.ToString(pl.PrefixListId)
					c.spawn(func() { c.prefixList(ctx, depth+1, id, true) })
				}
			}
		}
	}
}

// vpc reads everything VPC-wide in parallel: the VPC and its DNS attributes, route tables
// (the subnet's own and the main one, and the NAT gateways' subnets'), gateways,
// endpoints, NACLs and subnets (for endpoint AZs and NAT placement).
func (c *collector) vpc(ctx context.Context, depth int, id string) {
	if !c.once("vpc:" + id) {
		return
	}
	v := &snapshot.VPC{Vpc: ec2types.Vpc{VpcId: aws.String(id)}}
	c.mu.Lock()
	c.vpcs = append(c.vpcs, v)
	c.mu.Unlock()
	byVpc := []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{id}}}

	c.spawn(func() {
		var out *ec2.DescribeVpcsOutput
		if err := c.call(ctx, depth, "ec2:DescribeVpcs", id, func(ctx context.Context) (err error) {
			out, err = c.cl.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
			return err
		}); err != nil || len(out.Vpcs) == 0 {
			return
		}
		c.mu.Lock()
		v.Vpc = out.Vpcs[0]
		c.mu.Unlock()
		if d := aws.ToString(out.Vpcs[0].DhcpOptionsId); d != "" && d != "default" {
			c.spawn(func() { c.dhcpOptions(ctx, depth+1, d) })
		}
	})
	for _, attr := range []ec2types.VpcAttributeName{ec2types.VpcAttributeNameEnableDnsSupport, ec2types.VpcAttributeNameEnableDnsHostnames} {
		c.spawn(func() {
			var out *ec2.DescribeVpcAttributeOutput
			if err := c.call(ctx, depth, "ec2:DescribeVpcAttribute", id+"/"+string(attr), func(ctx context.Context) (err error) {
				out, err = c.cl.EC2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &id, Attribute: attr})
				return err
			}); err != nil {
				return
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			if attr == ec2types.VpcAttributeNameEnableDnsSupport && out.EnableDnsSupport != nil {
				v.EnableDnsSupport = out.EnableDnsSupport.Value
			}
			if attr == ec2types.VpcAttributeNameEnableDnsHostnames && out.EnableDnsHostnames != nil {
				v.EnableDnsHostnames = out.EnableDnsHostnames.Value
			}
		})
	}
	c.spawn(func() {
		p := ec2.NewDescribeRouteTablesPaginator(c.cl.EC2, &ec2.DescribeRouteTablesInput{Filters: byVpc})
		paginate(ctx, c, depth, "ec2:DescribeRouteTables", id, p.HasMorePages,
			func(ctx context.Context) (*ec2.DescribeRouteTablesOutput, error) { return p.NextPage(ctx) },
			func(out *ec2.DescribeRouteTablesOutput, d int) {
				c.with(func(s *snapshot.Snapshot) { s.Network.RouteTables = append(s.Network.RouteTables, out.RouteTables...) })
				for _, rt := range out.RouteTables {
					for _, r := range rt.Routes {
						if pl := aws.ToString(r.DestinationPrefixListId); pl != "" {
							c.spawn(func() { c.prefixList(ctx, d, pl, true) })
						}
					}
				}
			})
	})
	c.spawn(func() {
		p := ec2.NewDescribeInternetGatewaysPaginator(c.cl.EC2, &ec2.DescribeInternetGatewaysInput{
			Filters: []ec2types.Filter{{Name: aws.String("attachment.vpc-id"), Values: []string{id}}}})
		paginate(ctx, c, depth, "ec2:DescribeInternetGateways", id, p.HasMorePages,
			func(ctx context.Context) (*ec2.DescribeInternetGatewaysOutput, error) { return p.NextPage(ctx) },
			func(out *ec2.DescribeInternetGatewaysOutput, _ int) {
				c.with(func(s *snapshot.Snapshot) {
					s.Network.InternetGateways = append(s.Network.InternetGateways, out.InternetGateways...)
				})
			})
	})
	c.spawn(func() {
		// Egress-only gateways cannot be filtered by VPC; keep the ones attached to it.
		p := ec2.NewDescribeEgressOnlyInternetGatewaysPaginator(c.cl.EC2, &ec2.DescribeEgressOnlyInternetGatewaysInput{})
		paginate(ctx, c, depth, "ec2:DescribeEgressOnlyInternetGateways", id, p.HasMorePages,
			func(ctx context.Context) (*ec2.DescribeEgressOnlyInternetGatewaysOutput, error) {
				return p.NextPage(ctx)
			},
			func(out *ec2.DescribeEgressOnlyInternetGatewaysOutput, _ int) {
				c.with(func(s *snapshot.Snapshot) {
					for _, g := range out.EgressOnlyInternetGateways {
						for _, a := range g.Attachments {
							if aws.ToString(a.VpcId) == id {
								s.Network.EgressOnlyInternetGateways = append(s.Network.EgressOnlyInternetGateways, g)
								break
							}
						}
					}
				})
			})
	})
	c.spawn(func() {
		p := ec2.NewDescribeNatGatewaysPaginator(c.cl.EC2, &ec2.DescribeNatGatewaysInput{Filter: byVpc})
		paginate(ctx, c, depth, "ec2:DescribeNatGateways", id, p.HasMorePages,
			func(ctx context.Context) (*ec2.DescribeNatGatewaysOutput, error) { return p.NextPage(ctx) },
			func(out *ec2.DescribeNatGatewaysOutput, _ int) {
				c.with(func(s *snapshot.Snapshot) { s.Network.NatGateways = append(s.Network.NatGateways, out.NatGateways...) })
			})
	})
	c.spawn(func() {
		p := ec2.NewDescribeVpcEndpointsPaginator(c.cl.EC2, &ec2.DescribeVpcEndpointsInput{Filters: byVpc})
		paginate(ctx, c, depth, "ec2:DescribeVpcEndpoints", id, p.HasMorePages,
			func(ctx context.Context) (*ec2.DescribeVpcEndpointsOutput, error) { return p.NextPage(ctx) },
			func(out *ec2.DescribeVpcEndpointsOutput, d int) {
				c.with(func(s *snapshot.Snapshot) {
					s.Network.VpcEndpoints = append(s.Network.VpcEndpoints, out.VpcEndpoints...)
				})
				var groups []string
				for _, e := range out.VpcEndpoints {
					for _, g := range e.Groups {
						groups = append(groups, aws.ToString(g.GroupId))
					}
				}
				c.spawn(func() { c.securityGroups(ctx, d, groups) })
			})
	})
	c.spawn(func() {
		p := ec2.NewDescribeNetworkAclsPaginator(c.cl.EC2, &ec2.DescribeNetworkAclsInput{Filters: byVpc})
		paginate(ctx, c, depth, "ec2:DescribeNetworkAcls", id, p.HasMorePages,
			func(ctx context.Context) (*ec2.DescribeNetworkAclsOutput, error) { return p.NextPage(ctx) },
			func(out *ec2.DescribeNetworkAclsOutput, _ int) {
				c.with(func(s *snapshot.Snapshot) { s.Network.NetworkAcls = append(s.Network.NetworkAcls, out.NetworkAcls...) })
			})
	})
	c.spawn(func() {
		p := ec2.NewDescribeSubnetsPaginator(c.cl.EC2, &ec2.DescribeSubnetsInput{Filters: byVpc})
		paginate(ctx, c, depth, "ec2:DescribeSubnets", id, p.HasMorePages,
			func(ctx context.Context) (*ec2.DescribeSubnetsOutput, error) { return p.NextPage(ctx) },
			func(out *ec2.DescribeSubnetsOutput, _ int) { c.addSubnets(out.Subnets) })
	})
}

func (c *collector) dhcpOptions(ctx context.Context, depth int, id string) {
	if !c.once("dhcp:" + id) {
		return
	}
	var out *ec2.DescribeDhcpOptionsOutput
	if err := c.call(ctx, depth, "ec2:DescribeDhcpOptions", id, func(ctx context.Context) (err error) {
		out, err = c.cl.EC2.DescribeDhcpOptions(ctx, &ec2.DescribeDhcpOptionsInput{DhcpOptionsIds: []string{id}})
		return err
	}); err != nil {
		return
	}
	c.with(func(s *snapshot.Snapshot) { s.Network.DhcpOptions = append(s.Network.DhcpOptions, out.DhcpOptions...) })
}

// s3PrefixList reads the region's S3 prefix list up front: it needs nothing from the task,
// and the S3 layer-download checks always want it.
func (c *collector) s3PrefixList(ctx context.Context, depth int) {
	name := "com.amazonaws." + c.region + ".s3"
	var out *ec2.DescribeManagedPrefixListsOutput
	if err := c.call(ctx, depth, "ec2:DescribeManagedPrefixLists", name, func(ctx context.Context) (err error) {
		out, err = c.cl.EC2.DescribeManagedPrefixLists(ctx, &ec2.DescribeManagedPrefixListsInput{
			Filters: []ec2types.Filter{{Name: aws.String("prefix-list-name"), Values: []string{name}}}})
		return err
	}); err != nil {
		return
	}
	for _, pl := range out.PrefixLists {
		id := aws.ToString(pl.PrefixListId)
		c.once("plmeta:" + id)
		c.prefixListEntry(id).PrefixListName = aws.ToString(pl.PrefixListName)
		c.spawn(func() { c.prefixList(ctx, depth+1, id, false) })
	}
}

// prefixListEntry returns the snapshot entry for a prefix list, creating it.
func (c *collector) prefixListEntry(id string) *snapshot.PrefixList {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pl, ok := c.prefixLists[id]; ok {
		return pl
	}
	pl := &snapshot.PrefixList{PrefixListID: id}
	c.prefixLists[id] = pl
	return pl
}

// prefixList reads a managed prefix list's entries (and its name when meta is set) in
// parallel: both calls need only the id.
func (c *collector) prefixList(ctx context.Context, depth int, id string, meta bool) {
	pl := c.prefixListEntry(id)
	if meta && c.once("plmeta:"+id) {
		c.spawn(func() {
			var out *ec2.DescribeManagedPrefixListsOutput
			if err := c.call(ctx, depth, "ec2:DescribeManagedPrefixLists", id, func(ctx context.Context) (err error) {
				out, err = c.cl.EC2.DescribeManagedPrefixLists(ctx, &ec2.DescribeManagedPrefixListsInput{PrefixListIds: []string{id}})
				return err
			}); err != nil || len(out.PrefixLists) == 0 {
				return
			}
			c.mu.Lock()
			pl.PrefixListName = aws.ToString(out.PrefixLists[0].PrefixListName)
			c.mu.Unlock()
		})
	}
	if !c.once("plentries:" + id) {
		return
	}
	p := ec2.NewGetManagedPrefixListEntriesPaginator(c.cl.EC2, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: &id})
	paginate(ctx, c, depth, "ec2:GetManagedPrefixListEntries", id, p.HasMorePages,
		func(ctx context.Context) (*ec2.GetManagedPrefixListEntriesOutput, error) { return p.NextPage(ctx) },
		func(out *ec2.GetManagedPrefixListEntriesOutput, _ int) {
			c.mu.Lock()
			defer c.mu.Unlock()
			for _, e := range out.Entries {
				pl.Cidrs = append(pl.Cidrs, aws.ToString(e.Cidr))
			}
		})
}

func joinRef(ids []string) string {
	if len(ids) == 1 {
		return ids[0]
	}
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ","
		}
		out += id
	}
	return out
}
