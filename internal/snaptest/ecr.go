package snaptest

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// Repo adds an ECR repository as DescribeRepositories returns it, in account and region
// (the defaults when ""). complete says the collector listed every image of it.
func (b *Snap) Repo(name, region string, complete bool, mutability ecrtypes.ImageTagMutability) *Snap {
	if region == "" {
		region = Region
	}
	if mutability == "" {
		mutability = ecrtypes.ImageTagMutabilityMutable
	}
	b.S.ECR.Repositories = append(b.S.ECR.Repositories, snapshot.Repository{
		Repository: ecrtypes.Repository{
			RepositoryName:     aws.String(name),
			RegistryId:         aws.String(Account),
			RepositoryArn:      aws.String("arn:aws:ecr:" + region + ":" + Account + ":repository/" + name),
			RepositoryUri:      aws.String(Account + ".dkr.ecr." + region + ".amazonaws.com/" + name),
			CreatedAt:          aws.Time(time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)),
			ImageTagMutability: mutability,
			EncryptionConfiguration: &ecrtypes.EncryptionConfiguration{
				EncryptionType: ecrtypes.EncryptionTypeAes256,
			},
		},
		Region:         region,
		ImagesComplete: complete,
	})
	return b
}

// Image adds an image of repository repo as DescribeImages returns it; pushed is
// "2006-01-02T15:04:05Z". No tags means an untagged image.
func (b *Snap) Image(repo, digest, pushed string, tags ...string) *Snap {
	at, err := time.Parse(time.RFC3339, pushed)
	if err != nil {
		panic("snaptest.Image: bad time " + pushed)
	}
	b.S.ECR.Images = append(b.S.ECR.Images, ecrtypes.ImageDetail{
		RegistryId: aws.String(Account), RepositoryName: aws.String(repo), ImageDigest: aws.String(digest),
		ImageTags: tags, ImagePushedAt: aws.Time(at), ImageSizeInBytes: aws.Int64(52_428_800),
		ImageManifestMediaType: aws.String("application/vnd.docker.distribution.manifest.v2+json"),
		ArtifactMediaType:      aws.String("application/vnd.docker.container.image.v1+json"),
	})
	return b
}

// Platforms records the platforms of an image digest ("linux/amd64", ...).
func (b *Snap) Platforms(digest string, platforms ...string) *Snap {
	if b.S.ECR.ImagePlatforms == nil {
		b.S.ECR.ImagePlatforms = map[string][]string{}
	}
	b.S.ECR.ImagePlatforms[digest] = platforms
	return b
}

// PullThroughRule adds a pull through cache rule; credentialARN may be "".
func (b *Snap) PullThroughRule(prefix, upstreamURL, credentialARN string) *Snap {
	r := ecrtypes.PullThroughCacheRule{
		EcrRepositoryPrefix: aws.String(prefix), UpstreamRegistryUrl: aws.String(upstreamURL),
		RegistryId: aws.String(Account), CreatedAt: aws.Time(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)),
	}
	switch upstreamURL {
	case "registry-1.docker.io":
		r.UpstreamRegistry = ecrtypes.UpstreamRegistryDockerHub
	case "public.ecr.aws":
		r.UpstreamRegistry = ecrtypes.UpstreamRegistryEcrPublic
	case "ghcr.io":
		r.UpstreamRegistry = ecrtypes.UpstreamRegistryGitHubContainerRegistry
	case "quay.io":
		r.UpstreamRegistry = ecrtypes.UpstreamRegistryQuay
	case "registry.k8s.io":
		r.UpstreamRegistry = ecrtypes.UpstreamRegistryK8s
	}
	if credentialARN != "" {
		r.CredentialArn = aws.String(credentialARN)
	}
	b.S.ECR.PullThroughCacheRules = append(b.S.ECR.PullThroughCacheRules, r)
	return b
}

// Secret adds Secrets Manager metadata; format may be nil (not inspected).
func (b *Snap) Secret(arn, name string, format *snapshot.SecretFormat) *Snap {
	b.S.Secrets = append(b.S.Secrets, snapshot.Secret{ARN: arn, Name: name, Format: format})
	return b
}

// RuntimePlatform sets the task definition's runtimePlatform.
func (b *Snap) RuntimePlatform(arch ecstypes.CPUArchitecture, os ecstypes.OSFamily) *Snap {
	b.S.TaskDefinition.RuntimePlatform = &ecstypes.RuntimePlatform{CpuArchitecture: arch, OperatingSystemFamily: os}
	return b
}

// ContainerInstanceArch sets the container instance with its ecs.cpu-architecture and
// ecs.os-type attributes ("" leaves one out), and the EC2 instance's architecture.
func (b *Snap) ContainerInstanceArch(cpuArch, osType string, instanceArch ec2types.ArchitectureValues) *Snap {
	ci := &ecstypes.ContainerInstance{
		ContainerInstanceArn: aws.String("arn:aws:ecs:" + Region + ":" + Account + ":container-instance/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
		Ec2InstanceId:        aws.String("i-0123456789abcdef0"),
	}
	if cpuArch != "" {
		ci.Attributes = append(ci.Attributes, ecstypes.Attribute{Name: aws.String("ecs.cpu-architecture"), Value: aws.String(cpuArch)})
	}
	if osType != "" {
		ci.Attributes = append(ci.Attributes, ecstypes.Attribute{Name: aws.String("ecs.os-type"), Value: aws.String(osType)})
	}
	b.S.ContainerInstance = ci
	if b.S.Task != nil {
		b.S.Task.ContainerInstanceArn = ci.ContainerInstanceArn
	}
	if instanceArch != "" {
		b.S.Instance = &ec2types.Instance{InstanceId: aws.String("i-0123456789abcdef0"), Architecture: instanceArch}
	}
	return b
}
