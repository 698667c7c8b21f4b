// Package snaptest builds snapshots tersely for tests. The shapes are those of the AWS APIs;
// ids default to realistic values so a failing test prints something a reader recognises.
package snaptest

import (
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// Defaults used by the builders.
const (
	Account   = "123456789012"
	Region    = "ap-northeast-1"
	Cluster   = "arn:aws:ecs:ap-northeast-1:123456789012:cluster/prod"
	TaskARN   = "arn:aws:ecs:ap-northeast-1:123456789012:task/prod/0123456789abcdef0123456789abcdef"
	ExecRole  = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
	TaskDefID = "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/my-app:7"
	ECRImage  = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/my-app:v1.0.1"
)

// Snap is a snapshot under construction.
type Snap struct{ S *snapshot.Snapshot }

// New starts an empty snapshot in the default region and account.
func New() *Snap {
	return &Snap{S: &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion, Source: "test", Region: Region, Account: Account,
		Target: snapshot.Target{Cluster: Cluster, Task: TaskARN, Region: Region, Account: Account},
	}}
}

// Build returns the snapshot.
func (b *Snap) Build() *snapshot.Snapshot { return b.S }

// Container is a container definition shorthand.
type Container struct {
	Name, Image    string
	CredentialsARN string
	Secrets        map[string]string // name → valueFrom
	LogDriver      string
	LogOptions     map[string]string
}

func (c Container) def() ecstypes.ContainerDefinition {
	d := ecstypes.ContainerDefinition{Name: aws.String(c.Name), Image: aws.String(c.Image), Essential: aws.Bool(true)}
	if c.Name == "" {
		d.Name = aws.String("app")
	}
	if c.CredentialsARN != "" {
		d.RepositoryCredentials = &ecstypes.RepositoryCredentials{CredentialsParameter: aws.String(c.CredentialsARN)}
	}
	for n, v := range c.Secrets {
		d.Secrets = append(d.Secrets, ecstypes.Secret{Name: aws.String(n), ValueFrom: aws.String(v)})
	}
	if c.LogDriver != "" {
		d.LogConfiguration = &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriver(c.LogDriver), Options: c.LogOptions}
	}
	return d
}

// Fargate sets a Fargate task definition (awsvpc) with the execution role and containers.
func (b *Snap) Fargate(execRole string, containers ...Container) *Snap {
	b.taskDef(execRole, ecstypes.NetworkModeAwsvpc, ecstypes.CompatibilityFargate, containers)
	b.task(ecstypes.LaunchTypeFargate)
	return b
}

// EC2 sets an EC2 task definition with the given network mode.
func (b *Snap) EC2(execRole string, mode ecstypes.NetworkMode, containers ...Container) *Snap {
	b.taskDef(execRole, mode, ecstypes.CompatibilityEc2, containers)
	b.task(ecstypes.LaunchTypeEc2)
	return b
}

func (b *Snap) taskDef(execRole string, mode ecstypes.NetworkMode, compat ecstypes.Compatibility, containers []Container) {
	td := &ecstypes.TaskDefinition{
		TaskDefinitionArn: aws.String(TaskDefID), Family: aws.String("my-app"), Revision: 7,
		NetworkMode: mode, RequiresCompatibilities: []ecstypes.Compatibility{compat},
	}
	if execRole != "" {
		td.ExecutionRoleArn = aws.String(execRole)
	}
	for _, c := range containers {
		td.ContainerDefinitions = append(td.ContainerDefinitions, c.def())
	}
	b.S.TaskDefinition = td
	b.S.Target.TaskDefinition = TaskDefID
}

func (b *Snap) task(lt ecstypes.LaunchType) {
	b.S.Task = &ecstypes.Task{
		TaskArn: aws.String(TaskARN), ClusterArn: aws.String(Cluster), TaskDefinitionArn: aws.String(TaskDefID),
		LaunchType: lt, LastStatus: aws.String("STOPPED"), DesiredStatus: aws.String("STOPPED"),
		AvailabilityZone: aws.String(Region + "a"),
	}
	if lt == ecstypes.LaunchTypeFargate {
		b.S.Task.PlatformVersion = aws.String("1.4.0")
	}
}

// Stopped sets the task's stopped reason.
func (b *Snap) Stopped(reason string) *Snap {
	b.S.StoppedReason = reason
	if b.S.Task != nil {
		b.S.Task.StoppedReason = aws.String(reason)
		b.S.Task.StopCode = ecstypes.TaskStopCodeTaskFailedToStart
	}
	return b
}

