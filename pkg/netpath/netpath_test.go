package netpath

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
)

func dest(svc Service) Destination {
	switch svc {
	case Internet:
		return Destination{Service: Internet, Host: "registry-1.docker.io"}
	case S3:
		return Destination{Service: S3, Host: "s3", Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::prod-ap-northeast-1-starport-layer-bucket/*"}}
	}
	return Destination{Service: svc, Host: string(svc), Actions: []string{"ecr:BatchGetImage"}, Resources: []string{"arn:aws:ecr:ap-northeast-1:123456789012:repository/my-app"}}
}

func TestReach(t *testing.T) {
	tests := []struct {
		name      string
		snap      *snaptest.Snap
		svc       Service
		want      Status
		via       Via
		blockedAt Layer
		path      string // substring
	}{
		{name: "nat path", snap: snaptest.PrivateVPC().WithNAT(), svc: Internet, want: OK, via: ViaNATGateway,
			path: "subnet-0a1 (ap-northeast-1a) → rtb-0priv (0.0.0.0/0 → nat-0aaa, available) → nat-0aaa in subnet-0pub → rtb-0pub (0.0.0.0/0 → igw-0main)"},
		{name: "no route", snap: snaptest.PrivateVPC(), svc: ECRDKR, want: Blocked, blockedAt: LayerRoute, path: "rtb-0main (main, no route to 0.0.0.0/0)"},
		{name: "no route: endpoint step blocks too", snap: snaptest.PrivateVPC(), svc: ECRDKR, want: Blocked, blockedAt: LayerEndpoint},
		{name: "endpoints, no nat", snap: snaptest.PrivateVPC().WithECREndpoints("rtb-0main"), svc: ECRDKR, want: OK, via: ViaInterfaceEndpoint, path: "vpce-0dkr (com.amazonaws.ap-northeast-1.ecr.dkr, private DNS, ENI in subnet-0a1 ap-northeast-1a)"},
		{name: "s3 gateway", snap: snaptest.PrivateVPC().WithECREndpoints("rtb-0main"), svc: S3, want: OK, via: ViaGatewayEndpoint, path: "rtb-0main (main, pl-61a54008 → vpce-0s3)"},
		{name: "s3 gateway on another table", snap: snaptest.PrivateVPC().
			RouteTable("rtb-0other", "vpc-0123", false, []string{"subnet-0c1"}, snaptest.Route{Dest: "10.0.0.0/16", Target: "local"}).
			WithECREndpoints("rtb-0other"), svc: S3, want: Blocked, blockedAt: LayerS3Gateway},
		{name: "explicit association overrides main", snap: snaptest.PrivateVPC().IGW("igw-0main", "vpc-0123").
			RouteTable("rtb-0pub", "vpc-0123", true, nil, snaptest.Route{Dest: "0.0.0.0/0", Target: "igw-0main"}).
			RouteTable("rtb-0iso", "vpc-0123", false, []string{"subnet-0a1"}, snaptest.Route{Dest: "10.0.0.0/16", Target: "local"}),
			svc: Internet, want: Blocked, blockedAt: LayerRoute, path: "rtb-0iso (no route to 0.0.0.0/0)"},
		{name: "nat in private subnet", snap: snaptest.PrivateVPC().IGW("igw-0main", "vpc-0123").
			NAT("nat-0bad", "vpc-0123", "subnet-0c1", "available").
			RouteTable("rtb-0priv", "vpc-0123", false, []string{"subnet-0a1"}, snaptest.Route{Dest: "0.0.0.0/0", Target: "nat-0bad"}),
			svc: Internet, want: Blocked, blockedAt: LayerNAT, path: "nat-0bad in subnet-0c1 → rtb-0main (main, no route to 0.0.0.0/0)"},
		{name: "nat failed", snap: snaptest.PrivateVPC().IGW("igw-0main", "vpc-0123").
			NAT("nat-0f", "vpc-0123", "subnet-0pub", "failed").
			RouteTable("rtb-0priv", "vpc-0123", false, []string{"subnet-0a1"}, snaptest.Route{Dest: "0.0.0.0/0", Target: "nat-0f"}),
			svc: Internet, want: Blocked, blockedAt: LayerNAT},
		{name: "blackhole", snap: snaptest.PrivateVPC().
			RouteTable("rtb-0priv", "vpc-0123", false, []string{"subnet-0a1"}, snaptest.Route{Dest: "0.0.0.0/0", Target: "nat-0gone", State: "blackhole"}),
			svc: Internet, want: Blocked, blockedAt: LayerRoute},
		{name: "transit gateway leaves the model", snap: snaptest.PrivateVPC().
			RouteTable("rtb-0priv", "vpc-0123", false, []string{"subnet-0a1"}, snaptest.Route{Dest: "0.0.0.0/0", Target: "tgw-0abc"}),
			svc: Internet, want: Unknown, via: ViaOutsideModel},
		{name: "fargate public subnet without public ip", snap: snaptest.PrivateVPC().IGW("igw-0main", "vpc-0123").
			RouteTable("rtb-0pub", "vpc-0123", false, []string{"subnet-0a1"}, snaptest.Route{Dest: "0.0.0.0/0", Target: "igw-0main"}),
			svc: Internet, want: Blocked, blockedAt: LayerPublicIP},
		{name: "sg egress to vpc only: endpoints fine", snap: func() *snaptest.Snap {
			b := snaptest.PrivateVPC().WithECREndpoints("rtb-0main")
			b.S.Network.SecurityGroups[0].IpPermissionsEgress = []ec2types.IpPermission{snaptest.TCP(443, 443, "10.0.0.0/16")}
			return b
		}(), svc: ECRAPI, want: OK, via: ViaInterfaceEndpoint},
		{name: "sg egress to vpc only: s3 blocked", snap: func() *snaptest.Snap {
			b := snaptest.PrivateVPC().WithECREndpoints("rtb-0main")
			b.S.Network.SecurityGroups[0].IpPermissionsEgress = []ec2types.IpPermission{snaptest.TCP(443, 443, "10.0.0.0/16")}
			return b
		}(), svc: S3, want: Blocked, blockedAt: LayerSGEgress},
		{name: "sg egress to prefix list: s3 ok", snap: func() *snaptest.Snap {
			b := snaptest.PrivateVPC().WithECREndpoints("rtb-0main")
			b.S.Network.SecurityGroups[0].IpPermissionsEgress = []ec2types.IpPermission{snaptest.TCP(443, 443, "10.0.0.0/16"), snaptest.TCPToPrefixList(443, 443, snaptest.S3PrefixList)}
			return b
		}(), svc: S3, want: OK},
		{name: "nacl deny before allow", snap: func() *snaptest.Snap {
			b := snaptest.PrivateVPC().WithNAT()
			b.S.Network.NetworkAcls = nil
			return b.NACL("acl-0x", "vpc-0123", false, []string{"subnet-0a1"},
				snaptest.NACLRule{Num: 90, Egress: true, Proto: "6", From: 443, To: 443, CIDR: "0.0.0.0/0"},
				snaptest.NACLRule{Num: 100, Egress: true, Allow: true, Proto: "-1", CIDR: "0.0.0.0/0"},
				snaptest.NACLRule{Num: 100, Allow: true, Proto: "-1", CIDR: "0.0.0.0/0"})
		}(), svc: Internet, want: Blocked, blockedAt: LayerNACL},
		{name: "nacl no ephemeral ingress", snap: func() *snaptest.Snap {
			b := snaptest.PrivateVPC().WithNAT()
			b.S.Network.NetworkAcls = nil
			return b.NACL("acl-0x", "vpc-0123", false, []string{"subnet-0a1"},
				snaptest.NACLRule{Num: 100, Egress: true, Allow: true, Proto: "-1", CIDR: "0.0.0.0/0"},
				snaptest.NACLRule{Num: 100, Allow: true, Proto: "6", From: 443, To: 443, CIDR: "0.0.0.0/0"})
		}(), svc: Internet, want: Blocked, blockedAt: LayerNACL},
		{name: "endpoint sg without 443 from task", snap: func() *snaptest.Snap {
			b := snaptest.PrivateVPC().WithECREndpoints("rtb-0main")
			b.S.Network.SecurityGroups[1].IpPermissions = []ec2types.IpPermission{snaptest.TCP(443, 443, "10.0.200.0/24")}
			return b
		}(), svc: ECRDKR, want: Blocked, blockedAt: LayerEndpointSG},
		{name: "endpoint in other az only: warn", snap: func() *snaptest.Snap {
			b := snaptest.PrivateVPC().WithECREndpoints("rtb-0main")
			for i := range b.S.Network.VpcEndpoints {
				if b.S.Network.VpcEndpoints[i].VpcEndpointType == "Interface" {
					b.S.Network.VpcEndpoints[i].SubnetIds = []string{"subnet-0c1"}
				}
			}
			return b
		}(), svc: ECRDKR, want: OK, via: ViaInterfaceEndpoint},
		{name: "endpoint subnet NACL blocks 443 in", snap: func() *snaptest.Snap {
			b := snaptest.PrivateVPC().WithECREndpoints("rtb-0main")
			for i := range b.S.Network.VpcEndpoints {
				if b.S.Network.VpcEndpoints[i].VpcEndpointType == "Interface" {
					b.S.Network.VpcEndpoints[i].SubnetIds = []string{"subnet-0c1"}
				}
			}
			return b.NACL("acl-0ep", "vpc-0123", false, []string{"subnet-0c1"},
				snaptest.NACLRule{Num: 100, Egress: true, Allow: true, Proto: "-1", CIDR: "0.0.0.0/0"},
				snaptest.NACLRule{Num: 100, Allow: true, Proto: "6", From: 1024, To: 65535, CIDR: "0.0.0.0/0"})
		}(), svc: ECRDKR, want: Blocked, blockedAt: LayerNACL},
		{name: "private dns off, nat exists", snap: snaptest.PrivateVPC().WithNAT().
			Endpoint("vpce-0dkr", "vpc-0123", "com.amazonaws.ap-northeast-1.ecr.dkr", "Interface", false, []string{"subnet-0a1"}, "sg-vpce"),
			svc: ECRDKR, want: OK, via: ViaNATGateway},
		{name: "private dns off, no nat", snap: snaptest.PrivateVPC().
			Endpoint("vpce-0dkr", "vpc-0123", "com.amazonaws.ap-northeast-1.ecr.dkr", "Interface", false, []string{"subnet-0a1"}, "sg-vpce"),
			svc: ECRDKR, want: Blocked, blockedAt: LayerPrivateDNS},
		{name: "broken endpoint breaks pull despite nat", snap: func() *snaptest.Snap {
			b := snaptest.PrivateVPC().WithNAT().WithECREndpoints("rtb-0priv")
			b.S.Network.SecurityGroups[1].IpPermissions = nil
			return b
		}(), svc: ECRAPI, want: Blocked, blockedAt: LayerEndpointSG},
		{name: "endpoint policy denies", snap: snaptest.PrivateVPC().WithECREndpoints("rtb-0main").
			EndpointPolicy("vpce-0s3", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}]}`),
			svc: S3, want: Blocked, blockedAt: LayerEndpointPolicy},
		{name: "vpc dns off", snap: snaptest.PrivateVPC().WithNAT().VPCDNS("vpc-0123", aws.Bool(false), aws.Bool(false)),
			svc: Internet, want: Blocked, blockedAt: LayerDNS},
		{name: "vpc attrs unread", snap: snaptest.PrivateVPC().WithNAT().VPCDNS("vpc-0123", nil, nil).Gap("ec2:DescribeVpcAttribute", "UnauthorizedOperation", ""),
			svc: Internet, want: Unknown},
		{name: "ec2: instance public ip via igw", snap: snaptest.New().EC2(snaptest.ExecRole, "bridge", snaptest.Container{Name: "app", Image: "nginx"}).
			Instance("i-0abc", "subnet-0a1", "ap-northeast-1a", "10.0.1.10", "", "sg-task").
			VPC("vpc-0123", "10.0.0.0/16").Subnet("subnet-0a1", "vpc-0123", "ap-northeast-1a", "10.0.1.0/24").IGW("igw-0main", "vpc-0123").
			RouteTable("rtb-0main", "vpc-0123", true, nil, snaptest.Route{Dest: "0.0.0.0/0", Target: "igw-0main"}).
			SG("sg-task", "vpc-0123", snaptest.AllTraffic(), nil).OpenNACL("acl-0def", "vpc-0123"),
			svc: Internet, want: Blocked, blockedAt: LayerPublicIP},
		{name: "ec2: instance missing", snap: snaptest.New().EC2(snaptest.ExecRole, "bridge", snaptest.Container{Name: "app", Image: "nginx"}).Gap("ec2:DescribeInstances", "AccessDenied", ""),
			svc: Internet, want: Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "ec2: instance missing" {
				tt.snap.S.Task.ContainerInstanceArn = aws.String("arn:aws:ecs:ap-northeast-1:123456789012:container-instance/prod/x")
			}
			r := New(tt.snap.Build()).Reach(dest(tt.svc))
			dump := func() string {
				var b strings.Builder
				b.WriteString(r.Path() + "\n")
				for _, st := range r.Steps {
					b.WriteString("  " + st.Layer.String() + " " + st.Status.String() + ": " + st.Message + "\n")
				}
				return b.String()
			}
			if r.Status != tt.want {
				t.Fatalf("status %s, want %s\n%s", r.Status, tt.want, dump())
			}
			if tt.via != "" && r.Via != tt.via {
				t.Errorf("via %s, want %s\n%s", r.Via, tt.via, dump())
			}
			if tt.blockedAt != 0 {
				st := r.Step(tt.blockedAt)
				if st == nil || st.Status != Blocked {
					t.Errorf("want %s blocked\n%s", tt.blockedAt, dump())
				} else if st.Fix == nil || len(st.Fix.Commands) == 0 {
					t.Errorf("blocked step %s has no fix", tt.blockedAt)
				}
			}
			if tt.path != "" && !strings.Contains(r.Path(), tt.path) {
				t.Errorf("path %q lacks %q", r.Path(), tt.path)
			}
			for _, st := range r.Steps {
				if (st.Message == "" || st.MessageJA == "") && st.Status != Skipped {
					t.Errorf("step %s lacks a message: %+v", st.Layer, st)
				}
				if st.Status == Unknown && len(st.Needs) == 0 && !strings.Contains(st.Message, "leaves the model") && !strings.Contains(st.Message, "Condition") {
					t.Errorf("unknown step %s names no permission", st.Layer)
				}
			}
		})
	}
}

func TestServiceName(t *testing.T) {
	for _, tc := range []struct {
		region string
		svc    Service
		want   string
	}{
		{"ap-northeast-1", ECRDKR, "com.amazonaws.ap-northeast-1.ecr.dkr"},
		{"cn-north-1", ECRAPI, "cn.com.amazonaws.cn-north-1.ecr.api"},
		{"cn-northwest-1", Logs, "com.amazonaws.cn-northwest-1.logs"},
		{"cn-north-1", S3, "com.amazonaws.cn-north-1.s3"},
		{"us-gov-west-1", ECRDKR, "com.amazonaws.us-gov-west-1.ecr.dkr"},
	} {
		if got := ServiceName(tc.region, tc.svc); got != tc.want {
			t.Errorf("ServiceName(%s, %s) = %s, want %s", tc.region, tc.svc, got, tc.want)
		}
	}
}

func TestPolicyDecide(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
	for _, tc := range []struct {
		doc  string
		want tri
	}{
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, yes},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::prod-ap-northeast-1-starport-layer-bucket/*"}]}`, yes},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`, no},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`, no},
		{`{"Statement":{"Effect":"Allow","Principal":{"AWS":"` + role + `"},"Action":"s3:Get*","Resource":"*"}}`, yes},
		{`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"*","Resource":"*"}]}`, no},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}}]}`, maybe},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":"s3:GetObject","Resource":"*"}]}`, no},
	} {
		p, err := parsePolicy(tc.doc)
		if err != nil {
			t.Fatal(err)
		}
		if got, why := p.decide("s3:GetObject", "arn:aws:s3:::prod-ap-northeast-1-starport-layer-bucket/abc", role, "123456789012"); got != tc.want {
			t.Errorf("%s: got %d (%s), want %d", tc.doc, got, why, tc.want)
		}
	}
	if _, err := parsePolicy(`{"Statement":`); err == nil {
		t.Error("want a parse error")
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"*", "abc", true}, {"a*c", "abbbc", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", true}, {"arn:aws:s3:::b", "arn:aws:s3:::b/x", false},
		{"*", "*", true}, {"arn:*", "*", false},
	} {
		if got := glob(tc.p, tc.s); got != tc.want {
			t.Errorf("glob(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func TestNeeded(t *testing.T) {
	s := snaptest.New().Fargate(snaptest.ExecRole,
		snaptest.Container{Name: "app", Image: snaptest.ECRImage, Secrets: map[string]string{"DB": "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf"},
			LogDriver: "awslogs", LogOptions: map[string]string{"awslogs-group": "/ecs/app"}},
		snaptest.Container{Name: "proxy", Image: "nginx:1.27", Secrets: map[string]string{"K": "arn:aws:ssm:ap-northeast-1:123456789012:parameter/k"}}).Build()
	var got []string
	for _, d := range Needed(s) {
		got = append(got, d.Name())
	}
	want := "ecr.api ecr.dkr s3 secretsmanager logs registry-1.docker.io ssm"
	if strings.Join(got, " ") != want {
		t.Errorf("Needed = %v, want %s", got, want)
	}
}

// tfSprintf stands in for fmt.Sprintf in the fixes' Terraform: same text, odd ids included.
func TestTFSprintf(t *testing.T) {
	format := "resource \"x\" %q {\n  a = %q\n  b = [%s]\n}\n"
	for _, args := range [][]string{
		{"ecr_api", "vpc-0123", "\"sg-1\""},
		{"", "quote\"back\\slash", ""},
		{"tab\there", "日本語", "é\x01"},
	} {
		want := fmt.Sprintf(format, args[0], args[1], args[2])
		if got := tfSprintf(format, args...); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
