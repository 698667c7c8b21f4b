package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

const (
	testUser = "probe-user"
	testPass = "s3cr3t-Passw0rd-xyz"
)

// fakeRegistry is go-containerregistry's in-process registry behind a front end that
// behaves like the registries pulls meet: Docker Hub style bearer tokens (a /token endpoint
// and a WWW-Authenticate challenge), ratelimit-* headers, and the failure modes.
type fakeRegistry struct {
	t     *testing.T
	srv   *httptest.Server
	inner http.Handler

	mu       sync.Mutex
	mode     string // "", "ratelimit", "5xx", "html", "redirect", "slow"
	auth     bool   // require a bearer token from /token (basic auth user:pass)
	tokens   map[string]bool
	nextTok  int
	requests []string
	release  chan struct{}
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	t.Helper()
	f := &fakeRegistry{t: t, inner: ggcrregistry.New(ggcrregistry.Logger(nopLogger())), tokens: map[string]bool{}, release: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		close(f.release)
		f.srv.Close()
	})
	return f
}

func (f *fakeRegistry) host() string { return strings.TrimPrefix(f.srv.URL, "http://") }

func (f *fakeRegistry) set(mode string, auth bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode, f.auth = mode, auth
}

func (f *fakeRegistry) methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func (f *fakeRegistry) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	mode, auth := f.mode, f.auth
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.mu.Unlock()

	if r.URL.Path == "/token" {
		u, p, ok := r.BasicAuth()
		if !ok || u != testUser || p != testPass {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"details":"incorrect username or password"}`)
			return
		}
		f.mu.Lock()
		f.nextTok++
		tok := fmt.Sprintf("tok-%d-abcdefghijklmnop", f.nextTok)
		f.tokens[tok] = true
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token":%q,"access_token":%q,"expires_in":300}`, tok, tok)
		return
	}
	if auth {
		a := r.Header.Get("Authorization")
		tok, _ := strings.CutPrefix(a, "Bearer ")
		f.mu.Lock()
		valid := f.tokens[tok]
		f.mu.Unlock()
		if !valid {
			w.Header().Set("Www-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="fake",scope="repository:app:pull"`, f.srv.URL))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
	}
	manifest := strings.Contains(r.URL.Path, "/manifests/")
	switch mode {
	case "ratelimit":
		if manifest {
			w.Header().Set("Ratelimit-Limit", "100;w=21600")
			w.Header().Set("Ratelimit-Remaining", "0;w=21600")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit"}]}`)
			return
		}
	case "5xx":
		if manifest {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, "upstream connect error")
			return
		}
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html><body>Please log in to the corporate proxy</body></html>")
		return
	case "redirect":
		if manifest {
			http.Redirect(w, r, r.URL.Path+"?again=1", http.StatusFound)
			return
		}
	case "slow":
		select {
		case <-r.Context().Done():
		case <-f.release:
		}
		return
	}
	if manifest {
		w.Header().Set("Ratelimit-Limit", "100;w=21600")
		w.Header().Set("Ratelimit-Remaining", "99;w=21600")
	}
	f.inner.ServeHTTP(w, r)
}

// push writes a two-platform index (linux/amd64, linux/arm64/v8) and an amd64-only image.
func (f *fakeRegistry) push() {
	f.t.Helper()
	amd := platformImage(f.t, "linux", "amd64", "")
	arm := platformImage(f.t, "linux", "arm64", "v8")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	auth := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: testUser, Password: testPass}))
	multi, err := name.ParseReference(f.host() + "/team/app:multi")
	if err != nil {
		f.t.Fatal(err)
	}
	if err := remote.WriteIndex(multi, idx, auth); err != nil {
		f.t.Fatalf("write index: %v", err)
	}
	single, _ := name.ParseReference(f.host() + "/team/app:amd64-only")
	if err := remote.Write(single, amd, auth); err != nil {
		f.t.Fatalf("write image: %v", err)
	}
}

