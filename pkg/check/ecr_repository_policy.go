package check

import (
	"fmt"
	"strings"

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
func (ECRRepositoryPolicy) Meta() Meta {
	return Meta{
		ID: "ecr-repository-policy", Cause: cause.RepositoryPolicy, Severity: finding.Error,
		Title:       "The ECR repository policy lets the role pull",
		TitleJA:     "ECR リポジトリポリシーがロールのプルを許可している",
		Description: "For each private ECR repository the task uses. Cross-account (image account ≠ role account): evaluates the pull actions with the repository policy as the resource-based policy and the role's identity policies, as AWS does across accounts: both must allow, and a repository without a policy fails. Same account: checks that no Deny statement of the repository policy applies. Conditions the snapshot cannot decide (aws:SourceVpce, aws:PrincipalOrgID) make the finding unknown, never a pass.",
		Needs:       []string{"ecr:GetRepositoryPolicy", "ecr:DescribeRepositories", "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:GetPolicyVersion", "iam:ListRolePolicies", "iam:GetRolePolicy"},
	}
}

// Run implements Check.
func (c ECRRepositoryPolicy) Run(s *snapshot.Snapshot) []finding.Finding {
	m := c.Meta()
	if s.TaskDefinition == nil {
		return taskDefinitionMissing(m, s)
	}
	targets := iamUniqueRepos(imageTargets(s, imageref.KindECR))
	if len(targets) == 0 {
		return noECRImage(m)
	}
	arn, kind, kindJA, ok := pullPrincipal(s)
	if !ok {
		return []finding.Finding{noPrincipalFinding(m, s, "the repository policy")}
	}
	var sub *iamSubject
	var out []finding.Finding
	for _, t := range targets {
		if sub == nil {
			var uf *finding.Finding
			if sub, uf = loadSubject(s, m, arn, kind, kindJA); uf != nil {
				return []finding.Finding{*uf}
			}
		}
		out = append(out, c.one(s, m, sub, t))
	}
	return out
}

func (c ECRRepositoryPolicy) one(s *snapshot.Snapshot, m Meta, sub *iamSubject, t imageTarget) finding.Finding {
	ref := t.Ref
	repoARN := ref.RepositoryARN()
	cross := ref.Account != sub.Account
	key := ref.Account + "/" + ref.Region + "/" + ref.Repository
	ev := []finding.Evidence{{Source: "ecs:DescribeTaskDefinition", Ref: t.Container, Key: "image", Value: t.Image}}
	mk := func(st finding.Status, en, ja string) finding.Finding {
		f := newFinding(m, st, en, ja)
		f.Subject = t.Container
		f.Evidence = append(f.Evidence, ev...)
		return f
	}
	repoMissing := gapIs(s, "ecr:DescribeRepositories", errRepositoryNotFound, key, repoARN, ref.Repository)
	if g := gapWithRef(s, "ecr:GetRepositoryPolicy", key, repoARN, ref.Repository); g != nil && (g.Error == errRepositoryNotFound || repoMissing) {
		return mk(finding.NotApplicable,
			"repository "+repoARN+" does not exist (ecr-repository-exists reports it)",
			"リポジトリ "+repoARN+" は存在しません（ecr-repository-exists が報告します）")
	}
	if g := gapWithRef(s, "ecr:GetRepositoryPolicy", key, repoARN, ref.Repository); g != nil {
		f := mk(finding.Unknown,
			"cannot decide: the repository policy of "+repoARN+" could not be read ("+g.Call+": "+g.Error+")",
			"判定できません: "+repoARN+" のリポジトリポリシーを読み取れませんでした（"+g.Call+": "+g.Error+"）")
		f.Needs = []string{"ecr:GetRepositoryPolicy"}
		f.Evidence = append(f.Evidence, finding.Evidence{Source: g.Call, Ref: g.Ref, Key: "error", Value: g.Error})
		return f
	}
	repo := findRepository(s, ref)
	if repo == nil {
		if repoMissing {
			return mk(finding.NotApplicable,
				"repository "+repoARN+" does not exist (ecr-repository-exists reports it)",
				"リポジトリ "+repoARN+" は存在しません（ecr-repository-exists が報告します）")
		}
		if !cross {
			// Same account: only a Deny could matter, and nothing says there is a policy.
			f := mk(finding.Unknown,
				"cannot decide: repository "+repoARN+" and its policy are not in the snapshot",
				"判定できません: リポジトリ "+repoARN+" とそのポリシーがスナップショットにありません")
			f.Needs = []string{"ecr:DescribeRepositories", "ecr:GetRepositoryPolicy"}
			return f
		}
		f := mk(finding.Unknown,
			"cannot decide: the policy of cross-account repository "+repoARN+" is not in the snapshot (read it with credentials of account "+ref.Account+")",
			"判定できません: 別アカウントのリポジトリ "+repoARN+" のポリシーがスナップショットにありません（アカウント "+ref.Account+" の認証情報で読み取ってください）")
		f.Needs = []string{"ecr:GetRepositoryPolicy"}
		return f
	}
	raw := rawPolicyOrNil(repo)
	if raw == nil {
		if !cross {
			return mk(finding.NotApplicable,
				"repository "+repoARN+" is in the role's account and has no repository policy: the identity policies decide (exec-role-ecr-pull)",
				"リポジトリ "+repoARN+" はロールと同じアカウントにあり、リポジトリポリシーはありません。アイデンティティポリシーで決まります（exec-role-ecr-pull）")
		}
		f := mk(finding.Fail,
			fmt.Sprintf("repository %s is in account %s, but the %s is in account %s and the repository has no repository policy: cross-account pulls need one that allows the role or its account", repoARN, ref.Account, sub.Kind, sub.Account),
			fmt.Sprintf("リポジトリ %s はアカウント %s にありますが、%s はアカウント %s にあり、リポジトリポリシーがありません。別アカウントからのプルには、ロールまたはそのアカウントを許可するリポジトリポリシーが必要です", repoARN, ref.Account, sub.KindJA, sub.Account))
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "ecr:GetRepositoryPolicy", Ref: repoARN, Key: "policy", Value: "RepositoryPolicyNotFoundException (none)"})
		f.Remediation = repoPolicyRemediation(s, sub, ref, false)
		return f
	}
	pol, err := parsePolicyCached(raw)
	if err != nil {
		f := mk(finding.Unknown,
			"cannot decide: the repository policy of "+repoARN+" does not parse: "+err.Error(),
			"判定できません: "+repoARN+" のリポジトリポリシーを解析できません: "+err.Error())
		f.Needs = []string{"ecr:GetRepositoryPolicy"}
		return f
	}
	ev = append(ev, finding.Evidence{Source: "ecr:GetRepositoryPolicy", Ref: repoARN, Key: "policyText", Value: shorten(compactJSON(raw), 600)})
	ctx := sharedRequestContext(ref.Region)
	repoLabel := "repository policy of " + ref.Repository
	if !cross {
		// Same account: does a Deny of the repository policy apply? Evaluated against an
		// allow-everything identity so that nothing but those Denies can refuse.
		denies := filterStatements(pol, func(st *iampolicy.Statement) bool { return st.Deny })
		set := iampolicy.PolicySet{Identity: allowAll, Resource: &iampolicy.NamedPolicy{Name: repoLabel, ARN: repoARN, Policy: denies}, SCPs: []iampolicy.SCPLevel{}}
		rs := evalActions(set, sub.ARN, repoARN, "", ctx, ecrPullActions...)
		st, denied, unknown, _ := iamSummarize(rs)
		var f finding.Finding
		switch st {
		case finding.Fail:
			d := denied[0].Dec
			f = mk(finding.Fail,
				fmt.Sprintf("the repository policy of %s explicitly denies %s to %s %s (%s; %s)", repoARN, strings.Join(actionsOf(denied), ", "), sub.Kind, sub.ARN, decidingText(d), d.Reason),
				fmt.Sprintf("%s のリポジトリポリシーが %s %s の %s を明示的に拒否しています（%s）", repoARN, sub.KindJA, sub.ARN, strings.Join(actionsOf(denied), ", "), decidingText(d)))
			f.Remediation = repoDenyRemediation(s, sub, ref, d)
		case finding.Unknown:
			d := unknown[0].Dec
			f = mk(finding.Unknown,
				fmt.Sprintf("cannot decide whether the repository policy of %s denies the pull: %s (%s)", repoARN, d.Reason, decidingList(d)),
				fmt.Sprintf("%s のリポジトリポリシーがプルを拒否するか判定できません: %s（%s）", repoARN, d.Reason, decidingList(d)))
			f.Needs = unknownNeeds(d)
		default:
			f = mk(finding.Pass,
				"no Deny statement of the repository policy of "+repoARN+" applies to "+sub.ARN+" (same account: the identity policies decide the Allow, see exec-role-ecr-pull)",
				repoARN+" のリポジトリポリシーに "+sub.ARN+" に該当する Deny はありません（同一アカウントのため許可はアイデンティティポリシーで決まります）")
		}
		f.Evidence = ev
		for _, r := range rs {
			if r.Dec.Effect != iampolicy.Allow {
				f.Evidence = append(f.Evidence, decisionEvidence(r)...)
			}
		}
		return f
	}

	// Cross account: both sides, as AWS evaluates them.
	set := sub.Set
	set.Resource = &iampolicy.NamedPolicy{Name: repoLabel, ARN: repoARN, Policy: pol}
	rs := evalActions(set, sub.ARN, repoARN, ref.Account, ctx, ecrPullActions...)
	// The repository side alone, to say which side to fix.
	repoOnly := iampolicy.PolicySet{Identity: allowAll, Resource: set.Resource, SCPs: []iampolicy.SCPLevel{}}
	repoSide := evalActions(repoOnly, sub.ARN, repoARN, ref.Account, ctx, ecrPullActions...)
	repoSt, repoDenied, _, _ := iamSummarize(repoSide)
	what := fmt.Sprintf("cross-account repository %s (account %s)", repoARN, ref.Account)
	whatJA := fmt.Sprintf("別アカウントのリポジトリ %s（アカウント %s）", repoARN, ref.Account)
	f := permFinding(m, sub, t.Container, what, whatJA, rs, ev, func(denied []actionResult) *finding.Remediation {
		if repoSt == finding.Fail {
			if repoDenied[0].Dec.Effect == iampolicy.ExplicitDeny {
				return repoDenyRemediation(s, sub, ref, repoDenied[0].Dec)
			}
			return repoPolicyRemediation(s, sub, ref, true)
		}
		return identityRemediation(sub, "ecr-pull-"+iamTFIdent(ref.Repository),
			iamStmt{Sid: "ECRPullCrossAccount", Effect: "Allow", Action: ecrPullActions, Resource: repoARN}, denied,
			"https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html")
	})
	if f.Status == finding.Fail && repoSt == finding.Fail {
		f.Message = fmt.Sprintf("the repository policy of %s (account %s) does not let %s %s (account %s) pull: %s (%s)",
			repoARN, ref.Account, sub.Kind, sub.ARN, sub.Account, decidingText(repoDenied[0].Dec), repoDenied[0].Dec.Reason)
		f.MessageJA = fmt.Sprintf("%s（アカウント %s）のリポジトリポリシーは %s %s（アカウント %s）のプルを許可していません（%s）",
			repoARN, ref.Account, sub.KindJA, sub.ARN, sub.Account, decidingText(repoDenied[0].Dec))
	}
	return f
}

