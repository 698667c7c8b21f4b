package preflight

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/pulldoctor/pulldoctor/pkg/check"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
	"go.yaml.in/yaml/v3"
)

// yamlValue converts one YAML value the way a template's values are converted.
func yamlValue(t *testing.T, src string) (any, error) {
	t.Helper()
	root, err := parseYAML([]byte(src))
	if err != nil {
		return nil, err
	}
	return (&yamlConv{budget: maxYAMLValues, active: map[*yaml.Node]bool{}}).value(root)
}

func TestYAMLShortForms(t *testing.T) {
	type m = map[string]any
	type l = []any
	n := func(s string) json.Number { return json.Number(s) }
	cases := []struct {
		in   string
		want any
	}{
		{`!Ref Bucket`, m{"Ref": "Bucket"}},
		{`!Ref AWS::Region`, m{"Ref": "AWS::Region"}},
		{`!Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/app:${ImageTag}"`, m{"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/app:${ImageTag}"}},
		{"!Sub\n  - arn:aws:s3:::${B}/*\n  - B: !Ref Bucket", m{"Fn::Sub": l{"arn:aws:s3:::${B}/*", m{"B": m{"Ref": "Bucket"}}}}},
		{`!GetAtt ExecRole.Arn`, m{"Fn::GetAtt": l{"ExecRole", "Arn"}}},
		{`!GetAtt Db.Endpoint.Address`, m{"Fn::GetAtt": l{"Db", "Endpoint.Address"}}},
		{`!GetAtt [ExecRole, Arn]`, m{"Fn::GetAtt": l{"ExecRole", "Arn"}}},
		{`!Join ["", ["arn:aws:s3:::", !Ref B]]`, m{"Fn::Join": l{"", l{"arn:aws:s3:::", m{"Ref": "B"}}}}},
		{`!Select [0, !GetAZs ""]`, m{"Fn::Select": l{n("0"), m{"Fn::GetAZs": ""}}}},
		{`!Select [1, !Split [",", !ImportValue Subnets]]`, m{"Fn::Select": l{n("1"), m{"Fn::Split": l{",", m{"Fn::ImportValue": "Subnets"}}}}}},
		{`!If [IsProd, !Ref AWS::NoValue, 2]`, m{"Fn::If": l{"IsProd", m{"Ref": "AWS::NoValue"}, n("2")}}},
		{`!Equals [!Ref Env, prod]`, m{"Fn::Equals": l{m{"Ref": "Env"}, "prod"}}},
		{`!Not [!Condition IsProd]`, m{"Fn::Not": l{m{"Condition": "IsProd"}}}},
		{`!And [!Condition A, !Or [!Condition B, !Equals [a, b]]]`, m{"Fn::And": l{m{"Condition": "A"}, m{"Fn::Or": l{m{"Condition": "B"}, m{"Fn::Equals": l{"a", "b"}}}}}}},
		{`!FindInMap [RegionMap, !Ref AWS::Region, AMI]`, m{"Fn::FindInMap": l{"RegionMap", m{"Ref": "AWS::Region"}, "AMI"}}},
		{`!Base64 "#!/bin/bash"`, m{"Fn::Base64": "#!/bin/bash"}},
		{`!Cidr [!GetAtt VPC.CidrBlock, 6, 8]`, m{"Fn::Cidr": l{m{"Fn::GetAtt": l{"VPC", "CidrBlock"}}, n("6"), n("8")}}},
		{`!GetAZs us-east-1`, m{"Fn::GetAZs": "us-east-1"}},
		{"!Transform\n  Name: AWS::Include\n  Parameters: {Location: s3://b/k}", m{"Fn::Transform": m{"Name": "AWS::Include", "Parameters": m{"Location": "s3://b/k"}}}},
		// Long forms written in YAML stay as they are.
		{`{"Fn::GetAtt": [R, Arn]}`, m{"Fn::GetAtt": l{"R", "Arn"}}},
		// Plain scalars: numbers and booleans as JSON has them, quoted numbers stay strings.
		{`[8080, "8080", '256', true, "true", ~, null, 2010-09-09, 1.5, -3]`, l{n("8080"), "8080", "256", true, "true", nil, nil, "2010-09-09", n("1.5"), n("-3")}},
		// Numbers JSON cannot write keep their text: an account id with a leading zero.
		{`[012345678901, 0x1F, 1_000, .inf]`, l{"012345678901", "0x1F", "1_000", ".inf"}},
		{`{8080: a, true: b, null: c}`, m{"8080": "a", "true": "b", "null": "c"}},
		{`!!str 8080`, "8080"},
		// Anchors, aliases and merge keys, as `aws cloudformation package` resolves them.
		{"a: &img !Sub '${AWS::AccountId}.dkr.ecr.eu-west-1.amazonaws.com/app'\nb: *img", m{"a": m{"Fn::Sub": "${AWS::AccountId}.dkr.ecr.eu-west-1.amazonaws.com/app"}, "b": m{"Fn::Sub": "${AWS::AccountId}.dkr.ecr.eu-west-1.amazonaws.com/app"}}},
		{"base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3", m{"base": m{"x": n("1"), "y": n("2")}, "c": m{"x": n("1"), "y": n("3")}}},
		{"a: &a {x: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]", m{"a": m{"x": n("1")}, "b": m{"x": n("2"), "z": n("2")}, "c": m{"x": n("1"), "z": n("2")}}},
	}
	for _, c := range cases {
		got, err := yamlValue(t, c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", c.in, got, c.want)
		}
	}
}

