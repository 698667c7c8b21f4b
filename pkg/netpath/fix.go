package netpath

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

// Documentation the fixes point to.
const (
	DocECREndpoints   = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html"
	DocRouteTables    = "https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html"
	DocNAT            = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html"
	DocNACL           = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html"
	DocSG             = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html"
	DocS3Gateway      = "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html"
	DocVPCDNS         = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html"
	DocFargateNetwork = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html"
	DocEndpointPolicy = "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html"
	DocPrivateDNS     = "https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html"
)

func rem(text, ja string, cmds []string, tf string, links ...string) *finding.Remediation {
	return &finding.Remediation{Text: text, TextJA: ja, Commands: cmds, Terraform: tf, Links: links}
}

// fixMemo is one fix already built for this analyzer. The internet and S3 paths are walked
// separately but often block at the same step (the route, the public IP, the NAT gateway):
// its fix is then built once, and a finding that merges the two has one fix to show.
type fixMemo struct {
	kind, x, y string
	fix        *finding.Remediation
}

// builtFix returns the fix memoised for kind and its arguments, or nil. Called with a.mu
// held, as every step is built.
func (a *Analyzer) builtFix(kind, x, y string) *finding.Remediation {
	for _, m := range a.fixes {
		if m.kind == kind && m.x == x && m.y == y {
			return m.fix
		}
	}
	return nil
}

// keepFix memoises a fix built for kind and its arguments and returns it.
func (a *Analyzer) keepFix(kind, x, y string, fix *finding.Remediation) *finding.Remediation {
	a.fixes = append(a.fixes, fixMemo{kind, x, y, fix})
	return fix
}

func (a *Analyzer) taskSubnets() string { return strings.Join(a.eni.SubnetIDs, " ") }

func tfList(ids []string) string {
	var b strings.Builder
	writeTFList(&b, ids)
	return b.String()
}

// writeTFList writes ids as a Terraform list of strings.
func writeTFList(b *strings.Builder, ids []string) {
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		writeQuoted(b, id)
	}
	b.WriteByte(']')
}

