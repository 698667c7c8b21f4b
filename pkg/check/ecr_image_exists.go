package check

import (
	"slices"
	"strings"

	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ECRImageExists catches seed cause 2 proper: the repository exists but the tag (v1.0.1
// that CI never pushed) or the digest (deleted by hand or by a lifecycle policy) does not.
// "manifest unknown" says nothing about which tags do exist; the nearest existing tags and
// the latest pushes usually show the typo or the failed build at a glance.
type ECRImageExists struct{}

// Meta implements Check.
func (ECRImageExists) Meta() Meta { return ecrImageExistsMeta }

// The Meta of a check is a package value: building it (and its Needs) on every run is a
// cost each diagnosis would pay. Callers of Meta() only read it.
var ecrImageExistsMeta = Meta{
	ID: "ecr-image-exists", Cause: cause.ImageNotFound, Severity: finding.Error,
	Title:       "The image tag or digest exists in its ECR repository",
	TitleJA:     "イメージのタグまたはダイジェストが ECR リポジトリに存在する",
	Description: "For each container whose image is in private Amazon ECR: the tag (or `latest` when none is written) or the digest exists among the repository's images (`ecr:DescribeImages`). When it does not, lists the nearest existing tags (version-aware, then edit distance) and the most recently pushed images, and hints at IMMUTABLE tags and lifecycle policies. When the collector read only the wanted tag (`imagesComplete` false), absence is decided only by an `ImageNotFoundException` gap for `<repository>:<tag>` or `<repository>@<digest>`.",
	Needs:       []string{"ecs:DescribeTaskDefinition", "ecr:DescribeImages"},
}

// Run implements Check.
func (c ECRImageExists) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (c ECRImageExists) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := ecrImageExistsMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	return appendPerECRImage(dst, s, m, func(t *imageTarget) finding.Finding { return c.one(s, m, t) })
}

func (c ECRImageExists) one(s *snapshot.Snapshot, m Meta, t *imageTarget) finding.Finding {
	ref := t.Ref
	ev := finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: t.Container, Key: "image", Value: t.Image}
	repo, images := t.repo, t.images
	tag := ref.TagOrDefault()
	// What is looked for: "tag v1" or "digest sha256:…".
	kind, kindJA, want := "tag ", "タグ ", tag
	if ref.Digest != "" {
		kind, kindJA, want = "digest ", "ダイジェスト ", ref.Digest
	}

	// Found?
	for _, im := range images {
		if ref.Digest != "" && deref(im.ImageDigest) == ref.Digest || ref.Digest == "" && hasTag(im, tag) {
			digest := deref(im.ImageDigest)
			short := shorten(digest, 19)
			var tb [32]byte
			pushed := appendTime(tb[:0], im.ImagePushedAt)
			f := newFinding(m, finding.Pass,
				"container "+t.Container+": "+kind+want+" of "+ref.Repository+" exists ("+short+", pushed "+string(pushed)+")",
				"コンテナ "+t.Container+": "+ref.Repository+" の "+kindJA+want+" は存在します（"+short+"、プッシュ日時 "+string(pushed)+"）")
			f.Subject = t.Container
			f.Evidence = []finding.Evidence{ev, {Source: "ecr:DescribeImages", Ref: t.RepoARN, Key: "imageDigest", Value: digest}}
			if ref.Digest != "" && ref.Tag != "" && !hasTag(im, ref.Tag) {
				f.Message += "; note: tag " + ref.Tag + " no longer points at this digest, ECS pulls the digest"
				f.MessageJA += "。注意: タグ " + ref.Tag + " はもうこのダイジェストを指していません（ECS はダイジェストでプルします）"
			}
			return f
		}
	}

	if rule := t.rule; rule != nil {
		f := newFinding(m, finding.NotApplicable,
			"container "+t.Container+": "+ref.Repository+" is a pull through cache repository (rule "+deref(rule.EcrRepositoryPrefix)+"); images are fetched from the upstream on pull (see pull-through-cache-rule)",
			"コンテナ "+t.Container+": "+ref.Repository+" はプルスルーキャッシュのリポジトリ（ルール "+deref(rule.EcrRepositoryPrefix)+"）で、イメージはプル時にアップストリームから取得されます（pull-through-cache-rule を参照）")
		f.Subject = t.Container
		return f
	}
	what, whatJA := kind+want, kindJA+want
	sep := ":"
	if ref.Digest != "" {
		sep = "@"
	}
	gapRef := ref.Repository + sep + want
	arnRef := t.RepoARN + sep + want
	// Not among the images read: is that evidence of absence?
	complete := repo != nil && repo.ImagesComplete
	notFound := gapWithRef(s, "ecr:DescribeImages", gapRef, arnRef)
	if notFound != nil && notFound.Error != errImageNotFound {
		f := unknownFromGap(m, notFound, "the images of "+ref.Repository, ref.Repository+" のイメージ")
		f.Subject = t.Container
		return f
	}
	if notFound == nil && !complete {
		if g := gapWithRef(s, "ecr:DescribeRepositories", ref.Repository, t.RepoARN); g != nil && g.Error == errRepositoryNotFound {
			f := newFinding(m, finding.NotApplicable,
				"container "+t.Container+": repository "+ref.Repository+" does not exist (see ecr-repository-exists)",
				"コンテナ "+t.Container+": リポジトリ "+ref.Repository+" が存在しません（ecr-repository-exists を参照）")
			f.Subject = t.Container
			return f
		}
		if g := s.Gap("ecr:DescribeImages", ""); g != nil && g.Error != errImageNotFound {
			f := unknownFromGap(m, g, "the images of "+ref.Repository, ref.Repository+" のイメージ")
			f.Subject = t.Container
			return f
		}
		f := unknownMissing(m, []string{"ecr:DescribeImages"}, what+" of repository "+ref.Repository, "リポジトリ "+ref.Repository+" の"+whatJA)
		f.Subject = t.Container
		f.Evidence = []finding.Evidence{ev}
		return f
	}

	// Absent. Say what exists instead.
	n := 0
	for _, im := range images {
		n += len(im.ImageTags)
	}
	tags := make([]string, 0, n)
	for _, im := range images {
		tags = append(tags, im.ImageTags...)
	}
	recent := slices.Clone(images)
	slices.SortStableFunc(recent, func(a, b *ecrtypes.ImageDetail) int {
		switch {
		case pushedBefore(a, b):
			return -1
		case pushedBefore(b, a):
			return 1
		}
		return 0
	})
	if len(recent) > 3 {
		recent = recent[:3]
	}
	var en, ja strings.Builder
	en.Grow(512)
	ja.Grow(768)
	writeStrings(&en, "container ", t.Container, ": ", what, " does not exist in ECR repository ", ref.Repository, " (", ref.Account, " / ", ref.Region, ")")
	writeStrings(&ja, "コンテナ ", t.Container, ": ", whatJA, " は ECR リポジトリ ", ref.Repository, "（", ref.Account, " / ", ref.Region, "）に存在しません")
	var near []string
	if ref.Digest == "" {
		near = nearestNames(tag, tags, 3)
		if len(near) > 0 {
			joined := strings.Join(near, ", ")
			writeStrings(&en, "; nearest tags: ", joined)
			writeStrings(&ja, "。近いタグ: ", joined)
		}
	}
	if len(recent) > 0 {
		rs := make([]string, 0, len(recent))
		for _, im := range recent {
			label := strings.Join(im.ImageTags, ",")
			if label == "" {
				label = "<untagged " + shorten(deref(im.ImageDigest), 19) + ">"
			}
			var tb [32]byte
			rs = append(rs, label+" ("+string(appendTime(tb[:0], im.ImagePushedAt))+")")
		}
		joined := strings.Join(rs, ", ")
		writeStrings(&en, "; most recently pushed: ", joined)
		writeStrings(&ja, "。最近プッシュされたイメージ: ", joined)
	} else if complete {
		en.WriteString("; the repository is empty")
		ja.WriteString("。リポジトリは空です")
	}
	if ref.Digest != "" {
		en.WriteString("; a digest that once existed was deleted (by hand or by a lifecycle policy) or the image was pushed elsewhere")
		ja.WriteString("。以前存在したダイジェストなら、手動またはライフサイクルポリシーで削除されたか、別の場所にプッシュされています")
	}
	for _, ct := range taskContainerDigests(s, t.Container) {
		if ct != "" && ct != ref.Digest && !digestIn(images, ct) && complete {
			writeStrings(&en, "; the digest the task last resolved (", shorten(ct, 19), ") is no longer in the repository")
			writeStrings(&ja, "。タスクが前回解決したダイジェスト（", shorten(ct, 19), "）はリポジトリにもうありません")
		}
	}
	hint, hintJA := tagHints(repo, tag, tags, ref.Digest != "")
	if hint != "" {
		writeStrings(&en, "; ", hint)
		writeStrings(&ja, "。", hintJA)
	}
	f := newFinding(m, finding.Fail, en.String(), ja.String())
	f.Subject = t.Container
	f.Evidence = make([]finding.Evidence, 1, 3)
	f.Evidence[0] = ev
	if notFound != nil {
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "ecr:DescribeImages", Ref: notFound.Ref, Key: "error", Value: notFound.Error})
	} else {
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "ecr:DescribeImages", Ref: t.RepoARN, Key: "imageTags", Value: shorten(strings.Join(dedupeStrings(tags), ", "), 300)})
	}
	if repo != nil {
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "ecr:DescribeRepositories", Ref: deref(repo.RepositoryArn), Key: "imageTagMutability", Value: string(repo.ImageTagMutability)})
	}
	f.Remediation = imageRemediation(t, near)
	return f
}

