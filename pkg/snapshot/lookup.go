package snapshot

import (
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Gap returns the first gap recorded for call (and, when ref is not empty, for that
// resource or for no resource in particular), or nil.
func (s *Snapshot) Gap(call, ref string) *Gap {
	for i := range s.Gaps {
		g := &s.Gaps[i]
		if !strings.EqualFold(g.Call, call) {
			continue
		}
		if ref == "" || g.Ref == "" || g.Ref == ref {
			return g
		}
	}
	return nil
}

// FirstGap returns the first gap recorded for any of calls, ignoring refs.
func (s *Snapshot) FirstGap(calls ...string) *Gap {
	for _, c := range calls {
		if g := s.Gap(c, ""); g != nil {
			return g
		}
	}
	return nil
}

// AddGap records a failed read.
func (s *Snapshot) AddGap(g Gap) { s.Gaps = append(s.Gaps, g) }

// Role returns the role with this ARN, or nil. Role ARNs may carry a path
// (arn:aws:iam::1:role/service-role/x); the match is on the whole ARN or, failing that, on
// the role name, because task definitions sometimes name a role without its path.
func (s *Snapshot) Role(arn string) *Role {
	if arn == "" {
		return nil
	}
	for i := range s.Roles {
		if s.Roles[i].ARN == arn {
			return &s.Roles[i]
		}
	}
	name := RoleNameFromARN(arn)
	for i := range s.Roles {
		if RoleNameFromARN(s.Roles[i].ARN) == name && accountOfARN(s.Roles[i].ARN) == accountOfARN(arn) {
			return &s.Roles[i]
		}
	}
	return nil
}

// RoleNameFromARN returns the last path element of a role ARN ("x" for
// arn:aws:iam::1:role/service-role/x), or the input when it is a bare name.
func RoleNameFromARN(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func accountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// ExecutionRoleARN is the task definition's execution role ARN ("" when none).
func (s *Snapshot) ExecutionRoleARN() string {
	if s.TaskDefinition == nil || s.TaskDefinition.ExecutionRoleArn == nil {
		return ""
	}
	return *s.TaskDefinition.ExecutionRoleArn
}

// Containers returns the task definition's container definitions.
func (s *Snapshot) Containers() []ecstypes.ContainerDefinition {
	if s.TaskDefinition == nil {
		return nil
	}
	return s.TaskDefinition.ContainerDefinitions
}

// LaunchType is FARGATE, EC2 or EXTERNAL: the task's own, else the service's, else the
// task definition's sole compatibility; "" when nothing says.
func (s *Snapshot) LaunchType() string {
	if s.Task != nil && s.Task.LaunchType != "" {
		return string(s.Task.LaunchType)
	}
	if s.Service != nil {
		if s.Service.LaunchType != "" {
			return string(s.Service.LaunchType)
		}
		for _, cp := range s.Service.CapacityProviderStrategy {
			if cp.CapacityProvider != nil && strings.HasPrefix(*cp.CapacityProvider, "FARGATE") {
				return "FARGATE"
			}
		}
	}
	if s.Task != nil && s.Task.ContainerInstanceArn != nil && *s.Task.ContainerInstanceArn != "" {
		return "EC2"
	}
	if s.TaskDefinition != nil && len(s.TaskDefinition.RequiresCompatibilities) == 1 {
		return string(s.TaskDefinition.RequiresCompatibilities[0])
	}
	return ""
}

// IsFargate reports whether the task runs on Fargate.
func (s *Snapshot) IsFargate() bool { return s.LaunchType() == "FARGATE" }

// NetworkMode is the task definition's network mode ("awsvpc", "bridge", "host", "none");
// Fargate is always awsvpc.
func (s *Snapshot) NetworkMode() string {
	if s.TaskDefinition != nil && s.TaskDefinition.NetworkMode != "" {
		return string(s.TaskDefinition.NetworkMode)
	}
	if s.IsFargate() {
		return "awsvpc"
	}
	return ""
}

// ENIContext is the network identity the image pull uses: on Fargate the task's ENI, on EC2
// the container instance's (its subnet, security groups and public IP), whatever the task's
// network mode, because the ECS agent and container runtime on the host do the pull.
type ENIContext struct {
	// Source says where the context came from: "task-eni", "service", "instance".
	Source           string
	ENIID            string
	SubnetIDs        []string
	SecurityGroupIDs []string
	// AssignPublicIP is the awsvpcConfiguration setting (nil when unknown).
	AssignPublicIP *bool
	// PublicIP is the address actually attached, when known.
	PublicIP         string
	PrivateIP        string
	AvailabilityZone string
}

// ENI works out the ENIContext; ok is false when the snapshot holds nothing to say which
// subnet the pull ran from.
func (s *Snapshot) ENI() (ENIContext, bool) {
	var c ENIContext
	if !s.IsFargate() && s.Instance != nil {
		c.Source = "instance"
		c.SubnetIDs = nonEmpty(deref(s.Instance.SubnetId))
		for _, g := range s.Instance.SecurityGroups {
			c.SecurityGroupIDs = append(c.SecurityGroupIDs, deref(g.GroupId))
		}
		c.PublicIP = deref(s.Instance.PublicIpAddress)
		c.PrivateIP = deref(s.Instance.PrivateIpAddress)
		if s.Instance.Placement != nil {
			c.AvailabilityZone = deref(s.Instance.Placement.AvailabilityZone)
		}
		return c, len(c.SubnetIDs) > 0
	}
	if s.Task != nil {
		for _, a := range s.Task.Attachments {
			if deref(a.Type) != "ElasticNetworkInterface" {
				continue
			}
			c.Source = "task-eni"
			for _, d := range a.Details {
				switch deref(d.Name) {
				case "subnetId":
					c.SubnetIDs = nonEmpty(deref(d.Value))
				case "networkInterfaceId":
					c.ENIID = deref(d.Value)
				case "privateIPv4Address":
					c.PrivateIP = deref(d.Value)
				}
			}
		}
		c.AvailabilityZone = deref(s.Task.AvailabilityZone)
	}
	if c.ENIID != "" {
		if eni := s.NetworkInterface(c.ENIID); eni != nil {
			for _, g := range eni.Groups {
				c.SecurityGroupIDs = append(c.SecurityGroupIDs, deref(g.GroupId))
			}
			if eni.Association != nil {
				c.PublicIP = deref(eni.Association.PublicIp)
			}
			if len(c.SubnetIDs) == 0 {
				c.SubnetIDs = nonEmpty(deref(eni.SubnetId))
			}
		}
	}
	if s.Service != nil && s.Service.NetworkConfiguration != nil && s.Service.NetworkConfiguration.AwsvpcConfiguration != nil {
		cfg := s.Service.NetworkConfiguration.AwsvpcConfiguration
		if c.Source == "" {
			c.Source = "service"
		}
		if len(c.SubnetIDs) == 0 {
			c.SubnetIDs = append([]string(nil), cfg.Subnets...)
		}
		if len(c.SecurityGroupIDs) == 0 {
			c.SecurityGroupIDs = append([]string(nil), cfg.SecurityGroups...)
		}
		if cfg.AssignPublicIp != "" {
			v := cfg.AssignPublicIp == ecstypes.AssignPublicIpEnabled
			c.AssignPublicIP = &v
		}
	}
	if c.AssignPublicIP == nil && c.PublicIP != "" {
		v := true
		c.AssignPublicIP = &v
	}
	return c, len(c.SubnetIDs) > 0
}

// NetworkInterface returns the ENI with this id, or nil.
func (s *Snapshot) NetworkInterface(id string) *ec2types.NetworkInterface {
	for i := range s.Network.NetworkInterfaces {
		if deref(s.Network.NetworkInterfaces[i].NetworkInterfaceId) == id {
			return &s.Network.NetworkInterfaces[i]
		}
	}
	return nil
}

// Subnet returns the subnet with this id, or nil.
func (s *Snapshot) Subnet(id string) *ec2types.Subnet {
	for i := range s.Network.Subnets {
		if deref(s.Network.Subnets[i].SubnetId) == id {
			return &s.Network.Subnets[i]
		}
	}
	return nil
}

// VPC returns the VPC with this id, or nil.
func (s *Snapshot) VPC(id string) *VPC {
	for i := range s.Network.Vpcs {
		if deref(s.Network.Vpcs[i].VpcId) == id {
			return &s.Network.Vpcs[i]
		}
	}
	return nil
}

// SecurityGroup returns the security group with this id, or nil.
func (s *Snapshot) SecurityGroup(id string) *ec2types.SecurityGroup {
	for i := range s.Network.SecurityGroups {
		if deref(s.Network.SecurityGroups[i].GroupId) == id {
			return &s.Network.SecurityGroups[i]
		}
	}
	return nil
}

// RouteTableFor returns the route table a subnet uses: its explicit association, else the
// main route table of its VPC. explicit says which. nil when neither is in the snapshot.
func (s *Snapshot) RouteTableFor(subnetID, vpcID string) (rt *ec2types.RouteTable, explicit bool) {
	var main *ec2types.RouteTable
	for i := range s.Network.RouteTables {
		t := &s.Network.RouteTables[i]
		for _, a := range t.Associations {
			if deref(a.SubnetId) == subnetID && subnetID != "" {
				return t, true
			}
			if a.Main != nil && *a.Main && deref(t.VpcId) == vpcID && main == nil {
				main = t
			}
		}
	}
	return main, false
}

// InternetGateway returns the internet gateway with this id, or nil.
func (s *Snapshot) InternetGateway(id string) *ec2types.InternetGateway {
	for i := range s.Network.InternetGateways {
		if deref(s.Network.InternetGateways[i].InternetGatewayId) == id {
			return &s.Network.InternetGateways[i]
		}
	}
	return nil
}

// NatGateway returns the NAT gateway with this id, or nil.
func (s *Snapshot) NatGateway(id string) *ec2types.NatGateway {
	for i := range s.Network.NatGateways {
		if deref(s.Network.NatGateways[i].NatGatewayId) == id {
			return &s.Network.NatGateways[i]
		}
	}
	return nil
}

// Secret returns the secret whose ARN or name matches ref (task definitions may name a
// secret by full ARN, by partial ARN without the random suffix, or by name), or nil.
func (s *Snapshot) Secret(ref string) *Secret {
	for i := range s.Secrets {
		sec := &s.Secrets[i]
		if sec.ARN == ref || sec.Name == ref {
			return sec
		}
		// A partial ARN lacks the "-AbCdEf" suffix Secrets Manager appends.
		if strings.HasPrefix(sec.ARN, ref+"-") && len(sec.ARN) == len(ref)+7 {
			return sec
		}
	}
	return nil
}

// Parameter returns the SSM parameter whose ARN or name matches ref, or nil.
func (s *Snapshot) Parameter(ref string) *Parameter {
	for i := range s.Parameters {
		p := &s.Parameters[i]
		if p.ARN == ref || p.Name == ref || "/"+p.Name == ref || p.Name == "/"+ref {
			return p
		}
	}
	return nil
}

// KMSKey returns the key whose id, ARN or alias matches ref, or nil.
func (s *Snapshot) KMSKey(ref string) *KMSKey {
	for i := range s.KMSKeys {
		k := &s.KMSKeys[i]
		if k.KeyID == ref || k.ARN == ref {
			return k
		}
		for _, a := range k.Aliases {
			if a == ref || strings.HasSuffix(ref, ":"+a) {
				return k
			}
		}
	}
	return nil
}

// RegistryProbe returns the probe for this image, or nil.
func (s *Snapshot) RegistryProbe(image string) *RegistryProbe {
	for i := range s.Registry {
		if s.Registry[i].Image == image {
			return &s.Registry[i]
		}
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nonEmpty(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}
