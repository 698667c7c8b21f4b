package errclass

import (
	"fmt"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
)

// outcome is one (cause, confidence) pair a rule yields.
type outcome struct {
	c    cause.ID
	conf float64
}

// variant replaces a rule's outcomes when any of its tokens is present: the
// same message means different things for an ECR image and a Docker Hub one.
type variant struct {
	when []string
	out  []outcome
}

// rule matches when every token of all, at least one of any (if set), at
// least one of any2 (if set) and none of none occur in the normalised,
// lower-cased text. Tokens are plain substrings: fast, and easy to read next
// to the real message they come from (see testdata/corpus.json).
type rule struct {
	id        string
	all       []string
	any, any2 []string
	none      []string
	out       []outcome
	variants  []variant
}

func o(c cause.ID, conf float64) outcome { return outcome{c, conf} }

// Token groups shared by several rules.
var (
	// netTokens are transport failures: the request never got an answer.
	netTokens = []string{
		"i/o timeout", "requesterror", "request canceled", "requestcanceled",
		"context deadline", "dial tcp", "connection timed out", "tls handshake timeout",
		"no route to host", "network is unreachable", "connection reset",
	}
	// secretFamily are the agent's "retrieve secrets" error prefixes
	// (amazon-ecs-agent agent/taskresource/{asmsecret,ssmsecret,asmauth}).
	secretFamily = []string{
		"unable to retrieve secret from asm", "unable to retrieve secrets from ssm",
		"unable to get registry auth from asm", "asm fetching secret",
		"fetching secret data from ssm", "unable to retrieve secrets from asm",
	}
	kmsTokens = []string{
		"access to kms is not allowed", "kms:decrypt", "kmsaccessdenied",
		"customer master key", "kmsinvalidstate", "kms key",
	}
	s3Tokens = []string{
		"starport-layer-bucket", "<code>accessdenied</code>",
		"error parsing http 403 response body", "s3.amazonaws.com", ".s3.",
	}
	// recognised marks text that is an image-pull or task-start error even
	// when no rule knows the detail; unknown is then reported at 0.3.
	recognised = []string{
		"cannotpullcontainererror", "cannotpullecrcontainererror", "resourceinitializationerror",
		"cannotpullimagemanifesterror", "pull image", "pulling image", "pull access",
	}
)

