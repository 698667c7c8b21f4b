package check

import (
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ImagePlatform catches an image built for another CPU or OS than the task runs on: a
// single-arch linux/amd64 image on ARM64 (Graviton) Fargate or instances is the classic
// case. The pull itself may fail ("no matching manifest for linux/arm64/v8") or the
// container dies at once with "exec format error"; neither names the task's platform, so
// this check puts the two side by side.
type ImagePlatform struct{}

// Meta implements Check.
func (ImagePlatform) Meta() Meta { return imagePlatformMeta }

var imagePlatformMeta = Meta{
	ID: "image-platform", Cause: cause.PlatformMismatch, Severity: finding.Error,
	Title:       "Each image has a manifest for the task's OS and CPU architecture",
	TitleJA:     "各イメージにタスクの OS と CPU アーキテクチャ用のマニフェストがある",
	Description: "Compares the platforms of each image (ECR: the image index or manifest platforms the collector read; other registries: the registry probe) with the platform the task runs on: the task definition's `runtimePlatform` (Fargate default LINUX/X86_64), or on EC2 the container instance's `ecs.cpu-architecture` / `ecs.os-type` attributes or the instance architecture.",
	Needs:       []string{"ecs:DescribeTaskDefinition", "ecr:DescribeImages", "ecr:BatchGetImage", "ecs:DescribeContainerInstances", "ec2:DescribeInstances"},
}

// Run implements Check.
func (c ImagePlatform) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (c ImagePlatform) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := imagePlatformMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	targets := imageTargets(s)
	if len(targets) == 0 {
		return append(dst, newFinding(m, finding.NotApplicable, "the task definition has no valid image", "タスク定義に有効なイメージがありません"))
	}
	want, ok := taskPlatform(s)
	if !ok {
		if g := s.FirstGap("ecs:DescribeContainerInstances", "ec2:DescribeInstances"); g != nil {
			return append(dst, unknownFromGap(m, g, "the container instance's architecture", "コンテナインスタンスのアーキテクチャ"))
		}
		return append(dst, unknownMissing(m, []string{"ecs:DescribeContainerInstances", "ec2:DescribeInstances"}, "the platform the task runs on (no runtimePlatform, no container instance)", "タスクが動くプラットフォーム（runtimePlatform もコンテナインスタンスもありません）"))
	}
	for i := range targets {
		dst = append(dst, c.one(s, m, &targets[i], &want))
	}
	return dst
}

// platformWant is the OS/architecture the task runs on and where that came from.
type platformWant struct {
	OS, Arch string // "linux"/"windows", "amd64"/"arm64"
	Source   finding.Evidence
	Label    string // as AWS spells it, e.g. "LINUX/ARM64"
}

func taskPlatform(s *snapshot.Snapshot) (platformWant, bool) {
	td := s.TaskDefinition
	if !s.IsFargate() {
		if ci := s.ContainerInstance; ci != nil {
			var arch, osType string
			for _, a := range ci.Attributes {
				switch deref(a.Name) {
				case "ecs.cpu-architecture":
					arch = deref(a.Value)
				case "ecs.os-type":
					osType = deref(a.Value)
				}
			}
			if arch != "" {
				w := platformWant{OS: normOS(orPlaceholder(osType, "linux")), Arch: normArch(arch)}
				w.Label = strings.ToUpper(w.OS) + "/" + arch
				w.Source = finding.Evidence{Source: "ecs:DescribeContainerInstances", Ref: deref(ci.ContainerInstanceArn), Key: "ecs.cpu-architecture", Value: arch}
				return w, true
			}
		}
		if in := s.Instance; in != nil && in.Architecture != "" {
			w := platformWant{OS: "linux", Arch: normArch(string(in.Architecture))}
			if in.Platform != "" {
				w.OS = normOS(string(in.Platform))
			}
			w.Label = strings.ToUpper(w.OS) + "/" + string(in.Architecture)
			w.Source = finding.Evidence{Source: "ec2:DescribeInstances", Ref: deref(in.InstanceId), Key: "architecture", Value: string(in.Architecture)}
			return w, true
		}
	}
	if rp := td.RuntimePlatform; rp != nil && (rp.CpuArchitecture != "" || rp.OperatingSystemFamily != "") {
		arch := string(rp.CpuArchitecture)
		if arch == "" {
			arch = "X86_64"
		}
		osf := string(rp.OperatingSystemFamily)
		if osf == "" {
			osf = "LINUX"
		}
		label := osf + "/" + arch
		w := platformWant{OS: normOS(osf), Arch: normArch(arch), Label: label}
		w.Source = finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: deref(td.TaskDefinitionArn), Key: "runtimePlatform", Value: label}
		return w, true
	}
	if s.IsFargate() {
		// Fargate without runtimePlatform runs LINUX/X86_64.
		w := platformWant{OS: "linux", Arch: "amd64", Label: "LINUX/X86_64"}
		w.Source = finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: deref(td.TaskDefinitionArn), Key: "runtimePlatform", Value: "(none: Fargate default LINUX/X86_64)"}
		return w, true
	}
	return platformWant{}, false
}