func TestYAMLBadValues(t *testing.T) {
	pos := regexp.MustCompile(`^line \d+ column \d+: `)
	cases := map[string]struct{ in, want string }{
		"unknown tag":      {"a: 1\nb: !Reff X", "line 2 column 4: unknown tag !Reff"},
		"unknown fn tag":   {"a: !Length [1]", "unknown tag !Length"},
		"binary":           {"a: !!binary aGk=", "unsupported tag !!binary"},
		"set":              {"a: !!set {x}", "unsupported tag !!set"},
		"getatt no dot":    {"a: !GetAtt Role", `!GetAtt "Role": want Resource.Attribute`},
		"ref of a list":    {"a: !Ref [A, B]", "!Ref takes a name"},
		"duplicate key":    {"a: 1\na: 2", `line 2 column 1: duplicate key "a"`},
		"complex key":      {"? [a, b]\n: c", "a mapping key must be a plain string"},
		"alias to itself":  {"a: &x [1, *x]", "contains itself"},
		"bad merge":        {"a: &x 1\nb:\n  <<: *x", "merge key"},
		"alias expansion":  {billionLaughs, "aliases expand to more than"},
		"two documents":    {"a: 1\n---\nb: 2", "line 2 column 1: more than one YAML document"},
		"syntax":           {"a: 1\nb: [1, 2\nc: 3", "line 2 column 8: did not find expected ',' or ']'"},
		"unknown anchor":   {"a: 1\nb: *nope", "line 2 column 8: unknown anchor 'nope' referenced"},
		"non-ascii column": {"a: \"日本\"\nb: c: d", "line 2 column 5: mapping values"},
		"tab indentation":  {"a:\n\tb: 1", "line 2 column 1: found character that cannot start any token"},
		"unclosed quote":   {"a: 1\nb: \"abc\nc: 2\n", "line 2 column 4: found unexpected end of stream"},
		"mapping in value": {"a: b: c", "line 1 column 5: mapping values are not allowed in this context"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := yamlValue(t, c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) || !pos.MatchString(err.Error()) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line with line/column and %q", err, c.want)
			}
		})
	}
}

// billionLaughs expands to 9^9 values if aliases are copied without a bound.
var billionLaughs = func() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	return b.String()
}()