func platformImage(t *testing.T, os, arch, variant string) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = os, arch, variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestProbe(t *testing.T) {
	f := newFakeRegistry(t)
	f.push()
	multi := f.host() + "/team/app:multi"
	single := f.host() + "/team/app:amd64-only"
	creds := Options{Username: testUser, Password: testPass, Timeout: 5 * time.Second}
	anon := Options{Timeout: 5 * time.Second}

	tests := []struct {
		name       string
		mode       string
		auth       bool
		image      string
		opts       Options
		outcome    string
		status     int
		platforms  []string
		authorized bool
		scheme     string
		remaining  string
		errHas     string
	}{
		{name: "index anonymous", image: multi, opts: anon, outcome: OutcomeFound, status: 200,
			platforms: []string{"linux/amd64", "linux/arm64/v8"}, remaining: "99;w=21600"},
		{name: "single image platform from config", image: single, opts: anon, outcome: OutcomeFound, status: 200,
			platforms: []string{"linux/amd64"}},
		{name: "token auth with credentials", auth: true, image: multi, opts: creds, outcome: OutcomeFound, status: 200,
			platforms: []string{"linux/amd64", "linux/arm64/v8"}, authorized: true, scheme: "Bearer"},
		{name: "token auth with docker config keychain", auth: true, image: multi,
			opts:    Options{Keychain: fakeKeychain{}, Timeout: 5 * time.Second},
			outcome: OutcomeFound, status: 200, platforms: []string{"linux/amd64", "linux/arm64/v8"}, authorized: true, scheme: "Bearer"},
		{name: "token auth anonymous", auth: true, image: multi, opts: anon, outcome: OutcomeUnauthorized, status: 401, scheme: "Bearer"},
		{name: "token auth wrong password", auth: true, image: multi,
			opts: Options{Username: testUser, Password: "wrong-password-123", Timeout: 5 * time.Second}, outcome: OutcomeUnauthorized, status: 401, authorized: true},
		{name: "tag not pushed", image: f.host() + "/team/app:v1.0.1", opts: anon, outcome: OutcomeNotFound, status: 404},
		{name: "toomanyrequests", mode: "ratelimit", image: multi, opts: anon, outcome: OutcomeRateLimited, status: 429, remaining: "0;w=21600"},
		{name: "toomanyrequests after auth", mode: "ratelimit", auth: true, image: multi, opts: creds, outcome: OutcomeRateLimited, status: 429, remaining: "0;w=21600", authorized: true},
		{name: "5xx", mode: "5xx", image: multi, opts: anon, outcome: OutcomeServerError, status: 503},
		{name: "html answer", mode: "html", image: multi, opts: anon, outcome: OutcomeError, errHas: "HTML"},
		{name: "redirect loop", mode: "redirect", image: multi, opts: anon, outcome: OutcomeError, errHas: "redirect"},
		{name: "never answers", mode: "slow", image: multi, opts: Options{Timeout: 300 * time.Millisecond}, outcome: OutcomeTimeout, errHas: "timeout"},
		{name: "insecure flag", image: multi, opts: Options{Insecure: true, SkipPlatforms: true, Timeout: 5 * time.Second}, outcome: OutcomeFound, status: 200},
		{name: "digest wrong length", image: f.host() + "/team/app@sha256:abc123", opts: anon, outcome: OutcomeError, errHas: "64 hex"},
		{name: "tag illegal characters", image: f.host() + "/team/app:v1.0!", opts: anon, outcome: OutcomeError, errHas: "invalid character"},
		{name: "private ECR is not probed", image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1", opts: anon, outcome: OutcomeError, errHas: "ECR API"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.set(tc.mode, tc.auth)
			defer f.set("", false)
			start := time.Now()
			got := Probe(context.Background(), tc.image, tc.opts)
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("probe took %v", d)
			}
			t.Logf("%+v", got)
			if got.Outcome != tc.outcome {
				t.Fatalf("outcome = %q (error %q), want %q", got.Outcome, got.Error, tc.outcome)
			}
			if tc.status != 0 && got.HTTPStatus != tc.status {
				t.Errorf("status = %d, want %d", got.HTTPStatus, tc.status)
			}
			if strings.Join(got.Platforms, ",") != strings.Join(tc.platforms, ",") {
				t.Errorf("platforms = %v, want %v", got.Platforms, tc.platforms)
			}
			if got.Authorized != tc.authorized {
				t.Errorf("authorized = %v, want %v", got.Authorized, tc.authorized)
			}
			if tc.scheme != "" && got.AuthScheme != tc.scheme {
				t.Errorf("auth scheme = %q, want %q", got.AuthScheme, tc.scheme)
			}
			if tc.remaining != "" && got.RateLimitRemaining != tc.remaining {
				t.Errorf("ratelimit-remaining = %q, want %q", got.RateLimitRemaining, tc.remaining)
			}
			if tc.errHas != "" && !strings.Contains(got.Error, tc.errHas) {
				t.Errorf("error %q does not mention %q", got.Error, tc.errHas)
			}
			if got.Outcome == OutcomeFound && !strings.HasPrefix(got.Digest, "sha256:") {
				t.Errorf("digest = %q", got.Digest)
			}
			assertNoSecrets(t, f, got)
		})
	}
}

