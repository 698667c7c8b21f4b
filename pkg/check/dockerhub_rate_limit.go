package check

import (
	"strconv"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// DockerHubRateLimit complements dockerhub-credentials (which asks "is the Docker Hub image
// pulled with credentials?"): it weighs the rate-limit evidence itself — the registry probe's
// 429 and ratelimit-remaining header, the stopped reason — and gives the fixes that remove
// the dependency on Docker Hub's quota altogether: an ECR pull through cache rule or a
// mirror in ECR, each with the rewritten image URI. Authenticated pulls are limited too, so
// it applies whether or not repositoryCredentials is set.
type DockerHubRateLimit struct{}

// Meta implements Check.
func (DockerHubRateLimit) Meta() Meta { return dockerHubRateLimitMeta }

var dockerHubRateLimitMeta = Meta{
	ID: "dockerhub-rate-limit", Cause: cause.RegistryRateLimit, Severity: finding.Error,
	Title:       "Docker Hub (or another registry) is not rate-limiting the pull",
	TitleJA:     "Docker Hub（または他のレジストリ）のプルレート制限に達していない",
	Description: "For each image outside private ECR (Docker Hub above all): fails when the registry probe answered 429 `toomanyrequests` or `ratelimit-remaining: 0`, or the stopped reason is a pull rate limit; passes when the probe shows pulls left or the stopped reason is something else. The remediation gives an ECR pull through cache rule and a mirror to ECR (crane or docker commands) with the rewritten image URI; credentials for Docker Hub are dockerhub-credentials' advice.",
	Needs:       []string{"ecs:DescribeTaskDefinition", "registry:HEAD manifest (--probe-registry)"},
}

// Run implements Check.
func (c DockerHubRateLimit) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (c DockerHubRateLimit) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := dockerHubRateLimitMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	reasonCause := stoppedReasonCause(s)
	n := len(dst)
	for _, t := range imageTargets(s) {
		image, ref := t.Image, t.Ref
		if ref.Kind == imageref.KindECR {
			continue
		}
		probe := s.RegistryProbe(image)
		probeLimited := probe != nil && (probe.Outcome == "rate-limited" || probe.HTTPStatus == 429 || remainingZero(probe.RateLimitRemaining))
		if ref.Kind != imageref.KindDockerHub && !probeLimited {
			continue // other registries: only when the probe saw a limit
		}
		name, cd := t.Container, t.def
		hasCreds := cd.RepositoryCredentials != nil && deref(cd.RepositoryCredentials.CredentialsParameter) != ""
		ev := make([]finding.Evidence, 1, 3)
		ev[0] = finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: name, Key: "image", Value: image}
		var summary string // of the probe
		if probe != nil {
			summary = probeSummary(probe)
			ev = append(ev, finding.Evidence{Source: "registry:HEAD manifest", Ref: image, Key: "outcome", Value: summary})
		}
		reasonLimited := reasonCause == cause.RegistryRateLimit
		if reasonLimited {
			ev = append(ev, finding.Evidence{Source: "ecs:DescribeTasks", Ref: s.Target.Task, Key: "stoppedReason", Value: shorten(s.StoppedReason, 300)})
		}
		switch {
		case probeLimited || reasonLimited:
			who, whoJA := "anonymous", "匿名"
			if hasCreds {
				who, whoJA = "authenticated (repositoryCredentials)", "認証付き（repositoryCredentials）"
			}
			var why, whyJA string
			if probeLimited {
				why = "the registry probe got " + summary
				whyJA = "レジストリのプローブ結果: " + summary
			}
			if reasonLimited {
				const reasonWhy, reasonWhyJA = "the stopped reason is a pull rate limit (toomanyrequests)", "停止理由がプルレート制限（toomanyrequests）です"
				if why == "" {
					why, whyJA = reasonWhy, reasonWhyJA
				} else {
					why, whyJA = why+"; "+reasonWhy, whyJA+"。"+reasonWhyJA
				}
			}
			label := registryLabel(ref)
			f := newFinding(m, finding.Fail,
				"container "+name+": "+who+" pulls of "+t.Familiar+" from "+label+" are rate-limited: "+why,
				"コンテナ "+name+": "+label+" から "+t.Familiar+" への"+whoJA+"プルがレート制限されています。"+whyJA)
			f.Subject, f.Evidence = name, ev
			f.Remediation = rateLimitRemediation(s, name, ref, hasCreds)
			dst = append(dst, f)
		case probe != nil && probe.Outcome == "found":
			left := "no rate-limit headers"
			if probe.RateLimitRemaining != "" {
				left = "ratelimit-remaining " + probe.RateLimitRemaining + " of " + orPlaceholder(probe.RateLimitLimit, "?")
			}
			f := newFinding(m, finding.Pass,
				"container "+name+": the registry served "+t.Familiar+" without a rate limit ("+left+")",
				"コンテナ "+name+": レジストリは "+t.Familiar+" をレート制限なしで返しました（"+left+"）")
			f.Subject, f.Evidence = name, ev
			dst = append(dst, f)
		case reasonCause != "" && reasonCause != cause.Unknown:
			f := newFinding(m, finding.Pass,
				"container "+name+": the stopped reason points at "+string(reasonCause)+", not a pull rate limit",
				"コンテナ "+name+": 停止理由は "+string(reasonCause)+" を示しており、プルレート制限ではありません")
			f.Subject = name
			f.Evidence = append(ev, finding.Evidence{Source: "ecs:DescribeTasks", Ref: s.Target.Task, Key: "stoppedReason", Value: shorten(s.StoppedReason, 300)})
			dst = append(dst, f)
		default:
			why, whyJA := "the rate-limit state of "+t.Familiar+" (no registry probe and no telling stopped reason)", t.Familiar+" のレート制限の状態（レジストリのプローブ結果も手がかりになる停止理由もありません）"
			if probe != nil {
				why = "the rate-limit state of " + t.Familiar + " (the registry probe ended " + probe.Outcome + ")"
				whyJA = t.Familiar + " のレート制限の状態（レジストリのプローブ結果: " + probe.Outcome + "）"
			}
			f := unknownMissing(m, []string{"registry:HEAD manifest (--probe-registry)"}, why, whyJA)
			f.Subject, f.Evidence = name, ev
			dst = append(dst, f)
		}
	}
	if len(dst) == n {
		return append(dst, newFinding(m, finding.NotApplicable, "no Docker Hub image and no rate-limited registry", "Docker Hub のイメージも、レート制限されたレジストリもありません"))
	}
	return dst
}