// The YAML template and its JSON form must be the same value, the same snapshot and the same
// report: one reader, two syntaxes.
func TestCloudFormationYAMLMatchesJSON(t *testing.T) {
	js, ym := fixture(t, "cloudformation.json"), fixture(t, "cloudformation.yaml")
	var fromJSON map[string]any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&fromJSON); err != nil {
		t.Fatal(err)
	}
	fromYAML, ok, err := decodeYAML(ym)
	if err != nil || !ok {
		t.Fatalf("decode YAML: ok=%v err=%v", ok, err)
	}
	if !reflect.DeepEqual(fromJSON, fromYAML) {
		a, _ := json.MarshalIndent(fromJSON, "", " ")
		b, _ := json.MarshalIndent(fromYAML, "", " ")
		t.Fatalf("values differ:\nJSON %s\nYAML %s", a, b)
	}
	for _, o := range []Options{{Region: "eu-west-1", Account: "111122223333"}, {Region: "ap-northeast-1", Account: "123456789012", File: "t"}} {
		var out [2][3]string
		for i, data := range [][]byte{js, ym} {
			res, err := Parse(data, o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Kind != KindCloudFormation {
				t.Fatalf("kind %s", res.Kind)
			}
			snap, err := snapshot.Marshal(res.Snapshot)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := json.Marshal(check.Diagnose(res.Snapshot))
			if err != nil {
				t.Fatal(err)
			}
			out[i] = [3]string{string(snap), string(rep), strings.Join(res.Notes, "\n")}
		}
		for k, what := range []string{"snapshot", "report", "notes"} {
			if out[0][k] != out[1][k] {
				t.Errorf("%s differs between JSON and YAML:\nJSON %.2000s\nYAML %.2000s", what, out[0][k], out[1][k])
			}
		}
	}
	if _, err := Parse(ym, Options{}); err == nil || errors.Is(err, ErrUnrecognized) {
		t.Fatalf("YAML without --account/--region: %v, want the same request as for JSON", err)
	}
}

func TestCloudFormationYAMLFargatePrivateNoNAT(t *testing.T) {
	data := fixture(t, "cloudformation-fargate-private-no-nat.yaml")
	o := Options{Region: "us-east-1", Account: "123456789012"}
	res, err := Parse(data, o)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Snapshot
	if res.Kind != KindCloudFormation || deref(s.TaskDefinition.ExecutionRoleArn) != "arn:aws:iam::123456789012:role/(ExecRole)" {
		t.Fatalf("kind %s, execution role %q", res.Kind, deref(s.TaskDefinition.ExecutionRoleArn))
	}
	if img := deref(s.TaskDefinition.ContainerDefinitions[0].Image); img != "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.4.2" {
		t.Fatalf("image %q", img)
	}
	rep := check.Diagnose(s)
	if !rep.HasFailures() || len(rep.Verdict.Causes) == 0 || rep.Verdict.Causes[0] != "network-no-route" {
		t.Fatalf("verdict %v, want network-no-route first", rep.Verdict.Causes)
	}
	want := map[string]finding.Status{"subnet-egress-path": finding.Fail, "ecr-endpoints-complete": finding.Fail, "s3-gateway-endpoint": finding.Fail,
		"vpc-dns-attributes": finding.Pass, "exec-role-trust": finding.Pass, "exec-role-ecr-pull": finding.Pass, "exec-role-ecr-auth": finding.Pass,
		"exec-role-logs": finding.Pass, "ecr-image-exists": finding.Unknown}
	for id, st := range want {
		if got := status(rep, id); got != st {
			t.Errorf("%s: %s, want %s", id, got, st)
		}
	}
	for _, f := range rep.Findings {
		if f.Status == finding.Fail && f.Cause != "network-no-route" {
			t.Errorf("unexpected failure %s (%s): %s", f.Check, f.Cause, f.Message)
		}
	}

	// The same template with a NAT gateway in the public subnet has a path.
	nat := strings.Replace(string(data), "  ECSCluster:\n", `  NatEIP:
    Type: AWS::EC2::EIP
    Properties: {Domain: vpc}
  NatGateway:
    Type: AWS::EC2::NatGateway
    Properties:
      AllocationId: !GetAtt NatEIP.AllocationId
      SubnetId: !Ref PublicSubnetOne
  PrivateRouteOne:
    Type: AWS::EC2::Route
    Properties:
      RouteTableId: !Ref PrivateRouteTableOne
      DestinationCidrBlock: 0.0.0.0/0
      NatGatewayId: !Ref NatGateway
  ECSCluster:
`, 1)
	res, err = Parse([]byte(nat), o)
	if err != nil {
		t.Fatal(err)
	}
	rep = check.Diagnose(res.Snapshot)
	if got := status(rep, "subnet-egress-path"); got != finding.Pass || rep.HasFailures() {
		for _, f := range rep.Findings {
			if f.Status == finding.Fail {
				t.Logf("fail: %s %s", f.Check, f.Message)
			}
		}
		t.Fatalf("with a NAT gateway: subnet-egress-path %s, failing %v", got, rep.HasFailures())
	}
}

