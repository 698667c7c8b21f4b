package imageref

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Kind classifies the registry an image reference points at. The checks use
// it to decide which pull path applies: private ECR needs the execution role,
// ecr.api/ecr.dkr endpoints and S3 for layers; public ECR and Docker Hub need
// internet egress; Docker Hub is rate-limited for anonymous pulls.
type Kind string

// The registry kinds.
const (
	KindECR       Kind = "ecr"        // private Amazon ECR: ACCOUNT.dkr.ecr.REGION.amazonaws.com and variants
	KindECRPublic Kind = "ecr-public" // Amazon ECR Public: public.ecr.aws
	KindDockerHub Kind = "dockerhub"  // Docker Hub: docker.io (also written index.docker.io, registry-1.docker.io)
	KindOther     Kind = "other"      // anything else (GHCR, Quay, GCR, Artifact Registry, self-hosted, …)
)

// AWS partitions an ECR registry can belong to.
const (
	PartitionAWS      = "aws"
	PartitionAWSCN    = "aws-cn"
	PartitionAWSUSGov = "aws-us-gov"
)

// Limits from the distribution reference grammar.
const (
	// NameTotalLengthMax is the maximum length of registry plus repository
	// (distribution/reference: NameTotalLengthMax).
	NameTotalLengthMax = 255
	// TagMaxLength is the longest tag the grammar allows: [\w][\w.-]{0,127}.
	TagMaxLength = 128
)

// DockerHubRegistry is the canonical name of Docker Hub in a Ref.
const DockerHubRegistry = "docker.io"

// Ref is a parsed image reference.
//
// Registry and Repository are normalised the way Docker and containerd
// normalise them ("nginx" → "docker.io" + "library/nginx"), because that is
// the name the registry is actually asked for. Tag is "" when the reference
// has no tag: Tag stays faithful to what was written, so String() round-trips;
// TagOrDefault supplies the implicit "latest" where a caller needs it.
type Ref struct {
	Original   string // the input, unchanged
	Registry   string // host[:port]; "docker.io" for Docker Hub
	Repository string // path; "library/nginx" for Docker Hub official images
	Tag        string // "" when not written (see TagOrDefault)
	Digest     string // "algorithm:hex", "" when not written

	Kind      Kind
	Account   string // ECR: 12-digit registry account id
	Region    string // ECR: region from the host
	FIPS      bool   // ECR: FIPS endpoint (dkr.ecr-fips / dkr-ecr-fips)
	DualStack bool   // ECR: dual-stack endpoint (ACCOUNT.dkr-ecr.REGION.on.aws)
	Partition string // ECR: aws, aws-cn or aws-us-gov; "aws" for public ECR
}

// ErrInvalidReference is matched by every error Parse returns, so callers can
// test errors.Is(err, imageref.ErrInvalidReference) without caring about the
// reason.
var ErrInvalidReference = errors.New("invalid image reference")

