package check

import (
	"strings"

	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// PullThroughCacheRule checks images that go through an ECR pull through cache
// (ACCOUNT.dkr.ecr.REGION.amazonaws.com/docker-hub/library/nginx): the cache only works when
// a rule exists for the first path component, its upstream is the registry meant, Docker Hub
// and GHCR-style upstreams have their credential secret, and official Docker Hub images keep
// their "library/" namespace (…/docker-hub/nginx does not resolve). Each mistake surfaces as
// a plain "not found" on pull, which sends people looking in the wrong place. The execution
// role's first-pull permissions are pull-through-cache-permissions' business.
type PullThroughCacheRule struct{}

// Meta implements Check.
func (PullThroughCacheRule) Meta() Meta { return pullThroughCacheRuleMeta }

var pullThroughCacheRuleMeta = Meta{
	ID: "pull-through-cache-rule", Cause: cause.ImageNotFound, Severity: finding.Error,
	Title:       "Pull through cache images have a working rule",
	TitleJA:     "プルスルーキャッシュのイメージに有効なルールがある",
	Description: "For each private ECR image whose first path component is a pull through cache rule's `ecrRepositoryPrefix` (or looks like one: docker-hub, ecr-public, quay, ghcr, k8s, …): the rule exists, its upstream registry, its credential secret (required for Docker Hub, GitHub, GitLab and Azure upstreams; name must start with `ecr-pullthroughcache/`) exists, and official Docker Hub images are written with `library/` (…/docker-hub/library/nginx, not …/docker-hub/nginx).",
	Needs:       []string{"ecs:DescribeTaskDefinition", "ecr:DescribePullThroughCacheRules", "secretsmanager:DescribeSecret"},
}

// likelyCachePrefixes are prefixes people give pull through cache rules (AWS's own examples
// and the console defaults).
var likelyCachePrefixes = map[string]bool{
	"docker-hub": true, "dockerhub": true, "docker": true, "ecr-public": true, "quay": true, "ghcr": true,
	"github": true, "github-container-registry": true, "k8s": true, "registry-k8s-io": true, "gitlab": true,
	"gitlab-container-registry": true, "azure": true, "azure-container-registry": true, "acr": true,
}

// Run implements Check.
func (c PullThroughCacheRule) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (c PullThroughCacheRule) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := pullThroughCacheRuleMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	n := len(dst)
	targets := imageTargets(s, imageref.KindECR)
	for i := range targets {
		t := &targets[i]
		prefix, _, ok := t.Ref.PullThroughCandidate()
		if !ok {
			continue
		}
		if t.rule == nil && !likelyCachePrefixes[prefix] {
			continue
		}
		if f, ok := c.one(s, m, t, prefix, t.rule); ok {
			dst = append(dst, f)
		}
	}
	if len(dst) == n {
		return append(dst, newFinding(m, finding.NotApplicable, "no image uses a pull through cache prefix", "プルスルーキャッシュのプレフィックスを使うイメージはありません"))
	}
	return dst
}

// findCacheRule returns the rule whose prefix is the longest leading path of the repository.
func findCacheRule(s *snapshot.Snapshot, ref imageref.Ref) *ecrtypes.PullThroughCacheRule {
	var best *ecrtypes.PullThroughCacheRule
	for i := range s.ECR.PullThroughCacheRules {
		r := &s.ECR.PullThroughCacheRules[i]
		if acc := deref(r.RegistryId); acc != "" && acc != ref.Account {
			continue
		}
		p := strings.TrimSuffix(deref(r.EcrRepositoryPrefix), "/")
		// The repository lies under "p/".
		if p == "" || len(ref.Repository) <= len(p) || ref.Repository[len(p)] != '/' || !strings.HasPrefix(ref.Repository, p) {
			continue
		}
		if best == nil || len(p) > len(deref(best.EcrRepositoryPrefix)) {
			best = r
		}
	}
	return best
}

