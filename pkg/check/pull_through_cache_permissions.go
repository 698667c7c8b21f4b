package check

import (
	"strconv"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// PullThroughCachePermissions checks the extra permissions a pull through a pull through
// cache rule needs: the first pull of an upstream image makes ECR create the cached
// repository and import the image on behalf of the puller, so its role needs
// ecr:CreateRepository and ecr:BatchImportUpstreamImage on that repository, which
// AmazonECSTaskExecutionRolePolicy does not grant
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html).
type PullThroughCachePermissions struct{}

// Meta implements Check.
func (PullThroughCachePermissions) Meta() Meta { return pullThroughCachePermissionsMeta }

var pullThroughCachePermissionsMeta = Meta{
	ID: "pull-through-cache-permissions", Cause: cause.ExecRolePermissions, Severity: finding.Error,
	Title:       "The execution role may create and import pull-through-cache repositories",
	TitleJA:     "タスク実行ロールがプルスルーキャッシュのリポジトリ作成とインポートを実行できる",
	Description: "For each private ECR image whose first path component is the `ecrRepositoryPrefix` of a pull through cache rule: evaluates `ecr:BatchImportUpstreamImage` and `ecr:CreateRepository` on the cached repository's ARN over the execution role's policies (on EC2 without an execution role, the container instance role). CreateRepository is needed only for the first pull, while the cached repository does not exist yet; when it already exists the check says so and evaluates BatchImportUpstreamImage only.",
	Needs:       []string{"ecr:DescribePullThroughCacheRules", "ecr:DescribeRepositories", "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:GetPolicyVersion", "iam:ListRolePolicies", "iam:GetRolePolicy"},
}

// Run implements Check.
func (c PullThroughCachePermissions) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (c PullThroughCachePermissions) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := pullThroughCachePermissionsMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	st := iamState(s)
	_, targets := st.ecrTargets()
	type cached struct {
		t      iamRepo
		prefix string
		rule   string
	}
	var hits []cached
	gapped := false
	for _, t := range targets {
		prefix, _, ok := t.Ref.PullThroughCandidate()
		if !ok {
			continue
		}
		if rule := iamCacheRule(s, t.Ref); rule != "" {
			hits = append(hits, cached{t, prefix, rule})
			continue
		}
		if g := s.Gap("ecr:DescribePullThroughCacheRules", ""); g != nil {
			gapped = true
		}
	}
	if len(hits) == 0 && gapped {
		g := s.Gap("ecr:DescribePullThroughCacheRules", "")
		return append(dst, unknownFromGap(m, g, "the pull through cache rules", "プルスルーキャッシュルール"))
	}
	if len(hits) == 0 {
		return append(dst, newFinding(m, finding.NotApplicable, "no image uses a pull through cache prefix", "プルスルーキャッシュのプレフィックスを使うイメージはありません"))
	}
	arn, kind, kindJA, ok := pullPrincipal(s)
	if !ok {
		return append(dst, noPrincipalFinding(m, s, "the pull through cache permissions"))
	}
	sub, uf := st.subject(m, arn, kind, kindJA)
	if uf != nil {
		return append(dst, *uf)
	}
	for _, h := range hits {
		dst = append(dst, c.one(s, m, sub, h.t, h.prefix, h.rule))
	}
	return dst
}

// iamCacheRule returns the upstream of the rule whose prefix is the longest leading path of
// the repository ("" when none).
func iamCacheRule(s *snapshot.Snapshot, ref imageref.Ref) string {
	best, upstream := "", ""
	for _, r := range s.ECR.PullThroughCacheRules {
		if acc := deref(r.RegistryId); acc != "" && acc != ref.Account {
			continue
		}
		p := strings.Trim(deref(r.EcrRepositoryPrefix), "/")
		if p == "" || !strings.HasPrefix(ref.Repository, p+"/") || len(p) <= len(best) {
			continue
		}
		best, upstream = p, orPlaceholder(deref(r.UpstreamRegistryUrl), p)
	}
	return upstream
}

func (c PullThroughCachePermissions) one(s *snapshot.Snapshot, m Meta, sub *iamSubject, t iamRepo, prefix, upstream string) finding.Finding {
	repoARN := t.ARN
	exists := findRepository(s, t.Ref) != nil
	actions := []string{"ecr:BatchImportUpstreamImage"}
	existsText := "the cached repository " + t.Ref.Repository + " already exists, so ecr:CreateRepository is not needed"
	existsJA := "キャッシュ先リポジトリ " + t.Ref.Repository + " は既に存在するため、ecr:CreateRepository は不要です"
	if !exists {
		actions = []string{"ecr:BatchImportUpstreamImage", "ecr:CreateRepository"}
		existsText = "the cached repository " + t.Ref.Repository + " does not exist yet, so the first pull also needs ecr:CreateRepository"
		existsJA = "キャッシュ先リポジトリ " + t.Ref.Repository + " はまだ存在しないため、初回のプルには ecr:CreateRepository も必要です"
	}
	ev := [...]finding.Evidence{
		{Source: "ecs:DescribeTaskDefinition", Ref: t.Container, Key: "image", Value: t.Image},
		{Source: "ecr:DescribePullThroughCacheRules", Ref: t.Ref.Account + "/" + t.Ref.Region, Key: "ecrRepositoryPrefix " + prefix, Value: upstream},
		{Source: "ecr:DescribeRepositories", Ref: repoARN, Key: "exists", Value: strconv.FormatBool(exists)},
	}
	var buf [maxActions]actionResult
	rs := evalActions(buf[:0], sub.Set, sub.ARN, repoARN, "", sharedRequestContext(t.Ref.Region), actions...)
	f, denied := permFinding(m, sub, t.Container, phrase{"pull through cache repository ", repoARN}, phrase{"プルスルーキャッシュのリポジトリ ", repoARN}, rs, ev[:])
	if denied != nil {
		res := "arn:" + t.Ref.Partition + ":ecr:" + t.Ref.Region + ":" + t.Ref.Account + ":repository/" + prefix + "/*"
		f.Remediation = identityRemediation(sub, "ecr-pull-through-cache-"+iamTFIdent(prefix),
			iamStmt{Sid: "PullThroughCache", Effect: "Allow", Action: []string{"ecr:BatchImportUpstreamImage", "ecr:CreateRepository"}, Resource: res}, denied,
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html",
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-working-pulling.html")
	}
	f.Message += "; " + existsText
	f.MessageJA += "。" + existsJA
	return f
}