// ParseError says why an image reference is invalid. Reason is a short,
// user-facing sentence fragment; Error() quotes the input.
type ParseError struct {
	Input  string
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid image reference %q: %s", e.Input, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidReference) true for every ParseError.
func (e *ParseError) Is(target error) bool { return target == ErrInvalidReference }

// Parse parses an image reference as ECS (through Docker or containerd) would
// and classifies its registry. The error, a *ParseError, says why s is
// invalid.
func Parse(s string) (Ref, error) {
	r, reason := parse(s)
	if reason != "" {
		return Ref{}, &ParseError{Input: s, Reason: reason}
	}
	return r, nil
}

func parse(s string) (Ref, string) {
	if s == "" {
		return Ref{}, "reference is empty"
	}
	if i := strings.Index(s, "://"); i >= 0 {
		return Ref{}, fmt.Sprintf("must not include a URL scheme (%s://); write host/repository[:tag]", s[:i])
	}
	for _, c := range s {
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
			return Ref{}, "must not contain whitespace"
		}
	}
	// "::" is never valid outside a bracketed IPv6 registry address; catch it
	// up front so the reason names it instead of a stray ':'.
	rest := s
	if strings.HasPrefix(rest, "[") {
		i := strings.IndexByte(rest, ']')
		if i < 0 {
			return Ref{}, "registry has an unterminated IPv6 address ('[' without ']')"
		}
		rest = rest[i+1:]
	}
	if strings.Contains(rest, "::") {
		return Ref{}, `"::" is not valid: use name:tag, or host:port/name for a registry port`
	}
	r := Ref{Original: s}

	// name [":" tag] ["@" digest]: the digest is everything after the first
	// "@"; neither the name nor the tag may contain one.
	name := s
	if i := strings.IndexByte(s, '@'); i >= 0 {
		name, r.Digest = s[:i], s[i+1:]
		if reason := checkDigest(r.Digest); reason != "" {
			return Ref{}, reason
		}
	}
	// A tag follows the last ":" that comes after the last "/"; a ":" before
	// the last "/" belongs to a registry port.
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name, r.Tag = name[:i], name[i+1:]
		if reason := checkTag(r.Tag); reason != "" {
			return Ref{}, reason
		}
	}
	if name == "" {
		return Ref{}, "repository name is missing"
	}
	if len(name) > NameTotalLengthMax {
		return Ref{}, fmt.Sprintf("repository name must not be longer than %d characters (it has %d)", NameTotalLengthMax, len(name))
	}

	domain, path := splitDomain(name)
	if domain != "" {
		if reason := checkDomain(domain); reason != "" {
			return Ref{}, reason
		}
	}
	if reason := checkPath(path); reason != "" {
		return Ref{}, reason
	}

	switch strings.ToLower(domain) {
	case "", "docker.io", "index.docker.io", "registry-1.docker.io":
		// index.docker.io is Docker's legacy name for docker.io
		// (distribution normalize.go: legacyDefaultDomain); registry-1.docker.io
		// is the host docker.io actually serves from, so it names the same
		// repositories.
		r.Registry = DockerHubRegistry
		if !strings.Contains(path, "/") {
			path = "library/" + path
		}
		r.Kind = KindDockerHub
		r.Repository = path
		if len(r.Registry)+1+len(path) > NameTotalLengthMax {
			return Ref{}, fmt.Sprintf("repository name must not be longer than %d characters once normalised to %s/%s", NameTotalLengthMax, r.Registry, path)
		}
		return r, ""
	}
	r.Registry = domain
	r.Repository = path
	if reason := classify(&r); reason != "" {
		return Ref{}, reason
	}
	return r, ""
}

// splitDomain separates the registry from the repository path the way
// distribution's splitDockerDomain does: the first component is a registry
// only if it contains "." or ":", is "localhost", or has upper-case letters
// (repositories never do, so it cannot be a path).
func splitDomain(name string) (domain, path string) {
	i := strings.IndexByte(name, '/')
	if i < 0 {
		return "", name
	}
	first := name[:i]
	if strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first {
		return first, name[i+1:]
	}
	return "", name
}

func checkDomain(domain string) string {
	host, port := domain, ""
	if strings.HasPrefix(domain, "[") {
		end := strings.IndexByte(domain, ']')
		if end < 0 {
			return fmt.Sprintf("registry %q has an unterminated IPv6 address", domain)
		}
		ip := net.ParseIP(domain[1:end])
		if ip == nil || ip.To4() != nil && !strings.Contains(domain[1:end], ":") {
			return fmt.Sprintf("registry %q does not hold a valid IPv6 address", domain)
		}
		rest := domain[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return fmt.Sprintf("registry %q has unexpected text after the IPv6 address", domain)
			}
			port = rest[1:]
			if reason := checkPort(domain, port); reason != "" {
				return reason
			}
		}
		return ""
	}
	if i := strings.IndexByte(domain, ':'); i >= 0 {
		host, port = domain[:i], domain[i+1:]
		if strings.Contains(port, ":") {
			return fmt.Sprintf("registry %q has more than one ':' (\"::\" is not valid; IPv6 addresses need [brackets])", domain)
		}
		if reason := checkPort(domain, port); reason != "" {
			return reason
		}
	}
	if host == "" {
		return fmt.Sprintf("registry %q has an empty host name", domain)
	}
	for _, comp := range strings.Split(host, ".") {
		if comp == "" {
			return fmt.Sprintf("registry host %q has an empty label (leading, trailing or doubled '.')", host)
		}
		for j := 0; j < len(comp); j++ {
			c := comp[j]
			switch {
			case isAlnum(c) || c >= 'A' && c <= 'Z':
			case c == '-':
				if j == 0 || j == len(comp)-1 {
					return fmt.Sprintf("registry host label %q must not start or end with '-'", comp)
				}
			default:
				return fmt.Sprintf("registry host %q contains invalid character %q", host, string(rune(c)))
			}
		}
	}
	return ""
}

