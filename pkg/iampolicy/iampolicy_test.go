package iampolicy

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
)

func mustParseString(t testing.TB, s string) *Policy {
	t.Helper()
	p, err := ParseString(s)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return p
}

const (
	roleARN    = "arn:aws:iam::111122223333:role/ecsTaskExecutionRole"
	sessionARN = "arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/task-abc"
	repoARN    = "arn:aws:ecr:us-east-1:111122223333:repository/app"
	xRepoARN   = "arn:aws:ecr:us-east-1:444455556666:repository/shared"
)

func execPolicy(t testing.TB) NamedPolicy {
	b, err := os.ReadFile("testdata/AmazonECSTaskExecutionRolePolicy.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return NamedPolicy{Name: "AmazonECSTaskExecutionRolePolicy", ARN: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy", Policy: p}
}

func TestParseForms(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Allow","Action":"ecr:BatchGetImage","Resource":"*",
	  "Principal":{"AWS":["arn:aws:iam::111122223333:root","444455556666"],"Service":"ecs-tasks.amazonaws.com"},
	  "Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}}}`
	for name, in := range map[string]string{
		"plain":       doc,
		"url-encoded": url.PathEscape(doc),
		"json-string": fmt.Sprintf("%q", doc),
	} {
		p, err := ParseString(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := p.Statements[0]
		if s.Sid != "A" || len(s.Principal.AWS) != 2 || s.Principal.Service[0] != "ecs-tasks.amazonaws.com" || len(s.Conditions) != 2 {
			t.Fatalf("%s: %+v", name, s)
		}
		if s.Conditions[0].Values[0] != "true" || s.Conditions[1].Values[0] != "3600" {
			t.Fatalf("%s: condition values %+v", name, s.Conditions)
		}
	}
	// IAM's own encoding of a document
	if _, err := ParseString("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"); err != nil {
		t.Fatal(err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		``, `[]`, `{`, `{"Statement":[]}x`, `{"Version":"2010-01-01","Statement":[]}`,
		`{"Version":"2012-10-17"}`, `{"Statement":[{"Effect":"Maybe","Action":"*"}]}`,
		`{"Statement":[{"Effect":"Allow"}]}`, `{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"StringEqualz":{"a":"b"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Principal":"me"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":["*",1]}]}`, `{"Statement":[{"Effect":"Allow","Action":"ecrBatch"}]}`,
		`%ZZ`,
	} {
		_, err := ParseString(in)
		if err == nil || !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: want ErrMalformed, got %v", in, err)
		}
	}
	_, err := ParseString(`{"Statement":[{"Effect":"Allow","Action":"*"},{"Sid":"Bad","Effect":"Allow"}]}`)
	if err == nil || !strings.Contains(err.Error(), `Statement[1] (Sid "Bad")`) {
		t.Errorf("error lacks context: %v", err)
	}
}

func eval(t *testing.T, set PolicySet, req Request) Decision {
	t.Helper()
	return Evaluate(set, req)
}

func TestExecutionRolePolicy(t *testing.T) {
	set := PolicySet{Identity: []NamedPolicy{execPolicy(t)}}
	for _, a := range []string{"ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ECR:batchgetimage", "logs:PutLogEvents"} {
		d := eval(t, set, Request{PrincipalARN: sessionARN, Action: a, Resource: repoARN})
		if d.Effect != Allow || !d.SCPsAssumed || d.Deciding[0].Policy != set.Identity[0].ARN || d.Deciding[0].Index != 0 {
			t.Errorf("%s: %+v", a, d)
		}
	}
	d := eval(t, set, Request{PrincipalARN: sessionARN, Action: "secretsmanager:GetSecretValue", Resource: "*"})
	if d.Effect != ImplicitDeny {
		t.Errorf("secrets: %+v", d)
	}
}

// Cross-account ECR pull: repository policy in 444455556666 must allow, and
// the identity policy in 111122223333 too (IAM User Guide, cross-account
// policy evaluation logic; ECR repository policy examples).
func TestCrossAccountRepositoryPolicy(t *testing.T) {
	repo := mustParseString(t, `{"Version":"2012-10-17","Statement":[{"Sid":"AllowCrossAccountPull","Effect":"Allow",
	  "Principal":{"AWS":"arn:aws:iam::111122223333:root"},
	  "Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"]}]}`)
	req := Request{PrincipalARN: sessionARN, Action: "ecr:BatchGetImage", Resource: xRepoARN, ResourceAccount: "444455556666"}
	set := PolicySet{Identity: []NamedPolicy{execPolicy(t)}, Resource: &NamedPolicy{Name: "repo", Policy: repo}}
	if d := eval(t, set, req); d.Effect != Allow || len(d.Deciding) != 2 {
		t.Errorf("both allow: %+v", d)
	}
	if d := eval(t, PolicySet{Identity: []NamedPolicy{execPolicy(t)}}, req); d.Effect != ImplicitDeny || !strings.Contains(d.Reason, "resource policy") {
		t.Errorf("no repo policy: %+v", d)
	}
	if d := eval(t, PolicySet{Resource: set.Resource}, req); d.Effect != ImplicitDeny || !strings.Contains(d.Reason, "identity") {
		t.Errorf("no identity: %+v", d)
	}
	// ECR example: deny everyone except a role
	deny := mustParseString(t, `{"Version":"2012-10-17","Statement":[{"Sid":"DenyPull","Effect":"Deny","Principal":"*","Action":"ecr:*",
	  "Condition":{"StringNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/ci"}}}]}`)
	d := eval(t, PolicySet{Identity: []NamedPolicy{execPolicy(t)}, Resource: &NamedPolicy{Name: "repo", Policy: deny}},
		Request{PrincipalARN: sessionARN, Action: "ecr:BatchGetImage", Resource: repoARN})
	if d.Effect != ExplicitDeny || d.Deciding[0].Sid != "DenyPull" {
		t.Errorf("deny: %+v", d)
	}
}

// Same account: a resource policy naming the role is enough without an
// identity policy, but a permissions boundary limits it unless the policy
// names the session ARN (IAM User Guide, evaluation logic, boundaries).
func TestBoundaryNuance(t *testing.T) {
	rp := func(principal string) *NamedPolicy {
		return &NamedPolicy{Name: "repo", Policy: mustParseString(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+principal+`"},"Action":"ecr:BatchGetImage","Resource":"*"}]}`)}
	}
	boundary := &NamedPolicy{Name: "pb", Policy: mustParseString(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"logs:*","Resource":"*"}}`)}
	req := Request{PrincipalARN: sessionARN, Action: "ecr:BatchGetImage", Resource: repoARN}
	cases := []struct {
		name string
		set  PolicySet
		want Effect
	}{
		{"role principal, no boundary", PolicySet{Resource: rp(roleARN)}, Allow},
		{"role principal, boundary", PolicySet{Resource: rp(roleARN), Boundary: boundary}, ImplicitDeny},
		{"session principal, boundary", PolicySet{Resource: rp(sessionARN), Boundary: boundary}, Allow},
		{"account principal only", PolicySet{Resource: rp("111122223333")}, ImplicitDeny},
		{"identity allowed, boundary denies", PolicySet{Identity: []NamedPolicy{execPolicy(t)}, Boundary: boundary}, ImplicitDeny},
	}
	for _, c := range cases {
		if d := eval(t, c.set, req); d.Effect != c.want {
			t.Errorf("%s: got %v (%s)", c.name, d.Effect, d.Reason)
		}
	}
}

// The ECS task execution role trust policy with the confused-deputy
// conditions AWS recommends.
func TestTrustPolicy(t *testing.T) {
	p := mustParseString(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ecs-tasks.amazonaws.com"]},"Action":"sts:AssumeRole",
	 "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:us-west-2:111122223333:*"},"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}`)
	ok := map[string][]string{"aws:SourceArn": {"arn:aws:ecs:us-west-2:111122223333:task/c/abc"}, "aws:SourceAccount": {"111122223333"}}
	if d := p.AllowsPrincipal("trust", "ecs-tasks.amazonaws.com", "sts:AssumeRole", roleARN, ok); d.Effect != Allow || d.SCPsAssumed {
		t.Errorf("allow: %+v", d)
	}
	if d := p.AllowsPrincipal("trust", "ec2.amazonaws.com", "sts:AssumeRole", roleARN, ok); d.Effect != ImplicitDeny {
		t.Errorf("other service: %+v", d)
	}
	d := p.AllowsPrincipal("trust", "ecs-tasks.amazonaws.com", "sts:AssumeRole", roleARN, map[string][]string{"aws:SourceAccount": {"111122223333"}})
	if d.Effect != Unknown || !strings.Contains(d.Reason, "aws:SourceArn has no value") {
		t.Errorf("unknown: %+v", d)
	}
	wrong := map[string][]string{"aws:SourceArn": {"arn:aws:ecs:us-west-2:999999999999:task/c/abc"}, "aws:SourceAccount": {"111122223333"}}
	if d := p.AllowsPrincipal("trust", "ecs-tasks.amazonaws.com", "sts:AssumeRole", roleARN, wrong); d.Effect != ImplicitDeny {
		t.Errorf("wrong source: %+v", d)
	}
}

