package check

import (
	"fmt"
	"sort"
	"strings"

	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ECRImageExists catches seed cause 2 proper: the repository exists but the tag (v1.0.1
// that CI never pushed) or the digest (deleted by hand or by a lifecycle policy) does not.
// "manifest unknown" says nothing about which tags do exist; the nearest existing tags and
// the latest pushes usually show the typo or the failed build at a glance.
type ECRImageExists struct{}

// Meta implements Check.
func (ECRImageExists) Meta() Meta {
	return Meta{
		ID: "ecr-image-exists", Cause: cause.ImageNotFound, Severity: finding.Error,
		Title:       "The image tag or digest exists in its ECR repository",
		TitleJA:     "イメージのタグまたはダイジェストが ECR リポジトリに存在する",
		Description: "For each container whose image is in private Amazon ECR: the tag (or `latest` when none is written) or the digest exists among the repository's images (`ecr:DescribeImages`). When it does not, lists the nearest existing tags (version-aware, then edit distance) and the most recently pushed images, and hints at IMMUTABLE tags and lifecycle policies. When the collector read only the wanted tag (`imagesComplete` false), absence is decided only by an `ImageNotFoundException` gap for `<repository>:<tag>` or `<repository>@<digest>`.",
		Needs:       []string{"ecs:DescribeTaskDefinition", "ecr:DescribeImages"},
	}
}

// Run implements Check.
func (c ECRImageExists) Run(s *snapshot.Snapshot) []finding.Finding {
	m := c.Meta()
	if s.TaskDefinition == nil {
		return taskDefinitionMissing(m, s)
	}
	targets := imageTargets(s, imageref.KindECR)
	if len(targets) == 0 {
		return noECRImage(m)
	}
	var out []finding.Finding
	for _, t := range targets {
		out = append(out, c.one(s, m, t))
	}
	return out
}

func (c ECRImageExists) one(s *snapshot.Snapshot, m Meta, t imageTarget) finding.Finding {
	ref := t.Ref
	ev := finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: t.Container, Key: "image", Value: t.Image}
	repo := findRepository(s, ref)
	images := imagesOf(s, ref)
	tag := ref.TagOrDefault()
	what, whatJA := "tag "+tag, "タグ "+tag
	gapRef := ref.Repository + ":" + tag
	arnRef := ref.RepositoryARN() + ":" + tag
	if ref.Digest != "" {
		what, whatJA = "digest "+ref.Digest, "ダイジェスト "+ref.Digest
		gapRef = ref.Repository + "@" + ref.Digest
		arnRef = ref.RepositoryARN() + "@" + ref.Digest
	}

	// Found?
	for _, im := range images {
		if ref.Digest != "" && deref(im.ImageDigest) == ref.Digest || ref.Digest == "" && hasTag(im, tag) {
			f := newFinding(m, finding.Pass,
				fmt.Sprintf("container %s: %s of %s exists (%s, pushed %s)", t.Container, what, ref.Repository, shorten(deref(im.ImageDigest), 19), fmtTime(im.ImagePushedAt)),
				fmt.Sprintf("コンテナ %s: %s の %s は存在します（%s、プッシュ日時 %s）", t.Container, ref.Repository, whatJA, shorten(deref(im.ImageDigest), 19), fmtTime(im.ImagePushedAt)))
			f.Subject = t.Container
			f.Evidence = []finding.Evidence{ev, {Source: "ecr:DescribeImages", Ref: ref.RepositoryARN(), Key: "imageDigest", Value: deref(im.ImageDigest)}}
			if ref.Digest != "" && ref.Tag != "" && !hasTag(im, ref.Tag) {
				f.Message += "; note: tag " + ref.Tag + " no longer points at this digest, ECS pulls the digest"
				f.MessageJA += "。注意: タグ " + ref.Tag + " はもうこのダイジェストを指していません（ECS はダイジェストでプルします）"
			}
			return f
		}
	}

	if rule := findCacheRule(s, ref); rule != nil {
		f := newFinding(m, finding.NotApplicable,
			"container "+t.Container+": "+ref.Repository+" is a pull through cache repository (rule "+deref(rule.EcrRepositoryPrefix)+"); images are fetched from the upstream on pull (see pull-through-cache-rule)",
			"コンテナ "+t.Container+": "+ref.Repository+" はプルスルーキャッシュのリポジトリ（ルール "+deref(rule.EcrRepositoryPrefix)+"）で、イメージはプル時にアップストリームから取得されます（pull-through-cache-rule を参照）")
		f.Subject = t.Container
		return f
	}
	// Not among the images read: is that evidence of absence?
	complete := repo != nil && repo.ImagesComplete
	notFound := gapWithRef(s, "ecr:DescribeImages", gapRef, arnRef)
	if notFound != nil && notFound.Error != errImageNotFound {
		f := unknownFromGap(m, notFound, "the images of "+ref.Repository, ref.Repository+" のイメージ")
		f.Subject = t.Container
		return f
	}
	if notFound == nil && !complete {
		if g := gapWithRef(s, "ecr:DescribeRepositories", ref.Repository, ref.RepositoryARN()); g != nil && g.Error == errRepositoryNotFound {
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
	var tags []string
	for _, im := range images {
		tags = append(tags, im.ImageTags...)
	}
	recent := append([]ecrtypes.ImageDetail(nil), images...)
	sort.SliceStable(recent, func(i, j int) bool {
		a, b := recent[i].ImagePushedAt, recent[j].ImagePushedAt
		return a != nil && (b == nil || a.After(*b))
	})
	if len(recent) > 3 {
		recent = recent[:3]
	}
	en := fmt.Sprintf("container %s: %s does not exist in ECR repository %s (%s / %s)", t.Container, what, ref.Repository, ref.Account, ref.Region)
	ja := fmt.Sprintf("コンテナ %s: %s は ECR リポジトリ %s（%s / %s）に存在しません", t.Container, whatJA, ref.Repository, ref.Account, ref.Region)
	var near []string
	if ref.Digest == "" {
		near = nearestNames(tag, tags, 3)
		if len(near) > 0 {
			en += "; nearest tags: " + strings.Join(near, ", ")
			ja += "。近いタグ: " + strings.Join(near, ", ")
		}
	}
	if len(recent) > 0 {
		var rs []string
		for _, im := range recent {
			label := strings.Join(im.ImageTags, ",")
			if label == "" {
				label = "<untagged " + shorten(deref(im.ImageDigest), 19) + ">"
			}
			rs = append(rs, label+" ("+fmtTime(im.ImagePushedAt)+")")
		}
		en += "; most recently pushed: " + strings.Join(rs, ", ")
		ja += "。最近プッシュされたイメージ: " + strings.Join(rs, ", ")
	} else if complete {
		en += "; the repository is empty"
		ja += "。リポジトリは空です"
	}
	if ref.Digest != "" {
		en += "; a digest that once existed was deleted (by hand or by a lifecycle policy) or the image was pushed elsewhere"
		ja += "。以前存在したダイジェストなら、手動またはライフサイクルポリシーで削除されたか、別の場所にプッシュされています"
	}
	for _, ct := range taskContainerDigests(s, t.Container) {
		if ct != "" && ct != ref.Digest && !digestIn(images, ct) && complete {
			en += "; the digest the task last resolved (" + shorten(ct, 19) + ") is no longer in the repository"
			ja += "。タスクが前回解決したダイジェスト（" + shorten(ct, 19) + "）はリポジトリにもうありません"
		}
	}
	hint, hintJA := tagHints(repo, tag, tags, ref.Digest != "")
	if hint != "" {
		en += "; " + hint
		ja += "。" + hintJA
	}
	f := newFinding(m, finding.Fail, en, ja)
	f.Subject = t.Container
	f.Evidence = []finding.Evidence{ev}
	if notFound != nil {
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "ecr:DescribeImages", Ref: notFound.Ref, Key: "error", Value: notFound.Error})
	} else {
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "ecr:DescribeImages", Ref: ref.RepositoryARN(), Key: "imageTags", Value: shorten(strings.Join(dedupeStrings(tags), ", "), 300)})
	}
	if repo != nil {
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "ecr:DescribeRepositories", Ref: deref(repo.RepositoryArn), Key: "imageTagMutability", Value: string(repo.ImageTagMutability)})
	}
	f.Remediation = imageRemediation(t, near)
	return f
}

