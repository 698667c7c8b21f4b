package collect_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/pulldoctor/pulldoctor/internal/awstest"
	"github.com/pulldoctor/pulldoctor/pkg/collect"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

func seed(t *testing.T, m *awstest.Moto, sc awstest.Scenario) *awstest.Seeded {
	t.Helper()
	sd, err := awstest.Seed(awstest.Ctx(t), m.URL, sc)
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

func mustJSON(t *testing.T, s *snapshot.Snapshot) string {
	t.Helper()
	b, err := snapshot.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snapshot.Unmarshal(b); err != nil {
		t.Fatalf("snapshot does not round-trip: %v", err)
	}
	return string(b)
}

func TestSeedCauses(t *testing.T) {
	tests := []struct {
		name  string
		sc    awstest.Scenario
		opt   func(*collect.Options)
		check func(t *testing.T, sd *awstest.Seeded, s *snapshot.Snapshot, js string)
	}{{
		name: "missing ECR permissions",
		sc:   awstest.Scenario{ExecPolicy: "logs-only", PushTag: true, NAT: true, StoppedReason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth"},
		check: func(t *testing.T, sd *awstest.Seeded, s *snapshot.Snapshot, js string) {
			r := s.Role(sd.ExecRoleARN)
			if r == nil || len(r.AttachedPolicies) != 1 || len(r.InlinePolicies) != 1 {
				t.Fatalf("execution role with one attached and one inline policy expected, got %+v", r)
			}
			doc := string(r.AttachedPolicies[0].Document)
			if !strings.Contains(doc, "logs:CreateLogStream") || strings.Contains(doc, "ecr:") || r.AttachedPolicies[0].VersionID != "v1" {
				t.Errorf("attached policy document not read from its default version: %+v %s", r.AttachedPolicies[0], doc)
			}
			if !strings.Contains(string(r.AssumeRolePolicyDocument), "ecs-tasks.amazonaws.com") {
				t.Errorf("trust policy: %s", r.AssumeRolePolicyDocument)
			}
			if !strings.HasPrefix(s.StoppedReason, "ResourceInitializationError") {
				t.Errorf("stopped reason %q", s.StoppedReason)
			}
			if len(s.Network.NatGateways) != 1 {
				t.Errorf("NAT gateways: %d", len(s.Network.NatGateways))
			}
		},
	}, {
		name: "managed policy, tag pushed, platforms",
		sc:   awstest.Scenario{ExecPolicy: "managed", PushTag: true, Env: map[string]string{"API_TOKEN": "s3cr3t-value"}},
		check: func(t *testing.T, sd *awstest.Seeded, s *snapshot.Snapshot, js string) {
			r := s.Role(sd.ExecRoleARN)
			if r == nil || len(r.AttachedPolicies) != 1 || !strings.Contains(string(r.AttachedPolicies[0].Document), "ecr:BatchGetImage") {
				t.Fatalf("managed policy document missing: %+v", r)
			}
			if strings.Contains(js, "s3cr3t-value") || !strings.Contains(js, collect.Redacted) {
				t.Error("environment value not redacted")
			}
			var plats []string
			for _, p := range s.ECR.ImagePlatforms {
				plats = p
			}
			if !slices.Equal(plats, []string{"linux/amd64", "linux/arm64/v8"}) {
				t.Errorf("platforms %v", s.ECR.ImagePlatforms)
			}
		},
	}, {
		name: "tag never pushed",
		sc:   awstest.Scenario{ExecPolicy: "managed", Tag: "v1.0.0", PushTag: false, StoppedReason: "CannotPullContainerError: Error response from daemon: manifest for my-app:v1.0.0 not found: manifest unknown: manifest unknown"},
		check: func(t *testing.T, sd *awstest.Seeded, s *snapshot.Snapshot, js string) {
			if len(s.ECR.Repositories) != 1 || !s.ECR.Repositories[0].ImagesComplete || s.ECR.Repositories[0].Policy != nil {
				t.Fatalf("repositories: %+v", s.ECR.Repositories)
			}
			var tags []string
			for _, im := range s.ECR.Images {
				tags = append(tags, im.ImageTags...)
			}
			if !slices.Equal(tags, []string{"v1.0.1"}) {
				t.Errorf("tags %v", tags)
			}
			if s.Gap("ecr:GetRepositoryPolicy", "") != nil {
				t.Error("no repository policy must not be a gap")
			}
		},
	}, {
		name: "private subnet without NAT or endpoints",
		sc:   awstest.Scenario{ExecPolicy: "managed", PushTag: true},
		check: func(t *testing.T, sd *awstest.Seeded, s *snapshot.Snapshot, js string) {
			c, ok := s.ENI()
			if !ok || c.SubnetIDs[0] != sd.Subnet || !slices.Contains(c.SecurityGroupIDs, sd.SecurityGroup) {
				t.Fatalf("ENI context %+v", c)
			}
			rt, explicit := s.RouteTableFor(sd.Subnet, sd.VPC)
			if rt == nil || !explicit || aws.ToString(rt.RouteTableId) != sd.RouteTable {
				t.Fatalf("route table for subnet: %+v", rt)
			}
			for _, r := range rt.Routes {
				if aws.ToString(r.GatewayId) != "local" {
					t.Errorf("unexpected route %+v", r)
				}
			}
			if len(s.Network.VpcEndpoints) != 0 || len(s.Network.NatGateways) != 0 || len(s.Network.InternetGateways) != 0 {
				t.Errorf("expected no egress: %d endpoints %d NAT %d IGW", len(s.Network.VpcEndpoints), len(s.Network.NatGateways), len(s.Network.InternetGateways))
			}
			v := s.VPC(sd.VPC)
			if v == nil || v.EnableDnsSupport == nil || !*v.EnableDnsSupport || v.EnableDnsHostnames == nil {
				t.Errorf("VPC DNS attributes not read: %+v", v)
			}
			if len(s.Network.PrefixLists) == 0 || len(s.Network.PrefixLists[0].Cidrs) == 0 {
				t.Errorf("S3 prefix list entries missing: %+v", s.Network.PrefixLists)
			}
		},
	}, {
		name: "endpoints present",
		sc:   awstest.Scenario{ExecPolicy: "managed", PushTag: true, Endpoints: true},
		check: func(t *testing.T, sd *awstest.Seeded, s *snapshot.Snapshot, js string) {
			if len(s.Network.VpcEndpoints) != 3 {
				t.Fatalf("endpoints: %d", len(s.Network.VpcEndpoints))
			}
			if len(s.Network.SecurityGroups) != 2 {
				t.Errorf("task and endpoint security groups expected, got %d", len(s.Network.SecurityGroups))
			}
		},
	}, {
		name: "cross-account repository policy, image in another region",
		sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, ImageRegion: "us-west-2",
			RepoPolicy: `{"Version":"2012-10-17","Statement":[{"Sid":"AllowCrossAccountPull","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::987654321098:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}`},
		check: func(t *testing.T, sd *awstest.Seeded, s *snapshot.Snapshot, js string) {
			if len(s.ECR.Repositories) != 1 {
				t.Fatalf("repositories: %+v", s.ECR.Repositories)
			}
			r := s.ECR.Repositories[0]
			if r.Region != "us-west-2" || !strings.Contains(aws.ToString(r.RepositoryArn), ":us-west-2:") {
				t.Errorf("repository not read in the image's region: %s %s", r.Region, aws.ToString(r.RepositoryArn))
			}
			if !strings.Contains(string(r.Policy), "987654321098") {
				t.Errorf("repository policy %s", r.Policy)
			}
		},
	}, {
		name: "Docker Hub image with repositoryCredentials",
		sc:   awstest.Scenario{ExecPolicy: "managed", DockerHubImage: "myuser/my-image:latest", NAT: true},
		check: func(t *testing.T, sd *awstest.Seeded, s *snapshot.Snapshot, js string) {
			sec := s.Secret(sd.SecretARN)
			if sec == nil || sec.Name != "dockerhub-credentials" || sec.Format != nil {
				t.Fatalf("secret metadata: %+v", s.Secrets)
			}
			if strings.Contains(js, "mytoken") {
				t.Error("secret value leaked into the snapshot")
			}
			if len(s.ECR.Repositories) != 0 {
				t.Error("no ECR reads expected for a Docker Hub image")
			}
		},
	}, {
		name: "Docker Hub secret format inspected",
		sc:   awstest.Scenario{ExecPolicy: "managed", DockerHubImage: "myuser/my-image:latest"},
		opt:  func(o *collect.Options) { o.InspectSecretFormat = true },
		check: func(t *testing.T, sd *awstest.Seeded, s *snapshot.Snapshot, js string) {
			sec := s.Secret(sd.SecretARN)
			if sec == nil || sec.Format == nil || !sec.Format.IsJSON || !sec.Format.HasUsername || !sec.Format.HasPassword {
				t.Fatalf("secret format: %+v", sec)
			}
			if strings.Contains(js, "mytoken") || strings.Contains(js, "myuser\"") {
				t.Error("secret value leaked into the snapshot")
			}
		},
	}, {
		name: "Fargate in a public subnet without a public IP",
		sc:   awstest.Scenario{ExecPolicy: "managed", PushTag: true, PublicSubnet: true, AssignPublicIP: false},
		check: func(t *testing.T, sd *awstest.Seeded, s *snapshot.Snapshot, js string) {
			rt, _ := s.RouteTableFor(sd.Subnet, sd.VPC)
			igw := false
			for _, r := range rt.Routes {
				if strings.HasPrefix(aws.ToString(r.GatewayId), "igw-") && s.InternetGateway(aws.ToString(r.GatewayId)) != nil {
					igw = true
				}
			}
			if !igw {
				t.Errorf("IGW route or gateway missing: %+v", rt.Routes)
			}
			c, _ := s.ENI()
			if c.PublicIP != "" || c.ENIID == "" || !s.IsFargate() {
				t.Errorf("ENI context %+v", c)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := awstest.MotoForTest(t)
			sd := seed(t, m, tt.sc)
			p := readOnlyProxy(t, m.URL)
			mods := []func(*collect.Options){}
			if tt.opt != nil {
				mods = append(mods, tt.opt)
			}
			s, st, err := run(t, p.URL(), collect.Target{Cluster: sd.Cluster, Task: sd.TaskARN}, mods...)
			if err != nil {
				t.Fatal(err)
			}
			if s.Task == nil || s.TaskDefinition == nil || s.Cluster == nil || s.Account != awstest.Account || s.CallerARN == "" {
				t.Fatalf("task, task definition, cluster, account missing")
			}
			for _, g := range s.Gaps {
				if g.Call != "ecr:DescribePullThroughCacheRules" { // moto 5.2 lacks it
					t.Errorf("unexpected gap %+v", g)
				}
			}
			if st.Waves > 6 {
				t.Errorf("critical path of %d waves", st.Waves)
			}
			for a, n := range st.Calls {
				if n > 1 && a != "ec2:DescribeSubnets" && a != "ec2:DescribeSecurityGroups" && a != "ec2:DescribeVpcAttribute" && a != "ec2:DescribeManagedPrefixLists" {
					t.Errorf("%s called %d times", a, n)
				}
			}
			tt.check(t, sd, s, mustJSON(t, s))
		})
	}
}

func TestServiceEventsAndContainerReasons(t *testing.T) {
	m := awstest.MotoForTest(t)
	sd := seed(t, m, awstest.Scenario{ExecPolicy: "managed", PushTag: true, StoppedReason: "Task failed to start"})
	const pullErr = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app:v1.0.0: not found"
	const event = "(service my-service) was unable to place a task. Reason: CannotPullContainerError: ref pull has been retried 1 time(s)"
	forget := false
	p := readOnlyProxy(t, m.URL)
	// moto has no service events and no container reasons: add them in ECS's own shape.
	p.ModifyJSON = func(c awstest.Call, body map[string]any) {
		switch c.Action {
		case "ecs:DescribeServices":
			for _, s := range body["services"].([]any) {
				s.(map[string]any)["events"] = []any{
					map[string]any{"id": "e2", "createdAt": 1.7e9, "message": event},
					map[string]any{"id": "e1", "createdAt": 1.69e9, "message": "(service my-service) has started 1 tasks: (task abc)."},
				}
			}
		case "ecs:DescribeTasks":
			for _, tk := range body["tasks"].([]any) {
				for _, ct := range tk.(map[string]any)["containers"].([]any) {
					ct.(map[string]any)["reason"] = pullErr
				}
			}
		}
	}
	p.OnCall = func(c awstest.Call) *awstest.Reply {
		if forget && c.Action == "ecs:ListTasks" {
			return awstest.JSON(map[string]any{"taskArns": []string{}})
		}
		return nil
	}
	s, _, err := run(t, p.URL(), collect.Target{Cluster: sd.Cluster, Service: sd.Service})
	if err != nil {
		t.Fatal(err)
	}
	if s.Task == nil || s.Service == nil || len(s.Service.Events) != 2 {
		t.Fatalf("task and service with events expected")
	}
	if s.StoppedReason != pullErr {
		t.Errorf("stopped reason %q, want the container's", s.StoppedReason)
	}

	// ECS forgot the stopped tasks: diagnose from the service.
	forget = true
	s, _, err = run(t, p.URL(), collect.Target{Cluster: sd.Cluster, Service: sd.Service})
	if err != nil {
		t.Fatal(err)
	}
	if s.Task != nil || s.TaskDefinition == nil || s.Subnet(sd.Subnet) == nil || s.SecurityGroup(sd.SecurityGroup) == nil || len(s.Roles) != 1 {
		t.Fatalf("service-level snapshot incomplete")
	}
	if c, ok := s.ENI(); !ok || c.Source != "service" || c.AssignPublicIP == nil || *c.AssignPublicIP {
		t.Errorf("ENI context from service: %+v", c)
	}
	if s.StoppedReason != event {
		t.Errorf("stopped reason %q, want the event", s.StoppedReason)
	}
}

func TestNotFound(t *testing.T) {
	m := awstest.MotoForTest(t)
	sd := seed(t, m, awstest.Scenario{ExecPolicy: "managed", PushTag: true})
	p := readOnlyProxy(t, m.URL)
	for name, tgt := range map[string]collect.Target{
		"task":            {Cluster: sd.Cluster, Task: "0123456789abcdef0123456789abcdef"},
		"cluster":         {Cluster: "nope", Task: sd.TaskARN[strings.LastIndexByte(sd.TaskARN, '/')+1:]},
		"service":         {Cluster: sd.Cluster, Service: "nope"},
		"task definition": {TaskDefinition: "nope:7"},
	} {
		_, _, err := run(t, p.URL(), tgt)
		if !errors.Is(err, collect.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", name, err)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
}

func TestFaultsBecomeGaps(t *testing.T) {
	m := awstest.MotoForTest(t)
	sd := seed(t, m, awstest.Scenario{ExecPolicy: "managed", PushTag: true, DockerHubImage: "myuser/my-image:latest"})
	p := readOnlyProxy(t, m.URL)
	throttled := 0
	p.OnCall = func(c awstest.Call) *awstest.Reply {
		switch c.Action {
		case "ec2:DescribeVpcEndpoints", "iam:ListAttachedRolePolicies", "secretsmanager:GetResourcePolicy":
			return awstest.AccessDenied(c)
		case "ecs:DescribeTaskDefinition":
			if throttled < 2 { // throttled twice, then the adaptive retryer gets through
				throttled++
				return awstest.Throttled(c)
			}
		case "ec2:DescribeNatGateways":
			return awstest.ServerError(c)
		case "ec2:DescribeNetworkAcls":
			return awstest.Throttled(c) // throttled past every retry
		}
		return nil
	}
	t0 := time.Now()
	s, st, err := run(t, p.URL(), collect.Target{Cluster: sd.Cluster, Task: sd.TaskARN}, func(o *collect.Options) { o.Timeout = 20 * time.Second })
	t.Logf("collected with faults in %v: %+v", time.Since(t0), st)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ec2:DescribeVpcEndpoints":         "UnauthorizedOperation",
		"iam:ListAttachedRolePolicies":     "AccessDenied",
		"secretsmanager:GetResourcePolicy": "AccessDeniedException",
		"ec2:DescribeNatGateways":          "InternalError",
		"ec2:DescribeNetworkAcls":          "RequestLimitExceeded",
	}
	for call, code := range want {
		g := s.Gap(call, "")
		if g == nil || g.Error != code {
			t.Errorf("gap for %s = %+v, want %s", call, g, code)
		}
	}
	if s.Gap("ecs:DescribeTaskDefinition", "") != nil || s.TaskDefinition == nil {
		t.Error("throttling that the retries absorb must not be a gap")
	}
	if st.Calls["ecs:DescribeTaskDefinition"] != 1 || throttled != 2 {
		t.Errorf("DescribeTaskDefinition: %d logical calls, %d throttles", st.Calls["ecs:DescribeTaskDefinition"], throttled)
	}
	if g := s.Gap("ec2:DescribeVpcEndpoints", ""); g != nil && !strings.Contains(g.Message, "not authorized") {
		t.Errorf("gap message %q", g.Message)
	}
	// Everything not denied was still read.
	if s.Secret(sd.SecretARN) == nil || len(s.Network.RouteTables) == 0 {
		t.Error("reads after a failure must go on")
	}
}

func TestPerCallTimeout(t *testing.T) {
	m := awstest.MotoForTest(t)
	sd := seed(t, m, awstest.Scenario{ExecPolicy: "managed", PushTag: true})
	p := readOnlyProxy(t, m.URL)
	p.OnCall = func(c awstest.Call) *awstest.Reply {
		if c.Action == "iam:GetRole" {
			return &awstest.Reply{Status: 200, Delay: 2 * time.Second}
		}
		return nil
	}
	t0 := time.Now()
	s, _, err := run(t, p.URL(), collect.Target{Cluster: sd.Cluster, Task: sd.TaskARN}, func(o *collect.Options) { o.Timeout = 300 * time.Millisecond; o.MaxAttempts = 1 })
	if err != nil {
		t.Fatal(err)
	}
	if g := s.Gap("iam:GetRole", ""); g == nil || g.Error != "Timeout" {
		t.Errorf("gap %+v, want Timeout", g)
	}
	if r := s.Role(sd.ExecRoleARN); r == nil || len(r.AttachedPolicies) != 1 {
		t.Error("the role's other reads must go on")
	}
	if d := time.Since(t0); d > 1500*time.Millisecond {
		t.Errorf("a hung call held the collection for %v", d)
	}
}

// TestGuardRefusesMutations proves the guard stops a mutating or value-reading call before
// it leaves the process, through the same clients Collect uses.
func TestGuardRefusesMutations(t *testing.T) {
	p := &awstest.Proxy{} // pure fake: nothing should reach it
	url := p.Start()
	defer p.Close()
	o := options(url)
	cfg, err := collect.LoadConfig(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	cl := collect.NewClients(cfg, o)
	ctx := context.Background()
	var ro *collect.ReadOnlyError
	ecsc := cl.ECS.(*ecs.Client)
	_, err = ecsc.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("x")})
	if !errors.As(err, &ro) {
		t.Errorf("RunTask: %v", err)
	}
	_, err = ecsc.StopTask(ctx, &ecs.StopTaskInput{Task: aws.String("x")})
	if !errors.As(err, &ro) {
		t.Errorf("StopTask: %v", err)
	}
	_, err = ecsc.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("x"), DesiredCount: aws.Int32(0)})
	if !errors.As(err, &ro) {
		t.Errorf("UpdateService: %v", err)
	}
	_, err = cl.SecretsManager("").GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("x")})
	if !errors.As(err, &ro) {
		t.Errorf("GetSecretValue without InspectSecretFormat: %v", err)
	}
	ssmc := ssm.NewFromConfig(cfg, func(so *ssm.Options) { so.APIOptions = append(so.APIOptions, collect.GuardAPIOption(true)) })
	_, err = ssmc.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"x"}})
	if !errors.As(err, &ro) {
		t.Errorf("GetParameters: %v", err)
	}
	if calls := p.Calls(); len(calls) != 0 {
		t.Errorf("refused calls reached the network: %+v", calls)
	}
	for _, a := range []string{"ecs:RunTask", "ecs:DeleteService", "ec2:CreateVpcEndpoint", "iam:PutRolePolicy", "ssm:GetParameter", "ssm:GetParametersByPath", "ecr:GetAuthorizationToken", "ecr:PutImage", "ecs:ListAttributes"} {
		if collect.CheckAction(a, true) == nil {
			t.Errorf("CheckAction(%s) allowed", a)
		}
	}
}

