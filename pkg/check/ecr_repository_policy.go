package check

import (
	"strconv"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/iampolicy"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ECRRepositoryPolicy checks the repository-policy side of a pull. Across accounts both the
// repository policy (in the image's account) and the role's identity policy must allow it
// (seed cause 4: a shared base image whose repository policy lists only some accounts). In
// any account an explicit Deny of the repository policy blocks, e.g. a pull restricted to
// a VPC endpoint (aws:SourceVpce) or to the organization (aws:PrincipalOrgID)
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html).
type ECRRepositoryPolicy struct{}

// Meta implements Check.
func (ECRRepositoryPolicy) Meta() Meta { return ecrRepositoryPolicyMeta }

var ecrRepositoryPolicyMeta = Meta{
	ID: "ecr-repository-policy", Cause: cause.RepositoryPolicy, Severity: finding.Error,
	Title:       "The ECR repository policy lets the role pull",
	TitleJA:     "ECR リポジトリポリシーがロールのプルを許可している",
	Description: "For each private ECR repository the task uses. Cross-account (image account ≠ role account): evaluates the pull actions with the repository policy as the resource-based policy and the role's identity policies, as AWS does across accounts: both must allow, and a repository without a policy fails. Same account: checks that no Deny statement of the repository policy applies. Conditions the snapshot cannot decide (aws:SourceVpce, aws:PrincipalOrgID) make the finding unknown, never a pass.",
	Needs:       []string{"ecr:GetRepositoryPolicy", "ecr:DescribeRepositories", "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:GetPolicyVersion", "iam:ListRolePolicies", "iam:GetRolePolicy"},
}

// Run implements Check.
func (c ECRRepositoryPolicy) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (c ECRRepositoryPolicy) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := ecrRepositoryPolicyMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	return appendPerPullRepo(dst, s, m, "the repository policy", func(sub *iamSubject, t iamRepo) finding.Finding { return c.one(s, m, sub, t) })
}

