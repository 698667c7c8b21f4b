package collect

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

type imageDetail = ecrtypes.ImageDetail

// repoState is a repository being read; it enters the snapshot only if DescribeRepositories
// returned it (a missing repository is a Gap with RepositoryNotFoundException).
type repoState struct {
	repo  snapshot.Repository
	found bool
}

// manifestMediaTypes are what BatchGetImage may return: an index or manifest list tells
// the platforms; a single manifest does not (its config blob would).
var manifestMediaTypes = []string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
}

// image reads an ECR image's repository, policy, images and manifest in the image's own
// account and region, which may differ from the task's.
func (c *collector) image(ctx context.Context, depth int, img string) {
	ref, err := imageref.Parse(img)
	if err != nil || ref.Kind != imageref.KindECR || ref.Account == "" || ref.Region == "" {
		return
	}
	// Gaps about this repository name it by ARN, and an image by ARN + ":tag" or "@digest":
	// the convention the image checks match on (pkg/check/ecr_image_common.go).
	key := ref.RepositoryARN()
	cl := c.cl.ECR(ref.Region)
	registry, repoName := ref.Account, ref.Repository
	c.spawn(func() { c.pullThroughCacheRules(ctx, depth, ref.Account, ref.Region) })

	var wanted ecrtypes.ImageIdentifier
	if ref.Digest != "" {
		wanted.ImageDigest = aws.String(ref.Digest)
	} else {
		wanted.ImageTag = aws.String(ref.TagOrDefault())
	}
	if c.once("manifest:" + key + imageSuffix(wanted)) {
		c.spawn(func() { c.manifest(ctx, depth, cl, key, registry, repoName, wanted) })
	}
	if !c.once("repo:" + key) {
		return
	}
	st := &repoState{repo: snapshot.Repository{Region: ref.Region}}
	c.mu.Lock()
	c.repos = append(c.repos, st)
	c.mu.Unlock()

	c.spawn(func() {
		var out *ecr.DescribeRepositoriesOutput
		if err := c.call(ctx, depth, "ecr:DescribeRepositories", key, func(ctx context.Context) (err error) {
			out, err = cl.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RegistryId: &registry, RepositoryNames: []string{repoName}})
			return err
		}); err != nil || len(out.Repositories) == 0 {
			return
		}
		c.mu.Lock()
		st.repo.Repository = out.Repositories[0]
		st.found = true
		c.mu.Unlock()
	})
	c.spawn(func() {
		var out *ecr.GetRepositoryPolicyOutput
		err := c.call(ctx, depth, "ecr:GetRepositoryPolicy", key, func(ctx context.Context) (err error) {
			out, err = cl.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RegistryId: &registry, RepositoryName: &repoName})
			return err
		}, isCode("RepositoryPolicyNotFoundException"))
		if err != nil {
			return // no policy is an answer, not a gap
		}
		c.mu.Lock()
		st.repo.Policy = decodePolicy(aws.ToString(out.PolicyText))
		c.mu.Unlock()
	})
	c.spawn(func() {
		limit := c.o.ImageListCap
		if limit <= 0 {
			limit = 1000
		}
		p := ecr.NewDescribeImagesPaginator(cl, &ecr.DescribeImagesInput{RegistryId: &registry, RepositoryName: &repoName, MaxResults: aws.Int32(1000)})
		var images []ecrtypes.ImageDetail
		complete := false
		d := depth
		for {
			if !p.HasMorePages() {
				complete = true
				break
			}
			if len(images) >= limit {
				break
			}
			var out *ecr.DescribeImagesOutput
			if err := c.call(ctx, d, "ecr:DescribeImages", key, func(ctx context.Context) (err error) {
				out, err = p.NextPage(ctx)
				return err
			}); err != nil {
				return
			}
			d++
			images = append(images, out.ImageDetails...)
		}
		c.addImages(images)
		c.mu.Lock()
		st.repo.ImagesComplete = complete
		c.mu.Unlock()
		if complete || hasImage(images, wanted) {
			return
		}
		// Listing stopped at the cap without the wanted image: ask for it directly.
		var out *ecr.DescribeImagesOutput
		if err := c.call(ctx, d, "ecr:DescribeImages", key+imageSuffix(wanted), func(ctx context.Context) (err error) {
			out, err = cl.DescribeImages(ctx, &ecr.DescribeImagesInput{RegistryId: &registry, RepositoryName: &repoName, ImageIds: []ecrtypes.ImageIdentifier{wanted}})
			return err
		}); err == nil {
			c.addImages(out.ImageDetails)
		}
	})
}