func TestUnknownResolution(t *testing.T) {
	allow := execPolicy(t)
	vpceDeny := NamedPolicy{Name: "vpce", Policy: mustParseString(t, `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyVpce","Effect":"Deny","Action":"ecr:*","Resource":"*",
	  "Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]}`)}
	hardDeny := NamedPolicy{Name: "hard", Policy: mustParseString(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ecr:BatchGetImage","Resource":"*"}]}`)}
	req := Request{PrincipalARN: sessionARN, Action: "ecr:BatchGetImage", Resource: repoARN}
	d := Evaluate(PolicySet{Identity: []NamedPolicy{allow, vpceDeny}}, req)
	if d.Effect != Unknown || d.Reason != "a Deny statement may apply: condition key aws:SourceVpce has no value in the request context" || d.Deciding[0].Sid != "OnlyVpce" {
		t.Errorf("unknown deny: %+v", d)
	}
	if d := Evaluate(PolicySet{Identity: []NamedPolicy{allow, vpceDeny, hardDeny}}, req); d.Effect != ExplicitDeny {
		t.Errorf("hard deny decides: %+v", d)
	}
	req.Context = map[string][]string{"aws:SourceVpce": {"vpce-1"}}
	if d := Evaluate(PolicySet{Identity: []NamedPolicy{allow, vpceDeny}}, req); d.Effect != Allow {
		t.Errorf("through endpoint: %+v", d)
	}
	req.Context = nil
	req.ContextComplete = true
	if d := Evaluate(PolicySet{Identity: []NamedPolicy{allow, vpceDeny}}, req); d.Effect != ExplicitDeny {
		t.Errorf("complete context, no endpoint: %+v", d)
	}
}

func TestConditionOperators(t *testing.T) {
	ctx := map[string][]string{
		"aws:SourceIp": {"10.0.1.5"}, "aws:CurrentTime": {"2025-01-01T00:00:00Z"}, "aws:EpochTime": {"1735689600"},
		"aws:TagKeys": {"env", "team"}, "aws:username": {"alice"}, "aws:SecureTransport": {"TRUE"},
		"s3:prefix": {"home/alice/x"}, "aws:PrincipalTag/t": {"A*B"},
	}
	cases := []struct {
		cond string
		want tri
	}{
		{`"IpAddress":{"aws:SourceIp":"10.0.0.0/16"}`, triTrue},
		{`"NotIpAddress":{"aws:SourceIp":["10.0.0.0/16","192.168.0.0/16"]}`, triFalse},
		{`"DateGreaterThan":{"aws:CurrentTime":"2024-12-31T23:59:59Z"}`, triTrue},
		{`"DateLessThan":{"aws:EpochTime":"2025-01-01T00:00:01Z"}`, triTrue},
		{`"ForAllValues:StringEquals":{"aws:TagKeys":["env","team","cost"]}`, triTrue},
		{`"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}`, triFalse},
		{`"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}`, triTrue},
		{`"ForAllValues:StringEquals":{"aws:RequestTag/x":["a"]}`, triUnknown},
		{`"StringLike":{"s3:prefix":"home/${aws:username}/*"}`, triTrue},
		{`"StringEquals":{"aws:PrincipalTag/t":"A${*}B"}`, triTrue},
		{`"StringLike":{"aws:PrincipalTag/t":"A${*}B"}`, triTrue},
		{`"StringLike":{"s3:prefix":"home/${aws:userid, 'none'}/*"}`, triUnknown},
		{`"Bool":{"aws:SecureTransport":"true"}`, triTrue},
		{`"Null":{"aws:SourceVpce":"true"}`, triTrue},
		{`"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"}`, triTrue},
		{`"StringEquals":{"aws:SourceVpce":"vpce-1"}`, triUnknown},
		{`"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}`, triUnknown},
		{`"StringNotEquals":{"aws:username":["bob","carol"]}`, triTrue},
	}
	for _, c := range cases {
		p := mustParseString(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{`+c.cond+`}}}`)
		rc := reqCtx{req: Request{Context: ctx, Action: "s3:GetObject"}, action: "s3:GetObject"}
		got, _, _, _ := p.Statements[0].eval(&rc, false)
		if got != c.want {
			t.Errorf("%s: got %v want %v", c.cond, got, c.want)
		}
	}
}

func TestMatching(t *testing.T) {
	g := compileGlob("ecr:batch*")
	if !g.match("ECR:BatchGetImage", true) || g.match("ecr:GetAuthorizationToken", true) {
		t.Error("action glob")
	}
	a := compileARNGlob("arn:aws:logs:*:*:log-group:/ecs/*")
	if !a.match("arn:aws:logs:us-east-1:111122223333:log-group:/ecs/app:log-stream:x") {
		t.Error("wildcard in resource part spans colons")
	}
	if func() bool { a := compileARNGlob("arn:aws:ecr:us-east-1:*:repository/App"); return a.match(repoARN) }() {
		t.Error("resource ARNs are case-sensitive")
	}
	if func() bool { a := compileARNGlob("arn:aws:ecr:*:repository/app"); return a.match(repoARN) }() {
		t.Error("a wildcard in the region field must not run into the account field")
	}
	if !func() bool {
		a := compileARNGlob("arn:aws:ecr:us-east-?:111122223333:repository/a?p")
		return a.match(repoARN)
	}() {
		t.Error("?")
	}
}

// A managed policy of ~6 KB with 100 statements parses and evaluates.
func TestLargePolicy(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"Version":"2012-10-17","Statement":[`)
	for i := 0; i < 100; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"Sid":"S%d","Effect":"Allow","Action":"logs:Get%d*","Resource":"arn:aws:logs:*:*:log-group:/g%d"}`, i, i, i)
	}
	sb.WriteString(`]}`)
	if sb.Len() < 6000 {
		t.Fatalf("policy is only %d bytes", sb.Len())
	}
	p := mustParseString(t, sb.String())
	d := Evaluate(PolicySet{Identity: []NamedPolicy{{Name: "big", Policy: p}}}, Request{PrincipalARN: roleARN, Action: "logs:Get99Events", Resource: "arn:aws:logs:us-east-1:111122223333:log-group:/g99"})
	if d.Effect != Allow || d.Deciding[0].Sid != "S99" {
		t.Fatalf("%+v", d)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"a":"${x, 'y'}*"}}}}`))
	f.Add([]byte(`%7B%22Statement%22%3A%5B%5D%7D`))
	f.Add([]byte(`"{\"Statement\":[]}"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		Evaluate(PolicySet{Identity: []NamedPolicy{{Policy: p}}, Resource: &NamedPolicy{Policy: p}}, Request{PrincipalARN: sessionARN, Action: "ecr:BatchGetImage", Resource: repoARN,
			Context: map[string][]string{"x": {"1"}, "a": {"b"}}})
	})
}

func BenchmarkEvaluateExecRole(b *testing.B) {
	set := PolicySet{Identity: []NamedPolicy{execPolicy(b)}, SCPs: []SCPLevel{}}
	for i := 0; i < 10; i++ {
		p := mustParseString(b, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		 {"Sid":"Logs%d","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:*:log-group:/ecs/svc%d:*"},
		 {"Sid":"Secrets%d","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:111122223333:secret:svc%d-*",
		  "Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}},
		 {"Sid":"DenyOutside%d","Effect":"Deny","Action":"ecr:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:SourceVpce":["vpce-1","vpce-2"]}}}]}`, i, i, i, i, i))
		set.Identity = append(set.Identity, NamedPolicy{Name: fmt.Sprintf("custom%d", i), Policy: p})
	}
	req := Request{PrincipalARN: sessionARN, Action: "ecr:BatchGetImage", Resource: repoARN, Context: map[string][]string{"aws:SourceVpce": {"vpce-1"}}}
	if d := Evaluate(set, req); d.Effect != Allow {
		b.Fatalf("%+v", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(set, req)
	}
}