// remainingZero reads Docker Hub's "ratelimit-remaining: 0;w=21600".
func remainingZero(v string) bool {
	n, _, _ := strings.Cut(strings.TrimSpace(v), ";")
	i, err := strconv.Atoi(strings.TrimSpace(n))
	return err == nil && i <= 0
}

func probeSummary(p *snapshot.RegistryProbe) string {
	s := p.Outcome
	if p.HTTPStatus != 0 {
		s += " (HTTP " + strconv.Itoa(p.HTTPStatus) + ")"
	}
	if p.RateLimitRemaining != "" {
		s += ", ratelimit-remaining " + p.RateLimitRemaining
	}
	if p.RateLimitLimit != "" {
		s += ", ratelimit-limit " + p.RateLimitLimit
	}
	return s
}

func registryLabel(ref imageref.Ref) string {
	if ref.Kind == imageref.KindDockerHub {
		return "Docker Hub"
	}
	return ref.Registry
}

// pullThroughUpstream maps a registry to the upstream URL and the customary repository
// prefix of an ECR pull through cache rule; ok is false for registries ECR cannot cache.
func pullThroughUpstream(ref imageref.Ref) (upstreamURL, prefix string, needsCreds, ok bool) {
	switch {
	case ref.Kind == imageref.KindDockerHub:
		return "registry-1.docker.io", "docker-hub", true, true
	case ref.Kind == imageref.KindECRPublic:
		return "public.ecr.aws", "ecr-public", false, true
	case ref.Registry == "ghcr.io":
		return "ghcr.io", "ghcr", true, true
	case ref.Registry == "quay.io":
		return "quay.io", "quay", false, true
	case ref.Registry == "registry.k8s.io":
		return "registry.k8s.io", "k8s", false, true
	case ref.Registry == "registry.gitlab.com":
		return "registry.gitlab.com", "gitlab", true, true
	case strings.HasSuffix(ref.Registry, ".azurecr.io"):
		return ref.Registry, "azure", true, true
	}
	return "", "", false, false
}

