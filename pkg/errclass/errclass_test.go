package errclass

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
)

type corpusEntry struct {
	Text   string     `json:"text"`
	Cause  cause.ID   `json:"cause"`
	Also   []cause.ID `json:"also"`
	Source string     `json:"source"`
}

func loadCorpus(tb testing.TB) []corpusEntry {
	tb.Helper()
	b, err := os.ReadFile("testdata/corpus.json")
	if err != nil {
		tb.Fatal(err)
	}
	var c []corpusEntry
	if err := json.Unmarshal(b, &c); err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestCorpus checks every real message: the expected cause ranks first,
// the other acceptable causes appear, unknown stays ≤0.3, and no wrong cause
// is ever reported first with confidence ≥0.7.
func TestCorpus(t *testing.T) {
	corpus := loadCorpus(t)
	if len(corpus) < 80 {
		t.Fatalf("corpus has %d entries, want ≥80", len(corpus))
	}
	unknowns := 0
	for _, e := range corpus {
		if e.Source == "" || e.Text == "" {
			t.Errorf("entry without text or source: %+v", e)
		}
		if !slices.Contains(cause.All, e.Cause) {
			t.Errorf("%q: expected cause %q is not a catalogue id", e.Text, e.Cause)
		}
		r := Classify(e.Text)
		checkInvariants(t, e.Text, r)
		for _, m := range r.Classification {
			if m.Confidence >= 0.7 && m.Cause != e.Cause && !slices.Contains(e.Also, m.Cause) {
				t.Errorf("%s: %q: unexpected cause %s at confidence %.2f ≥ 0.7", e.Source, e.Text, m.Cause, m.Confidence)
			}
		}
		top := r.Classification[0]
		if top.Cause != e.Cause {
			t.Errorf("%s\n  text: %q\n  normalized: %q\n  got %v, want top %s", e.Source, e.Text, r.Normalized, r.Classification, e.Cause)
			if top.Confidence >= 0.7 {
				t.Errorf("  wrong cause %s reported with confidence %.2f ≥ 0.7", top.Cause, top.Confidence)
			}
			continue
		}
		if e.Cause == cause.Unknown {
			unknowns++
			if top.Confidence > 0.3 {
				t.Errorf("%q: unknown with confidence %.2f > 0.3", e.Text, top.Confidence)
			}
		}
		for _, a := range e.Also {
			if !slices.ContainsFunc(r.Classification, func(m Match) bool { return m.Cause == a }) {
				t.Errorf("%s: %q: %s missing from ranking %v", e.Source, e.Text, a, r.Classification)
			}
		}
	}
	if unknowns < 8 {
		t.Errorf("corpus has %d unknown texts, want ~10", unknowns)
	}
}

// checkInvariants holds for every input, however odd.
func checkInvariants(t *testing.T, in string, r Result) {
	t.Helper()
	if len(r.Classification) == 0 {
		t.Fatalf("%q: empty classification", in)
	}
	for i, m := range r.Classification {
		if m.Confidence < 0 || m.Confidence > 1 {
			t.Errorf("%q: confidence %v out of [0,1]", in, m.Confidence)
		}
		if i > 0 && m.Confidence > r.Classification[i-1].Confidence {
			t.Errorf("%q: not sorted: %v", in, r.Classification)
		}
		if !slices.Contains(cause.All, m.Cause) {
			t.Errorf("%q: unknown cause id %q", in, m.Cause)
		}
	}
	if r.Classification[0].Cause == cause.Unknown && r.Classification[0].Confidence > 0.3 {
		t.Errorf("%q: unknown above 0.3", in)
	}
	if !utf8.ValidString(r.Normalized) {
		t.Errorf("%q: normalized text is not valid UTF-8", in)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"lowercase and collapse", "  CannotPull\t\tContainerError:\n  X  ", "cannotpull containererror: x"},
		{"curly quotes", "can\u2019t \u2018docker login\u2019 \u201cx\u201d", `can't 'docker login' "x"`},
		{"json escapes", `msg \"a\" \u0027b\u0027 line1\nline2 back\\slash`, `msg "a" 'b' line1 line2 back\slash`},
		{"json quoted string", `"Reason: x"`, "reason: x"},
		{"httpReaderSeeker", "httpReaderSeeker: failed open", "httpreadseeker: failed open"},
		{"time(s)", "has been retried 3 time(s): x", "has been retried 3 times: x"},
		{"service event place", "(service my-svc) was unable to place a task. Reason: CannotPullContainerError: boom.", "cannotpullcontainererror: boom."},
		{"service and task", "(service my-svc) (task 0123456789abcdef) failed: Reason: X", "x"},
		{"launch failure", "service web failed to launch a task with (error ECS was unable to assume the role 'r').", "ecs was unable to assume the role 'r'"},
		{"agent logfmt", `level=error time=2024-06-01T10:00:00Z msg="Pull failed: toomanyrequests"`, "pull failed: toomanyrequests"},
		{"dockerd logfmt", `time="2017-03-23T20:05:24.017Z" level=error msg="unauthorized: authentication required"`, "unauthorized: authentication required"},
		{"old agent format", "2018-04-01T16:21:13Z [ERROR] Managed task [arn]: API error (404)", "managed task [arn]: api error (404)"},
		{"truncation", "RequestError: send request failed caused by: Post https://api.ecr....", "requesterror: send request failed caused by: post https://api.ecr."},
		{"unicode ellipsis", "context deadli\u2026", "context deadli"},
		{"invalid utf8", "bad \xff\xfe byte", "bad \ufffd\ufffd byte"},
		{"nbsp", "a\u00a0b", "a b"},
		{"control chars", "a\x00\x01b", "a b"},
		{"lone surrogate escape", `x\ud800y`, "x\ufffdy"},
		{"bad unicode escape kept", `x\uZZZZ`, `x\uzzzz`},
		{"trailing backslash", `x\`, `x\`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Extracted
	}{
		{"ecr permission", "CannotPullContainerError: Error response from daemon: pull access denied for 123123123123.dkr.ecr.us-east-1.amazonaws.com/my_image, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::123123123123:assumed-role/MyBrokenRole/xyz is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:123123123123:repository/test_image because no identity-based policy allows the ecr:BatchGetImage action",
			Extracted{Image: "123123123123.dkr.ecr.us-east-1.amazonaws.com/my_image", Registry: "123123123123.dkr.ecr.us-east-1.amazonaws.com", Action: "ecr:BatchGetImage", ARN: "arn:aws:ecr:us-east-1:123123123123:repository/test_image"}},
		{"resolve ref and dial", `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/tryretool/backend:2.110.5: failed to do request: Head "https://registry-1.docker.io/v2/tryretool/backend/manifests/2.110.5": dial tcp 34.205.13.154:443: i/o timeout`,
			Extracted{Image: "docker.io/tryretool/backend:2.110.5", Registry: "docker.io", Address: "34.205.13.154:443"}},
		{"quoted ref", `failed to resolve ref "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v42": failed to do request`,
			Extracted{Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v42", Registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com"}},
		{"manifest for", "CannotPullContainerError: Error response from daemon: manifest for nginx:0f6b not found",
			Extracted{Image: "nginx:0f6b", Registry: "docker.io"}},
		{"registry url only", "CannotPullContainerError: API error (500): Get https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/: net/http: request canceled",
			Extracted{Registry: "111122223333.dkr.ecr.us-east-1.amazonaws.com"}},
		{"status phrase", "failed with status code [manifests latest]: 403 Forbidden", Extracted{HTTPStatus: 403}},
		{"status code", "ResourceNotFoundException: The specified log group does not exist. status code: 400, request id: x", Extracted{HTTPStatus: 400}},
		{"StatusCode", "operation error ECR: GetAuthorizationToken, https response error StatusCode: 403, RequestID: x", Extracted{HTTPStatus: 403}},
		{"429 phrase", "unexpected status code https://registry-1.docker.io/v2/x/manifests/sha256:abc: 429 Too Many Requests", Extracted{Registry: "registry-1.docker.io", HTTPStatus: 429}},
		{"agent asm template glues from to the ARN", "ResourceNotFoundException: The task can't retrieve the secret with ARN arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEffrom AWS Secrets Manager. Check whether the secret exists in the specified Region",
			Extracted{ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}},
		{"secret arn", "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf from secrets manager: AccessDeniedException",
			Extracted{ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"}},
		{"action on star", "is not authorized to perform: ecr:GetAuthorizationToken on resource: *", Extracted{Action: "ecr:GetAuthorizationToken"}},
		{"role arn quoted", "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/exec' that was provided", Extracted{ARN: "arn:aws:iam::123456789012:role/exec"}},
		{"dns resolver", "dial tcp: lookup x.dkr.ecr.us-east-1.amazonaws.com on 10.5.0.2:53: no such host", Extracted{Address: "10.5.0.2:53"}},
		{"digits in tag are not a status", "manifest for nginx:0f6b3cdf5e24f0da3dd932acd84fd90e9786a522 not found", Extracted{Image: "nginx:0f6b3cdf5e24f0da3dd932acd84fd90e9786a522", Registry: "docker.io"}},
		{"nothing", "Essential container in task exited", Extracted{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.in).Extracted; got != tt.want {
				t.Errorf("Extracted = %+v\nwant        %+v", got, tt.want)
			}
		})
	}
}

// TestRanking pins the ambiguous cases the design calls out.
func TestRanking(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []cause.ID // prefix of the ranking
	}{
		{"ecr auth timeout", `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post "https://api.ecr.us-east-1.amazonaws.com/": dial tcp 10.0.0.1:443: i/o timeout`,
			[]cause.ID{cause.NetworkNoRoute, cause.VPCEndpointConfig}},
		{"pull access denied ecr", "pull access denied for 1.dkr.ecr.us-east-1.amazonaws.com/x, repository does not exist or may require 'docker login'",
			[]cause.ID{cause.ImageNotFound, cause.ExecRolePermissions, cause.RepositoryPolicy}},
		{"pull access denied hub", "pull access denied for foo/bar, repository does not exist or may require 'docker login'",
			[]cause.ID{cause.ImageNotFound, cause.RegistryAuth}},
		{"io timeout ecr", "dial tcp 10.0.3.17:443: i/o timeout while pulling 1.dkr.ecr.eu-west-1.amazonaws.com/app",
			[]cause.ID{cause.NetworkNoRoute, cause.VPCEndpointConfig}},
		{"no such host", "failed to resolve ref x: dial tcp: lookup registry-1.docker.io: no such host",
			[]cause.ID{cause.DNSResolution}},
		{"kms", "AccessDeniedException: Access to KMS is not allowed", []cause.ID{cause.KMSDecrypt, cause.SecretsAccess}},
		{"asm denied", "unable to retrieve secret from asm: AccessDeniedException: User x is not authorized to perform: secretsmanager:GetSecretValue", []cause.ID{cause.SecretsAccess}},
		{"ghcr manifests unauthorized", `CannotPullContainerError: Error response from daemon: Head "https://ghcr.io/v2/acme/app/manifests/2.1.0": unauthorized`,
			[]cause.ID{cause.RegistryAuth}},
		{"anonymous token 401", `CannotPullContainerError: failed to resolve reference "ghcr.io/acme/app:2.1.0": failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized`,
			[]cause.ID{cause.RegistryAuth}},
		{"pull access denied unauthorized hub", "pull access denied for acme/app, repository does not exist or may require 'docker login': unauthorized: authentication required",
			[]cause.ID{cause.RegistryAuth}},
		{"pull access denied unauthorized ecr", "pull access denied for 1.dkr.ecr.us-east-1.amazonaws.com/app, repository does not exist or may require 'docker login': unauthorized: authentication required",
			[]cause.ID{cause.ExecRolePermissions}},
		{"anonymous token timeout is not auth", `failed to resolve reference "docker.io/library/redis:latest": failed to authorize: failed to fetch anonymous token: Get "https://auth.docker.io/token": dial tcp 108.160.165.48:443: i/o timeout`,
			[]cause.ID{cause.NetworkNoRoute}},
		{"repo policy deny", "is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:1:repository/x with an explicit deny in a resource-based policy", []cause.ID{cause.RepositoryPolicy}},
		// Real Fargate reasons (2025) from two write-ups kept in public
		// repositories: ECR answered through its endpoints, then the layer
		// download from S3 timed out (fixed by the S3 prefix list in the
		// task SG, resp. the S3 gateway endpoint).
		{"ecr layer copy timeout is s3", "CannotPullContainerError: The task cannot pull XXXXXXXXXX.dkr.ecr.ap-southeast-1.amazonaws.com/notifyservice:latest from the registry XXXXXXXXXX.dkr.ecr.ap-southeast-1.amazonaws.com/notifyservice:latest. There is a connection issue between the task and the registry. Check your task network configuration. : failed to copy: httpReadSeeker: failed open: failed to do request: Get XXXXXXXXXX.dkr.ecr.ap-southeast-1.amazonaws.com/notifyservice:latest: dial tcp 52.219.41.3:443: i/o timeout",
			[]cause.ID{cause.S3LayerAccess, cause.NetworkNoRoute}},
		{"ecr layer copy timeout in a service event", "service seller-service-xaq0vgxm was unable to place a task. Reason: CannotPullContainerError: The task cannot pull 913524921896.dkr.ecr.us-east-1.amazonaws.com/testing/seller:2.0@sha256:625d54dc4bb9e0bc63362cc2b96ba3f5cd3368fdaea22e6f0d232829e8b49931 from the registry 913524921896.dkr.ecr.us-east-1.amazonaws.com/testing/seller:2.0@sha256:625d54dc4bb9e0bc63362cc2b96ba3f5cd3368fdaea22e6f0d232829e8b49931. There is a connection issue between the task and the registry. Check your task network configuration. : failed to copy: httpReadSeeker: failed open: failed to do request: Get 913524921896.dkr.ecr.us-east-1.amazonaws.com/testing/seller:2.0@sha256:625d54dc4bb9e0bc63362cc2b96ba3f5cd3368fdaea22e6f0d232829e8b49931: dial tcp 16.15.180.104:443: i/o timeout.",
			[]cause.ID{cause.S3LayerAccess}},
		{"docker hub layer copy timeout stays network", `failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://production.cloudflare.docker.com/registry-v2/docker/registry/v2/blobs/sha256/24/24c6": dial tcp 104.16.1.1:443: i/o timeout`,
			[]cause.ID{cause.NetworkNoRoute}},
		// A corpus reason (ActionIQ/terraform-aws-retool-ecs-fargate#20) cut
		// at ECS's 255 characters, in the middle of the dial error.
		{"truncated inside the dial", `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/tryretool/backend:2.110.5: failed to do request: Head "https://registry-1.docker.io/v2/tryretool/backend/manifests/2.110.5": dial tcp 34.205.13.154:4`,
			[]cause.ID{cause.NetworkNoRoute}},
		{"secrets manager connection issue", "ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve secret from asm: There is a connection issue between the task and AWS Secrets Manager. Check your task network configuration. failed to fetch secret arn:aws:secretsmanager:us-east-1:913524921896:secret:rds!db-a57bd929 from secrets manager: operation error Secrets Manager: GetSecretValue, https response error StatusCode: 0, RequestID: , canceled, context deadline exceeded.",
			[]cause.ID{cause.NetworkNoRoute, cause.VPCEndpointConfig}},
		{"cloudwatch connection issue", "ResourceInitializationError: failed to validate logger args: The task cannot find the Amazon CloudWatch log group defined in the task definition. There is a connection issue between the task and Amazon CloudWatch. Check your network configuration. : signal: killed.",
			[]cause.ID{cause.LogConfig, cause.NetworkNoRoute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Classify(tt.in)
			for i, w := range tt.want {
				if i >= len(r.Classification) || r.Classification[i].Cause != w {
					t.Fatalf("ranking %v, want prefix %v", r.Classification, tt.want)
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	for name, in := range map[string]string{
		"empty":            "",
		"spaces":           " \t\n ",
		"1MB":              big,
		"1MB tail match":   big + " no space left on device",
		"1MB head match":   "no space left on device " + big,
		"invalid utf8":     "\xff\xfe\xfd toomanyrequests \xc3",
		"only backslashes": strings.Repeat(`\`, 1000),
		"only escapes":     strings.Repeat(`\u00`, 1000),
		"nested wrappers":  strings.Repeat("(service x) ", 1000),
		"quotes":           `"`,
	} {
		t.Run(name, func(t *testing.T) {
			r := Classify(in)
			checkInvariants(t, in, r)
			if len(r.Normalized) > MaxNormalizedBytes {
				t.Errorf("normalized length %d > cap", len(r.Normalized))
			}
		})
	}
	if c := Classify("no space left on device " + big).Classification[0].Cause; c != cause.DiskFull {
		t.Errorf("head match lost: %s", c)
	}
	// Past the input cap the text is not read: documented behaviour.
	if c := Classify(big + " no space left on device").Classification[0].Cause; c != cause.Unknown {
		t.Errorf("text past MaxInputBytes was matched: %s", c)
	}
}

// TestRulesWellFormed keeps the table honest: unique ids, tokens already in
// normalised form (lower-case, single spaces), confidences in range.
func TestRulesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range rules {
		if r.id == "" || seen[r.id] {
			t.Errorf("rule id %q empty or duplicated", r.id)
		}
		seen[r.id] = true
		if len(r.all)+len(r.any) == 0 {
			t.Errorf("rule %s matches everything", r.id)
		}
		groups := [][]string{r.all, r.any, r.any2, r.none}
		for _, v := range r.variants {
			groups = append(groups, v.when)
		}
		for _, g := range groups {
			for _, tok := range g {
				if strings.Contains(tok, "times") || strings.Contains(tok, "(s)") || strings.Contains(tok, "seeker") {
					t.Errorf("rule %s: token %q overlaps a spelling variant unifySpelling rewrites after matching", r.id, tok)
				}
				if tok == "" || Normalize(tok) != strings.TrimSpace(tok) && strings.TrimSpace(Normalize(tok)) != strings.TrimSpace(tok) {
					t.Errorf("rule %s: token %q is not in normalised form", r.id, tok)
				}
			}
		}
	}
}

func FuzzClassify(f *testing.F) {
	for _, e := range loadCorpus(f) {
		f.Add(e.Text)
	}
	f.Add("")
	f.Add("\xff")
	f.Add(`\u`)
	f.Fuzz(func(t *testing.T, s string) {
		r := Classify(s)
		checkInvariants(t, s, r)
		if Normalize(s) != r.Normalized {
			t.Errorf("Normalize and Classify disagree on %q", s)
		}
	})
}

func BenchmarkClassify(b *testing.B) {
	corpus := loadCorpus(b)
	texts := make([]string, len(corpus))
	for i, e := range corpus {
		texts[i] = e.Text
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = Classify(texts[i%len(texts)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
