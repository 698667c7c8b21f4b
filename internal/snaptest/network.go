package snaptest

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// S3PrefixList is the id AWS gives com.amazonaws.ap-northeast-1.s3 (ids differ per region).
const S3PrefixList = "pl-61a54008"

// NACLRule is a network ACL entry shorthand: Proto "-1" or "6"; From/To 0 means all ports.
type NACLRule struct {
	Num      int32
	Egress   bool
	Allow    bool
	Proto    string
	From, To int32
	CIDR     string
}

// NACL adds a network ACL associated with subnets; def marks the VPC's default ACL. The
// implicit "*" deny rules (32767) are added in both directions, as the API returns them.
func (b *Snap) NACL(id, vpc string, def bool, subnets []string, rules ...NACLRule) *Snap {
	acl := ec2types.NetworkAcl{NetworkAclId: aws.String(id), VpcId: aws.String(vpc), IsDefault: aws.Bool(def)}
	for _, s := range subnets {
		acl.Associations = append(acl.Associations, ec2types.NetworkAclAssociation{
			NetworkAclAssociationId: aws.String("aclassoc-" + s), NetworkAclId: aws.String(id), SubnetId: aws.String(s)})
	}
	rules = append(rules, NACLRule{Num: 32767, Egress: true, Proto: "-1", CIDR: "0.0.0.0/0"}, NACLRule{Num: 32767, Proto: "-1", CIDR: "0.0.0.0/0"})
	for _, r := range rules {
		e := ec2types.NetworkAclEntry{RuleNumber: aws.Int32(r.Num), Egress: aws.Bool(r.Egress), Protocol: aws.String(r.Proto),
			CidrBlock: aws.String(r.CIDR), RuleAction: ec2types.RuleActionDeny}
		if r.Allow {
			e.RuleAction = ec2types.RuleActionAllow
		}
		if r.Proto != "-1" && r.From != 0 {
			e.PortRange = &ec2types.PortRange{From: aws.Int32(r.From), To: aws.Int32(r.To)}
		}
		acl.Entries = append(acl.Entries, e)
	}
	b.S.Network.NetworkAcls = append(b.S.Network.NetworkAcls, acl)
	return b
}

// OpenNACL adds the default NACL of a VPC allowing everything (rule 100 both ways).
func (b *Snap) OpenNACL(id, vpc string, subnets ...string) *Snap {
	return b.NACL(id, vpc, true, subnets,
		NACLRule{Num: 100, Egress: true, Allow: true, Proto: "-1", CIDR: "0.0.0.0/0"},
		NACLRule{Num: 100, Allow: true, Proto: "-1", CIDR: "0.0.0.0/0"})
}

// PrefixList adds a managed prefix list with its entries.
func (b *Snap) PrefixList(id, name string, cidrs ...string) *Snap {
	b.S.Network.PrefixLists = append(b.S.Network.PrefixLists, snapshot.PrefixList{PrefixListID: id, PrefixListName: name, Cidrs: cidrs})
	return b
}

// Instance sets the EC2 instance behind the container instance (EC2 launch type).
func (b *Snap) Instance(id, subnet, az, privateIP, publicIP string, groups ...string) *Snap {
	in := &ec2types.Instance{InstanceId: aws.String(id), SubnetId: aws.String(subnet), PrivateIpAddress: aws.String(privateIP),
		Placement: &ec2types.Placement{AvailabilityZone: aws.String(az)}}
	if publicIP != "" {
		in.PublicIpAddress = aws.String(publicIP)
	}
	for _, g := range groups {
		in.SecurityGroups = append(in.SecurityGroups, ec2types.GroupIdentifier{GroupId: aws.String(g)})
	}
	b.S.Instance = in
	if b.S.Task != nil {
		b.S.Task.ContainerInstanceArn = aws.String("arn:aws:ecs:" + Region + ":" + Account + ":container-instance/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0")
	}
	return b
}

// VPCDNS sets a VPC's DNS attributes (nil: not read).
func (b *Snap) VPCDNS(vpc string, support, hostnames *bool) *Snap {
	for i := range b.S.Network.Vpcs {
		if aws.ToString(b.S.Network.Vpcs[i].VpcId) == vpc {
			b.S.Network.Vpcs[i].EnableDnsSupport = support
			b.S.Network.Vpcs[i].EnableDnsHostnames = hostnames
		}
	}
	return b
}

