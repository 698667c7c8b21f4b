package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// Outcomes of a probe (snapshot.RegistryProbe.Outcome).
const (
	OutcomeFound        = "found"
	OutcomeNotFound     = "not-found"
	OutcomeUnauthorized = "unauthorized"
	OutcomeDenied       = "denied"
	OutcomeRateLimited  = "rate-limited"
	OutcomeServerError  = "server-error"
	OutcomeTimeout      = "timeout"
	OutcomeError        = "error"
)

// DefaultTimeout bounds a whole probe when Options.Timeout is zero: long enough for a slow
// registry and its token service, short enough that diagnose never appears to hang.
const DefaultTimeout = 20 * time.Second

// Options says how to reach the registry and as whom.
type Options struct {
	// Username and Password are the credentials the user passed (--registry-auth user:pass).
	// They authenticate the probe and are never copied into its result.
	Username, Password string
	// UseDockerConfig reads credentials from the user's docker config and credential
	// helpers (authn.DefaultKeychain) when Username is empty.
	UseDockerConfig bool
	// Keychain overrides UseDockerConfig (tests, or a CLI that builds its own).
	Keychain authn.Keychain
	// Insecure allows plain HTTP (and untrusted TLS is still rejected): for test registries
	// on 127.0.0.1 and private registries without TLS.
	Insecure bool
	// Timeout bounds the whole probe; DefaultTimeout when zero.
	Timeout time.Duration
	// Transport is the base HTTP transport (default: a clone of http.DefaultTransport).
	Transport http.RoundTripper
	// SkipPlatforms skips the GETs that read an index's or image's platforms. On Docker
	// Hub each manifest GET counts as a pull against the rate limit; HEAD does not.
	SkipPlatforms bool
	// Now stamps ProbedAt (time.Now when nil).
	Now func() time.Time
}

// ParseAuth splits a --registry-auth value "user:pass" (the password may contain ':').
// The error never repeats the value.
func ParseAuth(s string) (user, pass string, err error) {
	u, p, ok := strings.Cut(s, ":")
	if !ok || u == "" || p == "" {
		return "", "", errors.New("registry auth must be user:password (value not shown)")
	}
	return u, p, nil
}

// Probe asks the registry for image's manifest and reports what it answered. It never
// returns an error: every failure is an Outcome with a sanitized Error text, so the result
// can go straight into the snapshot. ctx cancels it; Options.Timeout bounds it.
func Probe(ctx context.Context, image string, opts Options) snapshot.RegistryProbe {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	res := snapshot.RegistryProbe{Image: image, ProbedAt: now().UTC().Format(time.RFC3339)}

	ref, err := imageref.Parse(image)
	if err != nil {
		res.Outcome = OutcomeError
		res.Error = err.Error()
		return res
	}
	res.Registry = ref.Registry
	if ref.Kind == imageref.KindECR {
		res.Outcome = OutcomeError
		res.Error = "private Amazon ECR images are read through the ECR API (ecr-image-exists), not probed"
		return res
	}
	var nameOpts []name.Option
	if opts.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	nref, err := name.ParseReference(refForGGCR(ref), nameOpts...)
	if err != nil {
		res.Outcome = OutcomeError
		res.Error = fmt.Sprintf("invalid image reference: %v", err)
		return res
	}

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	rec := &recorder{base: baseTransport(opts.Transport, timeout)}
	if opts.Password != "" {
		rec.addSecret(opts.Password)
	}
	auth, authorized := authOption(opts, nref)
	res.Authorized = authorized
	ropts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(rec),
		auth,
		remote.WithUserAgent("pulldoctor"),
		// A probe reports what the registry said; retrying a 429 would only burn the
		// user's remaining pulls and make a slow registry slower.
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
		remote.WithRetryStatusCodes(),
		remote.WithRetryPredicate(func(error) bool { return false }),
	}

	desc, herr := remote.Head(nref, ropts...)
	if herr != nil && fallbackToGet(herr, rec) {
		// Some registries answer HEAD without Docker-Content-Digest or Content-Type, or not
		// at all (405); GET carries the same information in its body.
		var d *remote.Descriptor
		d, herr = remote.Get(nref, ropts...)
		if herr == nil {
			desc = &d.Descriptor
		}
	}
	fillFromRecorder(&res, rec)
	if herr != nil {
		classifyError(&res, herr, rec, ctx)
		res.Error = rec.scrub(res.Error)
		return res
	}
	if html, ok := rec.htmlAnswer(); ok || isHTML(string(desc.MediaType)) {
		res.Outcome = OutcomeError
		res.MediaType = string(desc.MediaType)
		res.Error = fmt.Sprintf("the registry answered the manifest request with an HTML page (%s), not an image manifest: a proxy, captive portal or web server is in the way, or the registry host is wrong", firstNonEmpty(html, string(desc.MediaType)))
		return res
	}
	res.Outcome = OutcomeFound
	res.Digest = desc.Digest.String()
	res.MediaType = string(desc.MediaType)
	if res.HTTPStatus == 0 {
		res.HTTPStatus = http.StatusOK
	}
	if !opts.SkipPlatforms {
		plats, perr := platforms(nref, ropts)
		fillFromRecorder(&res, rec)
		if perr != nil {
			// The manifest exists; only its platforms are unknown. Keep Outcome "found".
			res.Error = rec.scrub(truncate("reading platforms: "+perr.Error(), 300))
		}
		res.Platforms = plats
	}
	return res
}

