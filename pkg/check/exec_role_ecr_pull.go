package check

import (
	"encoding/json"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/iampolicy"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ecrPullActions are the three calls the container runtime makes per image after the
// authorization token: manifest, layer availability, layer download URLs.
var ecrPullActions = []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}

// ExecRoleECRPull checks the image-level ECR actions on the image's own repository ARN.
// They do support resource-level permissions, so a policy scoped to another repository (or
// to the right name in another region or account) is the usual reason the manifest fetch
// fails with 403 after a successful login.
type ExecRoleECRPull struct{}

// Meta implements Check.
func (ExecRoleECRPull) Meta() Meta { return execRoleECRPullMeta }

var execRoleECRPullMeta = Meta{
	ID: "exec-role-ecr-pull", Cause: cause.ExecRolePermissions, Severity: finding.Error,
	Title:       "The execution role may pull from each image's ECR repository",
	TitleJA:     "タスク実行ロールが各イメージの ECR リポジトリからプルできる",
	Description: "For each private ECR repository the task uses: evaluates `ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer` and `ecr:BatchCheckLayerAvailability` on the repository ARN (`arn:aws:ecr:REGION:ACCOUNT:repository/NAME`) over the execution role's identity policies and permissions boundary (on EC2 without an execution role, the container instance role). In the same account an Allow in the repository policy naming the role also grants; Deny statements of the repository policy, and the repository-policy side of cross-account pulls, are reported by `ecr-repository-policy`.",
	Needs:       []string{"iam:GetRole", "iam:ListAttachedRolePolicies", "iam:GetPolicyVersion", "iam:ListRolePolicies", "iam:GetRolePolicy", "ecr:GetRepositoryPolicy"},
}

// Run implements Check.
func (c ExecRoleECRPull) Run(s *snapshot.Snapshot) []finding.Finding { return c.appendFindings(nil, s) }

func (c ExecRoleECRPull) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := execRoleECRPullMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	return appendPerPullRepo(dst, s, m, "the ECR pull permissions", func(sub *iamSubject, t iamRepo) finding.Finding { return c.one(s, m, sub, t) })
}

func (c ExecRoleECRPull) one(s *snapshot.Snapshot, m Meta, sub *iamSubject, t iamRepo) finding.Finding {
	repoARN := t.ARN
	set := sub.Set
	cross := t.Ref.Account != sub.Account
	ev := [...]finding.Evidence{{Source: "ecs:DescribeTaskDefinition", Ref: t.Container, Key: "image", Value: t.Image}}
	repo := findRepository(s, t.Ref)
	if !cross && repo != nil && len(repo.Policy) > 0 {
		// Same account: an Allow in the repository policy naming the role grants too.
		if p, err := parsePolicyCached(repo.Policy); err == nil {
			allows := filterStatements(p, func(st *iampolicy.Statement) bool { return !st.Deny })
			set.Resource = &iampolicy.NamedPolicy{Name: "repository policy of " + t.Ref.Repository, ARN: repoARN, Policy: allows}
		}
	}
	// Cross account: this is the identity side only (the role's account decides it); the
	// repository's account is ecr-repository-policy's.
	var buf [maxActions]actionResult
	rs := evalActions(buf[:0], set, sub.ARN, repoARN, "", sharedRequestContext(t.Ref.Region), ecrPullActions...)
	f, denied := permFinding(m, sub, t.Container, phrase{"repository ", repoARN}, phrase{"リポジトリ ", repoARN}, rs, ev[:])
	if denied != nil {
		f.Remediation = identityRemediation(sub, "ecr-pull-"+iamTFIdent(t.Ref.Repository),
			iamStmt{Sid: "ECRPull", Effect: "Allow", Action: ecrPullActions, Resource: repoARN}, denied,
			"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/security_iam_id-based-policy-examples.html")
	}
	if f.Status == finding.Fail && !cross && repo == nil {
		if g := gapWithRef(s, "ecr:GetRepositoryPolicy", t.Ref.Account+"/"+t.Ref.Region+"/"+t.Ref.Repository, repoARN, t.Ref.Repository); g != nil && g.Error != errRepositoryNotFound {
			// The repository policy could still grant the role in the same account.
			u := newFinding(m, finding.Unknown,
				"cannot decide: the identity policies of "+sub.ARN+" do not allow the pull from "+repoARN+", and its repository policy (which may grant it) could not be read ("+g.Error+")",
				"判定できません: "+sub.ARN+" のアイデンティティポリシーは "+repoARN+" からのプルを許可していませんが、許可し得るリポジトリポリシーを読み取れませんでした（"+g.Error+"）")
			u.Subject, u.Evidence, u.Needs = f.Subject, f.Evidence, []string{g.Call}
			return u
		}
	}
	if cross && f.Status == finding.Pass {
		f.Message += "; the repository policy in account " + t.Ref.Account + " must allow it too (ecr-repository-policy)"
		f.MessageJA += "。アカウント " + t.Ref.Account + " のリポジトリポリシーでの許可も必要です（ecr-repository-policy）"
	}
	return f
}

// rawPolicyOrNil is a repository policy document, nil when empty.
func rawPolicyOrNil(r *snapshot.Repository) json.RawMessage {
	if r == nil || len(r.Policy) == 0 || string(r.Policy) == "null" {
		return nil
	}
	return r.Policy
}
