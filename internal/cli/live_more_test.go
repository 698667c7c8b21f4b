package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/pulldoctor/pulldoctor/internal/awstest"
	"github.com/pulldoctor/pulldoctor/pkg/collect"
)

// liveReport is the part of the JSON report these tests look at.
type liveReport struct {
	StoppedReason string `json:"stoppedReason"`
	Verdict       struct {
		Causes []string `json:"causes"`
	} `json:"verdict"`
	Findings []struct {
		Check, Cause, Status, Message, Subject string
		Needs                                  []string
	} `json:"findings"`
	Gaps []struct{ Call, Error, Ref string } `json:"gaps"`
}

// status returns the statuses of check's findings (a check may report once per container,
// secret or image).
func (r liveReport) status(check string) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Check == check {
			out = append(out, f.Status)
		}
	}
	return out
}

func (r liveReport) needs(check string) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Check == check {
			out = append(out, f.Needs...)
		}
	}
	return out
}

// Policies the cases below give the execution role.
const (
	secretsReadPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","ssm:GetParameters","kms:Decrypt"],"Resource":"*"}]}`
	wrongRepoPolicy   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:us-east-1:123456789012:repository/other-app"},{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
	logsOnlyBoundary  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*"],"Resource":"*"}]}`
)

// putInline gives the execution role an inline policy.
func putInline(name, doc string) func(context.Context, aws.Config, *awstest.Seeded, *ecs.RegisterTaskDefinitionInput) error {
	return func(ctx context.Context, cfg aws.Config, sd *awstest.Seeded, _ *ecs.RegisterTaskDefinitionInput) error {
		_, err := iam.NewFromConfig(cfg).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ecsTaskExecutionRole"), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
		return err
	}
}

// chain runs several Customize steps in order.
func chain(fns ...func(context.Context, aws.Config, *awstest.Seeded, *ecs.RegisterTaskDefinitionInput) error) func(context.Context, aws.Config, *awstest.Seeded, *ecs.RegisterTaskDefinitionInput) error {
	return func(ctx context.Context, cfg aws.Config, sd *awstest.Seeded, td *ecs.RegisterTaskDefinitionInput) error {
		for _, fn := range fns {
			if err := fn(ctx, cfg, sd, td); err != nil {
				return err
			}
		}
		return nil
	}
}

// createSecret creates a Secrets Manager secret in region and passes its ARN to use.
func createSecret(region, name, value string, use func(arn string, td *ecs.RegisterTaskDefinitionInput)) func(context.Context, aws.Config, *awstest.Seeded, *ecs.RegisterTaskDefinitionInput) error {
	return func(ctx context.Context, cfg aws.Config, _ *awstest.Seeded, td *ecs.RegisterTaskDefinitionInput) error {
		c := cfg.Copy()
		if region != "" {
			c.Region = region
		}
		out, err := secretsmanager.NewFromConfig(c).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
		if err != nil {
			return err
		}
		use(aws.ToString(out.ARN), td)
		return nil
	}
}

func addSecret(td *ecs.RegisterTaskDefinitionInput, name, from string) {
	td.ContainerDefinitions[0].Secrets = append(td.ContainerDefinitions[0].Secrets, ecstypes.Secret{Name: aws.String(name), ValueFrom: aws.String(from)})
}

// openEndpointSG lets the task's security group reach the interface endpoints on 443 (by
// group: moto gives task ENIs addresses outside their subnet's CIDR).
func openEndpointSG(ctx context.Context, cfg aws.Config, sd *awstest.Seeded, _ *ecs.RegisterTaskDefinitionInput) error {
	e2 := ec2.NewFromConfig(cfg)
	out, err := e2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{"endpoints"}}, {Name: aws.String("vpc-id"), Values: []string{sd.VPC}}}})
	if err != nil {
		return err
	}
	if len(out.SecurityGroups) == 0 {
		return fmt.Errorf("no endpoint security group")
	}
	_, err = e2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: out.SecurityGroups[0].GroupId,
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(sd.SecurityGroup)}}}}})
	return err
}