// ENI attaches the task ENI in a subnet with security groups; publicIP may be "".
func (b *Snap) ENI(eniID, subnetID, publicIP string, groups ...string) *Snap {
	b.S.Task.Attachments = append(b.S.Task.Attachments, ecstypes.Attachment{
		Id: aws.String("att-" + eniID), Type: aws.String("ElasticNetworkInterface"), Status: aws.String("DELETED"),
		Details: []ecstypes.KeyValuePair{
			{Name: aws.String("subnetId"), Value: aws.String(subnetID)},
			{Name: aws.String("networkInterfaceId"), Value: aws.String(eniID)},
			{Name: aws.String("privateIPv4Address"), Value: aws.String("10.0.1.25")},
		},
	})
	eni := ec2types.NetworkInterface{NetworkInterfaceId: aws.String(eniID), SubnetId: aws.String(subnetID)}
	for _, g := range groups {
		eni.Groups = append(eni.Groups, ec2types.GroupIdentifier{GroupId: aws.String(g)})
	}
	if publicIP != "" {
		eni.Association = &ec2types.NetworkInterfaceAssociation{PublicIp: aws.String(publicIP)}
	}
	b.S.Network.NetworkInterfaces = append(b.S.Network.NetworkInterfaces, eni)
	return b
}

// Service sets a service with an awsvpc configuration.
func (b *Snap) Service(name string, subnets, groups []string, assignPublicIP bool) *Snap {
	ap := ecstypes.AssignPublicIpDisabled
	if assignPublicIP {
		ap = ecstypes.AssignPublicIpEnabled
	}
	b.S.Service = &ecstypes.Service{
		ServiceName: aws.String(name), ServiceArn: aws.String("arn:aws:ecs:" + Region + ":" + Account + ":service/prod/" + name),
		LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: subnets, SecurityGroups: groups, AssignPublicIp: ap,
		}},
	}
	b.S.Target.Service = name
	return b
}

// VPC adds a VPC with both DNS attributes on.
func (b *Snap) VPC(id, cidr string) *Snap {
	b.S.Network.Vpcs = append(b.S.Network.Vpcs, snapshot.VPC{
		Vpc:              ec2types.Vpc{VpcId: aws.String(id), CidrBlock: aws.String(cidr), State: ec2types.VpcStateAvailable},
		EnableDnsSupport: aws.Bool(true), EnableDnsHostnames: aws.Bool(true),
	})
	return b
}

// Subnet adds a subnet.
func (b *Snap) Subnet(id, vpc, az, cidr string) *Snap {
	b.S.Network.Subnets = append(b.S.Network.Subnets, ec2types.Subnet{
		SubnetId: aws.String(id), VpcId: aws.String(vpc), AvailabilityZone: aws.String(az), CidrBlock: aws.String(cidr),
		State: ec2types.SubnetStateAvailable,
	})
	return b
}

// Route is a route shorthand: Dest is a CIDR or a prefix-list id (pl-...), Target an id
// whose prefix says its kind (igw-, nat-, tgw-, pcx-, eni-, eigw-, vpce-, local).
type Route struct{ Dest, Target, State string }

// RouteTable adds a route table, main or explicitly associated with subnets. A "local"
// route for the VPC CIDR is not added implicitly: pass it.
func (b *Snap) RouteTable(id, vpc string, main bool, subnets []string, routes ...Route) *Snap {
	rt := ec2types.RouteTable{RouteTableId: aws.String(id), VpcId: aws.String(vpc)}
	if main {
		rt.Associations = append(rt.Associations, ec2types.RouteTableAssociation{
			Main: aws.Bool(true), RouteTableId: aws.String(id), RouteTableAssociationId: aws.String("rtbassoc-main" + id),
		})
	}
	for _, s := range subnets {
		rt.Associations = append(rt.Associations, ec2types.RouteTableAssociation{
			Main: aws.Bool(false), RouteTableId: aws.String(id), SubnetId: aws.String(s),
			RouteTableAssociationId: aws.String("rtbassoc-" + s),
		})
	}
	for _, r := range routes {
		rt.Routes = append(rt.Routes, MakeRoute(r))
	}
	b.S.Network.RouteTables = append(b.S.Network.RouteTables, rt)
	return b
}

// MakeRoute turns the shorthand into an EC2 route.
func MakeRoute(r Route) ec2types.Route {
	out := ec2types.Route{State: ec2types.RouteStateActive, Origin: ec2types.RouteOriginCreateRoute}
	if r.State != "" {
		out.State = ec2types.RouteState(r.State)
	}
	switch {
	case len(r.Dest) > 3 && r.Dest[:3] == "pl-":
		out.DestinationPrefixListId = aws.String(r.Dest)
	case containsColon(r.Dest):
		out.DestinationIpv6CidrBlock = aws.String(r.Dest)
	default:
		out.DestinationCidrBlock = aws.String(r.Dest)
	}
	t := r.Target
	switch {
	case t == "local":
		out.GatewayId = aws.String("local")
		out.Origin = ec2types.RouteOriginCreateRouteTable
	case hasPrefix(t, "nat-"):
		out.NatGatewayId = aws.String(t)
	case hasPrefix(t, "tgw-"):
		out.TransitGatewayId = aws.String(t)
	case hasPrefix(t, "pcx-"):
		out.VpcPeeringConnectionId = aws.String(t)
	case hasPrefix(t, "eni-"):
		out.NetworkInterfaceId = aws.String(t)
	case hasPrefix(t, "eigw-"):
		out.EgressOnlyInternetGatewayId = aws.String(t)
	default: // igw-, vpce- (gateway endpoints appear as GatewayId)
		out.GatewayId = aws.String(t)
	}
	return out
}