func checkPort(domain, port string) string {
	if port == "" {
		return fmt.Sprintf("registry %q has an empty port", domain)
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return fmt.Sprintf("registry port %q must be a number", port)
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("registry port %s is out of range 1-65535", port)
	}
	return ""
}

// checkPath validates remote-name: lower-case alphanumeric components joined
// by "/", each component's alphanumeric runs joined by ".", "_", "__" or one
// or more "-".
func checkPath(path string) string {
	if path == "" {
		return "repository name is missing"
	}
	for _, comp := range strings.Split(path, "/") {
		if comp == "" {
			return "repository name has an empty path component (leading, trailing or doubled '/')"
		}
		if reason := checkComponent(comp); reason != "" {
			return reason
		}
	}
	return ""
}

func checkComponent(comp string) string {
	if !isAlnum(comp[0]) {
		if isUpper(comp[0]) {
			return "repository name must be lowercase"
		}
		if isSeparatorChar(comp[0]) {
			return fmt.Sprintf("repository path component %q must not start with a separator", comp)
		}
		return fmt.Sprintf("repository name contains invalid character %q", string(rune(comp[0])))
	}
	i := 0
	for i < len(comp) {
		c := comp[i]
		switch {
		case isAlnum(c):
			i++
		case isUpper(c):
			return "repository name must be lowercase"
		case isSeparatorChar(c):
			j := i
			for j < len(comp) && isSeparatorChar(comp[j]) {
				j++
			}
			sep := comp[i:j]
			if j == len(comp) {
				return fmt.Sprintf("repository path component %q must not end with a separator", comp)
			}
			if !validSeparator(sep) {
				return fmt.Sprintf("repository path component %q has invalid separator %q (allowed: '.', '_', '__', or dashes)", comp, sep)
			}
			i = j
		default:
			if c >= 0x80 {
				return "repository name contains a non-ASCII character"
			}
			return fmt.Sprintf("repository name contains invalid character %q", string(rune(c)))
		}
	}
	return ""
}

func validSeparator(sep string) bool {
	switch sep {
	case ".", "_", "__":
		return true
	}
	return strings.Trim(sep, "-") == ""
}

func checkTag(tag string) string {
	if tag == "" {
		return "tag is empty after ':'"
	}
	if len(tag) > TagMaxLength {
		return fmt.Sprintf("tag must not be longer than %d characters (it has %d)", TagMaxLength, len(tag))
	}
	if tag[0] == '.' || tag[0] == '-' {
		return fmt.Sprintf("tag %q must start with a letter, digit or '_'", tag)
	}
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		if !(isAlnum(c) || isUpper(c) || c == '_' || c == '.' || c == '-') {
			if c == ':' {
				return fmt.Sprintf("tag %q contains ':' (only one tag is allowed; \"::\" is not valid)", tag)
			}
			if c >= 0x80 {
				return fmt.Sprintf("tag %q contains a non-ASCII character", tag)
			}
			return fmt.Sprintf("tag %q contains invalid character %q", tag, string(rune(c)))
		}
	}
	return ""
}

// digestHexLen is the encoded length of each digest algorithm go-digest
// registers; any other algorithm is rejected as unsupported, as the Docker
// and containerd clients do.
var digestHexLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