// DHCP attaches DHCP options with domain-name-servers to a VPC.
func (b *Snap) DHCP(id, vpc string, servers ...string) *Snap {
	o := ec2types.DhcpOptions{DhcpOptionsId: aws.String(id)}
	cfg := ec2types.DhcpConfiguration{Key: aws.String("domain-name-servers")}
	for _, s := range servers {
		cfg.Values = append(cfg.Values, ec2types.AttributeValue{Value: aws.String(s)})
	}
	o.DhcpConfigurations = []ec2types.DhcpConfiguration{cfg}
	b.S.Network.DhcpOptions = append(b.S.Network.DhcpOptions, o)
	for i := range b.S.Network.Vpcs {
		if aws.ToString(b.S.Network.Vpcs[i].VpcId) == vpc {
			b.S.Network.Vpcs[i].DhcpOptionsId = aws.String(id)
		}
	}
	return b
}

// EndpointState sets an endpoint's state ("available", "pending", "failed", ...).
func (b *Snap) EndpointState(id, state string) *Snap {
	if ep := b.endpoint(id); ep != nil {
		ep.State = ec2types.State(state)
	}
	return b
}

// EndpointPolicy sets an endpoint's policy document.
func (b *Snap) EndpointPolicy(id, doc string) *Snap {
	if ep := b.endpoint(id); ep != nil {
		ep.PolicyDocument = aws.String(doc)
	}
	return b
}

func (b *Snap) endpoint(id string) *ec2types.VpcEndpoint {
	for i := range b.S.Network.VpcEndpoints {
		if aws.ToString(b.S.Network.VpcEndpoints[i].VpcEndpointId) == id {
			return &b.S.Network.VpcEndpoints[i]
		}
	}
	return nil
}

// TCPFromSG is a TCP permission referencing a security group.
func TCPFromSG(from, to int32, group string) ec2types.IpPermission {
	return ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(from), ToPort: aws.Int32(to),
		UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(group)}}}
}

// TCPToPrefixList is a TCP permission to a managed prefix list.
func TCPToPrefixList(from, to int32, pl string) ec2types.IpPermission {
	return ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(from), ToPort: aws.Int32(to),
		PrefixListIds: []ec2types.PrefixListId{{PrefixListId: aws.String(pl)}}}
}

// PrivateVPC is the common base of network tests: a Fargate task with a private ECR image in
// subnet-0a1 (10.0.1.0/24, ap-northeast-1a) of vpc-0123 with sg-task (all egress), the S3
// prefix list, an open default NACL, and a main route table with only the local route. Tests
// add the way out they are about.
func PrivateVPC() *Snap {
	return New().Fargate(ExecRole, Container{Name: "app", Image: ECRImage}).
		ENI("eni-0task", "subnet-0a1", "", "sg-task").
		Service("web", []string{"subnet-0a1"}, []string{"sg-task"}, false).
		VPC("vpc-0123", "10.0.0.0/16").
		Subnet("subnet-0a1", "vpc-0123", "ap-northeast-1a", "10.0.1.0/24").
		Subnet("subnet-0c1", "vpc-0123", "ap-northeast-1c", "10.0.3.0/24").
		Subnet("subnet-0pub", "vpc-0123", "ap-northeast-1a", "10.0.0.0/24").
		RouteTable("rtb-0main", "vpc-0123", true, nil, Route{Dest: "10.0.0.0/16", Target: "local"}).
		SG("sg-task", "vpc-0123", AllTraffic(), nil).
		SG("sg-vpce", "vpc-0123", AllTraffic(), []ec2types.IpPermission{TCPFromSG(443, 443, "sg-task")}).
		PrefixList(S3PrefixList, "com.amazonaws.ap-northeast-1.s3", "52.219.136.0/22", "3.5.152.0/21").
		OpenNACL("acl-0def", "vpc-0123")
}

// WithNAT adds an IGW, a public subnet route table (subnet-0pub → igw-0main), an available NAT
// gateway in it and routes the task subnet through it (explicit association).
func (b *Snap) WithNAT() *Snap {
	return b.IGW("igw-0main", "vpc-0123").
		RouteTable("rtb-0pub", "vpc-0123", false, []string{"subnet-0pub"}, Route{Dest: "10.0.0.0/16", Target: "local"}, Route{Dest: "0.0.0.0/0", Target: "igw-0main"}).
		NAT("nat-0aaa", "vpc-0123", "subnet-0pub", "available").
		RouteTable("rtb-0priv", "vpc-0123", false, []string{"subnet-0a1"}, Route{Dest: "10.0.0.0/16", Target: "local"}, Route{Dest: "0.0.0.0/0", Target: "nat-0aaa"})
}