func join(groups ...[]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// Outcome sets reused by several rules.
var (
	netAWS  = []outcome{o(cause.NetworkNoRoute, 0.8), o(cause.VPCEndpointConfig, 0.45), o(cause.PublicIPMissing, 0.35), o(cause.S3LayerAccess, 0.3)}
	netAny  = []outcome{o(cause.NetworkNoRoute, 0.8), o(cause.PublicIPMissing, 0.4), o(cause.VPCEndpointConfig, 0.3)}
	awsHost = []string{"amazonaws.com", "dkr.ecr", "api.ecr"}
	// nonECRRegistries name a registry other than ECR.
	nonECRRegistries = []string{"docker.io", "ghcr.io", "quay.io", "gcr.io", "pkg.dev", "azurecr.io", "gitlab", "jfrog.io", "public.ecr.aws"}
	// connIssue is the ECS agent's / Fargate's own wording for a request
	// that got no answer ("… There is a connection issue between the task
	// and Amazon ECR. Check your task network configuration.", AWS
	// developer guide "CannotPullContainer task errors"; agent
	// errormessages.formatNetworkConfigurationError).
	connIssue = []string{"there is a connection issue between the task and", "check your task network configuration",
		"check your network configuration"}
)

// rules is the classification table. Order does not matter for the result
// (the best confidence per cause wins), but cheap, rare first tokens make
// non-matching rules fail fast.
var rules = []rule{
	// --- registry limits, disk, platform, reference -----------------------
	{id: "rate-limit", any: []string{"toomanyrequests", "too many requests", "pull rate limit"},
		out: []outcome{o(cause.RegistryRateLimit, 0.95)}},
	{id: "rate-exceeded", all: []string{"rate exceeded"},
		out: []outcome{o(cause.RegistryRateLimit, 0.6)}},
	{id: "disk-full", any: []string{"no space left on device", "not enough space on the disk"},
		out: []outcome{o(cause.DiskFull, 0.95)}},
	// Unpacking a layer failed on a write, the reason cut off by ECS's
	// truncation ("failed to extract layer sha256:…: write /var...",
	// aws/containers-roadmap#1133): the snapshot ran out of room far more
	// often than anything else.
	{id: "extract-write", all: []string{"failed to extract layer"}, any: []string{": write /", "apply failure"},
		out: []outcome{o(cause.DiskFull, 0.55)}},
	{id: "platform-manifest", any: []string{"no matching manifest for", "descriptor matching platform",
		"descriptor for platform", "no match for platform"},
		out: []outcome{o(cause.PlatformMismatch, 0.9)}},
	{id: "exec-format", all: []string{"exec format error"},
		out: []outcome{o(cause.PlatformMismatch, 0.85)}},
	{id: "invalid-reference", any: []string{"invalid reference format", "repository contains invalid characters"},
		out: []outcome{o(cause.InvalidImageRef, 0.9)}},

	// --- image / repository does not exist --------------------------------
	{id: "manifest-unknown", any: []string{"manifest unknown", "requested image not found", "imagenotfoundexception"},
		out: []outcome{o(cause.ImageNotFound, 0.85)}},
	{id: "manifest-not-found", all: []string{"manifest for ", " not found"}, none: []string{"no matching manifest", "no match for platform"},
		out: []outcome{o(cause.ImageNotFound, 0.85)}},
	{id: "repository-not-found", all: []string{"repository ", " not found"},
		out: []outcome{o(cause.ImageNotFound, 0.75), o(cause.ExecRolePermissions, 0.3)}},
	{id: "tag-not-found", all: []string{" not found in repository"},
		out: []outcome{o(cause.ImageNotFound, 0.85)}},
	{id: "image-not-found", all: []string{"image ", " not found"}, none: []string{"manifest for "},
		out: []outcome{o(cause.ImageNotFound, 0.7)}},
	{id: "resolve-not-found", all: []string{"failed to resolve reference", ": not found"},
		out: []outcome{o(cause.ImageNotFound, 0.85)}},
	{id: "ecr-repository-not-found", any: []string{"repositorynotfoundexception", "does not exist in the registry with id"},
		out: []outcome{o(cause.ImageNotFound, 0.8)}},
	{id: "http-404", any: []string{"404 not found", "api error (404)", "status code: 404", "statuscode: 404"},
		out: []outcome{o(cause.ImageNotFound, 0.65)}},

	// --- "pull access denied": meaning depends on the registry ------------
	{id: "pull-access-denied", any: []string{"pull access denied", "repository does not exist or may require"},
		none: []string{"not authorized to perform"},
		out:  []outcome{o(cause.ImageNotFound, 0.55), o(cause.RegistryAuth, 0.45)},
		variants: []variant{{when: []string{"dkr.ecr"},
			out: []outcome{o(cause.ImageNotFound, 0.5), o(cause.ExecRolePermissions, 0.45), o(cause.RepositoryPolicy, 0.35)}}}},
	{id: "resource-denied", all: []string{"requested access to the resource is denied"},
		out: []outcome{o(cause.ImageNotFound, 0.5), o(cause.RegistryAuth, 0.45)}},
	{id: "insufficient-scope", all: []string{"insufficient_scope"},
		out: []outcome{o(cause.ImageNotFound, 0.55), o(cause.RegistryAuth, 0.45)}},

	// --- ECR permissions ---------------------------------------------------
	{id: "ecr-action-denied", all: []string{"not authorized to perform: ecr:"},
		none: []string{"resource-based policy", "vpc endpoint policy", "permissions boundary", "service control policy"},
		out:  []outcome{o(cause.ExecRolePermissions, 0.9), o(cause.RepositoryPolicy, 0.2)}},
	{id: "ecr-repository-policy", all: []string{"not authorized to perform: ecr:", "resource-based policy"},
		out: []outcome{o(cause.RepositoryPolicy, 0.85), o(cause.ExecRolePermissions, 0.3)}},
	{id: "ecr-endpoint-policy", all: []string{"not authorized to perform: ecr:", "vpc endpoint policy"},
		out: []outcome{o(cause.VPCEndpointConfig, 0.85), o(cause.ExecRolePermissions, 0.3)}},
	{id: "ecr-boundary-or-scp", all: []string{"not authorized to perform: ecr:"}, any: []string{"permissions boundary", "service control policy"},
		out: []outcome{o(cause.ExecRolePermissions, 0.6)}},
	{id: "get-authorization-token-denied", all: []string{"getauthorizationtoken"}, any: []string{"accessdenied", "not authorized"},
		out: []outcome{o(cause.ExecRolePermissions, 0.8)}},
	{id: "ecr-access-denied", all: []string{"cannotpullecrcontainererror"}, any: []string{"accessdenied", "not authorized"},
		out: []outcome{o(cause.ExecRolePermissions, 0.8)}},
	{id: "ecr-registry-auth-denied", all: []string{"ecr registry auth"}, any: []string{"accessdenied", "not authorized"},
		out: []outcome{o(cause.ExecRolePermissions, 0.85)}},
	{id: "ecr-403", all: []string{"dkr.ecr"}, any: []string{"403 forbidden", "status code: 403", "statuscode: 403"}, none: s3Tokens,
		out: []outcome{o(cause.ExecRolePermissions, 0.5), o(cause.RepositoryPolicy, 0.45), o(cause.ImageNotFound, 0.25)}},
	// A 403 whose registry the text does not name (containerd's "failed
	// to resolve ref \"…\": unexpected status code [manifests …]: 403
	// Forbidden" with the host redacted, aws/aws-cdk#14457): on ECS that is
	// most often ECR refusing the execution role. Other registries answer a
	// missing login with 401; a named one keeps registry-auth first.
	{id: "http-403", all: []string{"403 forbidden"}, none: join(s3Tokens, []string{"dkr.ecr"}),
		out:      []outcome{o(cause.ExecRolePermissions, 0.45), o(cause.RegistryAuth, 0.4), o(cause.RepositoryPolicy, 0.3), o(cause.ImageNotFound, 0.25)},
		variants: []variant{{when: nonECRRegistries, out: []outcome{o(cause.RegistryAuth, 0.5), o(cause.ImageNotFound, 0.3)}}}},
	{id: "no-basic-auth", all: []string{"no basic auth credentials"},
		out: []outcome{o(cause.ExecRolePermissions, 0.5), o(cause.ExecRoleMissing, 0.4), o(cause.RegistryAuth, 0.3)}},
	{id: "failed-open-status", all: []string{"failed open: unexpected status code"},
		out: []outcome{o(cause.ExecRolePermissions, 0.35), o(cause.RegistryAuth, 0.3), o(cause.RepositoryPolicy, 0.3), o(cause.ImageNotFound, 0.25)},
		variants: []variant{{when: []string{"docker.io"},
			out: []outcome{o(cause.RegistryRateLimit, 0.4), o(cause.RegistryAuth, 0.35), o(cause.RegistryServerError, 0.3), o(cause.ImageNotFound, 0.25)}}}},

	// The agent's own prefix for an ECR BatchGetImage denial
	// (errormessages.formatMissingECRBatchGetImageError), also shown alone
	// as the heading of the developer guide's "CannotPullContainer task
	// errors" page.
	{id: "role-pull-permissions", all: []string{"check that the role has the permissions to pull images"},
		out: []outcome{o(cause.ExecRolePermissions, 0.75), o(cause.RepositoryPolicy, 0.3), o(cause.ImageNotFound, 0.25)}},
	// A resolve failure truncated before its reason (the developer guide
	// quotes it so: the image or tag is gone, else connectivity). Any
	// reason that follows is matched by a more specific rule.
	{id: "resolve-ref-bare", any: []string{"failed to resolve ref"},
		// (tokens other rules already use, so the table does not grow)
		none: join(netTokens, []string{"failed to do request", "lookup ", "pull access denied", "insufficient_scope", "manifest unknown",
			"403 forbidden", "toomanyrequests", "descriptor matching platform", "failed to authorize", ": not found", ": unauthorized",
			"401 unauthorized", "failed open: unexpected status code", "pulling from host"}),
		out: []outcome{o(cause.ImageNotFound, 0.45), o(cause.NetworkNoRoute, 0.4)}},

	// --- S3 layer download ------------------------------------------------
	// Fargate's pull helper crashing while layers download; the developer
	// guide's fix is the route and security-group egress to Amazon S3.
	{id: "pull-panic", all: []string{"pull command failed: panic"},
		out: []outcome{o(cause.S3LayerAccess, 0.6), o(cause.NetworkNoRoute, 0.4), o(cause.VPCEndpointConfig, 0.3)}},
	// "failed to copy" is containerd fetching blobs after the manifest was
	// resolved. From ECR the manifest came over ecr.dkr, so a layer that
	// then times out is the download from S3 (no gateway endpoint, or task
	// egress without the S3 prefix list): the "seller" case, fixed by the
	// S3 gateway endpoint, see testdata/corpus.json.
	{id: "copy-network", all: []string{"failed to copy"}, any: netTokens, none: s3Tokens,
		out: netAny, variants: []variant{
			{when: []string{"dkr.ecr"}, out: []outcome{o(cause.S3LayerAccess, 0.75), o(cause.NetworkNoRoute, 0.5), o(cause.VPCEndpointConfig, 0.35)}},
			{when: awsHost, out: netAWS}}},
	{id: "s3-layer", any: s3Tokens,
		out: []outcome{o(cause.S3LayerAccess, 0.8), o(cause.VPCEndpointConfig, 0.35), o(cause.NetworkNoRoute, 0.3)}},

	// --- execution role ---------------------------------------------------
	{id: "assume-role", any: []string{"unable to assume the role", "unable to assume role", "not authorized to perform: sts:assumerole"},
		out: []outcome{o(cause.ExecRoleTrust, 0.85)}},
	{id: "exec-role-missing", any: []string{"unable to find execution role credentials", "execution credentials, but the credentials are empty",
		"must also specify a value for 'executionrolearn'", "to have execution role arn"},
		out: []outcome{o(cause.ExecRoleMissing, 0.85)}},

	// --- secrets ----------------------------------------------------------
	{id: "secret-kms", any: kmsTokens,
		out: []outcome{o(cause.KMSDecrypt, 0.85), o(cause.SecretsAccess, 0.35)}},
	{id: "secret-action-denied", any: []string{"not authorized to perform: secretsmanager:", "not authorized to perform: ssm:get"}, none: kmsTokens,
		out: []outcome{o(cause.SecretsAccess, 0.9)}},
	// The action named next to a denial, however the sentence around it
	// was worded or wrapped (agentic-community/mcp-gateway-registry#1684
	// quotes "is not authorized to perform\nsecretsmanager:GetSecretValue").
	{id: "secret-action-named", any: []string{"secretsmanager:getsecretvalue", "ssm:getparameter"}, any2: []string{"accessdenied", "not authorized"}, none: kmsTokens,
		out: []outcome{o(cause.SecretsAccess, 0.85)}},
	{id: "secret-access-denied", any: secretFamily, any2: []string{"accessdenied"}, none: kmsTokens,
		out: []outcome{o(cause.SecretsAccess, 0.85)}},
	{id: "secret-not-found", any: []string{"can't find the specified secret", "can't retrieve the secret with arn", "invalid ssm parameters",
		"parameternotfound", "invalidparameters", "invalid arn format for the aws secrets manager"},
		out: []outcome{o(cause.SecretsAccess, 0.9)}},
	{id: "secret-resource-not-found", any: secretFamily, any2: []string{"resourcenotfoundexception"},
		out: []outcome{o(cause.SecretsAccess, 0.9)}},
	{id: "secret-json-key", all: []string{"did not contain json key"},
		out: []outcome{o(cause.SecretsAccess, 0.8)}},
	{id: "secret-bad-value", all: []string{"invalid character"}, any: secretFamily,
		out: []outcome{o(cause.SecretsAccess, 0.7)}},
	{id: "registry-auth-secret-format", any: []string{"invalid schema", "authorizationdata is malformed",
		"asm fetching authorization data", "asm fetching username", "asm fetching password"},
		out: []outcome{o(cause.RegistryAuth, 0.85), o(cause.SecretsAccess, 0.3)}},
	{id: "secret-network", any: secretFamily, any2: netTokens,
		out: []outcome{o(cause.NetworkNoRoute, 0.75), o(cause.VPCEndpointConfig, 0.5), o(cause.SecretsAccess, 0.2)}},
	{id: "secret-truncated", any: secretFamily, none: join(netTokens, []string{"exception", "invalid", "did not contain", "not authorized", "kms"}),
		out: []outcome{o(cause.NetworkNoRoute, 0.5), o(cause.SecretsAccess, 0.45), o(cause.VPCEndpointConfig, 0.3)}},
	{id: "pull-secrets-bare", all: []string{"unable to pull secrets or registry auth"},
		none: []string{"unable to retrieve", "unable to get registry auth", "fetching secret"},
		out:  []outcome{o(cause.NetworkNoRoute, 0.5), o(cause.SecretsAccess, 0.4), o(cause.ExecRolePermissions, 0.35), o(cause.VPCEndpointConfig, 0.3)}},

	// --- ECR authorization token over the network --------------------------
	{id: "ecr-auth-network", all: []string{"ecr registry auth"}, any: netTokens,
		out: []outcome{o(cause.NetworkNoRoute, 0.8), o(cause.VPCEndpointConfig, 0.5), o(cause.PublicIPMissing, 0.35)}},
	{id: "ecr-auth-truncated", all: []string{"ecr registry auth"}, none: join(netTokens, []string{"accessdenied", "not authorized"}),
		out: []outcome{o(cause.NetworkNoRoute, 0.5), o(cause.ExecRolePermissions, 0.4), o(cause.VPCEndpointConfig, 0.35)}},

	// --- network and DNS ----------------------------------------------------
	{id: "io-timeout", all: []string{"i/o timeout"}, none: join([]string{"lookup ", "read udp", "failed to copy"}, s3Tokens, secretFamily, []string{"ecr registry auth"}),
		out: netAny, variants: []variant{{when: awsHost, out: netAWS}}},
	{id: "request-canceled", any: []string{"request canceled while waiting for connection", "client.timeout exceeded while awaiting headers",
		"net/http: request canceled", "context deadline exceeded", "connection timed out", "tls handshake timeout",
		"no route to host", "network is unreachable", "requesterror: send request failed"},
		none: join(secretFamily, []string{"ecr registry auth", "failed to copy"}),
		out:  netAny, variants: []variant{{when: awsHost, out: netAWS}}},
	// The agent's / Fargate's "connection issue" wording, alone or before
	// the transport error; the awslogs and Secrets Manager forms are left
	// to their own rules.
	{id: "connection-issue", any: connIssue,
		none: join(secretFamily, []string{"ecr registry auth", "failed to copy", "logger args", "cloudwatch", "secrets manager", "aws systems manager"}),
		out:  netAny, variants: []variant{{when: join(awsHost, []string{"amazon ecr"}), out: netAWS}}},
	// containerd's "failed to do request" is a request that got no HTTP
	// answer at all (a status would read "unexpected status"): what is
	// left of a transport error that ECS's truncation cut before "dial
	// tcp …: i/o timeout".
	{id: "request-not-done", all: []string{"failed to do request"},
		none: []string{"i/o timeout", "requesterror", "request canceled", "requestcanceled", "context deadline", "connection timed out",
			"tls handshake timeout", "no route to host", "network is unreachable", "connection reset", // netTokens but "dial tcp"
			"failed to copy", "lookup ", "no such host", "connection refused"},
		out:      []outcome{o(cause.NetworkNoRoute, 0.6), o(cause.PublicIPMissing, 0.35), o(cause.VPCEndpointConfig, 0.3), o(cause.DNSResolution, 0.3)},
		variants: []variant{{when: awsHost, out: []outcome{o(cause.NetworkNoRoute, 0.6), o(cause.VPCEndpointConfig, 0.4), o(cause.PublicIPMissing, 0.3), o(cause.DNSResolution, 0.3)}}}},
	{id: "connection-refused", all: []string{"connection refused"},
		out: []outcome{o(cause.NetworkNoRoute, 0.6), o(cause.RegistryServerError, 0.3)}},
	{id: "registry-unreachable", all: []string{"could not reach any registry endpoint"},
		out: []outcome{o(cause.RegistryServerError, 0.5), o(cause.NetworkNoRoute, 0.45)}},
	{id: "no-such-host", any: []string{"no such host", "server misbehaving"},
		out:      []outcome{o(cause.DNSResolution, 0.85), o(cause.NetworkNoRoute, 0.35)},
		variants: []variant{{when: awsHost, out: []outcome{o(cause.DNSResolution, 0.85), o(cause.VPCEndpointConfig, 0.4), o(cause.NetworkNoRoute, 0.3)}}}},
	{id: "dns-lookup-failed", all: []string{"dial tcp: lookup "}, none: []string{"no such host"},
		out: []outcome{o(cause.DNSResolution, 0.65), o(cause.NetworkNoRoute, 0.45)}},

	// --- registry side ------------------------------------------------------
	{id: "registry-5xx", any: []string{"500 internal server error", "502 bad gateway", "503 service unavailable", "504 gateway timeout",
		"received unexpected http status: 5", "internalservererror", "serviceunavailable"},
		out: []outcome{o(cause.RegistryServerError, 0.8)}},
	{id: "registry-unauthorized", any: []string{"unauthorized: authentication required", "incorrect username or password",
		"authentication is required", "401 unauthorized", "status code: 401", "statuscode: 401"},
		out:      []outcome{o(cause.RegistryAuth, 0.85)},
		variants: []variant{{when: []string{"dkr.ecr"}, out: []outcome{o(cause.RegistryAuth, 0.5), o(cause.ExecRolePermissions, 0.45), o(cause.ExecRoleMissing, 0.3)}}}},

	// containerd's and dockerd's forms of a registry refusing the pull for
	// want of credentials: `Head "https://ghcr.io/v2/…/manifests/…":
	// unauthorized`, `failed to authorize: failed to fetch anonymous token:
	// unexpected status: 401` (docker-library/tomcat#321,
	// jfrog/jfrog-credentials-provider#41, beeper/registration-relay#3,
	// hcpy2-0/hcpy#54, praetorian-inc/snowcat#29; see testdata/corpus.json).
	// From ECR the same refusal means the execution role's token did not
	// grant the pull, as for pull-access-denied.
	{id: "registry-unauthorized-token", any: []string{"failed to fetch anonymous token", "failed to authorize", "/manifests/", "pull access denied"},
		any2:     []string{`": unauthorized`, ": unauthorized", ": 401", "401 unauthorized"},
		out:      []outcome{o(cause.RegistryAuth, 0.8), o(cause.ImageNotFound, 0.3)},
		variants: []variant{{when: []string{"dkr.ecr"}, out: []outcome{o(cause.ExecRolePermissions, 0.55), o(cause.RepositoryPolicy, 0.4), o(cause.RegistryAuth, 0.3)}}}},

	// The token endpoint answered, but the status was cut off: most often
	// a private or misspelt image asked for anonymously.
	{id: "anonymous-token-status", all: []string{"failed to fetch anonymous token: unexpected status"},
		out: []outcome{o(cause.RegistryAuth, 0.45), o(cause.ImageNotFound, 0.3), o(cause.RegistryRateLimit, 0.25)}},

	// --- pull stopped -------------------------------------------------------
	{id: "context-canceled", all: []string{"context canceled"}, none: []string{"request context canceled"},
		out: []outcome{o(cause.PullCanceled, 0.6), o(cause.NetworkNoRoute, 0.45)}},
	{id: "pull-inactivity", all: []string{"inactivity time exceeded timeout"},
		out: []outcome{o(cause.PullCanceled, 0.6), o(cause.NetworkNoRoute, 0.4)}},

	// --- awslogs ------------------------------------------------------------
	{id: "log-group-missing", any: []string{"log group does not exist", "cannot find the amazon cloudwatch log group"},
		out: []outcome{o(cause.LogConfig, 0.9)}},
	{id: "logs-denied", any: []string{"not authorized to perform: logs:", "logs:createlogstream", "logs:createloggroup", "logs:putlogevents"},
		out: []outcome{o(cause.LogConfig, 0.9)}},
	{id: "logger-failed", any: []string{"failed to initialize logging driver", "failed to validate logger args", "failed to create cloudwatch log"},
		out: []outcome{o(cause.LogConfig, 0.75)}},
	{id: "logger-network", all: []string{"logger args"}, any: []string{"connection issue", "check your network configuration"},
		out: []outcome{o(cause.LogConfig, 0.75), o(cause.NetworkNoRoute, 0.5)}},
}

// Compiled form: tokens interned to small integers so the matcher can memoise
// them in a fixed-size array.
const (
	maxTokens  = 512
	maxCauses  = 32
	maxRules   = 128
	maxAnchors = 64 // extraction anchors, interned first (see init)
)

type compiledOutcome struct {
	idx  int // position in cause.All
	conf float64
}

type compiledVariant struct {
	when []uint16
	out  []compiledOutcome
}

type compiledRule struct {
	id                   string
	all, any, any2, none []uint16
	out                  []compiledOutcome
	variants             []compiledVariant
}

var (
	tokens        []string
	ac            *automaton
	compiled      []compiledRule
	recognisedIDs []uint16
	spellingIDs   []uint16
	// launchID is the phrase of the service-event wrapper unwrap removes
	// only when the scan saw it (see Classify).
	launchID uint16
	// triggers[t] has a bit per rule that can only match when token t
	// occurs: its first all token or, without all, any of its any tokens.
	// Classify evaluates only those rules instead of the whole table.
	triggers [maxTokens][maxRules / 64]uint64
)

func init() {
	if len(cause.All) > maxCauses {
		panic("errclass: more causes than maxCauses")
	}
	index := map[string]uint16{}
	intern := func(ss []string) []uint16 {
		ids := make([]uint16, 0, len(ss))
		for _, s := range ss {
			id, ok := index[s]
			if !ok {
				id = uint16(len(tokens))
				index[s] = id
				tokens = append(tokens, s)
			}
			ids = append(ids, id)
		}
		return ids
	}
	outs := func(os []outcome, rid string) []compiledOutcome {
		co := make([]compiledOutcome, 0, len(os))
		for _, oc := range os {
			idx := -1
			for i, c := range cause.All {
				if c == oc.c {
					idx = i
				}
			}
			if idx < 0 || oc.conf <= 0 || oc.conf > 1 {
				panic(fmt.Sprintf("errclass: rule %s: bad outcome %v", rid, oc))
			}
			co = append(co, compiledOutcome{idx: idx, conf: oc.conf})
		}
		return co
	}
	// Spelling variants first (matcher.see tells them by id < numSpellings),
	// then anchors: their ids index matcher.pos.
	for i, sp := range spellings {
		spellingIDs = append(spellingIDs, intern([]string{sp.old})...)
		if spellingIDs[i] != uint16(i) {
			panic("errclass: spelling variants must be interned first")
		}
	}
	for i, id := range intern(extractAnchors) {
		anchorIDs[extractAnchors[i]] = id
	}
	initAnchors()
	initShiftSafe()
	if len(tokens) > maxAnchors {
		panic("errclass: more extraction anchors than maxAnchors")
	}
	if len(rules) > maxRules {
		panic("errclass: more rules than maxRules")
	}
	for ri, r := range rules {
		cr := compiledRule{id: r.id, all: intern(r.all), any: intern(r.any), any2: intern(r.any2), none: intern(r.none), out: outs(r.out, r.id)}
		for _, v := range r.variants {
			cr.variants = append(cr.variants, compiledVariant{when: intern(v.when), out: outs(v.out, r.id)})
		}
		compiled = append(compiled, cr)
		trig := cr.any
		if len(cr.all) > 0 {
			trig = cr.all[:1]
		}
		if len(trig) == 0 {
			panic(fmt.Sprintf("errclass: rule %s has neither all nor any tokens", r.id))
		}
		for _, t := range trig {
			triggers[t][ri/64] |= 1 << (ri % 64)
		}
	}
	recognisedIDs = intern(recognised)
	launchID = intern([]string{"failed to launch a task with (error"})[0]
	if len(tokens) > maxTokens {
		panic("errclass: more tokens than maxTokens")
	}
	ac = buildAutomaton(tokens)
}