// pushedBefore orders images most recently pushed first, those without a push time last.
func pushedBefore(a, b *ecrtypes.ImageDetail) bool {
	return a.ImagePushedAt != nil && (b.ImagePushedAt == nil || a.ImagePushedAt.After(*b.ImagePushedAt))
}

func hasTag(im *ecrtypes.ImageDetail, tag string) bool {
	for _, t := range im.ImageTags {
		if t == tag {
			return true
		}
	}
	return false
}

func digestIn(images []*ecrtypes.ImageDetail, d string) bool {
	for _, im := range images {
		if deref(im.ImageDigest) == d {
			return true
		}
	}
	return false
}

// taskContainerDigests returns the image digests the stopped task resolved for a container
// (ECS records them when the pull got as far as the manifest).
func taskContainerDigests(s *snapshot.Snapshot, container string) []string {
	if s.Task == nil {
		return nil
	}
	var out []string
	for _, c := range s.Task.Containers {
		if deref(c.Name) == container && deref(c.ImageDigest) != "" {
			out = append(out, deref(c.ImageDigest))
		}
	}
	return out
}

// tagHints explains how a tag goes missing, given what the repository shows.
func tagHints(repo *snapshot.Repository, tag string, tags []string, byDigest bool) (string, string) {
	var en, ja []string
	for _, t := range tags {
		if strings.EqualFold(t, tag) && t != tag {
			en = append(en, "ECR tags are case-sensitive: "+t+" exists")
			ja = append(ja, "ECR のタグは大文字と小文字を区別します: "+t+" は存在します")
			break
		}
	}
	if !byDigest && tag == "latest" {
		en = append(en, "no tag was written, so ECS asked for latest; pin the tag your build pushes")
		ja = append(ja, "タグが書かれていないため ECS は latest を要求しました。ビルドがプッシュするタグを指定してください")
	}
	if repo != nil && strings.HasPrefix(string(repo.ImageTagMutability), "IMMUTABLE") {
		en = append(en, "the repository has IMMUTABLE tags: a CI push that reused an existing tag fails, so check that the build for "+tag+" actually pushed")
		ja = append(ja, "リポジトリのタグは IMMUTABLE です。既存タグの再プッシュは失敗するため、"+tag+" のビルドが実際にプッシュしたか確認してください")
	}
	en = append(en, "if it existed before, a lifecycle policy may have expired it (aws ecr get-lifecycle-policy)")
	ja = append(ja, "以前は存在していたなら、ライフサイクルポリシーで期限切れになった可能性があります（aws ecr get-lifecycle-policy）")
	return strings.Join(en, "; "), strings.Join(ja, "。")
}