// TestIAMPolicyDocument keeps docs/iam-policy.json equal to what the collector may call.
func TestIAMPolicyDocument(t *testing.T) {
	b, err := os.ReadFile("../../docs/iam-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource string
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			t.Errorf("unexpected effect %s", st.Effect)
		}
		got = append(got, st.Action...)
	}
	slices.Sort(got)
	want := collect.Actions()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("docs/iam-policy.json actions\n got %v\nwant %v", got, want)
	}
	for _, a := range got {
		if err := collect.CheckAction(a, false); err != nil {
			t.Errorf("policy grants %s, which the guard refuses", a)
		}
	}
}

func TestNoCredentials(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	_, err := collect.LoadConfig(context.Background(), collect.Options{Region: "us-east-1"})
	if !errors.Is(err, collect.ErrNoCredentials) {
		t.Fatalf("err = %v", err)
	}
	if strings.Count(err.Error(), "\n") != 0 || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Errorf("want one line saying how to provide credentials: %q", err)
	}
}

// TestUnreadableTarget: when the task or service itself cannot be read there is nothing to
// diagnose; Collect must say so (ErrUnreadable, naming the call), not return an empty
// snapshot whose report would read as healthy.
func TestUnreadableTarget(t *testing.T) {
	m := awstest.MotoForTest(t)
	sd := seed(t, m, awstest.Scenario{ExecPolicy: "managed", PushTag: true})
	p := readOnlyProxy(t, m.URL)
	p.OnCall = func(c awstest.Call) *awstest.Reply {
		switch c.Action {
		case "ecs:DescribeTasks", "ecs:DescribeServices", "ecs:ListTasks":
			return awstest.AccessDenied(c)
		}
		return nil
	}
	for name, tgt := range map[string]collect.Target{
		"task":    {Cluster: sd.Cluster, Task: sd.TaskARN},
		"service": {Cluster: sd.Cluster, Service: sd.Service},
	} {
		_, _, err := run(t, p.URL(), tgt)
		if !errors.Is(err, collect.ErrUnreadable) || !strings.Contains(err.Error(), "AccessDeniedException") {
			t.Errorf("%s: err = %v, want ErrUnreadable naming AccessDeniedException", name, err)
		}
	}
}