func rateLimitRemediation(s *snapshot.Snapshot, container string, ref imageref.Ref, hasCreds bool) *finding.Remediation {
	region := orPlaceholder(s.Region, "REGION")
	account := orPlaceholder(s.Account, "ACCOUNT_ID")
	tag := ref.TagOrDefault()
	if tag == "" {
		tag = "latest"
	}
	cmds := make([]string, 0, 6)
	text, textJA := make([]string, 0, 3), make([]string, 0, 3)
	if !hasCreds && ref.Kind == imageref.KindDockerHub {
		text = append(text, "Pull with a Docker Hub account (repositoryCredentials; see dockerhub-credentials) for a higher limit.")
		textJA = append(textJA, "Docker Hub アカウントで認証してプルすると制限が緩和されます（repositoryCredentials。dockerhub-credentials を参照）。")
	}
	tf := ""
	if upstream, prefix, needsCreds, ok := pullThroughUpstream(ref); ok {
		// Reuse an existing rule for this upstream if the registry has one.
		existing := false
		for _, r := range s.ECR.PullThroughCacheRules {
			if strings.EqualFold(deref(r.UpstreamRegistryUrl), upstream) {
				prefix, existing = deref(r.EcrRepositoryPrefix), true
				break
			}
		}
		cached := ecrURI(account, region, prefix+"/"+ref.Repository, tag)
		secretARN := "arn:aws:secretsmanager:" + region + ":" + account + ":secret:ecr-pullthroughcache/" + prefix
		if existing {
			text = append(text, "Pull through the existing ECR pull through cache rule "+prefix+": use image "+cached+".")
			textJA = append(textJA, "既存の ECR プルスルーキャッシュルール "+prefix+" を経由してプルしてください: イメージを "+cached+" にします。")
		} else {
			text = append(text, "Or let ECR cache it: create a pull through cache rule for "+upstream+" and use image "+cached+" (the first pull creates the repository; the execution role needs ecr:BatchImportUpstreamImage and ecr:CreateRepository for that, see pull-through-cache-permissions).")
			textJA = append(textJA, "または ECR にキャッシュさせます: "+upstream+" のプルスルーキャッシュルールを作成し、イメージを "+cached+" にします（初回プルでリポジトリが作成されます。そのためタスク実行ロールに ecr:BatchImportUpstreamImage と ecr:CreateRepository が必要です。pull-through-cache-permissions を参照）。")
			if needsCreds {
				cmds = append(cmds, "aws secretsmanager create-secret --region "+region+" --name ecr-pullthroughcache/"+prefix+" --secret-string '{\"username\":\"UPSTREAM_USER\",\"accessToken\":\"UPSTREAM_ACCESS_TOKEN\"}'")
			}
			c := "aws ecr create-pull-through-cache-rule --region " + region + " --ecr-repository-prefix " + prefix + " --upstream-registry-url " + upstream
			if needsCreds {
				c += " --credential-arn " + secretARN + "-XXXXXX   # the full ARN create-secret printed"
			}
			cmds = append(cmds, c)
			tf = `resource "aws_ecr_pull_through_cache_rule" "` + tfName(prefix) + `" {
  ecr_repository_prefix = "` + prefix + `"
  upstream_registry_url = "` + upstream + `"`
			if needsCreds {
				tf += `
  credential_arn        = aws_secretsmanager_secret.ecr_pullthroughcache_` + tfName(prefix) + `.arn # name must start with ecr-pullthroughcache/`
			}
			tf += `
}
# container definition "` + container + `":
image = "` + cached + `"`
		}
	}
	mirror := ecrURI(account, region, ref.Repository, tag)
	text = append(text, "Or mirror the image into your own ECR repository once and pull it from there: "+mirror+".")
	textJA = append(textJA, "または、イメージを自分の ECR リポジトリへ一度ミラーしてそこからプルしてください: "+mirror+"。")
	src := ref.String()
	if ref.Digest == "" && ref.Tag == "" {
		src += ":" + tag
	}
	cmds = append(cmds,
		"aws ecr create-repository --region "+region+" --repository-name "+ref.Repository,
		"aws ecr get-login-password --region "+region+" | docker login --username AWS --password-stdin "+account+".dkr.ecr."+region+".amazonaws.com",
		"crane copy "+src+" "+mirror,
		"# without crane: docker pull "+src+" && docker tag "+src+" "+mirror+" && docker push "+mirror+"  (copies one platform only)",
	)
	if tf == "" {
		tf = `resource "aws_ecr_repository" "` + tfName(ref.Repository) + `" {
  name = "` + ref.Repository + `"
}
# container definition "` + container + `":
image = "` + mirror + `"`
	}
	return &finding.Remediation{
		Text: strings.Join(text, " "), TextJA: strings.Join(textJA, ""), Commands: cmds, Terraform: tf,
		Links: rateLimitLinks,
	}
}

// Shared by every report that quotes them: read-only.
var rateLimitLinks = []string{
	"https://docs.docker.com/docker-hub/usage/",
	"https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html",
	"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/private-auth.html",
	"https://github.com/google/go-containerregistry/blob/main/cmd/crane/doc/crane_copy.md",
}
