package netpath

import (
	"slices"
	"sort"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// Service is a destination kind.
type Service string

// Destinations an image pull (and the task start around it) talks to.
const (
	ECRAPI         Service = "ecr.api" // GetAuthorizationToken
	ECRDKR         Service = "ecr.dkr" // the Docker registry API: manifests, layer URLs
	S3             Service = "s3"      // ECR layers: prod-REGION-starport-layer-bucket
	SecretsManager Service = "secretsmanager"
	SSM            Service = "ssm"
	Logs           Service = "logs"
	KMS            Service = "kms"
	// Internet is anything only reachable over the internet: Docker Hub, public ECR
	// (public.ecr.aws), another public registry, ECR in another region.
	Internet Service = "internet"
)

// Interface reports whether the service can be reached through an interface endpoint.
func (s Service) Interface() bool {
	switch s {
	case ECRAPI, ECRDKR, SecretsManager, SSM, Logs, KMS:
		return true
	}
	return false
}

// Destination is one service the task needs, with the calls it makes there (for endpoint
// policies).
type Destination struct {
	Service Service
	// Host is the name the task resolves (api.ecr.REGION.amazonaws.com, registry-1.docker.io).
	Host string
	// Actions and Resources are what an endpoint policy must allow.
	Actions   []string
	Resources []string
}

// Name is a short label: the service, or the host for internet destinations.
func (d Destination) Name() string {
	if d.Service == Internet {
		return d.Host
	}
	return string(d.Service)
}

// ServiceName is the VPC endpoint service name in a region. China regions prefix some
// services with "cn." (cn.com.amazonaws.cn-north-1.ecr.dkr) and not others
// (com.amazonaws.cn-north-1.logs, com.amazonaws.cn-north-1.s3 for the gateway endpoint):
// see `aws ec2 describe-vpc-endpoint-services` in cn-north-1 and aws-cdk#16139.
func ServiceName(region string, svc Service) string {
	return servicePrefix(region, svc) + region + "." + string(svc)
}

// servicePrefix is what ServiceName puts before the region.
func servicePrefix(region string, svc Service) string {
	if strings.HasPrefix(region, "cn-") && (svc == ECRAPI || svc == ECRDKR) {
		return "cn.com.amazonaws."
	}
	return "com.amazonaws."
}

// isServiceName reports whether an endpoint's service name is svc's in region, in either
// spelling (China prefixes some with "cn."): a comparison, not a list of names built per
// endpoint looked at.
func isServiceName(name, region string, svc Service) bool {
	rest, ok := strings.CutPrefix(strings.TrimPrefix(name, "cn."), "com.amazonaws.")
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, region)
	return ok && len(rest) == 1+len(svc) && rest[0] == '.' && rest[1:] == string(svc)
}

// LayerBucket is the S3 bucket ECR serves image layers from in a region.
func LayerBucket(region string) string { return "prod-" + region + "-starport-layer-bucket" }

func dnsSuffix(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// Needed lists what the task's start needs to reach, from its task definition: private ECR
// images in the task's region need ecr.api, ecr.dkr and S3; other images need the internet;
// secrets need Secrets Manager or SSM; awslogs needs CloudWatch Logs. The order is stable.
func Needed(s *snapshot.Snapshot) []Destination { return neededWith(s, nil) }

// The calls an endpoint policy must allow, per service: shared by every Destination (whose
// lists are read-only), so that listing the destinations does not rebuild them.
var (
	actionsECRAPI  = []string{"ecr:GetAuthorizationToken"}
	actionsECRDKR  = []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}
	actionsS3      = []string{"s3:GetObject"}
	actionsLogs    = []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	actionsSSM     = []string{"ssm:GetParameters"}
	actionsSecrets = []string{"secretsmanager:GetSecretValue"}
	anyResource    = []string{"*"}
)

