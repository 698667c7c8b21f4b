package check

import (
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ECRRepositoryExists catches the first half of seed cause 2: the ECR repository the image
// names does not exist in the account and region of the image URI. The pull error ("pull
// access denied ... repository does not exist or may require 'docker login'") reads like a
// permission problem, so ruling the repository in or out first saves an IAM detour. A
// misspelt name or a repository created in another region are the usual mistakes, so both
// are suggested.
type ECRRepositoryExists struct{}

// Meta implements Check.
func (ECRRepositoryExists) Meta() Meta { return ecrRepositoryExistsMeta }

var ecrRepositoryExistsMeta = Meta{
	ID: "ecr-repository-exists", Cause: cause.ImageNotFound, Severity: finding.Error,
	Title:       "The ECR repository of each image exists",
	TitleJA:     "各イメージの ECR リポジトリが存在する",
	Description: "For each container whose image is in a private Amazon ECR registry: the repository exists in the account and region written in the image URI. When it does not, suggests repositories with similar names (edit distance) and the same name in another region, if the snapshot holds them. A `RepositoryNotFoundException` from `ecr:DescribeRepositories` is evidence of absence; any other failed read leaves the check unknown.",
	Needs:       []string{"ecs:DescribeTaskDefinition", "ecr:DescribeRepositories"},
}

// Run implements Check.
func (c ECRRepositoryExists) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (c ECRRepositoryExists) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := ecrRepositoryExistsMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	return appendPerECRImage(dst, s, m, func(t *imageTarget) finding.Finding { return c.one(s, m, t) })
}

func (c ECRRepositoryExists) one(s *snapshot.Snapshot, m Meta, t *imageTarget) finding.Finding {
	ref := t.Ref
	ev := finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: t.Container, Key: "image", Value: t.Image}
	if r := t.repo; r != nil {
		f := newFinding(m, finding.Pass,
			"container "+t.Container+": repository "+ref.Repository+" exists in "+ref.Account+" / "+ref.Region,
			"コンテナ "+t.Container+": リポジトリ "+ref.Repository+" は "+ref.Account+" / "+ref.Region+" に存在します")
		f.Subject = t.Container
		f.Evidence = []finding.Evidence{ev, {Source: "ecr:DescribeRepositories", Ref: deref(r.RepositoryArn), Key: "createdAt", Value: fmtTime(r.CreatedAt)}}
		return f
	}

	if rule := t.rule; rule != nil {
		// Pull through cache repositories are created by the first pull.
		f := newFinding(m, finding.NotApplicable,
			"container "+t.Container+": "+ref.Repository+" is created on first pull by pull through cache rule "+deref(rule.EcrRepositoryPrefix)+" (see pull-through-cache-rule)",
			"コンテナ "+t.Container+": "+ref.Repository+" はプルスルーキャッシュルール "+deref(rule.EcrRepositoryPrefix)+" により初回プルで作成されます（pull-through-cache-rule を参照）")
		f.Subject = t.Container
		return f
	}
	where := ref.Account + " / " + ref.Region
	notFound := gapWithRef(s, "ecr:DescribeRepositories", ref.Repository, t.RepoARN)
	if notFound != nil && notFound.Error != errRepositoryNotFound {
		f := unknownFromGap(m, notFound, "repository "+ref.Repository+" in "+where, where+" のリポジトリ "+ref.Repository)
		f.Subject = t.Container
		return f
	}
	listed := 0
	var sameRegion, otherRegion []string
	for i := range s.ECR.Repositories {
		r := &s.ECR.Repositories[i]
		if repoAccount(s, r) != ref.Account {
			continue
		}
		name := deref(r.RepositoryName)
		if repoRegion(s, r) == ref.Region {
			listed++
			sameRegion = append(sameRegion, name)
		} else if name == ref.Repository {
			otherRegion = append(otherRegion, repoRegion(s, r))
		}
	}
	if notFound == nil {
		// Without a NotFound answer, absence only counts when the collector listed the
		// registry (other repositories of the same account and region are present).
		if g := s.Gap("ecr:DescribeRepositories", ""); g != nil && g.Error != errRepositoryNotFound {
			f := unknownFromGap(m, g, "the ECR repositories of "+where, where+" の ECR リポジトリ")
			f.Subject = t.Container
			return f
		}
		if listed == 0 {
			f := unknownMissing(m, []string{"ecr:DescribeRepositories"}, "repository "+ref.Repository+" of "+where, where+" のリポジトリ "+ref.Repository)
			f.Subject = t.Container
			f.Evidence = []finding.Evidence{ev}
			return f
		}
	}

	similar := nearestNames(ref.Repository, sameRegion, 3)
	en := "container " + t.Container + ": ECR repository " + ref.Repository + " does not exist in account " + ref.Account + ", region " + ref.Region
	ja := "コンテナ " + t.Container + ": ECR リポジトリ " + ref.Repository + " はアカウント " + ref.Account + "、リージョン " + ref.Region + " に存在しません"
	var hints, hintsJA []string
	if len(otherRegion) > 0 {
		hints = append(hints, "a repository with this name exists in "+strings.Join(otherRegion, ", "))
		hintsJA = append(hintsJA, "同じ名前のリポジトリが "+strings.Join(otherRegion, ", ")+" にあります")
	}
	if len(similar) > 0 {
		hints = append(hints, "similar names here: "+strings.Join(similar, ", "))
		hintsJA = append(hintsJA, "似た名前のリポジトリ: "+strings.Join(similar, ", "))
	}
	if len(hints) > 0 {
		en += " (" + strings.Join(hints, "; ") + ")"
		ja += "（" + strings.Join(hintsJA, "、") + "）"
	}
	f := newFinding(m, finding.Fail, en, ja)
	f.Subject = t.Container
	f.Evidence = []finding.Evidence{ev}
	if notFound != nil {
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "ecr:DescribeRepositories", Ref: ref.Repository, Key: "error", Value: notFound.Error})
	} else {
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "ecr:DescribeRepositories", Ref: ref.Account + "/" + ref.Region, Key: "repositories", Value: shorten(strings.Join(sameRegion, ", "), 300)})
	}
	for _, r := range otherRegion {
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "ecr:DescribeRepositories", Ref: "arn:" + ref.Partition + ":ecr:" + r + ":" + ref.Account + ":repository/" + ref.Repository, Key: "region", Value: r})
	}
	f.Remediation = repositoryRemediation(t, similar, otherRegion)
	return f
}