func (c ECRRepositoryPolicy) one(s *snapshot.Snapshot, m Meta, sub *iamSubject, t iamRepo) finding.Finding {
	ref := t.Ref
	repoARN := t.ARN
	cross := ref.Account != sub.Account
	// The account/region/name form is one of the refs a gap may name; without gaps (the
	// usual snapshot) it is not worth building.
	key := ""
	if len(s.Gaps) > 0 {
		key = ref.Account + "/" + ref.Region + "/" + ref.Repository
	}
	imageEv := finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: t.Container, Key: "image", Value: t.Image}
	// extra is room for what the finding adds to the image evidence: the finding's evidence
	// is sized once.
	mk := func(st finding.Status, en, ja string, extra int) finding.Finding {
		f := newFinding(m, st, en, ja)
		f.Subject = t.Container
		f.Evidence = append(make([]finding.Evidence, 0, 1+extra), imageEv)
		return f
	}
	repoMissing := gapIs(s, "ecr:DescribeRepositories", errRepositoryNotFound, key, repoARN, ref.Repository)
	if g := gapWithRef(s, "ecr:GetRepositoryPolicy", key, repoARN, ref.Repository); g != nil && (g.Error == errRepositoryNotFound || repoMissing) {
		return mk(finding.NotApplicable,
			"repository "+repoARN+" does not exist (ecr-repository-exists reports it)",
			"リポジトリ "+repoARN+" は存在しません（ecr-repository-exists が報告します）", 0)
	}
	if g := gapWithRef(s, "ecr:GetRepositoryPolicy", key, repoARN, ref.Repository); g != nil {
		f := mk(finding.Unknown,
			"cannot decide: the repository policy of "+repoARN+" could not be read ("+g.Call+": "+g.Error+")",
			"判定できません: "+repoARN+" のリポジトリポリシーを読み取れませんでした（"+g.Call+": "+g.Error+"）", 1)
		f.Needs = []string{"ecr:GetRepositoryPolicy"}
		f.Evidence = append(f.Evidence, finding.Evidence{Source: g.Call, Ref: g.Ref, Key: "error", Value: g.Error})
		return f
	}
	repo := findRepository(s, ref)
	if repo == nil {
		if repoMissing {
			return mk(finding.NotApplicable,
				"repository "+repoARN+" does not exist (ecr-repository-exists reports it)",
				"リポジトリ "+repoARN+" は存在しません（ecr-repository-exists が報告します）", 0)
		}
		if !cross {
			// Same account: only a Deny could matter, and nothing says there is a policy.
			f := mk(finding.Unknown,
				"cannot decide: repository "+repoARN+" and its policy are not in the snapshot",
				"判定できません: リポジトリ "+repoARN+" とそのポリシーがスナップショットにありません", 0)
			f.Needs = []string{"ecr:DescribeRepositories", "ecr:GetRepositoryPolicy"}
			return f
		}
		f := mk(finding.Unknown,
			"cannot decide: the policy of cross-account repository "+repoARN+" is not in the snapshot (read it with credentials of account "+ref.Account+")",
			"判定できません: 別アカウントのリポジトリ "+repoARN+" のポリシーがスナップショットにありません（アカウント "+ref.Account+" の認証情報で読み取ってください）", 0)
		f.Needs = []string{"ecr:GetRepositoryPolicy"}
		return f
	}
	raw := rawPolicyOrNil(repo)
	if raw == nil {
		if !cross {
			return mk(finding.NotApplicable,
				"repository "+repoARN+" is in the role's account and has no repository policy: the identity policies decide (exec-role-ecr-pull)",
				"リポジトリ "+repoARN+" はロールと同じアカウントにあり、リポジトリポリシーはありません。アイデンティティポリシーで決まります（exec-role-ecr-pull）", 0)
		}
		f := mk(finding.Fail,
			"repository "+repoARN+" is in account "+ref.Account+", but the "+sub.Kind+" is in account "+sub.Account+" and the repository has no repository policy: cross-account pulls need one that allows the role or its account",
			"リポジトリ "+repoARN+" はアカウント "+ref.Account+" にありますが、"+sub.KindJA+" はアカウント "+sub.Account+" にあり、リポジトリポリシーがありません。別アカウントからのプルには、ロールまたはそのアカウントを許可するリポジトリポリシーが必要です", 1)
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "ecr:GetRepositoryPolicy", Ref: repoARN, Key: "policy", Value: "RepositoryPolicyNotFoundException (none)"})
		f.Remediation = repoPolicyRemediation(s, sub, ref, repoARN, false)
		return f
	}
	pol, err := parsePolicyCached(raw)
	if err != nil {
		f := mk(finding.Unknown,
			"cannot decide: the repository policy of "+repoARN+" does not parse: "+err.Error(),
			"判定できません: "+repoARN+" のリポジトリポリシーを解析できません: "+err.Error(), 0)
		f.Needs = []string{"ecr:GetRepositoryPolicy"}
		return f
	}
	ev := [...]finding.Evidence{imageEv, {Source: "ecr:GetRepositoryPolicy", Ref: repoARN, Key: "policyText", Value: shorten(compactJSON(raw), 600)}}
	ctx := sharedRequestContext(ref.Region)
	repoLabel := "repository policy of " + ref.Repository
	if !cross {
		// Same account: does a Deny of the repository policy apply? Evaluated against an
		// allow-everything identity so that nothing but those Denies can refuse.
		denies := filterStatements(pol, func(st *iampolicy.Statement) bool { return st.Deny })
		set := iampolicy.PolicySet{Identity: allowAll, Resource: &iampolicy.NamedPolicy{Name: repoLabel, ARN: repoARN, Policy: denies}, SCPs: []iampolicy.SCPLevel{}}
		var buf [maxActions]actionResult
		rs := evalActions(buf[:0], set, sub.ARN, repoARN, "", ctx, ecrPullActions...)
		st, which, _ := iamSummarize(rs)
		var f finding.Finding
		switch st {
		case finding.Fail:
			d := which[0].Dec
			acts := joinActions(which)
			f = newFinding(m, finding.Fail,
				"the repository policy of "+repoARN+" explicitly denies "+acts+" to "+sub.Kind+" "+sub.ARN+" ("+decidingText(d)+"; "+d.Reason+")",
				repoARN+" のリポジトリポリシーが "+sub.KindJA+" "+sub.ARN+" の "+acts+" を明示的に拒否しています（"+decidingText(d)+"）")
			f.Remediation = repoDenyRemediation(s, sub, ref, d)
		case finding.Unknown:
			d := which[0].Dec
			list := decidingList(d)
			f = newFinding(m, finding.Unknown,
				"cannot decide whether the repository policy of "+repoARN+" denies the pull: "+d.Reason+" ("+list+")",
				repoARN+" のリポジトリポリシーがプルを拒否するか判定できません: "+d.Reason+"（"+list+"）")
			f.Needs = unknownNeeds(d)
		default:
			f = newFinding(m, finding.Pass,
				"no Deny statement of the repository policy of "+repoARN+" applies to "+sub.ARN+" (same account: the identity policies decide the Allow, see exec-role-ecr-pull)",
				repoARN+" のリポジトリポリシーに "+sub.ARN+" に該当する Deny はありません（同一アカウントのため許可はアイデンティティポリシーで決まります）")
		}
		f.Subject = t.Container
		n := len(ev)
		for _, r := range rs {
			if r.Dec.Effect != iampolicy.Allow {
				n += decisionEvidenceLen(r)
			}
		}
		f.Evidence = append(make([]finding.Evidence, 0, n), ev[:]...)
		for _, r := range rs {
			if r.Dec.Effect != iampolicy.Allow {
				f.Evidence = appendDecisionEvidence(f.Evidence, r)
			}
		}
		return f
	}

	// Cross account: both sides, as AWS evaluates them.
	set := sub.Set
	set.Resource = &iampolicy.NamedPolicy{Name: repoLabel, ARN: repoARN, Policy: pol}
	var buf, repoBuf [maxActions]actionResult
	rs := evalActions(buf[:0], set, sub.ARN, repoARN, ref.Account, ctx, ecrPullActions...)
	// The repository side alone, to say which side to fix.
	repoOnly := iampolicy.PolicySet{Identity: allowAll, Resource: set.Resource, SCPs: []iampolicy.SCPLevel{}}
	repoSide := evalActions(repoBuf[:0], repoOnly, sub.ARN, repoARN, ref.Account, ctx, ecrPullActions...)
	repoSt, repoDenied, _ := iamSummarize(repoSide)
	what := "cross-account repository " + repoARN + " (account " + ref.Account + ")"
	whatJA := "別アカウントのリポジトリ " + repoARN + "（アカウント " + ref.Account + "）"
	f, denied := permFinding(m, sub, t.Container, phrase{what}, phrase{whatJA}, rs, ev[:])
	switch {
	case denied == nil:
	case repoSt == finding.Fail && repoDenied[0].Dec.Effect == iampolicy.ExplicitDeny:
		f.Remediation = repoDenyRemediation(s, sub, ref, repoDenied[0].Dec)
	case repoSt == finding.Fail:
		f.Remediation = repoPolicyRemediation(s, sub, ref, repoARN, true)
	default:
		f.Remediation = identityRemediation(sub, "ecr-pull-"+iamTFIdent(ref.Repository),
			iamStmt{Sid: "ECRPullCrossAccount", Effect: "Allow", Action: ecrPullActions, Resource: repoARN}, denied,
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html")
	}
	if f.Status == finding.Fail && repoSt == finding.Fail {
		d := repoDenied[0].Dec
		f.Message = "the repository policy of " + repoARN + " (account " + ref.Account + ") does not let " + sub.Kind + " " + sub.ARN + " (account " + sub.Account + ") pull: " + decidingText(d) + " (" + d.Reason + ")"
		f.MessageJA = repoARN + "（アカウント " + ref.Account + "）のリポジトリポリシーは " + sub.KindJA + " " + sub.ARN + "（アカウント " + sub.Account + "）のプルを許可していません（" + decidingText(d) + "）"
	}
	return f
}