const (
	reasonDockerHubTimeout = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/library/nginx:1.27: failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.27": dial tcp 54.236.113.205:443: i/o timeout`
	reasonManifestUnknown  = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app@sha256:0000000000000000000000000000000000000000000000000000000000000000: 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app@sha256:0000000000000000000000000000000000000000000000000000000000000000: not found"
	reasonRepoMissing      = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app:v1.0.0: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
	reasonSSMMissing       = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid parameters: /app/missing"
	reasonASMNotFound      = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-gone from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret."
	reasonECRAuthDenied    = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/x is not authorized to perform: ecr:GetAuthorizationToken on resource: *"
	reasonECRTimeout       = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app:v1.0.0: failed to do request: Head "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/my-app/manifests/v1.0.0": dial tcp 3.112.64.21:443: i/o timeout`
)

// liveCase is one planted AWS state and what pulldoctor must say about it.
type liveCase struct {
	name string
	sc   awstest.Scenario
	// args builds the command line (default: diagnose --cluster C --task T).
	args func(sd *awstest.Seeded) []string
	// after changes the state once Seed is done.
	after func(t *testing.T, m *awstest.Moto, sd *awstest.Seeded)
	// onCall injects faults in front of moto; modify rewrites moto's JSON answers.
	onCall func(c awstest.Call) *awstest.Reply
	modify func(c awstest.Call, body map[string]any)

	wantCode   int
	wantCause  string            // verdict.causes[0]; "-" means no cause at all
	wantStatus map[string]string // check id → status every finding of it must have
	wantSome   map[string]string // check id → status at least one finding of it must have
	wantNeeds  map[string]string // check id → permission its findings must name
	wantErr    string            // substring of the one stderr line (exit 2)
	wantOut    []string          // substrings of stdout or stderr
}

func runLiveCases(t *testing.T, cases []liveCase) {
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			m := awstest.MotoForTest(t)
			sd, err := awstest.Seed(awstest.Ctx(t), m.URL, tt.sc)
			if err != nil {
				t.Fatal(err)
			}
			if tt.after != nil {
				tt.after(t, m, sd)
			}
			proxy := &awstest.Proxy{Upstream: m.URL, OnCall: tt.onCall, ModifyJSON: tt.modify}
			proxy.Start()
			t.Cleanup(proxy.Close)
			useEndpoint(t, proxy.URL())
			args := []string{"diagnose", "--cluster", sd.Cluster, "--task", sd.TaskARN}
			if tt.args != nil {
				args = tt.args(sd)
			}
			if args[0] == "diagnose" {
				args = append(args, "--probe-registry", "false")
			}
			args = append(args, "--output", "json")
			code, out, errOut := run(t, "", args...)
			if os.Getenv("PD_DUMP") != "" {
				_, txt, _ := run(t, "", append(args[:len(args)-2], "--output", "text")...)
				t.Logf("exit %d stderr %q\n%s", code, errOut, txt)
			}
			for _, c := range proxy.Calls() {
				if err := collect.CheckAction(c.Action, false); err != nil {
					t.Errorf("pulldoctor called %s: %v", c.Action, err)
				}
			}
			if code != tt.wantCode {
				t.Logf("report:\n%s", out)
				t.Fatalf("exit %d, want %d; stderr %q\n%s", code, tt.wantCode, errOut, out)
			}
			if tt.wantCode == ExitError {
				line := strings.TrimSpace(errOut)
				if strings.Count(line, "\n") != 0 || !strings.Contains(line, tt.wantErr) {
					t.Errorf("stderr %q, want one line containing %q", errOut, tt.wantErr)
				}
				return
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q\n%s", w, out)
				}
			}
			if args[0] == "scan" {
				return
			}
			var rep liveReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			switch {
			case tt.wantCause == "-":
				if len(rep.Verdict.Causes) != 0 {
					t.Errorf("verdict %v, want none\n%s", rep.Verdict.Causes, out)
				}
			case tt.wantCause != "":
				if len(rep.Verdict.Causes) == 0 || rep.Verdict.Causes[0] != tt.wantCause {
					t.Errorf("verdict %v, want %s first\n%s", rep.Verdict.Causes, tt.wantCause, out)
				}
			}
			for check, want := range tt.wantStatus {
				got := rep.status(check)
				if len(got) == 0 {
					t.Errorf("%s: no finding", check)
				}
				for _, g := range got {
					if g != want {
						t.Errorf("%s: status %v, want all %s", check, got, want)
						break
					}
				}
			}
			for check, want := range tt.wantSome {
				if got := rep.status(check); !strings.Contains(" "+strings.Join(got, " ")+" ", " "+want+" ") {
					t.Errorf("%s: status %v, want one %s", check, got, want)
				}
			}
			for check, want := range tt.wantNeeds {
				if got := rep.needs(check); !strings.Contains(strings.Join(got, " "), want) {
					t.Errorf("%s: needs %v, want %s", check, got, want)
				}
			}
			if t.Failed() {
				t.Logf("report:\n%s", out)
			}
		})
	}
}

func serviceArgs(sd *awstest.Seeded) []string {
	return []string{"diagnose", "--cluster", sd.Cluster, "--service", sd.Service}
}

// serviceEvents adds the events ECS writes when a service's task cannot start; moto keeps none.
func serviceEvents(msgs ...string) func(c awstest.Call, body map[string]any) {
	return func(c awstest.Call, body map[string]any) {
		if c.Action != "ecs:DescribeServices" {
			return
		}
		svcs, _ := body["services"].([]any)
		for _, s := range svcs {
			sm, _ := s.(map[string]any)
			var evs []any
			for i, msg := range msgs {
				evs = append(evs, map[string]any{"id": fmt.Sprintf("ev-%d", i), "createdAt": 1.7e9 - float64(i), "message": msg})
			}
			sm["events"] = evs
		}
	}
}

func deny(actions ...string) func(c awstest.Call) *awstest.Reply {
	return func(c awstest.Call) *awstest.Reply {
		for _, a := range actions {
			if c.Action == a {
				return awstest.AccessDenied(c)
			}
		}
		return nil
	}
}

// TestLiveMoreVerdicts plants the states operators hit most and checks the top cause, the
// deciding findings and the exit code of a live run against them.
func TestLiveMoreVerdicts(t *testing.T) {
	const ecrUSE1 = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app"
	var standalone string // a task started by RunTask, outside any service
	runStandalone := func(public bool, reason string) func(t *testing.T, m *awstest.Moto, sd *awstest.Seeded) {
		return func(t *testing.T, m *awstest.Moto, sd *awstest.Seeded) {
			es := ecs.NewFromConfig(awstest.Config(m.URL, "us-east-1"))
			pub := ecstypes.AssignPublicIpDisabled
			if public {
				pub = ecstypes.AssignPublicIpEnabled
			}
			out, err := es.RunTask(awstest.Ctx(t), &ecs.RunTaskInput{Cluster: aws.String(sd.Cluster), TaskDefinition: aws.String(sd.TaskDefinitionARN), LaunchType: ecstypes.LaunchTypeFargate,
				NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{sd.Subnet}, SecurityGroups: []string{sd.SecurityGroup}, AssignPublicIp: pub}}})
			if err != nil || len(out.Tasks) == 0 {
				t.Fatalf("run standalone task: %v", err)
			}
			standalone = aws.ToString(out.Tasks[0].TaskArn)
			if _, err := es.StopTask(awstest.Ctx(t), &ecs.StopTaskInput{Cluster: aws.String(sd.Cluster), Task: aws.String(standalone), Reason: aws.String(reason)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	standaloneArgs := func(sd *awstest.Seeded) []string {
		return []string{"diagnose", "--cluster", sd.Cluster, "--task", standalone}
	}
	cases := []liveCase{
		{
			name: "two containers: private ECR image fine, Docker Hub image without NAT",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, Endpoints: true, StoppedReason: reasonDockerHubTimeout,
				Customize: chain(openEndpointSG, func(_ context.Context, _ aws.Config, _ *awstest.Seeded, td *ecs.RegisterTaskDefinitionInput) error {
					td.ContainerDefinitions = append(td.ContainerDefinitions, ecstypes.ContainerDefinition{Name: aws.String("proxy"), Image: aws.String("nginx:1.27"), Essential: aws.Bool(true), Memory: aws.Int32(128)})
					return nil
				})},
			wantCode: ExitProblems, wantCause: "network-no-route",
			wantStatus: map[string]string{"ecr-image-exists": "pass", "exec-role-ecr-pull": "pass", "endpoint-security-group": "pass"},
			wantSome:   map[string]string{"subnet-egress-path": "fail"},
		},
		{
			name: "image by digest that does not exist",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: reasonManifestUnknown,
				Image: ecrUSE1 + "@sha256:" + strings.Repeat("0", 64)},
			wantCode: ExitProblems, wantCause: "image-not-found",
			wantStatus: map[string]string{"ecr-image-exists": "fail", "ecr-repository-exists": "pass", "subnet-egress-path": "pass"},
		},
		{
			name: "tag in a repository that exists only in another region",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, ImageRegion: "us-west-2", StoppedReason: reasonRepoMissing,
				Image: ecrUSE1 + ":v1.0.0"},
			wantCode: ExitProblems, wantCause: "image-not-found",
			wantStatus: map[string]string{"ecr-repository-exists": "fail"},
		},
		{
			name:     "image in another region's repository, pulled cross-region: fine",
			sc:       awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, ImageRegion: "us-west-2", StoppedReason: "Essential container in task exited"},
			wantCode: ExitOK, wantCause: "-",
			wantStatus: map[string]string{"ecr-repository-exists": "pass", "ecr-image-exists": "pass", "exec-role-ecr-pull": "pass"},
		},
		{
			name: "SSM parameters by ARN and by name, both missing",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: reasonSSMMissing,
				Parameters: map[string]string{"/app/present": "x"},
				Secrets: map[string]string{"PRESENT": "arn:aws:ssm:us-east-1:123456789012:parameter/app/present",
					"BY_ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/app/missing", "BY_NAME": "app-missing-too"},
				Customize: putInline("secrets", secretsReadPolicy)},
			wantCode: ExitProblems, wantCause: "secrets-access",
			wantSome: map[string]string{"secrets-access": "fail"},
			wantOut:  []string{"/app/missing", "app-missing-too"},
		},
		{
			name: "Secrets Manager secret with a JSON key suffix, readable: fine",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: "Essential container in task exited",
				Customize: chain(putInline("secrets", secretsReadPolicy), createSecret("", "db-credentials", `{"password":"SECRET-hunter2"}`, func(arn string, td *ecs.RegisterTaskDefinitionInput) {
					addSecret(td, "DB_PASSWORD", arn+":password::")
				}))},
			wantCode: ExitOK, wantCause: "-",
			wantStatus: map[string]string{"secrets-access": "pass"},
		},
		{
			name: "Secrets Manager secret with a JSON key suffix, role cannot read it",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true,
				StoppedReason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/x is not authorized to perform: secretsmanager:GetSecretValue",
				Customize: createSecret("", "db-credentials", `{"password":"SECRET-hunter2"}`, func(arn string, td *ecs.RegisterTaskDefinitionInput) {
					addSecret(td, "DB_PASSWORD", arn+":password:AWSCURRENT:")
				})},
			wantCode: ExitProblems, wantCause: "secrets-access",
			wantStatus: map[string]string{"secrets-access": "fail"},
		},
		{
			name: "repositoryCredentials secret that does not exist",
			sc: awstest.Scenario{ExecPolicy: "managed", NAT: true, DockerHubImage: "myuser/my-image:latest", StoppedReason: reasonASMNotFound,
				Customize: chain(putInline("secrets", secretsReadPolicy), func(_ context.Context, _ aws.Config, _ *awstest.Seeded, td *ecs.RegisterTaskDefinitionInput) error {
					td.ContainerDefinitions[0].RepositoryCredentials.CredentialsParameter = aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-gone")
					return nil
				})},
			wantCode: ExitProblems, wantCause: "secrets-access",
			wantSome: map[string]string{"registry-credentials-secret": "fail"},
		},
		{
			name: "repositoryCredentials secret in another region, by full ARN: fine",
			sc: awstest.Scenario{ExecPolicy: "managed", NAT: true, DockerHubImage: "myuser/my-image:latest", StoppedReason: "Essential container in task exited",
				Customize: chain(putInline("secrets", secretsReadPolicy), createSecret("us-west-2", "dockerhub-west", `{"username":"u","password":"SECRET-p"}`, func(arn string, td *ecs.RegisterTaskDefinitionInput) {
					td.ContainerDefinitions[0].RepositoryCredentials.CredentialsParameter = aws.String(arn)
				}))},
			wantCode:   ExitOK,
			wantStatus: map[string]string{"registry-credentials-secret": "pass", "secrets-access": "pass"},
		},
		{
			name: "inline policy allows ecr:* on another repository only",
			sc: awstest.Scenario{ExecPolicy: "bare", PushTag: true, NAT: true, StoppedReason: reasonECRAuthDenied,
				Customize: putInline("ecr-wrong-repo", wrongRepoPolicy)},
			wantCode: ExitProblems, wantCause: "exec-role-permissions",
			wantStatus: map[string]string{"exec-role-ecr-auth": "fail", "exec-role-ecr-pull": "fail"},
		},
		{
			name: "permissions boundary without ECR",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: reasonECRAuthDenied,
				Customize: func(ctx context.Context, cfg aws.Config, _ *awstest.Seeded, _ *ecs.RegisterTaskDefinitionInput) error {
					im := iam.NewFromConfig(cfg)
					p, err := im.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("logs-boundary"), PolicyDocument: aws.String(logsOnlyBoundary)})
					if err != nil {
						return err
					}
					_, err = im.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("ecsTaskExecutionRole"), PermissionsBoundary: p.Policy.Arn})
					return err
				}},
			wantCode: ExitProblems, wantCause: "exec-role-permissions",
			wantStatus: map[string]string{"exec-role-ecr-auth": "fail"},
		},
		{
			name: "service whose tasks ECS forgot: the events carry the stopped reason",
			sc:   awstest.Scenario{ExecPolicy: "managed", PushTag: true, NoTask: true},
			modify: serviceEvents(
				"(service my-service) was unable to place a task. Reason: "+reasonECRTimeout,
				"(service my-service) has started 1 tasks: (task 0123456789abcdef0123456789abcdef)."),
			args:     serviceArgs,
			wantCode: ExitProblems, wantCause: "network-no-route",
			wantStatus: map[string]string{"subnet-egress-path": "fail"},
		},
		{
			name: "service that does not exist",
			sc:   awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true},
			args: func(sd *awstest.Seeded) []string {
				return []string{"diagnose", "--cluster", sd.Cluster, "--service", "no-such-service"}
			},
			wantCode: ExitError, wantErr: "not found",
		},
		{
			name: "task ARN of another cluster",
			sc:   awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true},
			after: func(t *testing.T, m *awstest.Moto, _ *awstest.Seeded) {
				if _, err := ecs.NewFromConfig(awstest.Config(m.URL, "us-east-1")).CreateCluster(awstest.Ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String("other")}); err != nil {
					t.Fatal(err)
				}
			},
			args: func(sd *awstest.Seeded) []string {
				return []string{"diagnose", "--cluster", "other", "--task", sd.TaskARN}
			},
			wantCode: ExitError, wantErr: "my-cluster",
		},
		{
			name: "service in a public subnet with assignPublicIp DISABLED",
			sc:   awstest.Scenario{ExecPolicy: "managed", PushTag: true, PublicSubnet: true, NoTask: true},
			modify: serviceEvents(
				"(service my-service) was unable to start a task. Reason: " + reasonECRTimeout),
			args:     serviceArgs,
			wantCode: ExitProblems, wantCause: "public-ip-missing",
			wantStatus: map[string]string{"fargate-public-ip": "fail"},
		},
		{
			name:       "service in a public subnet with assignPublicIp ENABLED",
			sc:         awstest.Scenario{ExecPolicy: "managed", PushTag: true, PublicSubnet: true, AssignPublicIP: true, NoTask: true},
			args:       serviceArgs,
			wantCode:   ExitOK,
			wantStatus: map[string]string{"fargate-public-ip": "pass", "subnet-egress-path": "pass"},
		},
		{
			name:       "task in a public subnet with assignPublicIp ENABLED",
			sc:         awstest.Scenario{ExecPolicy: "managed", PushTag: true, PublicSubnet: true, AssignPublicIP: true, StoppedReason: "Essential container in task exited"},
			wantCode:   ExitOK,
			wantStatus: map[string]string{"fargate-public-ip": "pass", "subnet-egress-path": "pass"},
		},
		{
			name:     "standalone task (no service) in a public subnet without a public IP",
			sc:       awstest.Scenario{ExecPolicy: "managed", PushTag: true, PublicSubnet: true, AssignPublicIP: true},
			after:    runStandalone(false, reasonECRTimeout),
			args:     standaloneArgs,
			wantCode: ExitProblems, wantCause: "public-ip-missing",
			wantStatus: map[string]string{"fargate-public-ip": "fail"},
		},
		{
			// Its ENI is gone too: without a network timeout to go on, the public IP stays unknown.
			name:       "standalone task (no service) in a public subnet that did not time out",
			sc:         awstest.Scenario{ExecPolicy: "managed", PushTag: true, PublicSubnet: true},
			after:      runStandalone(true, "Essential container in task exited"),
			args:       standaloneArgs,
			wantStatus: map[string]string{"fargate-public-ip": "unknown"},
			wantNeeds:  map[string]string{"fargate-public-ip": "ec2:DescribeNetworkInterfaces"},
			wantCode:   ExitOK,
		},
		{
			name:     "reads denied: unknown with the permission, never a pass",
			sc:       awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: "Task failed to start"},
			onCall:   deny("ec2:DescribeRouteTables", "iam:GetRole", "ecr:DescribeImages", "ecr:DescribeRepositories"),
			wantCode: ExitOK,
			wantStatus: map[string]string{"subnet-egress-path": "unknown", "exec-role-ecr-auth": "unknown", "exec-role-trust": "unknown",
				"ecr-image-exists": "unknown", "ecr-repository-exists": "unknown"},
			wantNeeds: map[string]string{"subnet-egress-path": "ec2:DescribeRouteTables", "exec-role-trust": "iam:GetRole",
				"exec-role-ecr-auth": "iam:GetRole", "ecr-image-exists": "ecr:DescribeImages", "ecr-repository-exists": "ecr:DescribeRepositories"},
		},
		{
			name: "secret reads denied: unknown, not missing",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: "Task failed to start",
				Secrets: map[string]string{"P": "/app/p"}, Parameters: map[string]string{"/app/p": "x"},
				Customize: putInline("secrets", secretsReadPolicy)},
			onCall:     deny("ssm:DescribeParameters"),
			wantCode:   ExitOK,
			wantStatus: map[string]string{"secrets-access": "unknown"},
			wantNeeds:  map[string]string{"secrets-access": "ssm:DescribeParameters"},
		},
		{
			name: "malformed task ARN",
			sc:   awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true},
			args: func(sd *awstest.Seeded) []string {
				return []string{"diagnose", "--cluster", sd.Cluster, "--task", "arn:aws:ecs:us-east-1:123456789012:task"}
			},
			wantCode: ExitError, wantErr: "task",
		},
		{
			name: "empty cluster",
			sc:   awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true},
			args: func(sd *awstest.Seeded) []string {
				return []string{"diagnose", "--cluster", "", "--task", "0123456789abcdef0123456789abcdef"}
			},
			wantCode: ExitError, wantErr: "--cluster",
		},
		{
			name:     "scan a region with no clusters",
			sc:       awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true},
			args:     func(*awstest.Seeded) []string { return []string{"scan", "--region", "us-west-1"} },
			wantCode: ExitOK,
			wantOut:  []string{`"us-west-1"`, "no ECS clusters in us-west-1"},
		},
		{
			name:     "task ARN without --cluster: the ARN names the cluster",
			sc:       awstest.Scenario{ExecPolicy: "managed", PushTag: true, StoppedReason: reasonECRTimeout},
			args:     func(sd *awstest.Seeded) []string { return []string{"diagnose", "--task", sd.TaskARN} },
			wantCode: ExitProblems, wantCause: "network-no-route",
		},
		{
			name:     "DescribeTasks denied",
			sc:       awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true},
			onCall:   deny("ecs:DescribeTasks"),
			wantCode: ExitError, wantErr: "ecs:DescribeTasks",
		},
		{
			name:     "DescribeServices and ListTasks denied for --service",
			sc:       awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true},
			onCall:   deny("ecs:DescribeServices", "ecs:ListTasks"),
			args:     serviceArgs,
			wantCode: ExitError, wantErr: "ecs:DescribeServices",
		},
		{
			name:     "DescribeTaskDefinition denied",
			sc:       awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: reasonECRTimeout},
			onCall:   deny("ecs:DescribeTaskDefinition"),
			wantCode: ExitProblems, wantCause: "network-no-route", // from the stopped reason alone
			wantStatus: map[string]string{"exec-role-present": "unknown"},
		},
		{
			name:       "attached policies not listable: unknown, not a missing permission",
			sc:         awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: reasonECRAuthDenied},
			onCall:     deny("iam:ListAttachedRolePolicies"),
			wantCode:   ExitProblems,
			wantStatus: map[string]string{"exec-role-ecr-auth": "unknown", "exec-role-ecr-pull": "unknown"},
			wantNeeds:  map[string]string{"exec-role-ecr-auth": "iam:ListAttachedRolePolicies"},
		},
		{
			name:       "policy version not readable: unknown",
			sc:         awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: reasonECRAuthDenied},
			onCall:     deny("iam:GetPolicyVersion"),
			wantCode:   ExitProblems,
			wantStatus: map[string]string{"exec-role-ecr-auth": "unknown", "exec-role-ecr-pull": "unknown"},
			wantNeeds:  map[string]string{"exec-role-ecr-auth": "iam:GetPolicyVersion"},
		},
		{
			name: "throttled and failing reads: unknown, never a pass",
			sc:   awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: reasonECRTimeout},
			onCall: func(c awstest.Call) *awstest.Reply {
				switch c.Action {
				case "ec2:DescribeSubnets":
					return awstest.Throttled(c)
				case "ec2:DescribeNatGateways":
					return awstest.ServerError(c)
				}
				return nil
			},
			wantCode:   ExitProblems,
			wantStatus: map[string]string{"subnet-egress-path": "unknown"},
		},
		{
			name: "secret encrypted with a customer managed key the role may not use",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true,
				StoppedReason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): AccessDeniedException: Access to KMS is not allowed",
				Customize: chain(putInline("secrets", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`),
					func(ctx context.Context, cfg aws.Config, _ *awstest.Seeded, td *ecs.RegisterTaskDefinitionInput) error {
						key, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("app secrets")})
						if err != nil {
							return err
						}
						out, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("SECRET-kms"), KmsKeyId: key.KeyMetadata.Arn})
						if err != nil {
							return err
						}
						addSecret(td, "DB", aws.ToString(out.ARN))
						return nil
					})},
			wantCode: ExitProblems, wantCause: "kms-decrypt",
			wantStatus: map[string]string{"kms-decrypt": "fail", "secrets-access": "pass"},
		},
		{
			name: "Secrets Manager secret by partial ARN (no random suffix)",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: "Essential container in task exited",
				Customize: chain(putInline("secrets", secretsReadPolicy), createSecret("", "app/db", "SECRET-partial", func(arn string, td *ecs.RegisterTaskDefinitionInput) {
					addSecret(td, "DB", arn[:len(arn)-7])
				}))},
			wantCode:   ExitOK,
			wantStatus: map[string]string{"secrets-access": "pass"},
		},
		{
			name: "ECR Public image in a subnet with only ECR endpoints",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, Endpoints: true, Customize: openEndpointSG,
				Image:         "public.ecr.aws/nginx/nginx:1.27",
				StoppedReason: `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref public.ecr.aws/nginx/nginx:1.27: failed to do request: Head "https://public.ecr.aws/v2/nginx/nginx/manifests/1.27": dial tcp 99.83.145.10:443: i/o timeout`},
			wantCode: ExitProblems, wantCause: "network-no-route",
			wantStatus: map[string]string{"subnet-egress-path": "fail"},
		},
		{
			name: "image reference that cannot be parsed",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/My-App:v1.0.0",
				StoppedReason: `CannotPullContainerError: invalid reference format: repository name must be lowercase`},
			wantCode: ExitProblems, wantCause: "invalid-image-reference",
			wantStatus: map[string]string{"image-reference-valid": "fail"},
		},
		{
			name: "awslogs group in another region that exists: fine",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: "Essential container in task exited",
				Customize: func(ctx context.Context, cfg aws.Config, _ *awstest.Seeded, td *ecs.RegisterTaskDefinitionInput) error {
					c := cfg.Copy()
					c.Region = "us-west-2"
					if _, err := cloudwatchlogs.NewFromConfig(c).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/west")}); err != nil {
						return err
					}
					td.ContainerDefinitions[0].LogConfiguration = &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs,
						Options: map[string]string{"awslogs-group": "/ecs/west", "awslogs-region": "us-west-2", "awslogs-stream-prefix": "ecs"}}
					return nil
				}},
			wantCode:   ExitOK,
			wantStatus: map[string]string{"exec-role-logs": "pass"},
		},
		{
			name: "preflight --live against a service that does not exist",
			sc:   awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true},
			args: func(sd *awstest.Seeded) []string {
				return []string{"preflight", preflightFile(t, sd), "--live", "--cluster", sd.Cluster, "--service", "nope"}
			},
			wantCode: ExitError, wantErr: "nope",
		},
		{
			name:     "Fargate task with an ECR image and no execution role",
			sc:       awstest.Scenario{PushTag: true, NAT: true, StoppedReason: "ResourceInitializationError: unable to pull secrets or registry auth: pull command failed: : signal: killed"},
			wantCode: ExitProblems, wantCause: "exec-role-missing",
			wantStatus: map[string]string{"exec-role-present": "fail"},
		},
		{
			name: "execution role that was deleted",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/x is not authorized to perform: ecr:GetAuthorizationToken",
				Customize: func(_ context.Context, _ aws.Config, _ *awstest.Seeded, td *ecs.RegisterTaskDefinitionInput) error {
					td.ExecutionRoleArn = aws.String("arn:aws:iam::123456789012:role/deleted-role")
					return nil
				}},
			wantCode: ExitProblems, wantCause: "exec-role-missing",
			wantStatus: map[string]string{"exec-role-present": "fail"},
		},
		{
			name: "execution role that ECS tasks may not assume",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.",
				Customize: func(ctx context.Context, cfg aws.Config, _ *awstest.Seeded, _ *ecs.RegisterTaskDefinitionInput) error {
					_, err := iam.NewFromConfig(cfg).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ecsTaskExecutionRole"),
						PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
					return err
				}},
			wantCode: ExitProblems, wantCause: "exec-role-trust",
			wantStatus: map[string]string{"exec-role-trust": "fail"},
		},
		{
			name: "repository policy that denies the execution role",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true,
				RepoPolicy:    `{"Version":"2012-10-17","Statement":[{"Sid":"DenyPull","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:role/ecsTaskExecutionRole"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}`,
				StoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app:v1.0.0: pulling from host 123456789012.dkr.ecr.us-east-1.amazonaws.com failed with status code [manifests v1.0.0]: 403 Forbidden"},
			wantCode: ExitProblems, wantCause: "repository-policy",
			wantStatus: map[string]string{"ecr-repository-policy": "fail"},
		},
		{
			name: "task security group without egress",
			sc: awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, StoppedReason: reasonECRTimeout,
				Customize: func(ctx context.Context, cfg aws.Config, sd *awstest.Seeded, _ *ecs.RegisterTaskDefinitionInput) error {
					_, err := ec2.NewFromConfig(cfg).RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(sd.SecurityGroup),
						IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
					return err
				}},
			wantCode: ExitProblems, wantCause: "network-no-route",
			wantStatus: map[string]string{"task-sg-egress": "fail", "subnet-egress-path": "pass"},
		},
		{
			name: "the overall --timeout runs out during the reads",
			sc:   awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true},
			onCall: func(c awstest.Call) *awstest.Reply {
				if c.Action == "ec2:DescribeSubnets" {
					return &awstest.Reply{Status: 200, Delay: 5 * time.Second}
				}
				return nil
			},
			args: func(sd *awstest.Seeded) []string {
				return []string{"diagnose", "--cluster", sd.Cluster, "--task", sd.TaskARN, "--timeout", "1500ms"}
			},
			wantCode: ExitError, wantErr: "--timeout 1.5s",
		},
	}
	runLiveCases(t, cases)
}