func repositoryRemediation(t *imageTarget, similar, otherRegion []string) *finding.Remediation {
	ref := t.Ref
	text := "Either point container " + t.Container + " at the repository that holds the image"
	textJA := "コンテナ " + t.Container + " の image をイメージのあるリポジトリに向ける"
	var cmds []string
	if len(similar) > 0 {
		text += " (e.g. " + ecrURI(ref.Account, ref.Region, similar[0], ref.TagOrDefault()) + ")"
		textJA += "（例: " + ecrURI(ref.Account, ref.Region, similar[0], ref.TagOrDefault()) + "）"
		cmds = append(cmds, "aws ecr describe-images --region "+ref.Region+" --registry-id "+ref.Account+" --repository-name "+similar[0]+" --query 'sort_by(imageDetails,&imagePushedAt)[-5:].[imageTags,imagePushedAt]'")
	}
	if len(otherRegion) > 0 {
		text += ", or use the repository in " + otherRegion[0] + " (" + ecrURI(ref.Account, otherRegion[0], ref.Repository, ref.TagOrDefault()) + "; cross-region pulls work but cost transfer), or enable ECR replication to " + ref.Region
		textJA += "か、" + otherRegion[0] + " のリポジトリ（" + ecrURI(ref.Account, otherRegion[0], ref.Repository, ref.TagOrDefault()) + "）を使う、または " + ref.Region + " への ECR レプリケーションを設定する"
	}
	text += ", or create the repository and push the image, then register a new task definition revision."
	textJA += "か、リポジトリを作成してイメージをプッシュし、タスク定義の新しいリビジョンを登録してください。"
	host := ref.Registry
	cmds = append(cmds,
		"aws ecr create-repository --region "+ref.Region+" --repository-name "+ref.Repository+" --image-tag-mutability IMMUTABLE --image-scanning-configuration scanOnPush=true",
		"aws ecr get-login-password --region "+ref.Region+" | docker login --username AWS --password-stdin "+host,
		"docker push "+ecrURI(ref.Account, ref.Region, ref.Repository, ref.TagOrDefault()),
	)
	return &finding.Remediation{
		Text: text, TextJA: textJA, Commands: cmds,
		Terraform: `resource "aws_ecr_repository" "` + tfName(ref.Repository) + `" {
  name                 = "` + ref.Repository + `"
  image_tag_mutability = "IMMUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
}`,
		Links: []string{
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-create.html",
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/docker-push-ecr-image.html",
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html",
		},
	}
}

// tfName turns a repository path into a Terraform resource name.
func tfName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "this"
	}
	return b.String()
}
