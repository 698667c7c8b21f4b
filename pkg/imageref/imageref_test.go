package imageref

import (
	"errors"
	"strings"
	"testing"
)

const (
	sha256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	sha512Hex = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
	sha384Hex = "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		in   string
		want Ref // Original is filled in from in
		str  string
		fam  string
	}{
		// Docker Hub short names and normalisation.
		{"nginx", Ref{Registry: "docker.io", Repository: "library/nginx", Kind: KindDockerHub}, "docker.io/library/nginx", "nginx"},
		{"nginx:1.25", Ref{Registry: "docker.io", Repository: "library/nginx", Tag: "1.25", Kind: KindDockerHub}, "docker.io/library/nginx:1.25", "nginx:1.25"},
		{"user/app", Ref{Registry: "docker.io", Repository: "user/app", Kind: KindDockerHub}, "docker.io/user/app", "user/app"},
		{"user/app:v1.0.0", Ref{Registry: "docker.io", Repository: "user/app", Tag: "v1.0.0", Kind: KindDockerHub}, "docker.io/user/app:v1.0.0", "user/app:v1.0.0"},
		{"library/nginx", Ref{Registry: "docker.io", Repository: "library/nginx", Kind: KindDockerHub}, "docker.io/library/nginx", "nginx"},
		{"docker.io/nginx", Ref{Registry: "docker.io", Repository: "library/nginx", Kind: KindDockerHub}, "docker.io/library/nginx", "nginx"},
		{"docker.io/library/nginx:latest", Ref{Registry: "docker.io", Repository: "library/nginx", Tag: "latest", Kind: KindDockerHub}, "docker.io/library/nginx:latest", "nginx:latest"},
		{"index.docker.io/nginx", Ref{Registry: "docker.io", Repository: "library/nginx", Kind: KindDockerHub}, "docker.io/library/nginx", "nginx"},
		{"index.docker.io/user/app:1", Ref{Registry: "docker.io", Repository: "user/app", Tag: "1", Kind: KindDockerHub}, "docker.io/user/app:1", "user/app:1"},
		{"registry-1.docker.io/library/redis:7", Ref{Registry: "docker.io", Repository: "library/redis", Tag: "7", Kind: KindDockerHub}, "docker.io/library/redis:7", "redis:7"},
		{"myuser/my-image:latest", Ref{Registry: "docker.io", Repository: "myuser/my-image", Tag: "latest", Kind: KindDockerHub}, "docker.io/myuser/my-image:latest", "myuser/my-image:latest"},
		{"library/a/b", Ref{Registry: "docker.io", Repository: "library/a/b", Kind: KindDockerHub}, "docker.io/library/a/b", "library/a/b"},
		{"a__b/c-d--e/f.g_h", Ref{Registry: "docker.io", Repository: "a__b/c-d--e/f.g_h", Kind: KindDockerHub}, "docker.io/a__b/c-d--e/f.g_h", "a__b/c-d--e/f.g_h"},
		{"nginx:A_B-c.d", Ref{Registry: "docker.io", Repository: "library/nginx", Tag: "A_B-c.d", Kind: KindDockerHub}, "docker.io/library/nginx:A_B-c.d", "nginx:A_B-c.d"},
		{"nginx:_x", Ref{Registry: "docker.io", Repository: "library/nginx", Tag: "_x", Kind: KindDockerHub}, "docker.io/library/nginx:_x", "nginx:_x"},
		{"nginx:" + strings.Repeat("t", 128), Ref{Registry: "docker.io", Repository: "library/nginx", Tag: strings.Repeat("t", 128), Kind: KindDockerHub}, "docker.io/library/nginx:" + strings.Repeat("t", 128), "nginx:" + strings.Repeat("t", 128)},
		// Digests.
		{"nginx@sha256:" + sha256Hex, Ref{Registry: "docker.io", Repository: "library/nginx", Digest: "sha256:" + sha256Hex, Kind: KindDockerHub}, "docker.io/library/nginx@sha256:" + sha256Hex, "nginx@sha256:" + sha256Hex},
		{"nginx:1.25@sha256:" + sha256Hex, Ref{Registry: "docker.io", Repository: "library/nginx", Tag: "1.25", Digest: "sha256:" + sha256Hex, Kind: KindDockerHub}, "docker.io/library/nginx:1.25@sha256:" + sha256Hex, "nginx:1.25@sha256:" + sha256Hex},
		{"ghcr.io/o/r@sha512:" + sha512Hex, Ref{Registry: "ghcr.io", Repository: "o/r", Digest: "sha512:" + sha512Hex, Kind: KindOther}, "ghcr.io/o/r@sha512:" + sha512Hex, "ghcr.io/o/r@sha512:" + sha512Hex},
		{"quay.io/o/r@sha384:" + sha384Hex, Ref{Registry: "quay.io", Repository: "o/r", Digest: "sha384:" + sha384Hex, Kind: KindOther}, "quay.io/o/r@sha384:" + sha384Hex, "quay.io/o/r@sha384:" + sha384Hex},
		// Registries with ports, localhost, IPs.
		{"localhost:5000/app", Ref{Registry: "localhost:5000", Repository: "app", Kind: KindOther}, "localhost:5000/app", "localhost:5000/app"},
		{"localhost/app:dev", Ref{Registry: "localhost", Repository: "app", Tag: "dev", Kind: KindOther}, "localhost/app:dev", "localhost/app:dev"},
		{"myreg:443/a/b", Ref{Registry: "myreg:443", Repository: "a/b", Kind: KindOther}, "myreg:443/a/b", "myreg:443/a/b"},
		{"myreg:443/a/b:1.0", Ref{Registry: "myreg:443", Repository: "a/b", Tag: "1.0", Kind: KindOther}, "myreg:443/a/b:1.0", "myreg:443/a/b:1.0"},
		{"10.0.0.5:5000/team/app:2", Ref{Registry: "10.0.0.5:5000", Repository: "team/app", Tag: "2", Kind: KindOther}, "10.0.0.5:5000/team/app:2", "10.0.0.5:5000/team/app:2"},
		{"[::1]:5000/app", Ref{Registry: "[::1]:5000", Repository: "app", Kind: KindOther}, "[::1]:5000/app", "[::1]:5000/app"},
		{"Registry.Example.com/app", Ref{Registry: "Registry.Example.com", Repository: "app", Kind: KindOther}, "Registry.Example.com/app", "Registry.Example.com/app"},
		// Grammatically "localhost:5000" is Docker Hub's "localhost" at tag "5000".
		{"localhost:5000", Ref{Registry: "docker.io", Repository: "library/localhost", Tag: "5000", Kind: KindDockerHub}, "docker.io/library/localhost:5000", "localhost:5000"},
		{"docker.io/foo.bar/app", Ref{Registry: "docker.io", Repository: "foo.bar/app", Kind: KindDockerHub}, "docker.io/foo.bar/app", "docker.io/foo.bar/app"},
		{"MyHost/app", Ref{Registry: "MyHost", Repository: "app", Kind: KindOther}, "MyHost/app", "MyHost/app"},
		// Other well-known registries.
		{"ghcr.io/owner/image:sha-abc123", Ref{Registry: "ghcr.io", Repository: "owner/image", Tag: "sha-abc123", Kind: KindOther}, "ghcr.io/owner/image:sha-abc123", "ghcr.io/owner/image:sha-abc123"},
		{"quay.io/prometheus/node-exporter:v1.8.0", Ref{Registry: "quay.io", Repository: "prometheus/node-exporter", Tag: "v1.8.0", Kind: KindOther}, "quay.io/prometheus/node-exporter:v1.8.0", "quay.io/prometheus/node-exporter:v1.8.0"},
		{"gcr.io/distroless/static:nonroot", Ref{Registry: "gcr.io", Repository: "distroless/static", Tag: "nonroot", Kind: KindOther}, "gcr.io/distroless/static:nonroot", "gcr.io/distroless/static:nonroot"},
		{"us-docker.pkg.dev/proj/repo/img:1", Ref{Registry: "us-docker.pkg.dev", Repository: "proj/repo/img", Tag: "1", Kind: KindOther}, "us-docker.pkg.dev/proj/repo/img:1", "us-docker.pkg.dev/proj/repo/img:1"},
		{"registry.k8s.io/pause:3.9", Ref{Registry: "registry.k8s.io", Repository: "pause", Tag: "3.9", Kind: KindOther}, "registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"},
		{"myregistry.azurecr.io/app:1", Ref{Registry: "myregistry.azurecr.io", Repository: "app", Tag: "1", Kind: KindOther}, "myregistry.azurecr.io/app:1", "myregistry.azurecr.io/app:1"},
		// Public ECR.
		{"public.ecr.aws/nginx/nginx:stable", Ref{Registry: "public.ecr.aws", Repository: "nginx/nginx", Tag: "stable", Kind: KindECRPublic, Partition: "aws"}, "public.ecr.aws/nginx/nginx:stable", "public.ecr.aws/nginx/nginx:stable"},
		{"public.ecr.aws/docker/library/redis:7", Ref{Registry: "public.ecr.aws", Repository: "docker/library/redis", Tag: "7", Kind: KindECRPublic, Partition: "aws"}, "public.ecr.aws/docker/library/redis:7", "public.ecr.aws/docker/library/redis:7"},
		// Private ECR.
		{"123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/my-app:v1.0.0",
			Ref{Registry: "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com", Repository: "my-app", Tag: "v1.0.0", Kind: KindECR, Account: "123456789012", Region: "ap-northeast-1", Partition: "aws"},
			"123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/my-app:v1.0.0", "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/my-app:v1.0.0"},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/team/svc/api",
			Ref{Registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com", Repository: "team/svc/api", Kind: KindECR, Account: "123456789012", Region: "us-east-1", Partition: "aws"},
			"123456789012.dkr.ecr.us-east-1.amazonaws.com/team/svc/api", "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/svc/api"},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1",
			Ref{Registry: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", Repository: "app", Tag: "1", Kind: KindECR, Account: "123456789012", Region: "cn-north-1", Partition: "aws-cn"},
			"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1"},
		{"123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/app",
			Ref{Registry: "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com", Repository: "app", Kind: KindECR, Account: "123456789012", Region: "us-gov-west-1", Partition: "aws-us-gov"},
			"123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/app", "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/app"},
		{"123456789012.dkr.ecr-fips.us-east-2.amazonaws.com/app:1",
			Ref{Registry: "123456789012.dkr.ecr-fips.us-east-2.amazonaws.com", Repository: "app", Tag: "1", Kind: KindECR, Account: "123456789012", Region: "us-east-2", FIPS: true, Partition: "aws"},
			"123456789012.dkr.ecr-fips.us-east-2.amazonaws.com/app:1", "123456789012.dkr.ecr-fips.us-east-2.amazonaws.com/app:1"},
		{"123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com/app",
			Ref{Registry: "123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com", Repository: "app", Kind: KindECR, Account: "123456789012", Region: "us-gov-east-1", FIPS: true, Partition: "aws-us-gov"},
			"123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com/app", "123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com/app"},
		{"123456789012.dkr-ecr.eu-west-1.on.aws/app:2",
			Ref{Registry: "123456789012.dkr-ecr.eu-west-1.on.aws", Repository: "app", Tag: "2", Kind: KindECR, Account: "123456789012", Region: "eu-west-1", DualStack: true, Partition: "aws"},
			"123456789012.dkr-ecr.eu-west-1.on.aws/app:2", "123456789012.dkr-ecr.eu-west-1.on.aws/app:2"},
		{"123456789012.dkr-ecr-fips.us-west-2.on.aws/app",
			Ref{Registry: "123456789012.dkr-ecr-fips.us-west-2.on.aws", Repository: "app", Kind: KindECR, Account: "123456789012", Region: "us-west-2", FIPS: true, DualStack: true, Partition: "aws"},
			"123456789012.dkr-ecr-fips.us-west-2.on.aws/app", "123456789012.dkr-ecr-fips.us-west-2.on.aws/app"},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app",
			Ref{Registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com:443", Repository: "app", Kind: KindECR, Account: "123456789012", Region: "us-east-1", Partition: "aws"},
			"123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app", "123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app"},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx@sha256:" + sha256Hex,
			Ref{Registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com", Repository: "docker-hub/library/nginx", Digest: "sha256:" + sha256Hex, Kind: KindECR, Account: "123456789012", Region: "us-east-1", Partition: "aws"},
			"123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx@sha256:" + sha256Hex, "123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx@sha256:" + sha256Hex},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.in, err)
			}
			want := tt.want
			want.Original = tt.in
			if got != want {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String() = %q, want %q", s, tt.str)
			}
			if f := got.Familiar(); f != tt.fam {
				t.Errorf("Familiar() = %q, want %q", f, tt.fam)
			}
			assertRoundTrip(t, got)
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		in     string
		reason string // substring of the reason
	}{
		{"", "empty"},
		{" nginx", "whitespace"},
		{"nginx latest", "whitespace"},
		{"nginx\t", "whitespace"},
		{"Foo:bar", "repository name must be lowercase"},
		{"nginX", "repository name must be lowercase"},
		{"docker.io/Library/nginx", "repository name must be lowercase"},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/MyApp", "repository name must be lowercase"},
		{"nginx::latest", "\"::\""},
		{"myreg::5000/app", "\"::\""},
		{"nginx:", "tag is empty"},
		{"nginx:" + strings.Repeat("a", 129), "tag must not be longer than 128"},
		{"nginx:-tag", "must start with a letter, digit or '_'"},
		{"nginx:.tag", "must start with a letter, digit or '_'"},
		{"nginx:tag!", "invalid character"},
		{"nginx:täg", "non-ASCII"},
		{"docker.io/" + strings.Repeat("a", 250), "longer than 255"},
		{strings.Repeat("a", 256), "longer than 255"},
		{"/nginx", "empty path component"},
		{"nginx/", "empty path component"},
		{"user//app", "empty path component"},
		{"-nginx", "must not start with a separator"},
		{"nginx-", "must not end with a separator"},
		{"user/app.", "must not end with a separator"},
		{"_nginx", "must not start with a separator"},
		{"a...b", "invalid separator"},
		{"a___b", "invalid separator"},
		{"a.-b", "invalid separator"},
		{"a$b", "invalid character"},
		{"http://docker.io/nginx", "URL scheme (http://)"},
		{"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/app", "URL scheme (https://)"},
		{"nginx@", "digest is empty"},
		{"nginx@sha256", "algorithm:hex"},
		{"nginx@sha256:abc", "must have 64 hex characters (it has 3)"},
		{"nginx@sha256:" + sha256Hex + "0", "must have 64 hex characters (it has 65)"},
		{"nginx@sha512:" + sha256Hex, "must have 128 hex characters"},
		{"nginx@sha256:" + strings.ToUpper(sha256Hex), "lowercase hex"},
		{"nginx@sha256:" + strings.Repeat("g", 64), "non-hex character"},
		{"nginx@md5:d41d8cd98f00b204e9800998ecf8427e", "not supported"},
		{"nginx@:" + sha256Hex, "algorithm is missing"},
		{"nginx@sha256:" + sha256Hex + "@sha256:" + sha256Hex, "non-hex character"},
		{":latest", "repository name is missing"},
		{"@sha256:" + sha256Hex, "repository name is missing"},
		{"myreg:/app", "empty port"},
		{"myreg:99999/app", "out of range"},
		{"myreg:0/app", "out of range"},
		{"-myreg.com/app", "must not start or end with '-'"},
		{"my_reg.com/app", "invalid character"},
		{"reg..com/app", "empty label"},
		{"[::1/app", "unterminated"},
		{"[zz]:5000/app", "valid IPv6"},
		{"12345.dkr.ecr.us-east-1.amazonaws.com/app", "account id \"12345\" must be exactly 12 digits"},
		{"abcdefghijkl.dkr.ecr.us-east-1.amazonaws.com/app", "must be exactly 12 digits"},
		{"1234567890123.dkr.ecr.us-east-1.amazonaws.com/app", "must be exactly 12 digits"},
		{"123456789012.dkr.ecr.useast1.amazonaws.com/app", "not an AWS region"},
		{"123456789012.dkr.ecr.amazonaws.com/app", "looks like Amazon ECR"},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com.cn/app", "only serve China regions"},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com/app", "served from .amazonaws.com.cn"},
		{"12345678901.dkr-ecr.us-east-1.on.aws/app", "must be exactly 12 digits"},
		{"nginx:1.0:2", "invalid character \":\""},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 60 {
			name = name[:60] + "…"
		}
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error containing %q", tt.in, got, tt.reason)
			}
			if !errors.Is(err, ErrInvalidReference) {
				t.Errorf("errors.Is(err, ErrInvalidReference) = false for %v", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Input != tt.in {
				t.Errorf("ParseError.Input = %q, want %q", pe.Input, tt.in)
			}
			if !strings.Contains(pe.Reason, tt.reason) {
				t.Errorf("reason = %q, want it to contain %q", pe.Reason, tt.reason)
			}
			if want := "invalid image reference "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error() = %q, want prefix %q", err.Error(), want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := Parse("Foo:bar")
	want := `invalid image reference "Foo:bar": repository name must be lowercase`
	if err == nil || err.Error() != want {
		t.Fatalf("Parse(\"Foo:bar\") error = %v, want %s", err, want)
	}
}

func TestTagOrDefault(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nginx", "latest"},
		{"nginx:1.25", "1.25"},
		{"nginx@sha256:" + sha256Hex, ""},
		{"nginx:1.25@sha256:" + sha256Hex, "1.25"},
	}
	for _, tt := range tests {
		r := mustParse(t, tt.in)
		if got := r.TagOrDefault(); got != tt.want {
			t.Errorf("Parse(%q).TagOrDefault() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRepositoryARN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/my-app:v1", "arn:aws:ecr:ap-northeast-1:123456789012:repository/my-app"},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api", "arn:aws:ecr:us-east-1:123456789012:repository/team/api"},
		{"123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/app", "arn:aws-cn:ecr:cn-northwest-1:123456789012:repository/app"},
		{"123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/app", "arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/app"},
		{"123456789012.dkr-ecr.eu-central-1.on.aws/app", "arn:aws:ecr:eu-central-1:123456789012:repository/app"},
		{"public.ecr.aws/nginx/nginx", ""},
		{"nginx", ""},
		{"ghcr.io/o/r", ""},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.in).RepositoryARN(); got != tt.want {
			t.Errorf("Parse(%q).RepositoryARN() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPullThroughCandidate(t *testing.T) {
	tests := []struct {
		in               string
		prefix, upstream string
		ok               bool
	}{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx:latest", "docker-hub", "library/nginx", true},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/ecr-public/nginx/nginx", "ecr-public", "nginx/nginx", true},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/quay/prometheus/node-exporter", "quay", "prometheus/node-exporter", true},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app", "", "", false},
		{"docker.io/library/nginx", "", "", false},
		{"public.ecr.aws/a/b", "", "", false},
	}
	for _, tt := range tests {
		p, u, ok := mustParse(t, tt.in).PullThroughCandidate()
		if p != tt.prefix || u != tt.upstream || ok != tt.ok {
			t.Errorf("Parse(%q).PullThroughCandidate() = (%q, %q, %v), want (%q, %q, %v)", tt.in, p, u, ok, tt.prefix, tt.upstream, tt.ok)
		}
	}
}

func TestZeroRef(t *testing.T) {
	var r Ref
	if r.String() != "" || r.RepositoryARN() != "" {
		t.Errorf("zero Ref: String() = %q, RepositoryARN() = %q; want empty", r.String(), r.RepositoryARN())
	}
	if _, _, ok := r.PullThroughCandidate(); ok {
		t.Error("zero Ref: PullThroughCandidate ok = true")
	}
}

func mustParse(t *testing.T, s string) Ref {
	t.Helper()
	r, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return r
}

// assertRoundTrip checks that String() and Familiar() both parse back to the
// same Ref (Original aside, which by definition differs).
func assertRoundTrip(t *testing.T, r Ref) {
	t.Helper()
	for _, form := range []string{r.String(), r.Familiar()} {
		back, err := Parse(form)
		if err != nil {
			t.Fatalf("re-parse of %q (from %q): %v", form, r.Original, err)
		}
		back.Original, r.Original = "", ""
		if back != r {
			t.Fatalf("re-parse of %q differs:\n got %+v\nwant %+v", form, back, r)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"nginx", "nginx:1.25", "user/app", "docker.io/nginx", "index.docker.io/library/nginx",
		"registry-1.docker.io/a/b", "localhost:5000/app", "myreg:443/a/b", "[::1]:5000/app",
		"nginx@sha256:" + sha256Hex, "a/b:c@sha512:" + sha512Hex,
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1",
		"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/a/b",
		"123456789012.dkr-ecr.eu-west-1.on.aws/app", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/x",
		"public.ecr.aws/alias/repo", "ghcr.io/o/r", "Foo:bar", "http://x/y", "a::b", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Reason == "" {
				t.Fatalf("Parse(%q) returned %v without a reason", s, err)
			}
			return
		}
		assertRoundTrip(t, r)
		if r.Kind == "" {
			t.Fatalf("Parse(%q): empty Kind", s)
		}
		if (r.Kind == KindECR) != (r.RepositoryARN() != "") {
			t.Fatalf("Parse(%q): Kind %s but RepositoryARN %q", s, r.Kind, r.RepositoryARN())
		}
	})
}

func BenchmarkParse(b *testing.B) {
	inputs := []string{
		"nginx:1.25",
		"123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/team/my-app:v1.0.0",
		"ghcr.io/owner/image@sha256:" + sha256Hex,
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Parse(inputs[i%len(inputs)]); err != nil {
			b.Fatal(err)
		}
	}
}
