package awstest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// Account is moto's default account.
const Account = "123456789012"

// Scenario describes the AWS state one seed cause needs; Seed builds it in moto with the
// real SDK (these are the mutating calls the collector itself may never make).
type Scenario struct {
	Region string // task region (default us-east-1)
	// Network: an IGW route (public subnet), a NAT gateway route, ECR/S3 endpoints.
	PublicSubnet   bool
	NAT            bool
	Endpoints      bool
	AssignPublicIP bool
	// ExecPolicy: "managed" (AmazonECSTaskExecutionRolePolicy), "bare" (trust policy only),
	// "logs-only" (an inline policy without ECR actions), "" no execution role at all.
	ExecPolicy string
	// Image: the ECR repository name and tag the task definition names; ImageRegion is
	// where the repository lives (default: Region). PushTag pushes that tag (else another).
	Repo        string
	Tag         string
	ImageRegion string
	PushTag     bool
	// RepoPolicy is set as the repository policy when not empty.
	RepoPolicy string
	// DockerHubImage replaces the ECR image (e.g. "myuser/my-image:latest") and adds
	// repositoryCredentials with a Secrets Manager secret.
	DockerHubImage string
	StoppedReason  string
	// Env is put in the container's environment (to check redaction).
	Env map[string]string
	// Secrets are the container's secrets (name → valueFrom); Parameters are SSM
	// parameters to create (name → value) before the task definition references them.
	Secrets    map[string]string
	Parameters map[string]string
	// LogGroup, when set, makes the container log with awslogs to it; CreateLogGroup creates it.
	LogGroup       string
	CreateLogGroup bool
	// Image, when set, is the first container's image verbatim (an ECR repository is still
	// created and pushed as Repo/Tag unless DockerHubImage is set).
	Image string
	// NoTask registers the service but starts no task (a service whose tasks ECS forgot).
	NoTask bool
	// Customize runs just before the task definition is registered: it may create more
	// state with cfg (secrets, policies, repositories elsewhere) and change td.
	Customize func(ctx context.Context, cfg aws.Config, sd *Seeded, td *ecs.RegisterTaskDefinitionInput) error
}

// Seeded holds the ids Seed created.
type Seeded struct {
	Cluster, TaskARN, TaskDefinitionARN, Service      string
	VPC, Subnet, SecurityGroup, RouteTable, Endpoints string
	ExecRoleARN, RepoURI, SecretARN                   string
}

