package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/pulldoctor/pulldoctor/internal/awstest"
	"github.com/pulldoctor/pulldoctor/pkg/collect"
)

// TestMain stops the shared moto_server after the tests; since Go 1.15 the test binary exits
// with m.Run's code when TestMain returns.
func TestMain(m *testing.M) {
	m.Run()
	awstest.StopShared()
}

// useEndpoint points the AWS SDK's default config chain at a test endpoint, the way a user
// points the aws CLI at one: AWS_ENDPOINT_URL plus credentials in the environment.
func useEndpoint(t *testing.T, url string) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL", url)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// TestLiveDiagnoseMatchesSnapshot runs the real CLI against moto_server through a proxy that
// fails the test on any mutating call: diagnose live, then collect to a file and diagnose
// the file offline. Both reports must be identical, and name the seed cause.
func TestLiveDiagnoseMatchesSnapshot(t *testing.T) {
	m := awstest.MotoForTest(t)
	sd, err := awstest.Seed(awstest.Ctx(t), m.URL, awstest.Scenario{
		PublicSubnet: true, ExecPolicy: "managed", PushTag: true,
		StoppedReason: `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app:v1.0.0: failed to do request: Head "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/my-app/manifests/v1.0.0": dial tcp 3.112.64.21:443: i/o timeout`,
	})
	if err != nil {
		t.Fatal(err)
	}
	proxy := &awstest.Proxy{Upstream: m.URL}
	proxy.Start()
	t.Cleanup(proxy.Close)
	t.Cleanup(func() {
		for _, c := range proxy.Calls() {
			if err := collect.CheckAction(c.Action, false); err != nil {
				t.Errorf("pulldoctor called %s: %v", c.Action, err)
			}
		}
	})
	useEndpoint(t, proxy.URL())

	code, live, errOut := run(t, "", "diagnose", "--cluster", sd.Cluster, "--task", sd.TaskARN, "--output", "json")
	if code != ExitProblems {
		t.Fatalf("live diagnose exit %d, stderr %s\n%s", code, errOut, live)
	}
	file := filepath.Join(t.TempDir(), "snap.json")
	if code, _, errOut := run(t, "", "collect", "--cluster", sd.Cluster, "--task", sd.TaskARN, "-o", file); code != ExitOK {
		t.Fatalf("collect exit %d: %s", code, errOut)
	}
	_, offline, _ := run(t, "", "diagnose", "--snapshot", file, "--output", "json")
	if live != offline {
		t.Errorf("live and snapshot reports differ\nlive:\n%s\nsnapshot:\n%s", live, offline)
	}
	var rep struct {
		Verdict struct{ Causes []string } `json:"verdict"`
	}
	if err := json.Unmarshal([]byte(live), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Verdict.Causes) == 0 || rep.Verdict.Causes[0] != "public-ip-missing" {
		t.Errorf("verdict %v, want public-ip-missing first\n%s", rep.Verdict.Causes, live)
	}
	raw, _ := os.ReadFile(file)
	if strings.Contains(string(raw), "SECRET") {
		t.Errorf("snapshot holds something that looks like a secret value")
	}
}

func TestLiveNotFoundAndNoCredentials(t *testing.T) {
	m := awstest.MotoForTest(t)
	useEndpoint(t, m.URL)
	code, _, errOut := run(t, "", "diagnose", "--cluster", "nope", "--task", "0123456789abcdef0123456789abcdef")
	if code != ExitError || !strings.Contains(errOut, "not found") {
		t.Errorf("unknown cluster/task: exit %d, stderr %q", code, errOut)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	code, _, errOut = run(t, "", "diagnose", "--cluster", "c", "--task", "t")
	if code != ExitError || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(strings.ToLower(errOut), "credentials") {
		t.Errorf("no credentials: exit %d, stderr %q", code, errOut)
	}
}

// TestScanGroupsServicesByCause scans moto's clusters: the seeded service runs Fargate
// tasks in a public subnet without a public IP.
func TestScanGroupsServicesByCause(t *testing.T) {
	m := awstest.MotoForTest(t)
	if _, err := awstest.Seed(awstest.Ctx(t), m.URL, awstest.Scenario{PublicSubnet: true, ExecPolicy: "managed", PushTag: true}); err != nil {
		t.Fatal(err)
	}
	useEndpoint(t, m.URL)
	code, out, errOut := run(t, "", "scan", "--output", "json")
	if code != ExitProblems {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut, out)
	}
	var fr struct {
		Regions  []string `json:"regions"`
		Services []struct {
			Cluster, Service string
			Causes           []string
		} `json:"services"`
		ByCause []struct {
			Cause    string   `json:"cause"`
			Services []string `json:"services"`
		} `json:"byCause"`
	}
	if err := json.Unmarshal([]byte(out), &fr); err != nil {
		t.Fatal(err)
	}
	if len(fr.ByCause) == 0 || fr.ByCause[0].Cause != "public-ip-missing" || fr.ByCause[0].Services[0] != "us-east-1/my-cluster/my-service" {
		t.Fatalf("want my-service grouped under public-ip-missing:\n%s", out)
	}
	code, text, _ := run(t, "", "scan", "--cluster", "my-cluster", "--lang", "ja")
	if code != ExitProblems || !strings.Contains(text, "public-ip-missing") || !strings.Contains(text, "サービスを診断") {
		t.Errorf("text scan: exit %d\n%s", code, text)
	}
	code, _, errOut = run(t, "", "scan", "--cluster", "no-such-cluster", "--output", "json")
	if code == ExitOK {
		t.Errorf("scanning a missing cluster should not report success (stderr %q)", errOut)
	}
}