// IGW adds an internet gateway attached to a VPC.
func (b *Snap) IGW(id, vpc string) *Snap {
	b.S.Network.InternetGateways = append(b.S.Network.InternetGateways, ec2types.InternetGateway{
		InternetGatewayId: aws.String(id),
		Attachments:       []ec2types.InternetGatewayAttachment{{State: ec2types.AttachmentStatus("available"), VpcId: aws.String(vpc)}},
	})
	return b
}

// NAT adds a NAT gateway in a subnet with a state ("available", "failed", ...).
func (b *Snap) NAT(id, vpc, subnet, state string) *Snap {
	b.S.Network.NatGateways = append(b.S.Network.NatGateways, ec2types.NatGateway{
		NatGatewayId: aws.String(id), VpcId: aws.String(vpc), SubnetId: aws.String(subnet),
		State: ec2types.NatGatewayState(state), ConnectivityType: ec2types.ConnectivityTypePublic,
	})
	return b
}

// Endpoint adds a VPC endpoint: for "Interface", subnets and groups; for "Gateway", route
// tables in subnetsOrRTs.
func (b *Snap) Endpoint(id, vpc, service, kind string, privateDNS bool, subnetsOrRTs []string, groups ...string) *Snap {
	ep := ec2types.VpcEndpoint{
		VpcEndpointId: aws.String(id), VpcId: aws.String(vpc), ServiceName: aws.String(service),
		VpcEndpointType: ec2types.VpcEndpointType(kind), State: ec2types.StateAvailable,
		PrivateDnsEnabled: aws.Bool(privateDNS),
	}
	if kind == "Gateway" {
		ep.RouteTableIds = subnetsOrRTs
	} else {
		ep.SubnetIds = subnetsOrRTs
		for _, g := range groups {
			ep.Groups = append(ep.Groups, ec2types.SecurityGroupIdentifier{GroupId: aws.String(g)})
		}
	}
	b.S.Network.VpcEndpoints = append(b.S.Network.VpcEndpoints, ep)
	return b
}

// SG adds a security group with egress and ingress permissions.
func (b *Snap) SG(id, vpc string, egress, ingress []ec2types.IpPermission) *Snap {
	b.S.Network.SecurityGroups = append(b.S.Network.SecurityGroups, ec2types.SecurityGroup{
		GroupId: aws.String(id), GroupName: aws.String(id), VpcId: aws.String(vpc),
		IpPermissionsEgress: egress, IpPermissions: ingress,
	})
	return b
}

// AllTraffic is the default egress rule: all protocols to 0.0.0.0/0.
func AllTraffic() []ec2types.IpPermission {
	return []ec2types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}
}

// TCP is a TCP permission to a CIDR on a port range.
func TCP(from, to int32, cidr string) ec2types.IpPermission {
	return ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(from), ToPort: aws.Int32(to),
		IpRanges: []ec2types.IpRange{{CidrIp: aws.String(cidr)}}}
}

// Role adds a role with a trust policy and inline policies (name → JSON document).
func (b *Snap) Role(arn, trust string, inline map[string]string, attached ...snapshot.Policy) *Snap {
	r := snapshot.Role{ARN: arn, RoleName: snapshot.RoleNameFromARN(arn), AttachedPolicies: attached}
	if trust != "" {
		r.AssumeRolePolicyDocument = json.RawMessage(trust)
	}
	for name, doc := range inline {
		r.InlinePolicies = append(r.InlinePolicies, snapshot.Policy{Name: name, Document: json.RawMessage(doc)})
	}
	b.S.Roles = append(b.S.Roles, r)
	return b
}

// Gap records a failed read.
func (b *Snap) Gap(call, errCode, ref string) *Snap {
	b.S.AddGap(snapshot.Gap{Call: call, Error: errCode, Message: "test gap", Ref: ref})
	return b
}

// Probe records a registry probe.
func (b *Snap) Probe(p snapshot.RegistryProbe) *Snap {
	b.S.Registry = append(b.S.Registry, p)
	return b
}

// ECSTasksTrust is the standard execution-role trust policy.
const ECSTasksTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func containsColon(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return true
		}
	}
	return false
}

// Fn applies an arbitrary edit, for the odd case no builder covers.
func (b *Snap) Fn(edit func(*Snap)) *Snap {
	edit(b)
	return b
}