// HEAD must be enough when platforms are not wanted: on Docker Hub a GET costs a pull.
func TestProbeSkipPlatformsUsesHeadOnly(t *testing.T) {
	f := newFakeRegistry(t)
	f.push()
	before := len(f.methods())
	got := Probe(context.Background(), f.host()+"/team/app:multi", Options{SkipPlatforms: true, Timeout: 5 * time.Second})
	if got.Outcome != OutcomeFound {
		t.Fatalf("outcome %q: %s", got.Outcome, got.Error)
	}
	for _, m := range f.methods()[before:] {
		if strings.HasPrefix(m, "GET") && strings.Contains(m, "/manifests/") {
			t.Errorf("manifest GET issued with SkipPlatforms: %s", m)
		}
	}
}

// A TCP peer that accepts and never speaks HTTP must not hang the probe either.
func TestProbeSilentListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	start := time.Now()
	got := Probe(context.Background(), ln.Addr().String()+"/app:v1", Options{Timeout: 300 * time.Millisecond})
	if got.Outcome != OutcomeTimeout {
		t.Errorf("outcome = %q (%s), want timeout", got.Outcome, got.Error)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("probe took %v", d)
	}
}

func TestProbeCanceledContext(t *testing.T) {
	f := newFakeRegistry(t)
	f.set("slow", false)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	got := Probe(ctx, f.host()+"/team/app:x", Options{Timeout: 10 * time.Second})
	if got.Outcome != OutcomeTimeout {
		t.Errorf("outcome = %q (%s), want timeout", got.Outcome, got.Error)
	}
}

func TestParseAuth(t *testing.T) {
	u, p, err := ParseAuth("me:pa:ss")
	if err != nil || u != "me" || p != "pa:ss" {
		t.Errorf("ParseAuth = %q %q %v", u, p, err)
	}
	for _, bad := range []string{"", "me", ":pw", "me:"} {
		_, _, err := ParseAuth(bad)
		if err == nil {
			t.Errorf("ParseAuth(%q): no error", bad)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("ParseAuth error repeats the value: %v", err)
		}
	}
}

// assertNoSecrets: neither the password nor any token the fake registry issued may appear
// in the probe result, however it is serialised.
func assertNoSecrets(t *testing.T, f *fakeRegistry, got any) {
	t.Helper()
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b) + fmt.Sprintf("%+v", got)
	if strings.Contains(s, testPass) {
		t.Errorf("probe result contains the password: %s", s)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for tok := range f.tokens {
		if strings.Contains(s, tok) {
			t.Errorf("probe result contains a token: %s", s)
		}
	}
}

type fakeKeychain struct{}

func (fakeKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(authn.AuthConfig{Username: testUser, Password: testPass}), nil
}

func nopLogger() *log.Logger { return log.New(io.Discard, "", 0) }