// repoPolicyRemediation adds a statement allowing the role to the repository policy of
// repoARN (the repository ref names).
func repoPolicyRemediation(s *snapshot.Snapshot, sub *iamSubject, ref imageref.Ref, repoARN string, hasPolicy bool) *finding.Remediation {
	st := iamStmt{Sid: "AllowPull" + sub.Account, Effect: "Allow", Principal: map[string]any{"AWS": sub.ARN}, Action: ecrPullActions}
	compact, indented := iamPolicyJSON(st)
	get := "aws ecr get-repository-policy --registry-id " + ref.Account + " --repository-name " + ref.Repository + " --region " + ref.Region + " --query policyText --output text > repo-policy.json"
	set := "aws ecr set-repository-policy --registry-id " + ref.Account + " --repository-name " + ref.Repository + " --region " + ref.Region + " --policy-text "
	rem := &finding.Remediation{
		Text: "In account " + ref.Account + ", allow " + sub.ARN + " to pull from repository " + ref.Repository + " with a repository policy statement (below). set-repository-policy replaces the whole policy: merge the statement into the existing policy first. The role's own policies must also allow the pull on " + repoARN +
			". To allow every role of account " + sub.Account + " instead, use \"arn:" + iamPartition(s) + ":iam::" + sub.Account + ":root\" as the principal.",
		TextJA: "アカウント " + ref.Account + " で、リポジトリ " + ref.Repository + " のリポジトリポリシーに " + sub.ARN + " のプルを許可するステートメント（下記）を追加してください。set-repository-policy はポリシー全体を置き換えるため、既存のポリシーに統合してから設定します。ロール側のポリシーでも " + repoARN + " へのプルの許可が必要です。",
		Policy: compact,
		Terraform: "resource \"aws_ecr_repository_policy\" " + strconv.Quote(iamTFIdent(ref.Repository)) + " {\n  # in account " + ref.Account + "; merge with any existing statements\n  repository = " + strconv.Quote(ref.Repository) +
			"\n  policy     = " + iamHeredoc(indented) + "\n}",
		Links: []string{
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html",
			"https://repost.aws/knowledge-center/secondary-account-access-ecr",
		},
	}
	if hasPolicy {
		rem.Commands = []string{get, "# add the statement to repo-policy.json, then:", set + "file://repo-policy.json"}
	} else {
		rem.Commands = []string{set + iamShellQuote(string(compact))}
	}
	return rem
}

