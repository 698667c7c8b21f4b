package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ImageReferenceValid parses every container's image the way the container runtime would.
// A reference the runtime rejects ("invalid reference format") fails before any network or
// permission question arises, so it is worth ruling out first.
type ImageReferenceValid struct{}

// Meta implements Check.
func (ImageReferenceValid) Meta() Meta { return imageReferenceValidMeta }

var imageReferenceValidMeta = Meta{
	ID: "image-reference-valid", Cause: cause.InvalidImageRef, Severity: finding.Error,
	Title:       "Every container image reference parses",
	TitleJA:     "すべてのコンテナイメージ参照が正しい形式である",
	Description: "Parses each container's `image` with the reference grammar the container runtime uses (registry host and port, lowercase repository path, tag of at most 128 characters, digest of the right length) and classifies its registry (private ECR, ECR Public, Docker Hub, other).",
	Needs:       []string{"ecs:DescribeTaskDefinition"},
}

// Run implements Check.
func (c ImageReferenceValid) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (c ImageReferenceValid) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := imageReferenceValidMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	containers := s.Containers()
	if len(containers) == 0 {
		return append(dst, newFinding(m, finding.NotApplicable, "the task definition has no containers", "タスク定義にコンテナがありません"))
	}
	for _, cd := range containers {
		name, image := deref(cd.Name), deref(cd.Image)
		ev := finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: name, Key: "image", Value: image}
		p := imageInfo(image)
		if err := p.err; err != nil {
			f := newFinding(m, finding.Fail,
				"container "+name+": "+err.Error(),
				"コンテナ "+name+": イメージ参照が不正です（"+err.Error()+"）")
			f.Subject, f.Evidence = name, []finding.Evidence{ev}
			f.Remediation = &finding.Remediation{
				Text:   "Fix the image field of container " + name + ": REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], repository in lowercase, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app:v1.0.0 or nginx:1.27. Register a new task definition revision and update the service.",
				TextJA: "コンテナ " + name + " の image を REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST] の形式（リポジトリ名は小文字）に直し、タスク定義の新しいリビジョンを登録してサービスを更新してください。",
				Links:  []string{"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_image"},
			}
			dst = append(dst, f)
			continue
		}
		f := newFinding(m, finding.Pass,
			"container "+name+": "+p.str+" ("+string(p.ref.Kind)+")",
			"コンテナ "+name+": "+p.str+"（"+string(p.ref.Kind)+"）")
		f.Subject, f.Evidence = name, []finding.Evidence{ev}
		dst = append(dst, f)
	}
	return dst
}