func (c PullThroughCacheRule) one(s *snapshot.Snapshot, m Meta, t *imageTarget, prefix string, rule *ecrtypes.PullThroughCacheRule) (finding.Finding, bool) {
	ref := t.Ref
	ev := []finding.Evidence{{Source: "ecs:DescribeTaskDefinition", Ref: t.Container, Key: "image", Value: t.Image}}
	region := ref.Region
	if rule == nil {
		// A regular repository that happens to be named docker-hub/... is not a cache.
		if t.repo != nil {
			return finding.Finding{}, false
		}
		if g := s.FirstGap("ecr:DescribePullThroughCacheRules"); g != nil {
			f := unknownFromGap(m, g, "the pull through cache rules of "+ref.Account+" / "+region, ref.Account+" / "+region+" のプルスルーキャッシュルール")
			f.Subject = t.Container
			return f, true
		}
		var have []string
		for _, r := range s.ECR.PullThroughCacheRules {
			have = append(have, deref(r.EcrRepositoryPrefix)+" → "+deref(r.UpstreamRegistryUrl))
		}
		en := "container " + t.Container + ": " + ref.Repository + " looks like a pull through cache path, but no rule has prefix " + prefix + " in " + ref.Account + " / " + region + " and no such repository exists"
		ja := "コンテナ " + t.Container + ": " + ref.Repository + " はプルスルーキャッシュのパスに見えますが、" + ref.Account + " / " + region + " にプレフィックス " + prefix + " のルールもそのリポジトリもありません"
		if len(have) > 0 {
			en += " (rules: " + strings.Join(have, ", ") + ")"
			ja += "（既存のルール: " + strings.Join(have, ", ") + "）"
		}
		f := newFinding(m, finding.Fail, en, ja)
		f.Subject = t.Container
		f.Evidence = append(ev, finding.Evidence{Source: "ecr:DescribePullThroughCacheRules", Ref: ref.Account + "/" + region, Key: "ecrRepositoryPrefixes", Value: orPlaceholder(strings.Join(have, ", "), "(none)")})
		f.Remediation = createRuleRemediation(t, prefix, guessUpstream(prefix))
		return f, true
	}

	rulePrefix := strings.TrimSuffix(deref(rule.EcrRepositoryPrefix), "/")
	upstreamRepo := strings.TrimPrefix(ref.Repository, rulePrefix+"/")
	upstream := deref(rule.UpstreamRegistryUrl)
	ev = append(ev, finding.Evidence{Source: "ecr:DescribePullThroughCacheRules", Ref: rulePrefix, Key: "upstreamRegistryUrl", Value: upstream})
	if cred := deref(rule.CredentialArn); cred != "" {
		ev = append(ev, finding.Evidence{Source: "ecr:DescribePullThroughCacheRules", Ref: rulePrefix, Key: "credentialArn", Value: cred})
	}
	isDockerHub := upstream == "registry-1.docker.io" || rule.UpstreamRegistry == ecrtypes.UpstreamRegistryDockerHub

	// library/ pitfall: official Docker Hub images live under library/.
	if isDockerHub && !strings.Contains(upstreamRepo, "/") {
		fixed := ecrURI(ref.Account, region, rulePrefix+"/library/"+upstreamRepo, "")
		fixedFull := fixed + tagSuffix(ref)
		f := newFinding(m, finding.Fail,
			"container "+t.Container+": "+ref.Repository+" asks Docker Hub for "+upstreamRepo+" without the library/ namespace; official images must be written "+rulePrefix+"/library/"+upstreamRepo+" ("+fixedFull+")",
			"コンテナ "+t.Container+": "+ref.Repository+" は Docker Hub に library/ なしで "+upstreamRepo+" を要求しています。公式イメージは "+rulePrefix+"/library/"+upstreamRepo+"（"+fixedFull+"）と書く必要があります")
		f.Subject, f.Evidence = t.Container, ev
		f.Remediation = &finding.Remediation{
			Text:   "Change the image of container " + t.Container + " to " + fixedFull + " and register a new task definition revision.",
			TextJA: "コンテナ " + t.Container + " の image を " + fixedFull + " に変更し、タスク定義の新しいリビジョンを登録してください。",
			Commands: []string{
				"aws ecr describe-images --region " + region + " --repository-name " + rulePrefix + "/library/" + upstreamRepo,
			},
			Terraform: `# container definition "` + t.Container + `"
image = "` + fixedFull + `"`,
			Links: []string{"https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-working-pulling.html"},
		}
		return f, true
	}

	needsCreds := upstreamNeedsCredentials(upstream, rule.UpstreamRegistry)
	cred := deref(rule.CredentialArn)
	if needsCreds && cred == "" {
		f := newFinding(m, finding.Fail,
			"container "+t.Container+": pull through cache rule "+rulePrefix+" → "+upstream+" has no credential secret; this upstream requires one",
			"コンテナ "+t.Container+": プルスルーキャッシュルール "+rulePrefix+" → "+upstream+" に認証情報のシークレットがありません。このアップストリームには必要です")
		f.Cause = cause.RegistryAuth
		f.Subject, f.Evidence = t.Container, ev
		f.Remediation = createRuleRemediation(t, rulePrefix, upstream)
		secretARN := "arn:" + orPlaceholder(ref.Partition, "aws") + ":secretsmanager:" + region + ":" + ref.Account + ":secret:ecr-pullthroughcache/" + rulePrefix + "-XXXXXX"
		f.Remediation.Text = "Give the rule a credential secret (update-pull-through-cache-rule), or recreate it. " + f.Remediation.Text
		f.Remediation.TextJA = "ルールに認証情報のシークレットを設定する（update-pull-through-cache-rule）か、作り直してください。" + f.Remediation.TextJA
		f.Remediation.Commands = []string{
			f.Remediation.Commands[0],
			"aws ecr update-pull-through-cache-rule --region " + region + " --ecr-repository-prefix " + rulePrefix + " --credential-arn " + secretARN + "   # the full ARN create-secret printed",
		}
		return f, true
	}
	if cred != "" {
		name := secretNameFromARN(cred)
		if !strings.HasPrefix(name, "ecr-pullthroughcache/") {
			f := newFinding(m, finding.Fail,
				"container "+t.Container+": the credential secret "+cred+" of rule "+rulePrefix+" is not named ecr-pullthroughcache/…; ECR only uses secrets with that prefix",
				"コンテナ "+t.Container+": ルール "+rulePrefix+" の認証情報シークレット "+cred+" の名前が ecr-pullthroughcache/ で始まっていません。ECR はこのプレフィックスのシークレットしか使いません")
			f.Cause = cause.RegistryAuth
			f.Subject, f.Evidence = t.Container, ev
			f.Remediation = createRuleRemediation(t, rulePrefix, upstream)
			return f, true
		}
		sec := s.Secret(cred)
		if sec == nil {
			g := gapWithRef(s, "secretsmanager:DescribeSecret", cred)
			if g == nil {
				g = s.Gap("secretsmanager:DescribeSecret", "")
			}
			if g != nil && g.Error != errResourceNotFound {
				f := unknownFromGap(m, g, "the credential secret "+cred, "認証情報シークレット "+cred)
				f.Subject = t.Container
				return f, true
			}
			if g == nil && s.Source == "preflight" {
				f := unknownMissing(m, []string{"secretsmanager:DescribeSecret"}, "the credential secret "+cred, "認証情報シークレット "+cred)
				f.Subject = t.Container
				return f, true
			}
			f := newFinding(m, finding.Fail,
				"container "+t.Container+": the credential secret "+cred+" of rule "+rulePrefix+" does not exist",
				"コンテナ "+t.Container+": ルール "+rulePrefix+" の認証情報シークレット "+cred+" が存在しません")
			f.Cause = cause.RegistryAuth
			f.Subject, f.Evidence = t.Container, ev
			f.Remediation = createRuleRemediation(t, rulePrefix, upstream)
			return f, true
		}
		if sec.DeletedDate != nil {
			f := newFinding(m, finding.Fail,
				"container "+t.Container+": the credential secret "+cred+" of rule "+rulePrefix+" is scheduled for deletion ("+fmtTime(sec.DeletedDate)+")",
				"コンテナ "+t.Container+": ルール "+rulePrefix+" の認証情報シークレット "+cred+" は削除予定です（"+fmtTime(sec.DeletedDate)+"）")
			f.Cause = cause.RegistryAuth
			f.Subject, f.Evidence = t.Container, ev
			f.Remediation = &finding.Remediation{
				Text: "Cancel the deletion of the secret.", TextJA: "シークレットの削除を取り消してください。",
				Commands: []string{"aws secretsmanager restore-secret --region " + region + " --secret-id " + cred},
				Links:    []string{"https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-secret.html"},
			}
			return f, true
		}
	}
	f := newFinding(m, finding.Pass,
		"container "+t.Container+": "+ref.Repository+" is served by pull through cache rule "+rulePrefix+" → "+upstream+" ("+upstreamRepo+"); first-pull permissions are checked by pull-through-cache-permissions",
		"コンテナ "+t.Container+": "+ref.Repository+" はプルスルーキャッシュルール "+rulePrefix+" → "+upstream+"（"+upstreamRepo+"）で提供されます。初回プルの権限は pull-through-cache-permissions で確認します")
	f.Subject, f.Evidence = t.Container, ev
	return f, true
}