func normArch(a string) string {
	// The spellings AWS and registries use, without lowering a copy first.
	switch a {
	case "X86_64", "x86_64", "amd64":
		return "amd64"
	case "ARM64", "arm64":
		return "arm64"
	}
	switch strings.ToLower(a) {
	case "x86_64", "amd64", "x86-64":
		return "amd64"
	case "arm64", "aarch64", "arm64_mac":
		return "arm64"
	}
	return strings.ToLower(a)
}

func normOS(o string) string {
	if o == "linux" || o == "LINUX" {
		return "linux"
	}
	l := strings.ToLower(o)
	if strings.HasPrefix(l, "windows") {
		return "windows"
	}
	if l == "" || l == "linux" || l == "linux/unix" {
		return "linux"
	}
	return l
}

// imagePlatforms returns the platforms of an image and the evidence they rest on; ok is false
// with a finding to report when they are not known.
func imagePlatforms(s *snapshot.Snapshot, m Meta, t *imageTarget) ([]string, finding.Evidence, *finding.Finding) {
	if t.Ref.Kind == imageref.KindECR {
		digest := t.Ref.Digest
		if digest == "" {
			for _, im := range t.images {
				if hasTag(im, t.Ref.TagOrDefault()) {
					digest = deref(im.ImageDigest)
				}
			}
		}
		if digest == "" {
			tagged := t.Ref.Repository + ":" + t.Ref.TagOrDefault()
			gone := t.repo != nil && t.repo.ImagesComplete ||
				gapIs(s, "ecr:DescribeImages", errImageNotFound, tagged, t.RepoARN+":"+t.Ref.TagOrDefault()) ||
				gapIs(s, "ecr:DescribeRepositories", errRepositoryNotFound, t.Ref.Repository, t.RepoARN)
			if gone {
				f := newFinding(m, finding.NotApplicable,
					"container "+t.Container+": "+tagged+" does not exist, so it has no platforms (see ecr-image-exists)",
					"コンテナ "+t.Container+": "+tagged+" が存在しないため、プラットフォームはありません（ecr-image-exists を参照）")
				return nil, finding.Evidence{}, &f
			}
			f := unknownMissing(m, []string{"ecr:DescribeImages"}, "the digest of "+tagged+" (see ecr-image-exists)", tagged+" のダイジェスト（ecr-image-exists を参照）")
			return nil, finding.Evidence{}, &f
		}
		if p, ok := s.ECR.ImagePlatforms[digest]; ok && len(p) > 0 {
			return p, finding.Evidence{Source: "ecr:BatchGetImage", Ref: t.RepoARN + "@" + digest, Key: "platforms", Value: strings.Join(p, ", ")}, nil
		}
		if g := s.FirstGap("ecr:BatchGetImage"); g != nil {
			f := unknownFromGap(m, g, "the manifest of "+t.Ref.Repository+"@"+digest, t.Ref.Repository+"@"+digest+" のマニフェスト")
			return nil, finding.Evidence{}, &f
		}
		f := unknownMissing(m, []string{"ecr:BatchGetImage"}, "the platforms of "+t.Ref.Repository+"@"+shorten(digest, 19), t.Ref.Repository+"@"+shorten(digest, 19)+" のプラットフォーム")
		return nil, finding.Evidence{}, &f
	}
	p := s.RegistryProbe(t.Image)
	if p != nil && len(p.Platforms) > 0 {
		return p.Platforms, finding.Evidence{Source: "registry:GET manifest", Ref: t.Image, Key: "platforms", Value: strings.Join(p.Platforms, ", ")}, nil
	}
	why, whyJA := "the platforms of "+t.Familiar+" (no registry probe in the snapshot; run diagnose with --probe-registry)", t.Familiar+" のプラットフォーム（スナップショットにレジストリのプローブ結果がありません。--probe-registry 付きで diagnose を実行してください）"
	if p != nil {
		why = "the platforms of " + t.Familiar + " (the registry probe ended " + p.Outcome + ")"
		whyJA = t.Familiar + " のプラットフォーム（レジストリのプローブ結果: " + p.Outcome + "）"
	}
	f := unknownMissing(m, []string{"registry:GET manifest (--probe-registry)"}, why, whyJA)
	return nil, finding.Evidence{}, &f
}

// splitPlatform splits "linux/arm64/v8" into its OS and architecture; ok is false without
// both.
func splitPlatform(p string) (os, arch string, ok bool) {
	os, rest, ok := strings.Cut(p, "/")
	if !ok {
		return "", "", false
	}
	arch, _, _ = strings.Cut(rest, "/")
	return os, arch, true
}

