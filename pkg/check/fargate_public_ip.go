package check

import (
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// FargatePublicIP catches seed cause 6: a Fargate task in a public subnet (default route to
// an internet gateway) without assignPublicIp=ENABLED has no address to reach the internet
// with, so the pull times out, unless VPC endpoints serve every registry it needs.
type FargatePublicIP struct{}

// Meta implements Check.
func (FargatePublicIP) Meta() Meta {
	return Meta{
		ID: "fargate-public-ip", Cause: cause.PublicIPMissing, Severity: finding.Error,
		Title:       "A Fargate task in a public subnet gets a public IP",
		TitleJA:     "パブリックサブネットの Fargate タスクにパブリック IP が割り当てられている",
		Description: "For Fargate tasks: resolves the task subnet's route table (explicit association, else the VPC's main table). When the default route goes to an internet gateway, the task needs `assignPublicIp=ENABLED` (or VPC endpoints for every registry it pulls from); a NAT gateway route makes the public IP unnecessary.",
		Needs:       []string{"ecs:DescribeTasks", "ec2:DescribeSubnets", "ec2:DescribeRouteTables", "ec2:DescribeNetworkInterfaces"},
	}
}

// Run implements Check.
func (c FargatePublicIP) Run(s *snapshot.Snapshot) []finding.Finding {
	m := c.Meta()
	if !s.IsFargate() {
		return []finding.Finding{newFinding(m, finding.NotApplicable, "not a Fargate task", "Fargate タスクではありません")}
	}
	eni, ok := s.ENI()
	if !ok {
		if g := s.FirstGap("ecs:DescribeTasks", "ec2:DescribeNetworkInterfaces", "ecs:DescribeServices"); g != nil {
			return []finding.Finding{unknownFromGap(m, g, "the task's network configuration", "タスクのネットワーク設定")}
		}
		return []finding.Finding{unknownMissing(m, []string{"ecs:DescribeTasks", "ecs:DescribeServices"}, "the task's subnet", "タスクのサブネット")}
	}
	subnetID := eni.SubnetIDs[0]
	subnet := s.Subnet(subnetID)
	if subnet == nil {
		if g := s.Gap("ec2:DescribeSubnets", ""); g != nil {
			return []finding.Finding{unknownFromGap(m, g, "subnet "+subnetID, "サブネット "+subnetID)}
		}
		return []finding.Finding{unknownMissing(m, []string{"ec2:DescribeSubnets"}, "subnet "+subnetID, "サブネット "+subnetID)}
	}
	vpcID := deref(subnet.VpcId)
	rt, explicit := s.RouteTableFor(subnetID, vpcID)
	if rt == nil {
		if g := s.Gap("ec2:DescribeRouteTables", ""); g != nil {
			return []finding.Finding{unknownFromGap(m, g, "the route table of "+subnetID, subnetID+" のルートテーブル")}
		}
		return []finding.Finding{unknownMissing(m, []string{"ec2:DescribeRouteTables"}, "the route table of "+subnetID, subnetID+" のルートテーブル")}
	}
	assoc := "main route table of " + vpcID
	if explicit {
		assoc = "explicitly associated"
	}
	route := defaultRoute(rt)
	rtID := deref(rt.RouteTableId)
	ev := []finding.Evidence{{Source: "ec2:DescribeRouteTables", Ref: rtID, Key: "association", Value: subnetID + " (" + assoc + ")"}}
	if route == nil {
		f := newFinding(m, finding.NotApplicable,
			"subnet "+subnetID+" has no default route, so it is not a public subnet (see subnet-egress-path)",
			"サブネット "+subnetID+" にはデフォルトルートがなく、パブリックサブネットではありません（subnet-egress-path を参照）")
		f.Evidence = ev
		return []finding.Finding{f}
	}
	target := routeTarget(*route)
	ev = append(ev, finding.Evidence{Source: "ec2:DescribeRouteTables", Ref: rtID, Key: "route", Value: "0.0.0.0/0 → " + target})
	if !strings.HasPrefix(target, "igw-") {
		f := newFinding(m, finding.NotApplicable,
			"subnet "+subnetID+" reaches the internet through "+target+", not an internet gateway: no public IP needed",
			"サブネット "+subnetID+" は "+target+" 経由でインターネットへ出るため、パブリック IP は不要です")
		f.Evidence = ev
		return []finding.Finding{f}
	}
	path := subnetID + " → " + rtID + " (0.0.0.0/0 → " + target + ")"
	if eni.PublicIP != "" || (eni.AssignPublicIP != nil && *eni.AssignPublicIP) {
		v := "ENABLED"
		if eni.PublicIP != "" {
			v = eni.PublicIP
		}
		f := newFinding(m, finding.Pass,
			"public subnet "+subnetID+" and the task has a public IP ("+v+")",
			"パブリックサブネット "+subnetID+" で、タスクにパブリック IP があります（"+v+"）")
		f.Evidence = append(ev, finding.Evidence{Source: "ecs:DescribeTasks", Ref: eni.ENIID, Key: "publicIp", Value: v})
		f.Path = path + " → internet"
		return []finding.Finding{f}
	}
	if eni.AssignPublicIP == nil && eni.Source == "task-eni" && s.NetworkInterface(eni.ENIID) == nil {
		// The ENI of a stopped task is deleted with it; without the service's setting we
		// cannot tell whether it had a public IP.
		return []finding.Finding{unknownMissing(m, []string{"ecs:DescribeServices", "ec2:DescribeNetworkInterfaces"},
			"whether the task had a public IP", "タスクにパブリック IP があったかどうか")}
	}
	if endpointsServeAll(s, vpcID, rtID) {
		f := newFinding(m, finding.Pass,
			"public subnet "+subnetID+" without a public IP, but VPC endpoints (ecr.api, ecr.dkr, S3 gateway) serve every image",
			"パブリックサブネット "+subnetID+" でパブリック IP はありませんが、VPC エンドポイント（ecr.api、ecr.dkr、S3 ゲートウェイ）ですべてのイメージを取得できます")
		f.Evidence = ev
		return []finding.Finding{f}
	}
	f := newFinding(m, finding.Fail,
		"Fargate task in public subnet "+subnetID+" (0.0.0.0/0 → "+target+") without a public IP: it cannot reach the registry",
		"Fargate タスクがパブリックサブネット "+subnetID+"（0.0.0.0/0 → "+target+"）にありますが、パブリック IP がないためレジストリに到達できません")
	f.Evidence = append(ev, finding.Evidence{Source: eniSource(eni), Ref: eni.ENIID, Key: "assignPublicIp", Value: "DISABLED"})
	f.Path = path + " → (no public IP: dropped)"
	f.Remediation = publicIPRemediation(s, eni)
	return []finding.Finding{f}
}

func eniSource(e snapshot.ENIContext) string {
	if e.Source == "service" {
		return "ecs:DescribeServices"
	}
	return "ecs:DescribeTasks"
}

// defaultRoute is the active route for 0.0.0.0/0, the one a public registry address matches
// when no more specific route exists.
func defaultRoute(rt *ec2types.RouteTable) *ec2types.Route {
	for i := range rt.Routes {
		r := &rt.Routes[i]
		if deref(r.DestinationCidrBlock) == "0.0.0.0/0" && r.State != ec2types.RouteStateBlackhole {
			return r
		}
	}
	return nil
}

// routeTarget names where a route sends traffic.
func routeTarget(r ec2types.Route) string {
	for _, p := range []*string{r.NatGatewayId, r.TransitGatewayId, r.VpcPeeringConnectionId, r.NetworkInterfaceId,
		r.InstanceId, r.EgressOnlyInternetGatewayId, r.LocalGatewayId, r.CarrierGatewayId, r.GatewayId} {
		if p != nil && *p != "" {
			return *p
		}
	}
	return "?"
}

// endpointsServeAll reports whether every image is a private ECR image in the task's region
// and the VPC has available ecr.api and ecr.dkr interface endpoints with private DNS plus an
// S3 gateway endpoint on the route table: then no internet access is needed for the pull.
func endpointsServeAll(s *snapshot.Snapshot, vpcID, rtID string) bool {
	containers := s.Containers()
	if len(containers) == 0 {
		return false
	}
	for _, cd := range containers {
		ref, err := imageref.Parse(deref(cd.Image))
		if err != nil || ref.Kind != imageref.KindECR || ref.Region != s.Region {
			return false
		}
	}
	var api, dkr, s3 bool
	for _, ep := range s.Network.VpcEndpoints {
		if deref(ep.VpcId) != vpcID || !strings.EqualFold(string(ep.State), "available") {
			continue
		}
		svc := deref(ep.ServiceName)
		private := ep.PrivateDnsEnabled != nil && *ep.PrivateDnsEnabled
		switch {
		case strings.HasSuffix(svc, ".ecr.api") && private:
			api = true
		case strings.HasSuffix(svc, ".ecr.dkr") && private:
			dkr = true
		case strings.HasSuffix(svc, ".s3") && ep.VpcEndpointType == ec2types.VpcEndpointTypeGateway:
			for _, id := range ep.RouteTableIds {
				if id == rtID {
					s3 = true
				}
			}
		}
	}
	return api && dkr && s3
}

func publicIPRemediation(s *snapshot.Snapshot, eni snapshot.ENIContext) *finding.Remediation {
	cluster := s.Target.Cluster
	if cluster == "" {
		cluster = "CLUSTER"
	}
	service := s.Target.Service
	if service == "" && s.Service != nil {
		service = deref(s.Service.ServiceName)
	}
	if service == "" {
		service = "SERVICE"
	}
	netcfg := "awsvpcConfiguration={subnets=[" + strings.Join(eni.SubnetIDs, ",") + "],securityGroups=[" + strings.Join(eni.SecurityGroupIDs, ",") + "],assignPublicIp=ENABLED}"
	return &finding.Remediation{
		Text:   "Either give the task a public IP (assignPublicIp=ENABLED in the service's or run-task's network configuration), or run it in a private subnet whose default route goes to a NAT gateway, or add VPC endpoints (ecr.api, ecr.dkr, S3 gateway, logs) so it needs no internet access.",
		TextJA: "タスクにパブリック IP を割り当てる（サービスまたは run-task のネットワーク設定で assignPublicIp=ENABLED）、デフォルトルートが NAT ゲートウェイを向くプライベートサブネットで実行する、または VPC エンドポイント（ecr.api、ecr.dkr、S3 ゲートウェイ、logs）を追加してインターネット接続を不要にしてください。",
		Commands: []string{
			"aws ecs update-service --cluster " + cluster + " --service " + service + " --network-configuration \"" + netcfg + "\" --force-new-deployment",
		},
		Terraform: `# in aws_ecs_service "` + service + `":
network_configuration {
  subnets          = ["` + strings.Join(eni.SubnetIDs, `", "`) + `"]
  security_groups  = ["` + strings.Join(eni.SecurityGroupIDs, `", "`) + `"]
  assign_public_ip = true
}`,
		Links: []string{
			"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html",
			"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html",
		},
	}
}