// Decisions over one parsed policy share the list of the statement that alone allows them
// (Policy.soleAllow): it must name the label of each evaluation, and appending to one
// decision's list must not change another's.
func TestSharedDecidingList(t *testing.T) {
	p := execPolicy(t)
	other := p
	other.ARN = "arn:aws:iam::111122223333:policy/copy"
	req := Request{PrincipalARN: roleARN, Action: "ecr:BatchGetImage", Resource: repoARN}
	want := "allowed by " + p.ARN + " statement #0"
	for i := 0; i < 3; i++ {
		d := Evaluate(PolicySet{Identity: []NamedPolicy{p}}, req)
		if d.Effect != Allow || d.Reason != want || d.Deciding[0].String() != p.ARN+" statement #0" || len(d.Deciding) != 1 {
			t.Fatalf("round %d: %+v", i, d)
		}
		d.Deciding = append(d.Deciding, StatementRef{Policy: "appended"})
		o := Evaluate(PolicySet{Identity: []NamedPolicy{other}}, req)
		if o.Reason != "allowed by "+other.ARN+" statement #0" || o.Deciding[0].Policy != other.ARN || len(o.Deciding) != 1 {
			t.Fatalf("round %d, other label: %+v", i, o)
		}
	}
	// Two allowing statements: the list grows without touching the shared one.
	two := mustParseString(t, `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Effect":"Allow","Action":"ecr:BatchGetImage","Resource":"*"}]}`)
	set := PolicySet{Identity: []NamedPolicy{{Name: "two", Policy: two}}}
	for i := 0; i < 2; i++ {
		d := Evaluate(set, req)
		if len(d.Deciding) != 2 || d.Reason != `allowed by two statement "A"` || d.Deciding[1].String() != "two statement #1" {
			t.Fatalf("round %d: %+v", i, d)
		}
	}
}

func TestSharedDecidingListConcurrent(t *testing.T) {
	p := execPolicy(t)
	req := Request{PrincipalARN: roleARN, Action: "ecr:BatchGetImage", Resource: repoARN}
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			np := p
			np.ARN = fmt.Sprintf("arn:aws:iam::111122223333:policy/p%d", g%2)
			ok := true
			for i := 0; i < 200; i++ {
				d := Evaluate(PolicySet{Identity: []NamedPolicy{np}}, req)
				ok = ok && d.Reason == "allowed by "+np.ARN+" statement #0" && d.Deciding[0].String() == np.ARN+" statement #0"
			}
			done <- ok
		}()
	}
	for g := 0; g < 4; g++ {
		if !<-done {
			t.Error("a decision named another label")
		}
	}
}
