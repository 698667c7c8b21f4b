package registry

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// recorder sits under go-containerregistry's transports and remembers what the checks need
// from the raw exchange but the library does not return: Docker Hub's ratelimit-* headers,
// the auth scheme the registry challenged with, the manifest request's status, whether an
// HTML page answered — and every credential or token sent, so error texts can be scrubbed.
type recorder struct {
	base http.RoundTripper

	mu             sync.Mutex
	limit          string
	remaining      string
	scheme         string
	manifestStatus int
	html           string
	secrets        []string
	redirects      int
}

// maxRedirects bounds the redirects one probe follows. go-containerregistry installs its own
// CheckRedirect (SSRF protection), which drops net/http's default limit of 10, so without
// this a redirect loop would spin until the deadline.
const maxRedirects = 10

var errRedirectLoop = errors.New("stopped after 10 redirects")

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if a := req.Header.Get("Authorization"); a != "" {
		r.addSecret(a)
		if _, tok, ok := strings.Cut(a, " "); ok {
			r.addSecret(tok)
		}
	}
	resp, err := r.base.RoundTrip(req)
	if err != nil || resp == nil {
		return resp, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != "" {
		r.redirects++
		if r.redirects > maxRedirects {
			resp.Body.Close()
			return nil, errRedirectLoop
		}
	}
	if v := resp.Header.Get("Ratelimit-Limit"); v != "" {
		r.limit = v
	}
	if v := resp.Header.Get("Ratelimit-Remaining"); v != "" {
		r.remaining = v
	}
	if v := resp.Header.Get("Www-Authenticate"); v != "" && r.scheme == "" {
		scheme, _, _ := strings.Cut(strings.TrimSpace(v), " ")
		r.scheme = scheme
	}
	if strings.Contains(req.URL.Path, "/manifests/") {
		r.manifestStatus = resp.StatusCode
	}
	if ct := resp.Header.Get("Content-Type"); isHTML(ct) && r.html == "" {
		r.html = fmt.Sprintf("HTTP %d, Content-Type %s", resp.StatusCode, ct)
	}
	return resp, nil
}

func (r *recorder) addSecret(s string) {
	if len(s) < 4 { // too short to scrub without mangling ordinary words
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, s)
}

// scrub removes every credential and token the probe saw from s.
func (r *recorder) scrub(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "[redacted]")
	}
	return s
}

func (r *recorder) htmlAnswer() (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.html, r.html != ""
}

// redirectLoop recognises net/http's "stopped after 10 redirects".
func (r *recorder) redirectLoop(err error) bool {
	if errors.Is(err, errRedirectLoop) {
		return true
	}
	return err != nil && strings.Contains(err.Error(), "stopped after") && strings.Contains(err.Error(), "redirects")
}