func imageRemediation(t *imageTarget, near []string) *finding.Remediation {
	ref := t.Ref
	repoFlags := " --region " + ref.Region + " --registry-id " + ref.Account + " --repository-name " + ref.Repository
	want := ref.TagOrDefault()
	cmds := make([]string, 2, 4)
	cmds[0] = "aws ecr describe-images" + repoFlags + " --query 'sort_by(imageDetails,&imagePushedAt)[-10:].[imageTags,imageDigest,imagePushedAt]' --output table"
	cmds[1] = "aws ecr get-lifecycle-policy" + repoFlags
	text := "Deploy a tag or digest that exists, or push the missing one (check the CI job that should have pushed it)."
	textJA := "存在するタグやダイジェストをデプロイするか、足りないイメージをプッシュしてください（プッシュするはずだった CI ジョブを確認してください）。"
	var image string
	if len(near) > 0 {
		image = ecrURI(ref.Account, ref.Region, ref.Repository, near[0])
		text = "Deploy an existing tag (e.g. " + near[0] + ") by registering a new task definition revision, or push " + want + " (check the CI job that should have pushed it). If " + near[0] + " is the intended image, it can be tagged " + want + " without a rebuild."
		textJA = "既存のタグ（例: " + near[0] + "）を指定したタスク定義の新しいリビジョンを登録するか、" + want + " をプッシュしてください（プッシュするはずだった CI ジョブを確認してください）。" + near[0] + " が目的のイメージなら、再ビルドせずに " + want + " のタグを付けられます。"
		if ref.Digest == "" {
			cmds = append(cmds,
				"MANIFEST=$(aws ecr batch-get-image"+repoFlags+" --image-ids imageTag="+near[0]+" --query 'images[0].imageManifest' --output text)",
				"aws ecr put-image"+repoFlags+" --image-tag "+want+" --image-manifest \"$MANIFEST\"",
			)
		}
	} else {
		image = ecrURI(ref.Account, ref.Region, ref.Repository, want)
		if ref.Digest == "" {
			cmds = append(cmds,
				"aws ecr get-login-password --region "+ref.Region+" | docker login --username AWS --password-stdin "+ref.Registry,
				"docker push "+image,
			)
		}
	}
	return &finding.Remediation{
		Text: text, TextJA: textJA, Commands: cmds,
		Terraform: `# container definition "` + t.Container + `"
image = "` + image + `"`,
		Links: imageRemediationLinks,
	}
}

// Static links are shared by every report that quotes them: read-only.
var imageRemediationLinks = []string{
	"https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-retag.html",
	"https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html",
	"https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html",
}

// dedupeStrings keeps the first of each string, in order.
func dedupeStrings(in []string) []string {
	out := make([]string, 0, len(in))
	var seen map[string]bool // for long lists; a short one is searched
	for _, s := range in {
		if len(in) <= 16 {
			if slices.Contains(out, s) {
				continue
			}
		} else {
			if seen == nil {
				seen = make(map[string]bool, len(in))
			}
			if seen[s] {
				continue
			}
			seen[s] = true
		}
		out = append(out, s)
	}
	return out
}