// refForGGCR spells the reference for go-containerregistry's parser: canonical, and digest
// only when both tag and digest are present (a pull by tag@digest fetches the digest).
func refForGGCR(r imageref.Ref) string {
	s := r.Registry + "/" + r.Repository
	if r.Digest != "" {
		return s + "@" + r.Digest
	}
	return s + ":" + r.TagOrDefault()
}

func authOption(opts Options, ref name.Reference) (remote.Option, bool) {
	switch {
	case opts.Username != "" && opts.Password != "":
		return remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: opts.Username, Password: opts.Password})), true
	case opts.Keychain != nil || opts.UseDockerConfig:
		kc := opts.Keychain
		if kc == nil {
			kc = authn.DefaultKeychain
		}
		a, err := kc.Resolve(ref.Context())
		if err != nil || a == authn.Anonymous {
			return remote.WithAuth(authn.Anonymous), false
		}
		return remote.WithAuth(a), true
	}
	return remote.WithAuth(authn.Anonymous), false
}

func baseTransport(t http.RoundTripper, timeout time.Duration) http.RoundTripper {
	if t != nil {
		return t
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = min(timeout, 10*time.Second)
	tr.ResponseHeaderTimeout = timeout
	return tr
}

// fallbackToGet: HEAD failed in a way GET may not (missing headers, 405, a HEAD-hostile
// proxy); never after an auth, rate-limit or not-found answer, which GET would repeat (and on
// Docker Hub a GET costs a pull).
func fallbackToGet(err error, rec *recorder) bool {
	if rec.redirectLoop(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode == http.StatusMethodNotAllowed || te.StatusCode == http.StatusNotImplemented
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return false // connection-level failure: GET would fail the same way
	}
	return true
}

func classifyError(res *snapshot.RegistryProbe, err error, rec *recorder, ctx context.Context) {
	var te *transport.Error
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || errors.As(err, &ne) && ne.Timeout():
		res.Outcome = OutcomeTimeout
		res.Error = "the registry did not answer in time (timeout); it may be unreachable from here, or overloaded"
		return
	case rec.redirectLoop(err):
		res.Outcome = OutcomeError
		res.Error = "the registry redirected in a loop (stopped after 10 redirects): a proxy or a misconfigured registry front end"
		return
	case errors.As(err, &te):
		res.HTTPStatus = te.StatusCode
		res.Outcome = outcomeFor(te)
		if html, ok := rec.htmlAnswer(); ok {
			res.Error = fmt.Sprintf("HTTP %d with an HTML page (%s) instead of a registry error: a proxy or web server answered", te.StatusCode, html)
			if res.Outcome == OutcomeError || res.Outcome == OutcomeNotFound {
				res.Outcome = OutcomeError
			}
			return
		}
		res.Error = describeTransportError(te, res.Outcome)
		return
	}
	if html, ok := rec.htmlAnswer(); ok {
		res.Outcome = OutcomeError
		res.Error = fmt.Sprintf("the registry answered with an HTML page (%s), not an image manifest: a proxy, captive portal or web server is in the way", html)
		return
	}
	res.Outcome = OutcomeError
	res.Error = truncate(err.Error(), 300)
}