// WithECREndpoints adds ecr.api and ecr.dkr interface endpoints (private DNS on, in
// subnet-0a1 with sg-vpce) and the S3 gateway endpoint on rtb (with its prefix-list route).
func (b *Snap) WithECREndpoints(rtb string) *Snap {
	b.Endpoint("vpce-0api", "vpc-0123", "com.amazonaws."+Region+".ecr.api", "Interface", true, []string{"subnet-0a1"}, "sg-vpce").
		Endpoint("vpce-0dkr", "vpc-0123", "com.amazonaws."+Region+".ecr.dkr", "Interface", true, []string{"subnet-0a1"}, "sg-vpce").
		Endpoint("vpce-0s3", "vpc-0123", "com.amazonaws."+Region+".s3", "Gateway", false, []string{rtb})
	for i := range b.S.Network.RouteTables {
		if aws.ToString(b.S.Network.RouteTables[i].RouteTableId) == rtb {
			b.S.Network.RouteTables[i].Routes = append(b.S.Network.RouteTables[i].Routes, MakeRoute(Route{Dest: S3PrefixList, Target: "vpce-0s3"}))
		}
	}
	return b
}

// LargeVPC is the benchmark VPC of issue 5: 200 subnets, 50 route tables of 100 routes each,
// 30 endpoints (ECR api/dkr, logs, secrets, S3 gateway on every table, and others), 100
// security groups of 10 rules, with the task in the last subnet and the usual private-subnet
// setup: NAT for the internet, endpoints with private DNS for AWS services.
func LargeVPC() *Snap {
	const vpc = "vpc-0big"
	b := New().Fargate(ExecRole, Container{Name: "app", Image: ECRImage, LogDriver: "awslogs",
		LogOptions: map[string]string{"awslogs-group": "/ecs/app"}, Secrets: map[string]string{"DB": "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf"}},
		Container{Name: "sidecar", Image: "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0"}).
		ENI("eni-0task", "subnet-199", "", "sg-98", "sg-99").
		Service("web", []string{"subnet-199"}, []string{"sg-98", "sg-99"}, false).
		VPC(vpc, "10.0.0.0/16").IGW("igw-0big", vpc).
		PrefixList(S3PrefixList, "com.amazonaws.ap-northeast-1.s3", "52.219.136.0/22", "3.5.152.0/21")
	azs := []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}
	for i := 0; i < 200; i++ {
		b.Subnet("subnet-"+itoa(i), vpc, azs[i%3], "10.0."+itoa(i)+".0/24")
	}
	b.NAT("nat-0big", vpc, "subnet-0", "available")
	for t := 0; t < 50; t++ {
		var subnets []string
		for i := t * 4; i < t*4+4; i++ {
			subnets = append(subnets, "subnet-"+itoa(i))
		}
		routes := []Route{{Dest: "10.0.0.0/16", Target: "local"}, {Dest: S3PrefixList, Target: "vpce-s3"}}
		if t == 0 {
			routes = append(routes, Route{Dest: "0.0.0.0/0", Target: "igw-0big"})
		} else {
			routes = append(routes, Route{Dest: "0.0.0.0/0", Target: "nat-0big"})
		}
		for r := len(routes); r < 100; r++ {
			target := "tgw-0corp"
			if r%3 == 0 {
				target = "pcx-0peer"
			}
			routes = append(routes, Route{Dest: "172." + itoa(16+r%16) + "." + itoa(r) + ".0/24", Target: target})
		}
		b.RouteTable("rtb-"+itoa(t), vpc, t == 1, subnets, routes...)
	}
	for g := 0; g < 100; g++ {
		var eg, in []ec2types.IpPermission
		for r := 0; r < 9; r++ {
			eg = append(eg, TCP(int32(8000+r), int32(8000+r), "10."+itoa(r)+".0.0/16"))
			in = append(in, TCPFromSG(int32(9000+r), int32(9000+r), "sg-"+itoa((g+r)%100)))
		}
		if g == 99 {
			eg = append(eg, TCP(443, 443, "0.0.0.0/0"))
		}
		if g == 97 {
			in = append(in, TCPFromSG(443, 443, "sg-99"))
		}
		b.SG("sg-"+itoa(g), vpc, eg, in)
	}
	svcs := []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "kms", "sts", "ec2", "ecs", "ecs-agent",
		"ecs-telemetry", "sqs", "sns", "monitoring", "events", "elasticloadbalancing", "autoscaling", "ssmmessages",
		"ec2messages", "execute-api", "lambda", "states", "kinesis-streams", "cloudformation", "codebuild", "codecommit",
		"git-codecommit", "glue", "athena"}
	var subnets []string
	for i := 197; i < 200; i++ {
		subnets = append(subnets, "subnet-"+itoa(i))
	}
	for i, s := range svcs {
		b.Endpoint("vpce-"+itoa(i), vpc, "com.amazonaws."+Region+"."+s, "Interface", true, subnets, "sg-97")
	}
	var rts []string
	for t := 0; t < 50; t++ {
		rts = append(rts, "rtb-"+itoa(t))
	}
	b.Endpoint("vpce-s3", vpc, "com.amazonaws."+Region+".s3", "Gateway", false, rts)
	b.OpenNACL("acl-0big", vpc)
	return b
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(d)
}