func tagSuffix(ref imageref.Ref) string {
	s := ""
	if ref.Tag != "" {
		s += ":" + ref.Tag
	}
	if ref.Digest != "" {
		s += "@" + ref.Digest
	}
	return s
}

// upstreamNeedsCredentials: ECR requires a secret for these upstreams (ECR User Guide,
// "Creating a pull through cache rule").
func upstreamNeedsCredentials(url string, kind ecrtypes.UpstreamRegistry) bool {
	switch kind {
	case ecrtypes.UpstreamRegistryDockerHub, ecrtypes.UpstreamRegistryGitHubContainerRegistry,
		ecrtypes.UpstreamRegistryGitLabContainerRegistry, ecrtypes.UpstreamRegistryAzureContainerRegistry:
		return true
	}
	return url == "registry-1.docker.io" || url == "ghcr.io" || url == "registry.gitlab.com" || strings.HasSuffix(url, ".azurecr.io")
}

func guessUpstream(prefix string) string {
	switch prefix {
	case "docker-hub", "dockerhub", "docker":
		return "registry-1.docker.io"
	case "ecr-public":
		return "public.ecr.aws"
	case "quay":
		return "quay.io"
	case "ghcr", "github", "github-container-registry":
		return "ghcr.io"
	case "k8s", "registry-k8s-io":
		return "registry.k8s.io"
	case "gitlab", "gitlab-container-registry":
		return "registry.gitlab.com"
	}
	return "UPSTREAM_REGISTRY_URL"
}