func outcomeFor(te *transport.Error) string {
	for _, d := range te.Errors {
		switch d.Code {
		case transport.TooManyRequestsErrorCode:
			return OutcomeRateLimited
		case transport.UnauthorizedErrorCode:
			return OutcomeUnauthorized
		case transport.DeniedErrorCode:
			return OutcomeDenied
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
			return OutcomeNotFound
		}
	}
	switch {
	case te.StatusCode == http.StatusTooManyRequests:
		return OutcomeRateLimited
	case te.StatusCode == http.StatusUnauthorized:
		return OutcomeUnauthorized
	case te.StatusCode == http.StatusForbidden:
		return OutcomeDenied
	case te.StatusCode == http.StatusNotFound:
		return OutcomeNotFound
	case te.StatusCode >= 500:
		return OutcomeServerError
	}
	return OutcomeError
}

func describeTransportError(te *transport.Error, outcome string) string {
	var codes []string
	for _, d := range te.Errors {
		c := string(d.Code)
		if d.Message != "" {
			c += ": " + d.Message
		}
		codes = append(codes, c)
	}
	detail := strings.Join(codes, "; ")
	var what string
	switch outcome {
	case OutcomeRateLimited:
		what = "toomanyrequests: the registry's pull rate limit is reached"
	case OutcomeUnauthorized:
		what = "unauthorized: the registry wants credentials, or rejected them (Docker Hub also answers this for a repository that does not exist)"
	case OutcomeDenied:
		what = "denied: the credentials are valid but may not pull this repository"
	case OutcomeNotFound:
		what = "manifest unknown: no such repository, tag or digest"
	case OutcomeServerError:
		what = "the registry failed with a server error; retry later and check its status page"
	default:
		what = "unexpected answer"
	}
	s := fmt.Sprintf("HTTP %d %s", te.StatusCode, what)
	if detail != "" {
		s += " (" + detail + ")"
	}
	return truncate(s, 300)
}

// platforms reads "os/arch[/variant]" for an index's manifests, or for a single image from
// its config. Attestation entries (unknown/unknown) are skipped.
func platforms(ref name.Reference, ropts []remote.Option) ([]string, error) {
	d, err := remote.Get(ref, ropts...)
	if err != nil {
		return nil, fmt.Errorf("get manifest: %w", err)
	}
	switch d.MediaType {
	case types.OCIImageIndex, types.DockerManifestList:
		idx, err := d.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("read index: %w", err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("parse index: %w", err)
		}
		var out []string
		for _, m := range im.Manifests {
			if p := platformString(m.Platform); p != "" {
				out = append(out, p)
			}
		}
		return dedupe(out), nil
	}
	img, err := d.Image()
	if err != nil {
		return nil, fmt.Errorf("read image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("read image config: %w", err)
	}
	p := platformString(&v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant, OSVersion: cf.OSVersion})
	if p == "" {
		return nil, nil
	}
	return []string{p}, nil
}

func platformString(p *v1.Platform) string {
	if p == nil || p.OS == "" || p.Architecture == "" || p.OS == "unknown" || p.Architecture == "unknown" {
		return ""
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func fillFromRecorder(res *snapshot.RegistryProbe, rec *recorder) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.limit != "" {
		res.RateLimitLimit = rec.limit
	}
	if rec.remaining != "" {
		res.RateLimitRemaining = rec.remaining
	}
	if rec.scheme != "" {
		res.AuthScheme = rec.scheme
	}
	if rec.manifestStatus != 0 {
		res.HTTPStatus = rec.manifestStatus
	}
}

func isHTML(contentType string) bool {
	return strings.Contains(strings.ToLower(contentType), "text/html")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
