package collect

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadTarget is matched (errors.Is) by Resolve's error when a task, service or cluster
// cannot be what the user meant: a malformed ARN, an ARN of another cluster or region.
var ErrBadTarget = errors.New("bad target")

// badTarget is Resolve's error: its text is the whole line the user reads.
type badTarget struct{ msg string }

func (e *badTarget) Error() string        { return e.msg }
func (e *badTarget) Is(target error) bool { return target == ErrBadTarget }

// ecsResource splits an ECS ARN "arn:PARTITION:ecs:REGION:ACCOUNT:KIND/[CLUSTER/]NAME". ECS
// has two ARN formats: the long one names the cluster (task/prod/0123…), the old one does not
// (task/0123…). ok is false when s is not an ECS ARN of that kind.
func ecsResource(s, kind string) (region, cluster, name string, ok bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "ecs" || parts[3] == "" {
		return "", "", "", false
	}
	rest, found := strings.CutPrefix(parts[5], kind+"/")
	if !found || rest == "" {
		return "", "", "", false
	}
	segs := strings.Split(rest, "/")
	switch {
	case len(segs) == 1 && segs[0] != "":
		return parts[3], "", segs[0], true
	case len(segs) == 2 && segs[0] != "" && segs[1] != "":
		return parts[3], segs[0], segs[1], true
	}
	return "", "", "", false
}

// validID reports whether s can be a task id or a service or cluster name: ECS allows
// letters, digits, hyphens and underscores, so anything else (a path, a quoted string, a
// pasted ARN fragment) is a typo that ECS would only answer with a confusing "not found".
func validID(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Resolve checks a live target before any call and fills what its ARNs say: the cluster a
// long-format task or service ARN names (ECS looks a task up only in the cluster it is asked
// about, so "--task ARN" alone must not fall back to "default"), and the region of the ARNs.
// It refuses ARNs that contradict each other, the cluster or the region, with a line that
// says what to change. region is the configured region ("" when unknown); the returned
// region is the one the ARNs name ("" when none does).
func Resolve(t Target, region string) (Target, string, error) {
	bad := func(format string, args ...any) (Target, string, error) {
		return t, "", &badTarget{fmt.Sprintf(format, args...)}
	}
	var arnRegion, from string
	sameRegion := func(flag, r string) bool {
		if arnRegion != "" && r != arnRegion {
			return false
		}
		arnRegion, from = r, flag
		return true
	}
	clusterName := t.Cluster
	if c := t.Cluster; c != "" {
		if strings.HasPrefix(c, "arn:") {
			r, _, name, ok := ecsResource(c, "cluster")
			if !ok {
				return bad("--cluster %q is not an ECS cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME) or name", c)
			}
			sameRegion("--cluster", r)
			clusterName = name
		} else if !validID(c) {
			return bad("--cluster %q is not a cluster name (letters, digits, - and _)", c)
		}
	}
	for _, x := range []struct{ flag, kind, val string }{{"--task", "task", t.Task}, {"--service", "service", t.Service}} {
		if x.val == "" {
			continue
		}
		if !strings.HasPrefix(x.val, "arn:") {
			if !validID(x.val) {
				return bad("%s %q is not a %s id or ARN (arn:aws:ecs:REGION:ACCOUNT:%s/CLUSTER/ID)", x.flag, x.val, x.kind, x.kind)
			}
			continue
		}
		r, cl, _, ok := ecsResource(x.val, x.kind)
		if !ok {
			return bad("%s %q is not an ECS %s ARN (arn:aws:ecs:REGION:ACCOUNT:%s/CLUSTER/ID)", x.flag, x.val, x.kind, x.kind)
		}
		if prev := from; !sameRegion(x.flag, r) {
			return bad("%s is in %s but %s is in %s", x.flag, r, prev, arnRegion)
		}
		if cl == "" {
			continue
		}
		if clusterName != "" && cl != clusterName {
			return bad("%s belongs to cluster %q, not %q: pass --cluster %s (or leave --cluster out)", x.flag, cl, clusterName, cl)
		}
		if t.Cluster == "" {
			t.Cluster, clusterName = cl, cl
		}
	}
	if region != "" && arnRegion != "" && region != arnRegion {
		return bad("%s is in %s but the region is %s: pass --region %s", from, arnRegion, region, arnRegion)
	}
	return t, arnRegion, nil
}