func checkDigest(d string) string {
	if d == "" {
		return "digest is empty after '@'"
	}
	alg, hex, ok := strings.Cut(d, ":")
	if !ok {
		return fmt.Sprintf("digest %q must be algorithm:hex, e.g. sha256:<64 hex digits>", d)
	}
	want, known := digestHexLen[alg]
	if !known {
		if alg == "" {
			return "digest algorithm is missing before ':'"
		}
		return fmt.Sprintf("digest algorithm %q is not supported (use sha256, sha384 or sha512)", alg)
	}
	for i := 0; i < len(hex); i++ {
		c := hex[i]
		if c >= 'A' && c <= 'F' {
			return fmt.Sprintf("%s digest must be lowercase hex", alg)
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fmt.Sprintf("%s digest contains non-hex character %q", alg, string(rune(c)))
		}
	}
	if len(hex) != want {
		return fmt.Sprintf("%s digest must have %d hex characters (it has %d)", alg, want, len(hex))
	}
	return ""
}

func isAlnum(c byte) bool         { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func isUpper(c byte) bool         { return c >= 'A' && c <= 'Z' }
func isSeparatorChar(c byte) bool { return c == '.' || c == '_' || c == '-' }

// String returns the canonical form: registry/repository[:tag][@digest], with
// Docker Hub spelled out as docker.io/library/… Parse(r.String()) yields r
// again (apart from Original).
func (r Ref) String() string {
	if r.Registry == "" && r.Repository == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(r.Registry) + len(r.Repository) + len(r.Tag) + len(r.Digest) + 3)
	b.WriteString(r.Registry)
	b.WriteByte('/')
	b.WriteString(r.Repository)
	if r.Tag != "" {
		b.WriteByte(':')
		b.WriteString(r.Tag)
	}
	if r.Digest != "" {
		b.WriteByte('@')
		b.WriteString(r.Digest)
	}
	return b.String()
}

// Familiar returns the short form people write: Docker Hub images without
// "docker.io/" and official images without "library/" ("nginx:1.25");
// everything else as String().
func (r Ref) Familiar() string {
	if r.Kind != KindDockerHub {
		return r.String()
	}
	repo := r.Repository
	if rest, ok := strings.CutPrefix(repo, "library/"); ok && !strings.Contains(rest, "/") {
		repo = rest
	}
	// Keep "docker.io/" when the first component would otherwise read as a
	// registry host ("docker.io/foo.bar/app" must not become "foo.bar/app").
	if first, _, found := strings.Cut(repo, "/"); found && (strings.Contains(first, ".") || first == "localhost") {
		repo = r.Registry + "/" + repo
	}
	s := repo
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// TagOrDefault returns the tag a pull will ask for: the written tag, or
// "latest" when the reference has neither tag nor digest (the implicit
// default), or "" when only a digest identifies the image.
func (r Ref) TagOrDefault() string {
	if r.Tag != "" {
		return r.Tag
	}
	if r.Digest != "" {
		return ""
	}
	return "latest"
}

// RepositoryARN returns the ECR repository ARN
// (arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME) that IAM and repository
// policies are evaluated against, or "" when the reference is not private
// ECR.
func (r Ref) RepositoryARN() string {
	if r.Kind != KindECR {
		return ""
	}
	return "arn:" + r.Partition + ":ecr:" + r.Region + ":" + r.Account + ":repository/" + r.Repository
}

// PullThroughCandidate splits a private ECR repository into its first path
// component, which may be the repository prefix of a pull through cache rule
// (e.g. "docker-hub"), and the upstream repository behind it
// (".../docker-hub/library/nginx" → "docker-hub", "library/nginx"). It is only
// a candidate: whether a rule with that prefix exists is for the checks to
// decide from the registry's pull through cache rules. ok is false for
// non-ECR references and single-component repositories.
func (r Ref) PullThroughCandidate() (prefix, upstreamRepo string, ok bool) {
	if r.Kind != KindECR {
		return "", "", false
	}
	prefix, upstreamRepo, ok = strings.Cut(r.Repository, "/")
	if !ok {
		return "", "", false
	}
	return prefix, upstreamRepo, true
}