func (c ImagePlatform) one(s *snapshot.Snapshot, m Meta, t *imageTarget, want *platformWant) finding.Finding {
	ev := finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: t.Container, Key: "image", Value: t.Image}
	plats, pev, unknown := imagePlatforms(s, m, t)
	if unknown != nil {
		unknown.Subject = t.Container
		unknown.Evidence = append([]finding.Evidence{ev, want.Source}, unknown.Evidence...)
		return *unknown
	}
	for _, p := range plats {
		if pOS, pArch, ok := splitPlatform(p); ok && normOS(pOS) == want.OS && normArch(pArch) == want.Arch {
			f := newFinding(m, finding.Pass,
				"container "+t.Container+": image provides "+p+" for the task's "+want.Label+" (image platforms: "+pev.Value+")",
				"コンテナ "+t.Container+": イメージはタスクの "+want.Label+" 用に "+p+" を含みます（イメージのプラットフォーム: "+pev.Value+"）")
			f.Subject = t.Container
			f.Evidence = []finding.Evidence{ev, want.Source, pev}
			return f
		}
	}
	f := newFinding(m, finding.Fail,
		"container "+t.Container+": the task runs on "+want.Label+" ("+want.OS+"/"+want.Arch+") but the image only has "+pev.Value+": the pull fails with \"no matching manifest\" or the container exits with \"exec format error\"",
		"コンテナ "+t.Container+": タスクは "+want.Label+"（"+want.OS+"/"+want.Arch+"）で動きますが、イメージには "+pev.Value+" しかありません。プルが \"no matching manifest\" で失敗するか、コンテナが \"exec format error\" で終了します")
	f.Subject = t.Container
	f.Evidence = []finding.Evidence{ev, want.Source, pev}
	f.Remediation = platformRemediation(s, t, want, plats)
	return f
}

func platformRemediation(s *snapshot.Snapshot, t *imageTarget, want *platformWant, plats []string) *finding.Remediation {
	awsArch := "" // the image's architecture as runtimePlatform spells it
	if len(plats) > 0 {
		if _, arch, ok := splitPlatform(plats[0]); ok {
			switch normArch(arch) {
			case "amd64":
				awsArch = "X86_64"
			case "arm64":
				awsArch = "ARM64"
			}
		}
	}
	family := "FAMILY"
	if s.TaskDefinition != nil && deref(s.TaskDefinition.Family) != "" {
		family = deref(s.TaskDefinition.Family)
	}
	region := orPlaceholder(s.Region, "REGION")
	target := "linux/amd64,linux/arm64"
	cmds := []string{
		"docker buildx build --platform " + target + " -t " + t.Ref.String() + " --push .",
	}
	text := "Build the image for " + want.OS + "/" + want.Arch + " (a multi-platform index covers both), push it, and redeploy"
	textJA := want.OS + "/" + want.Arch + " 用にイメージをビルド（マルチプラットフォームのインデックスなら両方に対応）してプッシュし、再デプロイする"
	tf := `# build for both: docker buildx build --platform ` + target + ` ...`
	if awsArch != "" && s.IsFargate() {
		text += "; or run the task on the image's architecture: set runtimePlatform.cpuArchitecture to " + awsArch + " in task definition " + family
		textJA += "か、イメージのアーキテクチャでタスクを動かしてください: タスク定義 " + family + " の runtimePlatform.cpuArchitecture を " + awsArch + " にします"
		cmds = append(cmds,
			"aws ecs describe-task-definition --region "+region+" --task-definition "+family+" --query taskDefinition > td.json",
			"jq '.runtimePlatform = {\"cpuArchitecture\":\""+awsArch+"\",\"operatingSystemFamily\":\"LINUX\"} | del(.taskDefinitionArn,.revision,.status,.requiresAttributes,.compatibilities,.registeredAt,.registeredBy,.deregisteredAt)' td.json > td-new.json",
			"aws ecs register-task-definition --region "+region+" --cli-input-json file://td-new.json",
		)
		tf = `resource "aws_ecs_task_definition" "` + tfName(family) + `" {
  # ...
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "` + awsArch + `"
  }
}`
	} else if awsArch != "" {
		text += "; or place the task on " + awsArch + " container instances (a capacity provider or placement constraint on attribute:ecs.cpu-architecture == " + strings.ToLower(awsArch) + ")"
		textJA += "か、" + awsArch + " のコンテナインスタンスにタスクを配置してください（キャパシティプロバイダー、または attribute:ecs.cpu-architecture の配置制約）"
	}
	return &finding.Remediation{
		Text: text + ".", TextJA: textJA + "。", Commands: cmds, Terraform: tf,
		Links: []string{
			"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-arm64.html",
			"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#runtime-platform",
			"https://docs.docker.com/build/building/multi-platform/",
		},
	}
}
