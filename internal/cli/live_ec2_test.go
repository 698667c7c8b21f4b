package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/pulldoctor/pulldoctor/internal/awstest"
)

// TestLiveEC2LaunchType diagnoses an EC2-launch-type task without an execution role in moto:
// the pull runs from the container instance, so its subnet (private, no NAT) and its
// instance-profile role (which holds the ECR permissions) are what decide.
func TestLiveEC2LaunchType(t *testing.T) {
	m := awstest.MotoForTest(t)
	ctx := awstest.Ctx(t)
	cfg := awstest.Config(m.URL, "us-east-1")
	e2, es, im, er := ec2.NewFromConfig(cfg), ecs.NewFromConfig(cfg), iam.NewFromConfig(cfg), ecr.NewFromConfig(cfg)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
	}

	vpc, err := e2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	must("vpc", err)
	sub, err := e2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.1.1.0/24"), AvailabilityZone: aws.String("us-east-1a")})
	must("subnet", err)
	rt, err := e2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpc.Vpc.VpcId})
	must("route table", err)
	_, err = e2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: sub.Subnet.SubnetId})
	must("associate", err)

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ecsInstanceRole"), AssumeRolePolicyDocument: aws.String(trust)})
	must("role", err)
	_, err = im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: role.Role.RoleName, PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role")})
	must("attach", err)
	prof, err := im.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ecsInstanceRole")})
	must("instance profile", err)
	_, err = im.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: prof.InstanceProfile.InstanceProfileName, RoleName: role.Role.RoleName})
	must("add role", err)

	inst, err := e2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		InstanceType: ec2types.InstanceTypeM5Large, SubnetId: sub.Subnet.SubnetId,
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Arn: prof.InstanceProfile.Arn}})
	must("instance", err)
	instanceID := aws.ToString(inst.Instances[0].InstanceId)

	_, err = es.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("ec2-cluster")})
	must("cluster", err)
	doc, _ := json.Marshal(map[string]string{"instanceId": instanceID, "region": "us-east-1", "availabilityZone": "us-east-1a"})
	_, err = es.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{Cluster: aws.String("ec2-cluster"), InstanceIdentityDocument: aws.String(string(doc)),
		TotalResources: []ecstypes.Resource{{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: 2048}, {Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: 8000}}})
	must("container instance", err)

	_, err = er.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("worker")})
	must("repository", err)
	image := "123456789012.dkr.ecr.us-east-1.amazonaws.com/worker:1.0"
	td, err := es.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("worker"), NetworkMode: ecstypes.NetworkModeBridge,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityEc2},
		ContainerDefinitions:    []ecstypes.ContainerDefinition{{Name: aws.String("worker"), Image: aws.String(image), Memory: aws.Int32(256), Essential: aws.Bool(true)}}})
	must("task definition", err)
	tasks, err := es.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("ec2-cluster"), TaskDefinition: td.TaskDefinition.TaskDefinitionArn, LaunchType: ecstypes.LaunchTypeEc2})
	must("run task", err)
	if len(tasks.Tasks) == 0 {
		t.Fatalf("moto placed no task: %+v", tasks.Failures)
	}
	taskARN := aws.ToString(tasks.Tasks[0].TaskArn)
	_, err = es.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("ec2-cluster"), Task: aws.String(taskARN),
		Reason: aws.String(`CannotPullContainerError: Error response from daemon: Get "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`)})
	must("stop task", err)

	useEndpoint(t, m.URL)
	code, out, errOut := run(t, "", "diagnose", "--cluster", "ec2-cluster", "--task", taskARN, "--output", "json")
	if code != ExitProblems {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut, out)
	}
	var rep struct {
		Verdict  struct{ Causes []string } `json:"verdict"`
		Findings []struct {
			Check, Status, Message string
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Verdict.Causes) == 0 || rep.Verdict.Causes[0] != "network-no-route" {
		t.Errorf("verdict %v, want network-no-route first\n%s", rep.Verdict.Causes, out)
	}
	status := map[string]string{}
	msgs := map[string]string{}
	for _, f := range rep.Findings {
		status[f.Check], msgs[f.Check] = f.Status, f.Message
	}
	if status["exec-role-present"] != "pass" || !strings.Contains(msgs["exec-role-present"], "ecsInstanceRole") {
		t.Errorf("without an execution role the instance role should be named: %s %s", status["exec-role-present"], msgs["exec-role-present"])
	}
	if status["exec-role-ecr-auth"] != "pass" {
		t.Errorf("the instance role's AmazonEC2ContainerServiceforEC2Role allows ECR auth: %s %s", status["exec-role-ecr-auth"], msgs["exec-role-ecr-auth"])
	}
	if status["subnet-egress-path"] != "fail" || !strings.Contains(msgs["subnet-egress-path"], aws.ToString(sub.Subnet.SubnetId)) {
		t.Errorf("the instance's subnet has no way out: %s %s", status["subnet-egress-path"], msgs["subnet-egress-path"])
	}
}
