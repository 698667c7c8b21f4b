package imageref

import (
	"fmt"
	"strings"
)

// ECR registry host names (Amazon ECR User Guide, "Amazon ECR registries" and
// "Making requests to Amazon ECR registries",
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-requests.html):
//
//	ACCOUNT.dkr.ecr.REGION.amazonaws.com         IPv4 endpoint
//	ACCOUNT.dkr.ecr.REGION.amazonaws.com.cn      China regions (aws-cn)
//	ACCOUNT.dkr.ecr-fips.REGION.amazonaws.com    FIPS endpoint (US and GovCloud)
//	ACCOUNT.dkr-ecr.REGION.on.aws                dual-stack (IPv4 + IPv6)
//	ACCOUNT.dkr-ecr-fips.REGION.on.aws           dual-stack FIPS
//	public.ecr.aws                               Amazon ECR Public
//
// A host that looks like one of these but is malformed (an account id that is
// not 12 digits, a missing region) cannot resolve, so Parse rejects it rather
// than filing it under "other": the user almost certainly meant ECR and the
// useful finding is "this reference is wrong", not "cannot reach registry".

const publicECRHost = "public.ecr.aws"

// classify sets Kind and the ECR fields of r from r.Registry.
func classify(r *Ref) string {
	host := strings.ToLower(r.Registry)
	if !strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ':'); i >= 0 {
			host = host[:i]
		}
	}
	if host == publicECRHost {
		r.Kind = KindECRPublic
		r.Partition = PartitionAWS
		return ""
	}
	if !looksLikeECR(host) {
		r.Kind = KindOther
		return ""
	}
	labels := strings.Split(host, ".")
	var suffix string
	switch {
	case len(labels) == 6 && labels[1] == "dkr" && (labels[2] == "ecr" || labels[2] == "ecr-fips") &&
		labels[4] == "amazonaws" && labels[5] == "com":
		r.FIPS = labels[2] == "ecr-fips"
		suffix = "amazonaws.com"
	case len(labels) == 7 && labels[1] == "dkr" && labels[2] == "ecr" &&
		labels[4] == "amazonaws" && labels[5] == "com" && labels[6] == "cn":
		suffix = "amazonaws.com.cn"
	case len(labels) == 5 && (labels[1] == "dkr-ecr" || labels[1] == "dkr-ecr-fips") &&
		labels[3] == "on" && labels[4] == "aws":
		r.DualStack = true
		r.FIPS = labels[1] == "dkr-ecr-fips"
		suffix = "on.aws"
	default:
		return fmt.Sprintf("registry %q looks like Amazon ECR but is not ACCOUNT.dkr.ecr.REGION.amazonaws.com (or a FIPS, dual-stack or China variant)", r.Registry)
	}
	account := labels[0]
	region := labels[len(labels)-len(strings.Split(suffix, "."))-1]
	if !isAccountID(account) {
		return fmt.Sprintf("ECR registry %q: account id %q must be exactly 12 digits", r.Registry, account)
	}
	if !isRegion(region) {
		return fmt.Sprintf("ECR registry %q: %q is not an AWS region name (like us-east-1)", r.Registry, region)
	}
	partition := PartitionOf(region)
	switch {
	case suffix == "amazonaws.com.cn" && partition != PartitionAWSCN:
		return fmt.Sprintf("ECR registry %q: .amazonaws.com.cn hosts only serve China regions (cn-*), not %s", r.Registry, region)
	case suffix == "amazonaws.com" && partition == PartitionAWSCN:
		return fmt.Sprintf("ECR registry %q: China region %s is served from .amazonaws.com.cn", r.Registry, region)
	}
	r.Kind = KindECR
	r.Account = account
	r.Region = region
	r.Partition = partition
	return ""
}

// looksLikeECR reports whether host was meant to be a private ECR registry:
// it carries the dkr.ecr / dkr-ecr service labels under an AWS domain.
func looksLikeECR(host string) bool {
	if !strings.HasSuffix(host, ".amazonaws.com") && !strings.HasSuffix(host, ".amazonaws.com.cn") && !strings.HasSuffix(host, ".on.aws") {
		return false
	}
	h := "." + host
	return strings.Contains(h, ".dkr.ecr.") || strings.Contains(h, ".dkr.ecr-fips.") ||
		strings.Contains(h, ".dkr-ecr.") || strings.Contains(h, ".dkr-ecr-fips.")
}

// isAccountID: AWS account ids are exactly 12 decimal digits.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isRegion accepts the shape of every AWS region name: a two-letter area,
// one or more lower-case words, and a number (us-east-1, us-gov-west-1,
// ap-southeast-5, eu-isoe-west-1).
func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) != 2 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		last := i == len(parts)-1
		for j := 0; j < len(p); j++ {
			c := p[j]
			if last && (c < '0' || c > '9') || !last && (c < 'a' || c > 'z') {
				return false
			}
		}
	}
	return true
}

// partitionOf maps a region to its partition; only the partitions ECS image
// pulls meet in practice are distinguished (ISO partitions use other domains
// and are not recognised as ECR hosts at all).
// PartitionOf is the AWS partition a region belongs to ("aws", "aws-cn", "aws-us-gov"), as
// ARNs spell it.
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return PartitionAWSCN
	case strings.HasPrefix(region, "us-gov-"):
		return PartitionAWSUSGov
	}
	return PartitionAWS
}