// repoDenyRemediation explains an explicit Deny in the repository policy.
func repoDenyRemediation(s *snapshot.Snapshot, sub *iamSubject, ref imageref.Ref, d iampolicy.Decision) *finding.Remediation {
	stmtRef := decidingText(d)
	return &finding.Remediation{
		Text: stmtRef + " explicitly denies the pull to " + sub.ARN + "; no Allow can override it. Narrow that statement (e.g. exempt the role with aws:PrincipalArn, or fix the VPC endpoint / organization condition it tests) in the repository policy of " + ref.Repository + " in account " + ref.Account +
			". set-repository-policy replaces the whole policy: edit the current one.",
		TextJA: stmtRef + " が " + sub.ARN + " のプルを明示的に拒否しており、どの Allow でも上書きできません。アカウント " + ref.Account + " のリポジトリ " + ref.Repository +
			" のリポジトリポリシーで、そのステートメントを限定してください（aws:PrincipalArn でロールを除外する、または VPC エンドポイントや組織の条件を見直す）。set-repository-policy はポリシー全体を置き換えるため、現在のポリシーを編集して設定します。",
		Commands: []string{
			"aws ecr get-repository-policy --registry-id " + ref.Account + " --repository-name " + ref.Repository + " --region " + ref.Region + " --query policyText --output text > repo-policy.json",
			"# edit the Deny statement in repo-policy.json, then:",
			"aws ecr set-repository-policy --registry-id " + ref.Account + " --repository-name " + ref.Repository + " --region " + ref.Region + " --policy-text file://repo-policy.json",
		},
		Policy: nil,
		Terraform: "resource \"aws_ecr_repository_policy\" " + strconv.Quote(iamTFIdent(ref.Repository)) + " {\n  repository = " + strconv.Quote(ref.Repository) +
			"\n  # edit the Deny statement " + stmtRef + " of the policy document\n  policy     = file(\"repo-policy.json\")\n}",
		Links: []string{"https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html", "https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html"},
	}
}