// neededWith is Needed with a chosen image parser (nil: imageref.Parse), so that a caller
// that memoises parsing (pkg/check) does not parse every image again.
func neededWith(s *snapshot.Snapshot, parse func(string) (imageref.Ref, error)) []Destination {
	if parse == nil {
		parse = imageref.Parse
	}
	region := s.Region
	// A task needs a handful of destinations: a linear search by key beats a map, and the
	// list is gathered on the stack and copied out once, exactly sized.
	var kbuf [8]string
	var dbuf [8]Destination
	keys, dests := kbuf[:0], dbuf[:0]
	// add merges one need into the destination of key. A destination's first lists are
	// taken as given (the callers' are fresh or shared read-only ones, len == cap, so a
	// later append copies); later needs are appended when new.
	add := func(key string, d Destination, actions, resources []string) {
		i := slices.Index(keys, key)
		if i < 0 {
			keys = append(keys, key)
			d.Actions, d.Resources = actions, resources
			dests = append(dests, d)
			return
		}
		cur := &dests[i]
		for _, x := range actions {
			if !contains(cur.Actions, x) {
				cur.Actions = append(cur.Actions, x)
			}
		}
		for _, x := range resources {
			if !contains(cur.Resources, x) {
				cur.Resources = append(cur.Resources, x)
			}
		}
	}
	suffix := dnsSuffix(region)
	for _, cd := range s.Containers() {
		img := deref(cd.Image)
		ref, err := parse(img)
		if err != nil {
			continue // image-reference-valid reports it
		}
		switch {
		case ref.Kind == imageref.KindECR && ref.Region == region:
			bucket := LayerBucket(region)
			add("ecr.api", Destination{Service: ECRAPI, Host: "api.ecr." + region + "." + suffix},
				actionsECRAPI, anyResource)
			add("ecr.dkr", Destination{Service: ECRDKR, Host: ref.Registry},
				actionsECRDKR, []string{ref.RepositoryARN()})
			add("s3", Destination{Service: S3, Host: bucket + ".s3." + region + "." + suffix},
				actionsS3, []string{"arn:" + imageref.PartitionOf(region) + ":s3:::" + bucket + "/*"})
		default:
			host := ref.Registry
			if host == imageref.DockerHubRegistry {
				host = "registry-1.docker.io"
			}
			add("internet:"+host, Destination{Service: Internet, Host: host}, nil, nil)
		}
		for _, sec := range cd.Secrets {
			addSecret(add, region, deref(sec.ValueFrom))
		}
		if cd.RepositoryCredentials != nil && deref(cd.RepositoryCredentials.CredentialsParameter) != "" {
			addSecret(add, region, deref(cd.RepositoryCredentials.CredentialsParameter))
		}
		if cd.LogConfiguration != nil && cd.LogConfiguration.LogDriver == "awslogs" {
			res := anyResource
			if g := cd.LogConfiguration.Options["awslogs-group"]; g != "" {
				res = []string{"arn:" + imageref.PartitionOf(region) + ":logs:" + region + ":" + s.Account + ":log-group:" + g + ":*"}
			}
			add("logs", Destination{Service: Logs, Host: "logs." + region + "." + suffix},
				actionsLogs, res)
		}
	}
	for i := range dests {
		sort.Strings(dests[i].Resources) // a shared list has one item: nothing moves
	}
	out := make([]Destination, len(dests))
	copy(out, dests)
	return out
}

func addSecret(add func(string, Destination, []string, []string), region, valueFrom string) {
	suffix := dnsSuffix(region)
	switch {
	case strings.Contains(valueFrom, ":ssm:") || !strings.HasPrefix(valueFrom, "arn:"):
		if r := arnRegion(valueFrom); r != "" && r != region {
			add("internet:ssm."+r, Destination{Service: Internet, Host: "ssm." + r + "." + suffix}, nil, nil)
			return
		}
		add("ssm", Destination{Service: SSM, Host: "ssm." + region + "." + suffix}, actionsSSM, []string{arnOr(valueFrom)})
	default:
		// A secretsmanager ARN may carry ":json-key:version-stage:version-id" after the name.
		arn := valueFrom
		if parts := strings.Split(arn, ":"); len(parts) > 7 {
			arn = strings.Join(parts[:7], ":")
		}
		if r := arnRegion(arn); r != "" && r != region {
			add("internet:secretsmanager."+r, Destination{Service: Internet, Host: "secretsmanager." + r + "." + suffix}, nil, nil)
			return
		}
		add("secretsmanager", Destination{Service: SecretsManager, Host: "secretsmanager." + region + "." + suffix},
			actionsSecrets, []string{arn})
	}
}

func arnOr(v string) string {
	if strings.HasPrefix(v, "arn:") {
		return v
	}
	return "*"
}

func arnRegion(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 6 {
		return ""
	}
	return p[3]
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
