package iampolicy

import "testing"

// Cases where this package and iam-simulate 0.1.173 knowingly differ; the
// differential generator avoids them and these tests pin our side.

// AWS: "Date condition operators ... You can specify ... a date in ISO 8601
// format or an epoch (UNIX) time" (IAM User Guide, Condition operators,
// Date). Both denote the same instant; iam-simulate compares epoch seconds
// with ISO milliseconds.
func TestKnownDiffDateEpochVsISO(t *testing.T) {
	p := mustParseString(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ecr:*","Resource":"*",
	 "Condition":{"DateGreaterThan":{"aws:CurrentTime":"1700000000"}}}}`)
	d := Evaluate(PolicySet{Identity: []NamedPolicy{{Name: "p", Policy: p}}, SCPs: []SCPLevel{}},
		Request{PrincipalARN: "arn:aws:iam::111122223333:role/r", Action: "ecr:BatchGetImage", Resource: "arn:aws:ecr:us-east-1:111122223333:repository/x",
			Context: map[string][]string{"aws:CurrentTime": {"2024-01-01T00:00:00Z"}}})
	if d.Effect != Allow {
		t.Fatalf("got %v: %s", d.Effect, d.Reason)
	}
}

// AWS: "Each of the six colon-delimited components of the ARN is checked
// separately ... Case-sensitive matching of the ARN" (Condition operators,
// ARN) and resource ARNs are case sensitive; iam-simulate folds case in the
// partition/service/region/account fields.
func TestKnownDiffARNCase(t *testing.T) {
	a := compileARNGlob("arn:aws:ecr:US-EAST-1:*:repository/x")
	if a.match("arn:aws:ecr:us-east-1:111122223333:repository/x") {
		t.Fatal("ARN fields must match case-sensitively")
	}
}