// repoPolicyRemediation adds a statement allowing the role to the repository policy.
func repoPolicyRemediation(s *snapshot.Snapshot, sub *iamSubject, ref imageref.Ref, hasPolicy bool) *finding.Remediation {
	st := iamStmt{Sid: "AllowPull" + sub.Account, Effect: "Allow", Principal: map[string]any{"AWS": sub.ARN}, Action: ecrPullActions}
	compact, indented := iamPolicyJSON(st)
	get := "aws ecr get-repository-policy --registry-id " + ref.Account + " --repository-name " + ref.Repository + " --region " + ref.Region + " --query policyText --output text > repo-policy.json"
	set := "aws ecr set-repository-policy --registry-id " + ref.Account + " --repository-name " + ref.Repository + " --region " + ref.Region + " --policy-text "
	rem := &finding.Remediation{
		Text: fmt.Sprintf("In account %s, allow %s to pull from repository %s with a repository policy statement (below). set-repository-policy replaces the whole policy: merge the statement into the existing policy first. The role's own policies must also allow the pull on %s. To allow every role of account %s instead, use \"arn:%s:iam::%s:root\" as the principal.",
			ref.Account, sub.ARN, ref.Repository, ref.RepositoryARN(), sub.Account, iamPartition(s), sub.Account),
		TextJA: fmt.Sprintf("アカウント %s で、リポジトリ %s のリポジトリポリシーに %s のプルを許可するステートメント（下記）を追加してください。set-repository-policy はポリシー全体を置き換えるため、既存のポリシーに統合してから設定します。ロール側のポリシーでも %s へのプルの許可が必要です。", ref.Account, ref.Repository, sub.ARN, ref.RepositoryARN()),
		Policy: compact,
		Terraform: fmt.Sprintf("resource \"aws_ecr_repository_policy\" %q {\n  # in account %s; merge with any existing statements\n  repository = %q\n  policy     = %s\n}",
			iamTFIdent(ref.Repository), ref.Account, ref.Repository, iamHeredoc(indented)),
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
		Text: fmt.Sprintf("%s explicitly denies the pull to %s; no Allow can override it. Narrow that statement (e.g. exempt the role with aws:PrincipalArn, or fix the VPC endpoint / organization condition it tests) in the repository policy of %s in account %s. set-repository-policy replaces the whole policy: edit the current one.",
			stmtRef, sub.ARN, ref.Repository, ref.Account),
		TextJA: fmt.Sprintf("%s が %s のプルを明示的に拒否しており、どの Allow でも上書きできません。アカウント %s のリポジトリ %s のリポジトリポリシーで、そのステートメントを限定してください（aws:PrincipalArn でロールを除外する、または VPC エンドポイントや組織の条件を見直す）。set-repository-policy はポリシー全体を置き換えるため、現在のポリシーを編集して設定します。",
			stmtRef, sub.ARN, ref.Account, ref.Repository),
		Commands: []string{
			"aws ecr get-repository-policy --registry-id " + ref.Account + " --repository-name " + ref.Repository + " --region " + ref.Region + " --query policyText --output text > repo-policy.json",
			"# edit the Deny statement in repo-policy.json, then:",
			"aws ecr set-repository-policy --registry-id " + ref.Account + " --repository-name " + ref.Repository + " --region " + ref.Region + " --policy-text file://repo-policy.json",
		},
		Policy:    nil,
		Terraform: fmt.Sprintf("resource \"aws_ecr_repository_policy\" %q {\n  repository = %q\n  # edit the Deny statement %s of the policy document\n  policy     = file(\"repo-policy.json\")\n}", iamTFIdent(ref.Repository), ref.Repository, stmtRef),
		Links:     []string{"https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html", "https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html"},
	}
}
