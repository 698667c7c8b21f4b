package check

import (
	"sort"
	"strconv"
	"strings"
	"time"

	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
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
}

// imageTargets returns the containers whose image parses and is of one of kinds (all kinds
// when none given). Unparseable images are image-reference-valid's to report.
func imageTargets(s *snapshot.Snapshot, kinds ...imageref.Kind) []imageTarget {
	var out []imageTarget
	for _, cd := range s.Containers() {
		image := deref(cd.Image)
		ref, err := parseImage(image)
		if err != nil {
			continue
		}
		if len(kinds) > 0 {
			match := false
			for _, k := range kinds {
				match = match || ref.Kind == k
			}
			if !match {
				continue
			}
		}
		out = append(out, imageTarget{Container: deref(cd.Name), Image: image, Ref: ref})
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
func imagesOf(s *snapshot.Snapshot, ref imageref.Ref) []ecrtypes.ImageDetail {
	var out []ecrtypes.ImageDetail
	for _, im := range s.ECR.Images {
		if deref(im.RepositoryName) != ref.Repository {
			continue
		}
		if acc := deref(im.RegistryId); acc != "" && acc != ref.Account {
			continue
		}
		out = append(out, im)
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
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
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

// version splits "v1.2.3-rc1" into its numeric parts [1 2 3] and the rest ("-rc1"); ok is
// false when the string does not start with a number (after an optional "v").
func version(s string) (nums []int, rest string, ok bool) {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
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
	return nums, t, len(nums) > 0
}

// versionCloseness ranks how near candidate is to want as a version: 0 same major.minor,
// 1 same major, 2 both versions, 3 not comparable.
func versionCloseness(want, candidate string) int {
	w, _, ok1 := version(want)
	c, _, ok2 := version(candidate)
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
	var ss []scored
	seen := map[string]bool{}
	for _, c := range candidates {
		if c == want || seen[c] || c == "" {
			continue
		}
		seen[c] = true
		d := editDistance(strings.ToLower(want), strings.ToLower(c))
		vc := versionCloseness(want, c)
		limit := max(2, len(want)/3)
		ss = append(ss, scored{c, vc, d, d <= limit || vc <= 1 || strings.EqualFold(c, want)})
	}
	sort.SliceStable(ss, func(i, j int) bool {
		if ss[i].vc != ss[j].vc {
			return ss[i].vc < ss[j].vc
		}
		if ss[i].dist != ss[j].dist {
			return ss[i].dist < ss[j].dist
		}
		return ss[i].name < ss[j].name
	})
	var out []string
	for _, s := range ss {
		if s.plausible && len(out) < n {
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
	if t == nil {
		return "?"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
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
	host := account + ".dkr.ecr." + region + ".amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		host += ".cn"
	}
	u := host + "/" + repo
	if tag != "" {
		u += ":" + tag
	}
	return u
}
