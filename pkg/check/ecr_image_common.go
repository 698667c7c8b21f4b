package check

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// Collector conventions the image checks rely on (documented for pkg/collect):
//
//   - A repository the collector described by name and ECR said does not exist is recorded
//     as Gap{Call: "ecr:DescribeRepositories", Error: "RepositoryNotFoundException",
//     Ref: "<repository ARN>"} (the repository name alone is accepted too).
//   - A tag or digest the collector looked up (DescribeImages with imageIds) and ECR said
//     does not exist is recorded as Gap{Call: "ecr:DescribeImages", Error:
//     "ImageNotFoundException", Ref: "<repository ARN>:<tag>"} or "<repository ARN>@<digest>"
//     (the repository name in place of the ARN is accepted too).
//   - A secret DescribeSecret said does not exist: Gap{Call: "secretsmanager:DescribeSecret",
//     Error: "ResourceNotFoundException", Ref: "<the ARN or name as the task names it>"}.
//
// Such a gap is evidence of absence, not missing input: the checks fail on it.
const (
	errRepositoryNotFound = "RepositoryNotFoundException"
	errImageNotFound      = "ImageNotFoundException"
	errResourceNotFound   = "ResourceNotFoundException"
)

// imageTarget is one container's parsed image.
type imageTarget struct {
	Container string
	Image     string
	Ref       imageref.Ref
	// RepoARN is Ref.RepositoryARN() ("" outside private ECR) and Familiar Ref.Familiar(),
	// rendered once per image text.
	RepoARN, Familiar string
	// def is the container's definition in the snapshot.
	def *ecstypes.ContainerDefinition

	// What the snapshot holds about a private ECR image's repository, looked up once per
	// diagnosis: the repository (findRepository), its images (imagesOf) and the pull through
	// cache rule that serves it (findCacheRule); nil when absent or not private ECR.
	repo   *snapshot.Repository
	images []*ecrtypes.ImageDetail
	rule   *ecrtypes.PullThroughCacheRule
}

// imageFacts is what the image and registry checks share in a diagnosis (slotImage).
type imageFacts struct {
	all []imageTarget // every container whose image parses, in order
	ecr []imageTarget // those of all in private ECR
}

func sharedImages(s *snapshot.Snapshot) *imageFacts {
	return shared(s, slotImage, func() *imageFacts { return buildImageFacts(s) })
}

func buildImageFacts(s *snapshot.Snapshot) *imageFacts {
	containers := s.Containers()
	f := &imageFacts{}
	nECR := 0
	for i := range containers {
		cd := &containers[i]
		image := deref(cd.Image)
		p := imageInfo(image)
		if p.err != nil {
			continue
		}
		if f.all == nil {
			f.all = make([]imageTarget, 0, len(containers))
		}
		t := imageTarget{Container: deref(cd.Name), Image: image, Ref: p.ref, RepoARN: p.repoARN, Familiar: p.familiar, def: cd}
		if p.ref.Kind == imageref.KindECR {
			nECR++
			t.repo = findRepository(s, t.Ref)
			t.images = imagesOf(s, t.Ref)
			t.rule = findCacheRule(s, t.Ref)
		}
		f.all = append(f.all, t)
	}
	// The usual task pulls only from private ECR: then both lists are the same.
	if nECR == len(f.all) {
		f.ecr = f.all
	} else if nECR > 0 {
		f.ecr = make([]imageTarget, 0, nECR)
		for _, t := range f.all {
			if t.Ref.Kind == imageref.KindECR {
				f.ecr = append(f.ecr, t)
			}
		}
	}
	return f
}