// preflightFile writes a task definition that names the seeded role and image.
func preflightFile(t *testing.T, sd *awstest.Seeded) string {
	file := filepath.Join(t.TempDir(), "taskdef.json")
	td := `{"family":"my-app","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512",
	  "executionRoleArn":"` + sd.ExecRoleARN + `",
	  "containerDefinitions":[{"name":"app","image":"` + sd.RepoURI + `:v1.0.0","essential":true}]}`
	if err := os.WriteFile(file, []byte(td), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestLiveNoSecretLeaks plants secret values everywhere a task can carry them (environment,
// run-time overrides, Secrets Manager, SSM, repositoryCredentials) and checks that no output
// of collect or diagnose, in any format, holds one, and that only the repositoryCredentials
// secret is ever read (for its shape, with --inspect-secret-format).
func TestLiveNoSecretLeaks(t *testing.T) {
	m := awstest.MotoForTest(t)
	ctx := awstest.Ctx(t)
	sd, err := awstest.Seed(ctx, m.URL, awstest.Scenario{ExecPolicy: "managed", NAT: true, DockerHubImage: "myuser/my-image:latest",
		Env:        map[string]string{"API_TOKEN": "SECRET-env"},
		Parameters: map[string]string{"/app/db": "SECRET-ssm"}, Secrets: map[string]string{"DB": "/app/db"},
		Customize: chain(putInline("secrets", secretsReadPolicy), createSecret("", "app/key", "SECRET-sm", func(arn string, td *ecs.RegisterTaskDefinitionInput) {
			addSecret(td, "KEY", arn+":key::")
		}), func(ctx context.Context, cfg aws.Config, sd *awstest.Seeded, _ *ecs.RegisterTaskDefinitionInput) error {
			_, err := secretsmanager.NewFromConfig(cfg).PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(sd.SecretARN), SecretString: aws.String(`{"username":"u","password":"SECRET-rc"}`)})
			return err
		})})
	if err != nil {
		t.Fatal(err)
	}
	es := ecs.NewFromConfig(awstest.Config(m.URL, "us-east-1"))
	run1, err := es.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String(sd.Cluster), TaskDefinition: aws.String(sd.TaskDefinitionARN), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{sd.Subnet}, SecurityGroups: []string{sd.SecurityGroup}}},
		Overrides:            &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{Name: aws.String("app"), Environment: []ecstypes.KeyValuePair{{Name: aws.String("OVERRIDE"), Value: aws.String("SECRET-override")}}}}}})
	if err != nil || len(run1.Tasks) == 0 {
		t.Fatalf("run task with overrides: %v", err)
	}
	task := aws.ToString(run1.Tasks[0].TaskArn)

	proxy := &awstest.Proxy{Upstream: m.URL}
	proxy.Start()
	t.Cleanup(proxy.Close)
	useEndpoint(t, proxy.URL())
	file := filepath.Join(t.TempDir(), "snap.json")
	outputs := map[string]string{}
	if code, _, errOut := run(t, "", "collect", "--cluster", sd.Cluster, "--task", task, "--inspect-secret-format", "-o", file); code != ExitOK {
		t.Fatalf("collect exit %d: %s", code, errOut)
	}
	raw, _ := os.ReadFile(file)
	outputs["collect"] = string(raw)
	for _, want := range []string{"OVERRIDE", "API_TOKEN", collect.Redacted} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the snapshot lacks %q: the test would not notice a leak there", want)
		}
	}
	for _, format := range []string{"text", "json", "sarif", "markdown"} {
		for _, lang := range []string{"en", "ja"} {
			_, out, errOut := run(t, "", "diagnose", "--cluster", sd.Cluster, "--task", task, "--inspect-secret-format", "--probe-registry", "false", "--verbose", "--output", format, "--lang", lang)
			outputs["diagnose "+format+" "+lang] = out + errOut
		}
	}
	for name, out := range outputs {
		if i := strings.Index(out, "SECRET-"); i >= 0 {
			t.Errorf("%s leaks a secret value: …%s…", name, out[max(0, i-80):min(len(out), i+40)])
		}
	}
	if !strings.Contains(outputs["collect"], "\"hasPassword\": true") && !strings.Contains(outputs["collect"], `"hasPassword":true`) {
		t.Errorf("the repositoryCredentials secret's shape was not recorded")
	}
	for _, c := range proxy.Calls() {
		switch c.Action {
		case "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath":
			t.Errorf("pulldoctor read a parameter value: %s", c.Action)
		case "secretsmanager:GetSecretValue":
			if id, _ := c.JSON["SecretId"].(string); id != sd.SecretARN {
				t.Errorf("pulldoctor read the value of %s, which is not a repositoryCredentials secret", id)
			}
		}
	}
}
