package snapshot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnmarshalRejectsBadInput(t *testing.T) {
	cases := map[string]string{
		"empty":          "",
		"whitespace":     "  \n",
		"array":          "[]",
		"malformed":      `{"schemaVersion":1,`,
		"no version":     `{"region":"us-east-1"}`,
		"future version": `{"schemaVersion":2}`,
		"invalid utf-8":  "{\"schemaVersion\":1,\"region\":\"\xff\"}",
		"wrong type":     `{"schemaVersion":1,"task":{"taskArn":5}}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Unmarshal([]byte(in)); err == nil {
				t.Fatal("want an error")
			}
		})
	}
	_, err := Unmarshal([]byte("{\n\"schemaVersion\": 1,\n\"task\": {\"taskArn\": 5}}"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("type errors should say where: %v", err)
	}
}

// TestAWSCLIShapesLoad pastes the shapes `aws ecs describe-tasks` (camelCase) and `aws ec2
// describe-route-tables` (PascalCase) print, as the README promises.
func TestAWSCLIShapesLoad(t *testing.T) {
	in := `{"schemaVersion":1,"region":"us-east-1",
	 "task":{"taskArn":"arn:aws:ecs:us-east-1:123456789012:task/c/1","launchType":"FARGATE","availabilityZone":"us-east-1a",
	   "attachments":[{"type":"ElasticNetworkInterface","details":[{"name":"subnetId","value":"subnet-1"},{"name":"networkInterfaceId","value":"eni-1"}]}]},
	 "service":{"serviceName":"web","networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-1"],"securityGroups":["sg-1"],"assignPublicIp":"ENABLED"}}},
	 "network":{"routeTables":[{"RouteTableId":"rtb-1","VpcId":"vpc-1","Associations":[{"Main":true}],"Routes":[{"DestinationCidrBlock":"0.0.0.0/0","GatewayId":"igw-1","State":"active"}]}],
	   "subnets":[{"SubnetId":"subnet-1","VpcId":"vpc-1"}]}}`
	s, err := Unmarshal([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	eni, ok := s.ENI()
	if !ok || eni.SubnetIDs[0] != "subnet-1" || eni.ENIID != "eni-1" || eni.AssignPublicIP == nil || !*eni.AssignPublicIP || eni.SecurityGroupIDs[0] != "sg-1" {
		t.Fatalf("ENI context from task + service: %+v", eni)
	}
	rt, explicit := s.RouteTableFor("subnet-1", "vpc-1")
	if rt == nil || explicit || *rt.RouteTableId != "rtb-1" {
		t.Fatalf("main route table: %v %v", rt, explicit)
	}
	if !s.IsFargate() || s.NetworkMode() != "awsvpc" {
		t.Errorf("launch type %q mode %q", s.LaunchType(), s.NetworkMode())
	}
}

func TestLookups(t *testing.T) {
	s := &Snapshot{
		Roles:      []Role{{ARN: "arn:aws:iam::123456789012:role/service-role/exec"}},
		Secrets:    []Secret{{ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", Name: "db"}},
		Parameters: []Parameter{{ARN: "arn:aws:ssm:us-east-1:123456789012:parameter/app/token", Name: "/app/token"}},
		KMSKeys:    []KMSKey{{KeyID: "k1", ARN: "arn:aws:kms:us-east-1:123456789012:key/k1", Aliases: []string{"alias/app"}}},
		Gaps:       []Gap{{Call: "ec2:DescribeVpcEndpoints", Error: "UnauthorizedOperation"}, {Call: "iam:GetRole", Error: "NoSuchEntity", Ref: "arn:x"}},
	}
	if s.Role("arn:aws:iam::123456789012:role/exec") == nil {
		t.Error("a role named without its path should still be found")
	}
	if s.Role("arn:aws:iam::999999999999:role/exec") != nil {
		t.Error("a role of another account must not match by name")
	}
	if s.Secret("arn:aws:secretsmanager:us-east-1:123456789012:secret:db") == nil || s.Secret("db") == nil {
		t.Error("partial secret ARN and name should match")
	}
	if s.Parameter("/app/token") == nil || s.KMSKey("alias/app") == nil || s.KMSKey("arn:aws:kms:us-east-1:123456789012:alias/app") == nil {
		t.Error("parameter / KMS alias lookups")
	}
	if s.Gap("ec2:describevpcendpoints", "vpc-1") == nil || s.Gap("iam:GetRole", "arn:y") != nil || s.FirstGap("x", "iam:GetRole") == nil {
		t.Error("gap lookups")
	}
}

func TestExamplesRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.json"))
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Unmarshal(b); err != nil {
			t.Fatalf("%s does not round-trip: %v", f, err)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

// FuzzUnmarshal: any input gives a snapshot or an error, never a panic; and every check
// accessor copes with what it gives.
func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":1}`))
	f.Add([]byte(`{"schemaVersion":1,"task":{"attachments":[{"type":"ElasticNetworkInterface","details":[{"name":"subnetId"}]}]}}`))
	f.Add([]byte(`{"schemaVersion":1,"taskDefinition":{"containerDefinitions":[{"image":"x"}]},"service":{"networkConfiguration":{}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Unmarshal(data)
		if err != nil {
			return
		}
		s.ENI()
		s.LaunchType()
		s.NetworkMode()
		s.Containers()
		s.ExecutionRoleARN()
		s.RouteTableFor("subnet-1", "vpc-1")
	})
}