func TestYAMLDetection(t *testing.T) {
	cases := map[string]struct {
		in   string
		want error
	}{
		"plain text":        {"hello", ErrUnrecognized},
		"yaml list":         {"- a\n- b", ErrUnrecognized},
		"yaml task def":     {"family: x\ncontainerDefinitions:\n  - name: a\n    image: nginx", ErrUnrecognized},
		"yaml tf-ish":       {"format_version: '1.2'\nplanned_values: {}", ErrUnrecognized},
		"comment only":      {"# nothing\n", ErrUnrecognized},
		"malformed":         {"Resources:\n  X: [\n", ErrUnrecognized},
		"cfn without td":    {"AWSTemplateFormatVersion: 2010-09-09\nResources:\n  B: {Type: AWS::S3::Bucket}", ErrNoTaskDefinition},
		"version only":      {"AWSTemplateFormatVersion: '2010-09-09'", ErrNoTaskDefinition},
		"resources as list": {"Resources: [a]", ErrUnrecognized},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.in), Options{})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	// A malformed template says where.
	_, err := Parse([]byte("Resources:\n  TD:\n    Type: AWS::ECS::TaskDefinition\n   Properties: {}\n"), Options{})
	if err == nil || !regexp.MustCompile(`^parse YAML: line 4 column \d+: `).MatchString(err.Error()) {
		t.Fatalf("malformed: %v", err)
	}
	_, err = Parse([]byte("Resources:\n  TD:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      Family: !Reff x\n"), Options{})
	if err == nil || !strings.Contains(err.Error(), "line 5 column 15: unknown tag !Reff") {
		t.Fatalf("unknown tag: %v", err)
	}
}

func FuzzCloudFormationYAML(f *testing.F) {
	f.Add(string(fixture(&testing.T{}, "cloudformation.yaml")))
	f.Add(string(fixture(&testing.T{}, "cloudformation-fargate-private-no-nat.yaml")))
	f.Add("Resources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - {Name: a, Image: !Sub '${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/x'}\n")
	f.Add("Resources:\n  S:\n    Type: AWS::ECS::Service\n    Properties: {TaskDefinition: !GetAtt [T, Arn], NetworkConfiguration: {AwsvpcConfiguration: {Subnets: !Split [',', !Ref S]}}}\n  T: {Type: AWS::ECS::TaskDefinition, Properties: {ContainerDefinitions: [{Image: !Select [0, [a]]}]}}\n")
	f.Add("a: &a [*a]\nResources: *a\n")
	f.Add("Resources: {R: {Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref X, GatewayId: !Ref I}}, I: {Type: AWS::EC2::InternetGateway}}\n<<: {AWSTemplateFormatVersion: x}\n")
	f.Fuzz(func(t *testing.T, in string) {
		for _, o := range []Options{{}, {Region: "us-east-1", Account: "123456789012"}} {
			res, err := Parse([]byte(in), o)
			if err != nil {
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("multi-line error %q", err)
				}
				continue
			}
			check.Diagnose(res.Snapshot)
		}
	})
}