func secretNameFromARN(arn string) string {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) == 7 && parts[5] == "secret" {
		return parts[6]
	}
	return arn
}

func createRuleRemediation(t *imageTarget, prefix, upstream string) *finding.Remediation {
	ref := t.Ref
	region := ref.Region
	needsCreds := upstreamNeedsCredentials(upstream, "")
	secretARN := "arn:" + orPlaceholder(ref.Partition, "aws") + ":secretsmanager:" + region + ":" + ref.Account + ":secret:ecr-pullthroughcache/" + prefix
	var cmds []string
	if needsCreds {
		cmds = append(cmds, "aws secretsmanager create-secret --region "+region+" --name ecr-pullthroughcache/"+prefix+" --secret-string '{\"username\":\"UPSTREAM_USER\",\"accessToken\":\"UPSTREAM_ACCESS_TOKEN\"}'")
	}
	c := "aws ecr create-pull-through-cache-rule --region " + region + " --registry-id " + ref.Account + " --ecr-repository-prefix " + prefix + " --upstream-registry-url " + upstream
	if needsCreds {
		c += " --credential-arn " + secretARN + "-XXXXXX   # the full ARN create-secret printed"
	}
	cmds = append(cmds, c)
	tf := `resource "aws_ecr_pull_through_cache_rule" "` + tfName(prefix) + `" {
  ecr_repository_prefix = "` + prefix + `"
  upstream_registry_url = "` + upstream + `"`
	if needsCreds {
		tf += `
  credential_arn        = aws_secretsmanager_secret.ecr_pullthroughcache_` + tfName(prefix) + `.arn
}

resource "aws_secretsmanager_secret" "ecr_pullthroughcache_` + tfName(prefix) + `" {
  name = "ecr-pullthroughcache/` + prefix + `"
}`
	} else {
		tf += `
}`
	}
	return &finding.Remediation{
		Text:     "Create a pull through cache rule with prefix " + prefix + " for upstream " + upstream + " in " + ref.Account + " / " + region + (map[bool]string{true: ", with its credentials in a secret named ecr-pullthroughcache/" + prefix + " ({\"username\":...,\"accessToken\":...})", false: ""}[needsCreds]) + ", or point the image at a repository that exists.",
		TextJA:   ref.Account + " / " + region + " にアップストリーム " + upstream + " のプレフィックス " + prefix + " のプルスルーキャッシュルールを作成する" + (map[bool]string{true: "（認証情報は ecr-pullthroughcache/" + prefix + " という名前のシークレットに {\"username\":...,\"accessToken\":...} で保存）", false: ""}[needsCreds]) + "か、存在するリポジトリをイメージに指定してください。",
		Commands: cmds, Terraform: tf,
		Links: []string{
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-rule.html",
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-secret.html",
		},
	}
}