// imageSuffix is ":tag" or "@digest", as an image reference writes it.
func imageSuffix(id ecrtypes.ImageIdentifier) string {
	if id.ImageDigest != nil {
		return "@" + aws.ToString(id.ImageDigest)
	}
	return ":" + aws.ToString(id.ImageTag)
}

func hasImage(images []ecrtypes.ImageDetail, id ecrtypes.ImageIdentifier) bool {
	for _, im := range images {
		if id.ImageDigest != nil && aws.ToString(im.ImageDigest) == *id.ImageDigest {
			return true
		}
		for _, t := range im.ImageTags {
			if id.ImageTag != nil && t == *id.ImageTag {
				return true
			}
		}
	}
	return false
}

func (c *collector) addImages(images []ecrtypes.ImageDetail) {
	c.with(func(s *snapshot.Snapshot) {
		for _, im := range images {
			dup := false
			for _, have := range s.ECR.Images {
				if aws.ToString(have.ImageDigest) == aws.ToString(im.ImageDigest) && aws.ToString(have.RepositoryName) == aws.ToString(im.RepositoryName) && aws.ToString(have.RegistryId) == aws.ToString(im.RegistryId) {
					dup = true
					break
				}
			}
			if !dup {
				s.ECR.Images = append(s.ECR.Images, im)
			}
		}
	})
}

// manifest reads the wanted image's manifest for the platforms an index lists.
func (c *collector) manifest(ctx context.Context, depth int, cl ECRAPI, key, registry, repo string, wanted ecrtypes.ImageIdentifier) {
	var out *ecr.BatchGetImageOutput
	if err := c.call(ctx, depth, "ecr:BatchGetImage", key+imageSuffix(wanted), func(ctx context.Context) (err error) {
		out, err = cl.BatchGetImage(ctx, &ecr.BatchGetImageInput{
			RegistryId: &registry, RepositoryName: &repo, ImageIds: []ecrtypes.ImageIdentifier{wanted}, AcceptedMediaTypes: manifestMediaTypes,
		})
		return err
	}); err != nil {
		return
	}
	for _, im := range out.Images {
		digest := ""
		if im.ImageId != nil {
			digest = aws.ToString(im.ImageId.ImageDigest)
		}
		if plats := manifestPlatforms(aws.ToString(im.ImageManifest)); digest != "" && len(plats) > 0 {
			c.with(func(s *snapshot.Snapshot) { s.ECR.ImagePlatforms[digest] = plats })
		}
	}
}

// manifestPlatforms lists "os/arch[/variant]" of an index or manifest list, skipping the
// "unknown/unknown" entries buildx adds for attestations.
func manifestPlatforms(manifest string) []string {
	var m struct {
		Manifests []struct {
			Platform *struct {
				OS           string `json:"os"`
				Architecture string `json:"architecture"`
				Variant      string `json:"variant"`
			} `json:"platform"`
		} `json:"manifests"`
	}
	if json.Unmarshal([]byte(manifest), &m) != nil {
		return nil
	}
	var out []string
	for _, d := range m.Manifests {
		p := d.Platform
		if p == nil || p.OS == "" || p.OS == "unknown" {
			continue
		}
		s := strings.Join([]string{p.OS, p.Architecture}, "/")
		if p.Variant != "" {
			s += "/" + p.Variant
		}
		out = append(out, s)
	}
	return out
}

func (c *collector) pullThroughCacheRules(ctx context.Context, depth int, registry, region string) {
	if !c.once("ptc:" + registry + "/" + region) {
		return
	}
	p := ecr.NewDescribePullThroughCacheRulesPaginator(c.cl.ECR(region), &ecr.DescribePullThroughCacheRulesInput{RegistryId: &registry})
	paginate(ctx, c, depth, "ecr:DescribePullThroughCacheRules", registry+"/"+region, p.HasMorePages,
		func(ctx context.Context) (*ecr.DescribePullThroughCacheRulesOutput, error) { return p.NextPage(ctx) },
		func(out *ecr.DescribePullThroughCacheRulesOutput, _ int) {
			c.with(func(s *snapshot.Snapshot) {
				s.ECR.PullThroughCacheRules = append(s.ECR.PullThroughCacheRules, out.PullThroughCacheRules...)
			})
		})
}