func hasTag(im ecrtypes.ImageDetail, tag string) bool {
	for _, t := range im.ImageTags {
		if t == tag {
			return true
		}
	}
	return false
}

func digestIn(images []ecrtypes.ImageDetail, d string) bool {
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

func imageRemediation(t imageTarget, near []string) *finding.Remediation {
	ref := t.Ref
	repoFlags := " --region " + ref.Region + " --registry-id " + ref.Account + " --repository-name " + ref.Repository
	want := ref.TagOrDefault()
	cmds := []string{
		"aws ecr describe-images" + repoFlags + " --query 'sort_by(imageDetails,&imagePushedAt)[-10:].[imageTags,imageDigest,imagePushedAt]' --output table",
		"aws ecr get-lifecycle-policy" + repoFlags,
	}
	text := "Deploy a tag or digest that exists, or push the missing one (check the CI job that should have pushed it)."
	textJA := "存在するタグやダイジェストをデプロイするか、足りないイメージをプッシュしてください（プッシュするはずだった CI ジョブを確認してください）。"
	image := ecrURI(ref.Account, ref.Region, ref.Repository, want)
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
	} else if ref.Digest == "" {
		cmds = append(cmds,
			"aws ecr get-login-password --region "+ref.Region+" | docker login --username AWS --password-stdin "+ref.Registry,
			"docker push "+ecrURI(ref.Account, ref.Region, ref.Repository, want),
		)
	}
	return &finding.Remediation{
		Text: text, TextJA: textJA, Commands: cmds,
		Terraform: `# container definition "` + t.Container + `"
image = "` + image + `"`,
		Links: []string{
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-retag.html",
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html",
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html",
		},
	}
}

func dedupeStrings(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