// writeQuoted writes s quoted as %q does. The ids fixes quote are plain ASCII, which needs
// only the quotes; anything else goes through strconv.
func writeQuoted(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			var buf [96]byte
			b.Write(strconv.AppendQuote(buf[:0], s))
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

// tfSprintf is fmt.Sprintf for the Terraform templates of the fixes, whose only verbs are %q
// and %s with string arguments: written in one builder, without fmt's boxing and reflection.
func tfSprintf(format string, args ...string) string {
	var b strings.Builder
	tfAppend(&b, format, args...)
	return b.String()
}

// tfAppend writes tfSprintf(format, args...) to b.
func tfAppend(b *strings.Builder, format string, args ...string) {
	n := len(format)
	for _, a := range args {
		n += len(a) + len(`""`)
	}
	b.Grow(n)
	for len(format) > 0 {
		i := strings.IndexByte(format, '%')
		if i < 0 || i+1 == len(format) {
			b.WriteString(format)
			return
		}
		b.WriteString(format[:i])
		switch format[i+1] {
		case 'q':
			writeQuoted(b, args[0])
			args = args[1:]
		case 's':
			b.WriteString(args[0])
			args = args[1:]
		default:
			panic("tfSprintf: verb %" + format[i+1:i+2])
		}
		format = format[i+2:]
	}
}

// goodNAT finds an available public NAT gateway in the VPC whose subnet routes to an IGW.
func (a *Analyzer) goodNAT() string {
	for i := range a.s.Network.NatGateways {
		n := &a.s.Network.NatGateways[i]
		if deref(n.VpcId) != a.vpcID || n.State != ec2types.NatGatewayStateAvailable || n.ConnectivityType == ec2types.ConnectivityTypePrivate {
			continue
		}
		if rt, _ := a.routeTable(deref(n.SubnetId), a.vpcID); rt != nil {
			if r, _ := lookup(rt, internetDest()); r != nil && r.State != ec2types.RouteStateBlackhole {
				if _, k := target(r); k == "igw" {
					return deref(n.NatGatewayId)
				}
			}
		}
	}
	return ""
}

// publicSubnet finds a subnet of the VPC whose route table sends 0.0.0.0/0 to an IGW.
func (a *Analyzer) publicSubnet() (subnet, igw string) {
	for i := range a.s.Network.Subnets {
		s := &a.s.Network.Subnets[i]
		if deref(s.VpcId) != a.vpcID {
			continue
		}
		if rt, _ := a.routeTable(deref(s.SubnetId), a.vpcID); rt != nil {
			if r, _ := lookup(rt, internetDest()); r != nil && r.State != ec2types.RouteStateBlackhole {
				if id, k := target(r); k == "igw" {
					return deref(s.SubnetId), id
				}
			}
		}
	}
	for i := range a.s.Network.InternetGateways {
		if attachedTo(&a.s.Network.InternetGateways[i], a.vpcID) {
			return "PUBLIC_SUBNET_ID", deref(a.s.Network.InternetGateways[i].InternetGatewayId)
		}
	}
	return "PUBLIC_SUBNET_ID", "IGW_ID"
}

func (a *Analyzer) hasDefault(rtID string) bool {
	if rt := a.rtByID.get(rtID); rt != nil {
		for _, r := range rt.Routes {
			if deref(r.DestinationCidrBlock) == "0.0.0.0/0" {
				return true
			}
		}
	}
	return false
}

func (a *Analyzer) fixRoute(rtID string) *finding.Remediation {
	if fx := a.builtFix("route", rtID, ""); fx != nil {
		return fx
	}
	verb := "create-route"
	if a.hasDefault(rtID) {
		verb = "replace-route"
	}
	nat := a.goodNAT()
	var cmds []string
	if nat == "" {
		sub, _ := a.publicSubnet()
		nat = "$NAT_ID"
		cmds = append(cmds,
			"ALLOC=$(aws ec2 allocate-address --domain vpc --query AllocationId --output text)",
			"NAT_ID=$(aws ec2 create-nat-gateway --subnet-id "+sub+" --allocation-id \"$ALLOC\" --query NatGateway.NatGatewayId --output text)",
			"aws ec2 wait nat-gateway-available --nat-gateway-ids \"$NAT_ID\"")
	}
	cmds = append(cmds, "aws ec2 "+verb+" --route-table-id "+rtID+" --destination-cidr-block 0.0.0.0/0 --nat-gateway-id "+nat)
	natTF := tfSprintf("%q", nat)
	if nat == "$NAT_ID" {
		natTF = "aws_nat_gateway.egress.id"
	}
	tf := tfSprintf("resource \"aws_route\" \"egress\" {\n  route_table_id         = %q\n  destination_cidr_block = \"0.0.0.0/0\"\n  nat_gateway_id         = %s\n}\n", rtID, natTF)
	return a.keepFix("route", rtID, "", rem("Give "+a.SubnetID()+" a way out: route 0.0.0.0/0 in "+rtID+" to a NAT gateway that sits in a public subnet (or, for AWS services only, create the VPC endpoints: ecr.api, ecr.dkr, the S3 gateway, logs, secretsmanager/ssm as the task needs).",
		a.SubnetID()+" に出口を用意してください。"+rtID+" で 0.0.0.0/0 をパブリックサブネットにある NAT ゲートウェイへルーティングします（AWS サービスだけなら ecr.api・ecr.dkr・S3 ゲートウェイ・必要に応じて logs・secretsmanager/ssm の VPC エンドポイントを作成する方法もあります）。",
		cmds, tf, DocRouteTables, DocNAT, DocECREndpoints))
}

func (a *Analyzer) fixPublicIP() *finding.Remediation {
	if fx := a.builtFix("public-ip", "", ""); fx != nil {
		return fx
	}
	return a.keepFix("public-ip", "", "", a.buildFixPublicIP())
}

func (a *Analyzer) buildFixPublicIP() *finding.Remediation {
	if a.eni.Source == "instance" {
		id := deref(a.s.Instance.InstanceId)
		return rem("The container instance "+id+" pulls the image through an internet gateway but has no public IP: associate an Elastic IP, or move the instances to private subnets that route to a NAT gateway.",
			"コンテナインスタンス "+id+" はインターネットゲートウェイ経由で pull しますが、パブリック IP がありません。Elastic IP を関連付けるか、NAT ゲートウェイへルーティングされたプライベートサブネットにインスタンスを移してください。",
			[]string{"ALLOC=$(aws ec2 allocate-address --domain vpc --query AllocationId --output text)", "aws ec2 associate-address --instance-id " + id + " --allocation-id \"$ALLOC\""},
			tfSprintf("resource \"aws_eip\" \"ecs_instance\" {\n  instance = %q\n  domain   = \"vpc\"\n}\n", id), DocRouteTables)
	}
	cluster, svc := a.s.Target.Cluster, a.s.Target.Service
	if i := strings.LastIndexByte(cluster, '/'); i >= 0 {
		cluster = cluster[i+1:]
	}
	cfg := "awsvpcConfiguration={subnets=[" + strings.Join(a.eni.SubnetIDs, ",") + "],securityGroups=[" + strings.Join(a.eni.SecurityGroupIDs, ",") + "],assignPublicIp=ENABLED}"
	var cmds []string
	if svc != "" {
		cmds = append(cmds, "aws ecs update-service --cluster "+cluster+" --service "+svc+" --network-configuration \""+cfg+"\" --force-new-deployment")
	} else {
		cmds = append(cmds, "aws ecs run-task --cluster "+cluster+" --launch-type FARGATE --task-definition "+a.s.Target.TaskDefinition+" --network-configuration \""+cfg+"\"")
	}
	tf := "resource \"aws_ecs_service\" \"" + firstNonEmpty(svc, "app") + "\" {\n  # ...\n  network_configuration {\n    subnets          = " + tfList(a.eni.SubnetIDs) + "\n    security_groups  = " + tfList(a.eni.SecurityGroupIDs) + "\n    assign_public_ip = true\n  }\n}\n"
	return rem("Launch the task with assignPublicIp=ENABLED (a Fargate task in a subnet routed to an internet gateway needs a public IP), or move it to private subnets routed to a NAT gateway or VPC endpoints.",
		"タスクを assignPublicIp=ENABLED で起動してください（インターネットゲートウェイへルーティングされたサブネットの Fargate タスクにはパブリック IP が必要です）。または NAT ゲートウェイや VPC エンドポイントへルーティングされたプライベートサブネットに移してください。",
		cmds, tf, DocFargateNetwork, DocRouteTables)
}

func (a *Analyzer) fixNAT(natID, natRT string) *finding.Remediation {
	if fx := a.builtFix("nat", natID, natRT); fx != nil {
		return fx
	}
	return a.keepFix("nat", natID, natRT, a.buildFixNAT(natID, natRT))
}

func (a *Analyzer) buildFixNAT(natID, natRT string) *finding.Remediation {
	if natRT != "" {
		_, igw := a.publicSubnet()
		verb := "create-route"
		if a.hasDefault(natRT) {
			verb = "replace-route"
		}
		return rem("The NAT gateway "+natID+" must sit in a public subnet: route 0.0.0.0/0 in its subnet's route table "+natRT+" to the internet gateway (or recreate the NAT gateway in a public subnet). Careful: "+natRT+" may be shared with private subnets.",
			"NAT ゲートウェイ "+natID+" はパブリックサブネットに置く必要があります。そのサブネットのルートテーブル "+natRT+" で 0.0.0.0/0 をインターネットゲートウェイへルーティングしてください（または NAT ゲートウェイをパブリックサブネットに作り直してください）。"+natRT+" がプライベートサブネットと共有されていないか注意してください。",
			[]string{"aws ec2 " + verb + " --route-table-id " + natRT + " --destination-cidr-block 0.0.0.0/0 --gateway-id " + igw},
			tfSprintf("resource \"aws_route\" \"nat_subnet_igw\" {\n  route_table_id         = %q\n  destination_cidr_block = \"0.0.0.0/0\"\n  gateway_id             = %q\n}\n", natRT, igw), DocNAT)
	}
	sub, _ := a.publicSubnet()
	rt, _ := a.routeTable(a.SubnetID(), a.vpcID)
	rtID := "RTB_ID"
	if rt != nil {
		rtID = deref(rt.RouteTableId)
	}
	return rem("The NAT gateway "+natID+" is not usable: create a new one in a public subnet and point "+rtID+" at it (a failed or deleted NAT gateway cannot be repaired).",
		"NAT ゲートウェイ "+natID+" は使えません。パブリックサブネットに新しく作成し、"+rtID+" をそちらへ向けてください（failed や deleted の NAT ゲートウェイは修復できません）。",
		[]string{
			"ALLOC=$(aws ec2 allocate-address --domain vpc --query AllocationId --output text)",
			"NAT_ID=$(aws ec2 create-nat-gateway --subnet-id " + sub + " --allocation-id \"$ALLOC\" --query NatGateway.NatGatewayId --output text)",
			"aws ec2 wait nat-gateway-available --nat-gateway-ids \"$NAT_ID\"",
			"aws ec2 replace-route --route-table-id " + rtID + " --destination-cidr-block 0.0.0.0/0 --nat-gateway-id \"$NAT_ID\"",
		},
		tfSprintf("resource \"aws_eip\" \"nat\" {\n  domain = \"vpc\"\n}\n\nresource \"aws_nat_gateway\" \"egress\" {\n  subnet_id     = %q\n  allocation_id = aws_eip.nat.id\n}\n\nresource \"aws_route\" \"egress\" {\n  route_table_id         = %q\n  destination_cidr_block = \"0.0.0.0/0\"\n  nat_gateway_id         = aws_nat_gateway.egress.id\n}\n", sub, rtID),
		DocNAT)
}

func (a *Analyzer) fixSGEgress(sg string, d destSet) *finding.Remediation {
	perm, tfTarget, what := "IpRanges=[{CidrIp=0.0.0.0/0}]", "cidr_ipv4         = \"0.0.0.0/0\"", "0.0.0.0/0"
	whatJA := ""
	if d.plID != "" {
		perm, tfTarget, what = "PrefixListIds=[{PrefixListId="+d.plID+"}]", "prefix_list_id    = \""+d.plID+"\"", "the S3 prefix list "+d.plID
		whatJA = "S3 のプレフィックスリスト " + d.plID
	} else if !d.public && len(d.prefixes) > 0 {
		perm = "IpRanges=[{CidrIp=" + d.prefixes[0].String() + "}]"
		tfTarget = "cidr_ipv4         = \"" + d.prefixes[0].String() + "\""
		what = d.prefixes[0].String()
		if len(d.sgIDs) > 0 {
			perm = "UserIdGroupPairs=[{GroupId=" + d.sgIDs[0] + "}]"
			tfTarget = "referenced_security_group_id = \"" + d.sgIDs[0] + "\""
			what = "the endpoint security group " + d.sgIDs[0]
			whatJA = "エンドポイントのセキュリティグループ " + d.sgIDs[0]
		}
	}
	return rem("Allow TCP 443 egress from "+sg+" to "+what+".", sg+" から "+firstNonEmpty(whatJA, what)+" へのアウトバウンド TCP 443 を許可してください。",
		[]string{"aws ec2 authorize-security-group-egress --group-id " + sg + " --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443," + perm + "'"},
		tfSprintf("resource \"aws_vpc_security_group_egress_rule\" \"https\" {\n  security_group_id = %q\n  ip_protocol       = \"tcp\"\n  from_port         = 443\n  to_port           = 443\n  %s\n}\n", sg, tfTarget),
		DocSG, DocS3Gateway)
}

// freeRuleNumber picks a rule number below the first rule of the direction, so the new allow
// is evaluated before any deny.
func freeRuleNumber(acl *ec2types.NetworkAcl, egress bool) int32 {
	lowest := int32(32767)
	used := map[int32]bool{}
	for _, e := range acl.Entries {
		if e.Egress != nil && *e.Egress == egress {
			used[num(e.RuleNumber)] = true
			if num(e.RuleNumber) < lowest {
				lowest = num(e.RuleNumber)
			}
		}
	}
	for n := lowest - 1; n >= 1; n-- {
		if !used[n] {
			return n
		}
	}
	return 1
}

// fixNACL adds the one missing allow rule: direction, ports and peer CIDR as evaluated.
func (a *Analyzer) fixNACL(aclID string, egress bool, from, to int32, peer destSet) *finding.Remediation {
	var acl *ec2types.NetworkAcl
	for i := range a.s.Network.NetworkAcls {
		if deref(a.s.Network.NetworkAcls[i].NetworkAclId) == aclID {
			acl = &a.s.Network.NetworkAcls[i]
		}
	}
	cidr := "0.0.0.0/0"
	if !peer.public && len(peer.prefixes) == 1 {
		cidr = peer.prefixes[0].String()
	}
	n := int32(100)
	if acl != nil {
		n = freeRuleNumber(acl, egress)
	}
	dir, name := "--ingress", "ingress"
	if egress {
		dir, name = "--egress", "egress"
	}
	cmd := fmt.Sprintf("aws ec2 create-network-acl-entry --network-acl-id %s %s --rule-number %d --protocol tcp --port-range From=%d,To=%d --cidr-block %s --rule-action allow", aclID, dir, n, from, to, cidr)
	tf := fmt.Sprintf("resource \"aws_network_acl_rule\" \"https_%s\" {\n  network_acl_id = %q\n  egress         = %t\n  rule_number    = %d\n  protocol       = \"tcp\"\n  rule_action    = \"allow\"\n  cidr_block     = %q\n  from_port      = %d\n  to_port        = %d\n}\n", name, aclID, egress, n, cidr, from, to)
	ports := fmt.Sprintf("%d-%d", from, to)
	if from == to {
		ports = fmt.Sprint(from)
	}
	return rem(fmt.Sprintf("Network ACLs are stateless and evaluated in rule-number order, first match wins: add an %s allow rule for TCP %s numbered before the rule that blocks (rule %d is free and comes first). Replies need the ephemeral ports 1024-65535 allowed in the other direction.", name, ports, n),
		fmt.Sprintf("ネットワーク ACL はステートレスで、ルール番号の小さい順に評価され最初に一致したものが適用されます。拒否しているルールより前の番号（%d は空いていて先に評価されます）で、TCP %s の %s 許可ルールを追加してください。戻り通信には逆方向でエフェメラルポート 1024-65535 の許可が必要です。", n, ports, name),
		[]string{cmd}, tf, DocNACL)
}

func (a *Analyzer) endpointSG() string {
	for _, ep := range a.endpoints {
		if strings.EqualFold(string(ep.VpcEndpointType), "Interface") && len(ep.Groups) > 0 {
			return deref(ep.Groups[0].GroupId)
		}
	}
	return ""
}

// FixCreateInterface is the fix that creates interface endpoints for services (shared by the
// checks that find several missing at once).
func (a *Analyzer) FixCreateInterface(svcs ...Service) *finding.Remediation {
	return a.createInterfaceFix(a.newEndpointSetup(), svcs)
}

// fixCreateInterface is FixCreateInterface for one service, during a walk (a.mu held): the
// setup is the same for every endpoint a VPC lacks, and worked out once.
func (a *Analyzer) fixCreateInterface(svc Service) *finding.Remediation {
	if a.epSetup == nil {
		s := a.newEndpointSetup()
		a.epSetup = &s
	}
	return a.createInterfaceFix(*a.epSetup, []Service{svc})
}

// endpointSetup is where a fix that creates interface endpoints starts from: the security
// group to give them (an existing endpoint's, else one the commands create) and the task's
// subnets.
type endpointSetup struct {
	sg, sgRef, sgTF    string
	cmds               []string
	subnets, subnetsTF string
}

func (a *Analyzer) newEndpointSetup() endpointSetup {
	s := endpointSetup{sg: a.endpointSG(), subnets: a.taskSubnets(), subnetsTF: tfList(a.eni.SubnetIDs)}
	s.sgRef = s.sg
	s.sgTF = "aws_security_group.vpc_endpoints.id"
	if s.sg != "" {
		s.sgTF = tfSprintf("%q", s.sg)
	}
	if s.sg == "" {
		s.sgRef = "$ENDPOINT_SG"
		s.cmds = append(make([]string, 0, 1+len(a.eni.SecurityGroupIDs)),
			"ENDPOINT_SG=$(aws ec2 create-security-group --group-name vpc-endpoints --description 'HTTPS from ECS tasks to VPC endpoints' --vpc-id "+a.vpcID+" --query GroupId --output text)")
		for _, g := range a.eni.SecurityGroupIDs {
			s.cmds = append(s.cmds, "aws ec2 authorize-security-group-ingress --group-id \"$ENDPOINT_SG\" --protocol tcp --port 443 --source-group "+g)
		}
	}
	return s
}

func (a *Analyzer) createInterfaceFix(setup endpointSetup, svcs []Service) *finding.Remediation {
	cmds := append(make([]string, 0, len(setup.cmds)+len(svcs)), setup.cmds...)
	var tf strings.Builder
	for _, svc := range svcs {
		if svc == S3 {
			continue
		}
		name := ServiceName(a.s.Region, svc)
		cmds = append(cmds, "aws ec2 create-vpc-endpoint --vpc-id "+a.vpcID+" --service-name "+name+" --vpc-endpoint-type Interface --subnet-ids "+setup.subnets+" --security-group-ids "+setup.sgRef+" --private-dns-enabled")
		tfAppend(&tf, "resource \"aws_vpc_endpoint\" %q {\n  vpc_id              = %q\n  service_name        = %q\n  vpc_endpoint_type   = \"Interface\"\n  subnet_ids          = %s\n  security_group_ids  = [%s]\n  private_dns_enabled = true\n}\n\n",
			strings.ReplaceAll(string(svc), ".", "_"), a.vpcID, name, setup.subnetsTF, setup.sgTF)
	}
	return rem("Create the missing interface VPC endpoints in the task's subnets, with private DNS enabled and a security group that allows TCP 443 from the task.",
		"不足しているインターフェイス VPC エンドポイントを、プライベート DNS を有効にし、タスクからの TCP 443 を許可するセキュリティグループを付けて、タスクのサブネットに作成してください。",
		cmds, strings.TrimSuffix(tf.String(), "\n"), DocECREndpoints)
}

func (a *Analyzer) fixPrivateDNS(epID string) *finding.Remediation {
	return rem("Enable private DNS on "+epID+" so the service's public name resolves to the endpoint (the VPC needs enableDnsSupport and enableDnsHostnames).",
		epID+" のプライベート DNS を有効にして、サービスのパブリック名がエンドポイントに解決されるようにしてください（VPC の enableDnsSupport と enableDnsHostnames が必要です）。",
		[]string{"aws ec2 modify-vpc-endpoint --vpc-endpoint-id " + epID + " --private-dns-enabled"},
		"resource \"aws_vpc_endpoint\" \"this\" {\n  # id "+epID+"\n  private_dns_enabled = true\n}\n", DocPrivateDNS)
}

func (a *Analyzer) fixVPCDNS(support, hostnames bool) *finding.Remediation {
	var cmds []string
	if support || !hostnames {
		cmds = append(cmds, "aws ec2 modify-vpc-attribute --vpc-id "+a.vpcID+" --enable-dns-support '{\"Value\":true}'")
	}
	if hostnames || !support {
		cmds = append(cmds, "aws ec2 modify-vpc-attribute --vpc-id "+a.vpcID+" --enable-dns-hostnames '{\"Value\":true}'")
	}
	return rem("Turn on the VPC's DNS attributes (both are needed for endpoint private DNS).",
		"VPC の DNS 属性を有効にしてください（エンドポイントのプライベート DNS には両方が必要です）。",
		cmds, "resource \"aws_vpc\" \"this\" {\n  # id "+a.vpcID+"\n  enable_dns_support   = true\n  enable_dns_hostnames = true\n}\n", DocVPCDNS)
}

func (a *Analyzer) fixEndpointSubnet(epID string) *finding.Remediation {
	return rem("Add the task's subnet(s) to "+epID+" so it has a network interface in the task's AZ.",
		epID+" にタスクのサブネットを追加し、タスクの AZ にネットワークインターフェイスを持たせてください。",
		[]string{"aws ec2 modify-vpc-endpoint --vpc-endpoint-id " + epID + " --add-subnet-ids " + a.taskSubnets()},
		"resource \"aws_vpc_endpoint_subnet_association\" \"task\" {\n  vpc_endpoint_id = \""+epID+"\"\n  subnet_id       = \""+a.SubnetID()+"\"\n}\n", DocECREndpoints)
}

func (a *Analyzer) fixEndpointSG(sg string) *finding.Remediation {
	var cmds []string
	var tf strings.Builder
	for _, g := range a.eni.SecurityGroupIDs {
		cmds = append(cmds, "aws ec2 authorize-security-group-ingress --group-id "+sg+" --protocol tcp --port 443 --source-group "+g)
		tfAppend(&tf, "resource \"aws_vpc_security_group_ingress_rule\" \"https_from_task\" {\n  security_group_id            = %q\n  referenced_security_group_id = %q\n  ip_protocol                  = \"tcp\"\n  from_port                    = 443\n  to_port                      = 443\n}\n", sg, g)
	}
	return rem("Allow inbound TCP 443 on the endpoint security group "+sg+" from the task's security group(s).",
		"エンドポイントのセキュリティグループ "+sg+" で、タスクのセキュリティグループからのインバウンド TCP 443 を許可してください。",
		cmds, tf.String(), DocECREndpoints, DocSG)
}

func (a *Analyzer) fixS3Gateway(rtID, epID string) *finding.Remediation {
	if epID != "" {
		return rem("Associate the S3 gateway endpoint "+epID+" with "+rtID+", the route table of "+a.SubnetID()+".",
			"S3 ゲートウェイエンドポイント "+epID+" を "+a.SubnetID()+" のルートテーブル "+rtID+" に関連付けてください。",
			[]string{"aws ec2 modify-vpc-endpoint --vpc-endpoint-id " + epID + " --add-route-table-ids " + rtID},
			tfSprintf("resource \"aws_vpc_endpoint_route_table_association\" \"s3\" {\n  vpc_endpoint_id = %q\n  route_table_id  = %q\n}\n", epID, rtID), DocS3Gateway, DocECREndpoints)
	}
	name := ServiceName(a.s.Region, S3)
	return rem("Create an S3 gateway endpoint on "+rtID+": ECR serves image layers from S3 ("+LayerBucket(a.s.Region)+").",
		rtID+" に S3 ゲートウェイエンドポイントを作成してください。ECR はイメージのレイヤーを S3（"+LayerBucket(a.s.Region)+"）から配信します。",
		[]string{"aws ec2 create-vpc-endpoint --vpc-id " + a.vpcID + " --service-name " + name + " --vpc-endpoint-type Gateway --route-table-ids " + rtID},
		tfSprintf("resource \"aws_vpc_endpoint\" \"s3\" {\n  vpc_id            = %q\n  service_name      = %q\n  vpc_endpoint_type = \"Gateway\"\n  route_table_ids   = [%q]\n}\n", a.vpcID, name, rtID), DocS3Gateway, DocECREndpoints)
}

func (a *Analyzer) fixEndpointPolicy(epID string, d Destination) *finding.Remediation {
	res := d.Resources
	if len(res) == 0 {
		res = []string{"*"}
	}
	stmts := []map[string]any{{"Sid": "AllowECSImagePull", "Effect": "Allow", "Principal": "*", "Action": d.Actions, "Resource": res}}
	if d.Service == ECRAPI {
		stmts[0]["Resource"] = "*"
	}
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	r := rem("Let the endpoint policy of "+epID+" allow "+strings.Join(d.Actions, ", ")+" (merge this statement into the existing policy; remove any Deny that matches).",
		epID+" のエンドポイントポリシーで "+strings.Join(d.Actions, ", ")+" を許可してください（既存のポリシーにこのステートメントを追加し、該当する Deny を取り除きます）。",
		[]string{"aws ec2 modify-vpc-endpoint --vpc-endpoint-id " + epID + " --policy-document file://endpoint-policy.json"},
		tfSprintf("resource \"aws_vpc_endpoint_policy\" \"this\" {\n  vpc_endpoint_id = %q\n  policy          = jsonencode(%s)\n}\n", epID, string(doc)), DocEndpointPolicy, DocECREndpoints)
	r.Policy = doc
	return r
}