// TestLiveVerdicts builds each seed cause's AWS state in moto and checks that a live
// diagnosis names it first: the whole path from real API answers to the verdict.
func TestLiveVerdicts(t *testing.T) {
	accessDenied := "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/x is not authorized to perform: ecr:GetAuthorizationToken on resource: *"
	timeout := `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post "https://api.ecr.us-east-1.amazonaws.com/": dial tcp 52.46.1.1:443: i/o timeout`
	tests := []struct {
		name       string
		sc         awstest.Scenario
		deleteRepo bool
		want       string
	}{
		{"execution role without ECR permissions", awstest.Scenario{ExecPolicy: "logs-only", PushTag: true, NAT: true, StoppedReason: accessDenied}, false, "exec-role-permissions"},
		{"tag never pushed", awstest.Scenario{ExecPolicy: "managed", NAT: true, Tag: "v1.0.0",
			StoppedReason: "CannotPullContainerError: Error response from daemon: manifest for 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app:v1.0.0 not found: manifest unknown: manifest unknown"}, false, "image-not-found"},
		{"repository deleted", awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true,
			StoppedReason: "CannotPullContainerError: Error response from daemon: pull access denied for 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app, repository does not exist or may require 'docker login'"}, true, "image-not-found"},
		{"private subnet without NAT or endpoints", awstest.Scenario{ExecPolicy: "managed", PushTag: true, StoppedReason: timeout}, false, "network-no-route"},
		{"endpoints whose security group blocks 443", awstest.Scenario{ExecPolicy: "managed", PushTag: true, Endpoints: true, StoppedReason: timeout}, false, "vpc-endpoint-config"},
		{"SSM parameter that does not exist", awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true,
			Parameters: map[string]string{"/app/db-url": "postgres://x"}, Secrets: map[string]string{"DB_URL": "/app/db-url", "API_KEY": "/app/api-key"},
			StoppedReason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid parameters: /app/api-key"}, false, "secrets-access"},
		{"awslogs log group missing", awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true, LogGroup: "/ecs/my-app",
			StoppedReason: "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1"}, false, "log-config"},
		{"repositoryCredentials the role cannot read", awstest.Scenario{ExecPolicy: "managed", NAT: true, DockerHubImage: "myuser/my-image:latest",
			StoppedReason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/x is not authorized to perform: secretsmanager:GetSecretValue"}, false, "secrets-access"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := awstest.MotoForTest(t)
			sd, err := awstest.Seed(awstest.Ctx(t), m.URL, tt.sc)
			if err != nil {
				t.Fatal(err)
			}
			if tt.deleteRepo {
				cfg := awstest.Config(m.URL, "us-east-1")
				if _, err := ecr.NewFromConfig(cfg).DeleteRepository(awstest.Ctx(t), &ecr.DeleteRepositoryInput{RepositoryName: aws.String("my-app"), Force: true}); err != nil {
					t.Fatal(err)
				}
			}
			useEndpoint(t, m.URL)
			code, out, errOut := run(t, "", "diagnose", "--cluster", sd.Cluster, "--task", sd.TaskARN, "--probe-registry", "false", "--output", "json")
			if code != ExitProblems {
				t.Fatalf("exit %d, stderr %s", code, errOut)
			}
			var rep struct {
				Verdict struct{ Causes []string } `json:"verdict"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Verdict.Causes) == 0 || rep.Verdict.Causes[0] != tt.want {
				t.Errorf("verdict %v, want %s first\n%s", rep.Verdict.Causes, tt.want, out)
			}
		})
	}
}

// TestPreflightLive checks a new task definition revision against the service it will update:
// the file names a tag that was never pushed; the network and role come from moto.
func TestPreflightLive(t *testing.T) {
	m := awstest.MotoForTest(t)
	sd, err := awstest.Seed(awstest.Ctx(t), m.URL, awstest.Scenario{ExecPolicy: "managed", PushTag: true, NAT: true})
	if err != nil {
		t.Fatal(err)
	}
	useEndpoint(t, m.URL)
	file := filepath.Join(t.TempDir(), "taskdef.json")
	td := `{"family":"my-app","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512",
	  "executionRoleArn":"` + sd.ExecRoleARN + `",
	  "containerDefinitions":[{"name":"app","image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app:v9.9.9","essential":true}]}`
	if err := os.WriteFile(file, []byte(td), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "preflight", file, "--live", "--cluster", sd.Cluster, "--service", sd.Service, "--output", "json")
	if code != ExitProblems {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut, out)
	}
	var rep struct {
		Verdict  struct{ Causes []string }        `json:"verdict"`
		Findings []struct{ Check, Status string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Verdict.Causes) == 0 || rep.Verdict.Causes[0] != "image-not-found" {
		t.Errorf("verdict %v, want image-not-found (v9.9.9 was never pushed)\n%s", rep.Verdict.Causes, out)
	}
	for _, f := range rep.Findings {
		if f.Check == "subnet-egress-path" && f.Status != "pass" {
			t.Errorf("the service's subnet routes to a NAT gateway: subnet-egress-path %s", f.Status)
		}
	}
}