// Seed builds sc in the endpoint's moto.
func Seed(ctx context.Context, endpoint string, sc Scenario) (*Seeded, error) {
	if sc.Region == "" {
		sc.Region = "us-east-1"
	}
	if sc.ImageRegion == "" {
		sc.ImageRegion = sc.Region
	}
	if sc.Repo == "" {
		sc.Repo = "my-app"
	}
	if sc.Tag == "" {
		sc.Tag = "v1.0.0"
	}
	cfg := Config(endpoint, sc.Region)
	e2 := ec2.NewFromConfig(cfg)
	out := &Seeded{Cluster: "my-cluster"}
	fail := func(what string, err error) (*Seeded, error) { return nil, fmt.Errorf("seed %s: %w", what, err) }

	vpc, err := e2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		return fail("vpc", err)
	}
	out.VPC = *vpc.Vpc.VpcId
	// moto's Fargate RunTask needs DNS hostnames on to name the task ENI.
	if _, err := e2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: vpc.Vpc.VpcId, EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		return fail("vpc attribute", err)
	}
	sn, err := e2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24"), AvailabilityZone: aws.String(sc.Region + "a")})
	if err != nil {
		return fail("subnet", err)
	}
	out.Subnet = *sn.Subnet.SubnetId
	rt, err := e2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpc.Vpc.VpcId})
	if err != nil {
		return fail("route table", err)
	}
	out.RouteTable = *rt.RouteTable.RouteTableId
	if _, err := e2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: sn.Subnet.SubnetId}); err != nil {
		return fail("associate route table", err)
	}
	sg, err := e2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc.Vpc.VpcId, GroupName: aws.String("task"), Description: aws.String("task")})
	if err != nil {
		return fail("security group", err)
	}
	out.SecurityGroup = *sg.GroupId
	if sc.PublicSubnet || sc.NAT {
		gw, err := e2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
		if err != nil {
			return fail("igw", err)
		}
		if _, err := e2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: gw.InternetGateway.InternetGatewayId, VpcId: vpc.Vpc.VpcId}); err != nil {
			return fail("attach igw", err)
		}
		if sc.PublicSubnet {
			if _, err := e2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rt.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: gw.InternetGateway.InternetGatewayId}); err != nil {
				return fail("igw route", err)
			}
		}
		if sc.NAT {
			pub, err := e2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.0.0/24")})
			if err != nil {
				return fail("public subnet", err)
			}
			prt, err := e2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpc.Vpc.VpcId})
			if err != nil {
				return fail("public route table", err)
			}
			_, _ = e2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: prt.RouteTable.RouteTableId, SubnetId: pub.Subnet.SubnetId})
			_, _ = e2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: prt.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: gw.InternetGateway.InternetGatewayId})
			eip, err := e2.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
			if err != nil {
				return fail("eip", err)
			}
			ng, err := e2.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: pub.Subnet.SubnetId, AllocationId: eip.AllocationId})
			if err != nil {
				return fail("nat", err)
			}
			if _, err := e2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rt.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: ng.NatGateway.NatGatewayId}); err != nil {
				return fail("nat route", err)
			}
		}
	}
	if sc.Endpoints {
		esg, err := e2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc.Vpc.VpcId, GroupName: aws.String("endpoints"), Description: aws.String("endpoints")})
		if err != nil {
			return fail("endpoint sg", err)
		}
		for _, svc := range []string{"ecr.api", "ecr.dkr"} {
			ep, err := e2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: vpc.Vpc.VpcId, ServiceName: aws.String("com.amazonaws." + sc.Region + "." + svc),
				VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{out.Subnet}, SecurityGroupIds: []string{*esg.GroupId}, PrivateDnsEnabled: aws.Bool(true)})
			if err != nil {
				return fail("endpoint "+svc, err)
			}
			out.Endpoints += *ep.VpcEndpoint.VpcEndpointId + " "
		}
		if _, err := e2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: vpc.Vpc.VpcId, ServiceName: aws.String("com.amazonaws." + sc.Region + ".s3"),
			VpcEndpointType: ec2types.VpcEndpointTypeGateway, RouteTableIds: []string{out.RouteTable}}); err != nil {
			return fail("s3 endpoint", err)
		}
	}

	// IAM
	im := iam.NewFromConfig(cfg)
	if sc.ExecPolicy != "" {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		r, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ecsTaskExecutionRole"), AssumeRolePolicyDocument: aws.String(trust)})
		if err != nil {
			return fail("role", err)
		}
		out.ExecRoleARN = *r.Role.Arn
		switch sc.ExecPolicy {
		case "managed":
			if _, err := im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: r.Role.RoleName, PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")}); err != nil {
				return fail("attach managed policy", err)
			}
		case "bare":
			// The trust policy only: Customize adds what the case needs.
		case "logs-only":
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
			p, err := im.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("logs-only"), PolicyDocument: aws.String(doc)})
			if err != nil {
				return fail("policy", err)
			}
			if _, err := im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: r.Role.RoleName, PolicyArn: p.Policy.Arn}); err != nil {
				return fail("attach policy", err)
			}
			if _, err := im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: r.Role.RoleName, PolicyName: aws.String("inline-logs"), PolicyDocument: aws.String(doc)}); err != nil {
				return fail("inline policy", err)
			}
		}
	}

	// Image
	image := ""
	var repoCreds *ecstypes.RepositoryCredentials
	if sc.DockerHubImage != "" {
		image = sc.DockerHubImage
		sm := secretsmanager.NewFromConfig(cfg)
		s, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("dockerhub-credentials"), SecretString: aws.String(`{"username":"myuser","password":"mytoken"}`)})
		if err != nil {
			return fail("secret", err)
		}
		out.SecretARN = *s.ARN
		repoCreds = &ecstypes.RepositoryCredentials{CredentialsParameter: s.ARN}
	} else {
		ecrCfg := Config(endpoint, sc.ImageRegion)
		er := ecr.NewFromConfig(ecrCfg)
		repo, err := er.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(sc.Repo)})
		if err != nil {
			return fail("repository", err)
		}
		out.RepoURI = *repo.Repository.RepositoryUri
		image = out.RepoURI + ":" + sc.Tag
		tag := sc.Tag
		if !sc.PushTag {
			tag = "v1.0.1"
		}
		if _, err := er.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(sc.Repo), ImageTag: aws.String(tag), ImageManifest: aws.String(indexManifest)}); err != nil {
			return fail("put image", err)
		}
		if sc.RepoPolicy != "" {
			if _, err := er.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String(sc.Repo), PolicyText: aws.String(sc.RepoPolicy)}); err != nil {
				return fail("repository policy", err)
			}
		}
	}

	// ECS
	es := ecs.NewFromConfig(cfg)
	if _, err := es.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(out.Cluster)}); err != nil {
		return fail("cluster", err)
	}
	var env []ecstypes.KeyValuePair
	for k, v := range sc.Env {
		env = append(env, ecstypes.KeyValuePair{Name: aws.String(k), Value: aws.String(v)})
	}
	td := &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("my-app"), NetworkMode: ecstypes.NetworkModeAwsvpc, RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(512), Essential: aws.Bool(true), Environment: env, RepositoryCredentials: repoCreds}},
	}
	if out.ExecRoleARN != "" {
		td.ExecutionRoleArn = aws.String(out.ExecRoleARN)
	}
	for name, value := range sc.Parameters {
		if _, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
			return fail("parameter", err)
		}
	}
	for name, from := range sc.Secrets {
		td.ContainerDefinitions[0].Secrets = append(td.ContainerDefinitions[0].Secrets, ecstypes.Secret{Name: aws.String(name), ValueFrom: aws.String(from)})
	}
	if sc.LogGroup != "" {
		td.ContainerDefinitions[0].LogConfiguration = &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs,
			Options: map[string]string{"awslogs-group": sc.LogGroup, "awslogs-region": sc.Region, "awslogs-stream-prefix": "ecs"}}
		if sc.CreateLogGroup {
			if _, err := cloudwatchlogs.NewFromConfig(cfg).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(sc.LogGroup)}); err != nil {
				return fail("log group", err)
			}
		}
	}
	if sc.Image != "" {
		td.ContainerDefinitions[0].Image = aws.String(sc.Image)
	}
	if sc.Customize != nil {
		if err := sc.Customize(ctx, cfg, out, td); err != nil {
			return fail("customize", err)
		}
	}
	tdo, err := es.RegisterTaskDefinition(ctx, td)
	if err != nil {
		return fail("task definition", err)
	}
	out.TaskDefinitionARN = *tdo.TaskDefinition.TaskDefinitionArn
	pub := ecstypes.AssignPublicIpDisabled
	if sc.AssignPublicIP {
		pub = ecstypes.AssignPublicIpEnabled
	}
	nc := &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{out.Subnet}, SecurityGroups: []string{out.SecurityGroup}, AssignPublicIp: pub}}
	// The service is made after its task has stopped (or without one): a service with
	// desired count 0 that only carries the network configuration and the name.
	createService := func() (*Seeded, error) {
		svc, err := es.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(out.Cluster), ServiceName: aws.String("my-service"), TaskDefinition: aws.String(out.TaskDefinitionARN),
			DesiredCount: aws.Int32(0), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: nc})
		if err != nil {
			return fail("service", err)
		}
		out.Service = *svc.Service.ServiceName
		return out, nil
	}
	if sc.NoTask {
		return createService()
	}
	// Group is what ECS sets on a service's tasks; the collector follows it to the service.
	run, err := es.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String(out.Cluster), TaskDefinition: aws.String(out.TaskDefinitionARN), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: nc, Group: aws.String("service:my-service")})
	if err != nil {
		return fail("run task", err)
	}
	if len(run.Tasks) == 0 {
		return fail("run task", fmt.Errorf("no task started"))
	}
	out.TaskARN = *run.Tasks[0].TaskArn
	reason := sc.StoppedReason
	if reason == "" {
		reason = "Task failed to start"
	}
	if _, err := es.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(out.Cluster), Task: aws.String(out.TaskARN), Reason: aws.String(reason)}); err != nil {
		return fail("stop task", err)
	}
	return createService()
}

// indexManifest is a two-platform OCI index, as buildx pushes it, plus the attestation
// entry the collector must skip.
var indexManifest = mustJSON(map[string]any{
	"schemaVersion": 2,
	"mediaType":     "application/vnd.oci.image.index.v1+json",
	"manifests": []map[string]any{
		{"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1000, "digest": "sha256:" + repeat("a", 64), "platform": map[string]string{"os": "linux", "architecture": "amd64"}},
		{"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1000, "digest": "sha256:" + repeat("b", 64), "platform": map[string]string{"os": "linux", "architecture": "arm64", "variant": "v8"}},
		{"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 500, "digest": "sha256:" + repeat("c", 64), "platform": map[string]string{"os": "unknown", "architecture": "unknown"}},
	},
})

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