// imageTargets returns the containers whose image parses and is of one of kinds (all kinds
// when none given). Unparseable images are image-reference-valid's to report. The result is
// shared by every check of a diagnosis: read it, never modify it.
func imageTargets(s *snapshot.Snapshot, kinds ...imageref.Kind) []imageTarget {
	f := sharedImages(s)
	switch {
	case len(kinds) == 0:
		return f.all
	case len(kinds) == 1 && kinds[0] == imageref.KindECR:
		return f.ecr
	}
	var out []imageTarget
	for _, t := range f.all {
		for _, k := range kinds {
			if t.Ref.Kind == k {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// repoRegion is where a snapshot repository lives: its own Region, else its ARN's, else
// the snapshot's.
func repoRegion(s *snapshot.Snapshot, r *snapshot.Repository) string {
	if r.Region != "" {
		return r.Region
	}
	if parts, ok := arnSplit(deref(r.RepositoryArn)); ok && parts[3] != "" {
		return parts[3]
	}
	return s.Region
}

// repoAccount is the registry id of a snapshot repository (the snapshot's account when the
// shape leaves it out).
func repoAccount(s *snapshot.Snapshot, r *snapshot.Repository) string {
	if a := deref(r.RegistryId); a != "" {
		return a
	}
	if parts, ok := arnSplit(deref(r.RepositoryArn)); ok && parts[4] != "" {
		return parts[4]
	}
	return s.Account
}

// findRepository returns the repository the reference names, in its account and region.
func findRepository(s *snapshot.Snapshot, ref imageref.Ref) *snapshot.Repository {
	for i := range s.ECR.Repositories {
		r := &s.ECR.Repositories[i]
		if deref(r.RepositoryName) == ref.Repository && repoAccount(s, r) == ref.Account && repoRegion(s, r) == ref.Region {
			return r
		}
	}
	return nil
}

// imagesOf returns the image details of a repository (account-checked when the shape says).
func imagesOf(s *snapshot.Snapshot, ref imageref.Ref) []*ecrtypes.ImageDetail {
	match := func(im *ecrtypes.ImageDetail) bool {
		if deref(im.RepositoryName) != ref.Repository {
			return false
		}
		acc := deref(im.RegistryId)
		return acc == "" || acc == ref.Account
	}
	n := 0
	for i := range s.ECR.Images {
		if match(&s.ECR.Images[i]) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]*ecrtypes.ImageDetail, 0, n)
	for i := range s.ECR.Images {
		if im := &s.ECR.Images[i]; match(im) {
			out = append(out, im)
		}
	}
	return out
}

// gapWithRef returns a gap for call whose Ref is one of refs (exactly), or nil.
func gapWithRef(s *snapshot.Snapshot, call string, refs ...string) *snapshot.Gap {
	for i := range s.Gaps {
		g := &s.Gaps[i]
		if !strings.EqualFold(g.Call, call) || g.Ref == "" {
			continue
		}
		for _, r := range refs {
			if g.Ref == r {
				return g
			}
		}
	}
	return nil
}

// gapIs reports whether a gap for call about one of refs carries the error code errCode.
func gapIs(s *snapshot.Snapshot, call, errCode string, refs ...string) bool {
	g := gapWithRef(s, call, refs...)
	return g != nil && g.Error == errCode
}

// editDistance is the Levenshtein distance, on bytes (tags and repository names are ASCII).
func editDistance(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		return max(len(a), len(b))
	}
	// Two rows of len(b)+1; names and tags are short, so the rows usually fit on the stack.
	var buf [2 * 65]int
	var rows []int
	if n := len(b) + 1; 2*n <= len(buf) {
		rows = buf[:2*n]
	} else {
		rows = make([]int, 2*n)
	}
	prev, cur := rows[:len(b)+1], rows[len(b)+1:]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// version splits "v1.2.3-rc1" into its numeric parts [1 2 3], appended to nums, and the
// rest ("-rc1"); ok is false when the string does not start with a number (after an
// optional "v").
func version(nums []int, s string) (_ []int, rest string, ok bool) {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	start := len(nums)
	for {
		i := 0
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
		}
		if i == 0 || i > 9 {
			break
		}
		n, _ := strconv.Atoi(t[:i])
		nums = append(nums, n)
		t = t[i:]
		if strings.HasPrefix(t, ".") && len(t) > 1 && t[1] >= '0' && t[1] <= '9' {
			t = t[1:]
			continue
		}
		break
	}
	return nums, t, len(nums) > start
}

// versionCloseness ranks how near candidate is to want as a version: 0 same major.minor,
// 1 same major, 2 both versions, 3 not comparable.
func versionCloseness(want, candidate string) int {
	var wb, cb [8]int
	w, _, ok1 := version(wb[:0], want)
	c, _, ok2 := version(cb[:0], candidate)
	if !ok1 || !ok2 {
		return 3
	}
	same := 0
	for same < len(w) && same < len(c) && w[same] == c[same] {
		same++
	}
	switch {
	case same >= 2 || same == len(w) && same == len(c):
		return 0
	case same == 1:
		return 1
	}
	return 2
}

// nearestNames ranks candidates by closeness to want: version-aware first (v1.0.0 is near
// v1.0.1, v2.3.0 is not), then by edit distance. Only plausible candidates are returned.
func nearestNames(want string, candidates []string, n int) []string {
	type scored struct {
		name      string
		vc, dist  int
		plausible bool
	}
	ss := make([]scored, 0, len(candidates))
	lowerWant := strings.ToLower(want)
	limit := max(2, len(want)/3)
	for _, c := range candidates {
		if c == want || c == "" {
			continue
		}
		d := editDistance(lowerWant, strings.ToLower(c))
		vc := versionCloseness(want, c)
		ss = append(ss, scored{c, vc, d, d <= limit || vc <= 1 || strings.EqualFold(c, want)})
	}
	// The order is total on distinct names, and a repeated name scores the same each time,
	// so repeats end up side by side and are skipped below.
	slices.SortFunc(ss, func(a, b scored) int {
		if a.vc != b.vc {
			return cmp.Compare(a.vc, b.vc)
		}
		if a.dist != b.dist {
			return cmp.Compare(a.dist, b.dist)
		}
		return strings.Compare(a.name, b.name)
	})
	var out []string
	for i, s := range ss {
		if i > 0 && s.name == ss[i-1].name {
			continue
		}
		if s.plausible && len(out) < n {
			if out == nil {
				out = make([]string, 0, n)
			}
			out = append(out, s.name)
		}
	}
	return out
}

// stoppedReasonCause is the stopped-reason classifier's top cause ("" without a reason).
func stoppedReasonCause(s *snapshot.Snapshot) cause.ID {
	if s.StoppedReason == "" {
		return ""
	}
	cl := classify(s.StoppedReason).Classification
	if len(cl) == 0 {
		return ""
	}
	return cl[0].Cause
}

func fmtTime(t *time.Time) string {
	var b [32]byte
	return string(appendTime(b[:0], t))
}

// appendTime is fmtTime into a buffer: string(appendTime(buf[:0], t)) inside a string
// concatenation quotes a time without a string of its own.
func appendTime(dst []byte, t *time.Time) []byte {
	if t == nil {
		return append(dst, '?')
	}
	return t.UTC().AppendFormat(dst, "2006-01-02 15:04 UTC")
}

// writeStrings appends parts to b, for a message assembled piece by piece without a
// temporary string per piece.
func writeStrings(b *strings.Builder, parts ...string) {
	for _, p := range parts {
		b.WriteString(p)
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func orPlaceholder(v, placeholder string) string {
	if v == "" {
		return placeholder
	}
	return v
}

// ecrURI is the private ECR image URI for account/region/repository[:tag].
func ecrURI(account, region, repo, tag string) string {
	domain := ".amazonaws.com/"
	if strings.HasPrefix(region, "cn-") {
		domain = ".amazonaws.com.cn/"
	}
	if tag == "" {
		return account + ".dkr.ecr." + region + domain + repo
	}
	return account + ".dkr.ecr." + region + domain + repo + ":" + tag
}

// appendPerECRImage is the body of the checks that report on each private ECR image of the
// task: one finding per image, or not-applicable when there is none.
func appendPerECRImage(dst []finding.Finding, s *snapshot.Snapshot, m Meta, one func(t *imageTarget) finding.Finding) []finding.Finding {
	targets := imageTargets(s, imageref.KindECR)
	if len(targets) == 0 {
		return append(dst, noECRImageFinding(m))
	}
	for i := range targets {
		dst = append(dst, one(&targets[i]))
	}
	return dst
}
