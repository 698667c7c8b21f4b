package check

import (
	"fmt"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/iampolicy"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// SecretsAccess checks every secret the task asks ECS to fetch before its containers start:
// `secrets`, `logConfiguration.secretOptions` and `repositoryCredentials`. Any one of them
// unreadable stops the task with "ResourceInitializationError: unable to pull secrets or
// registry auth", the same phase and wording as an ECR auth failure, so both must be ruled
// in or out together
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
type SecretsAccess struct{}

// Meta implements Check.
func (SecretsAccess) Meta() Meta { return secretsAccessMeta }

var secretsAccessMeta = Meta{
	ID: "secrets-access", Cause: cause.SecretsAccess, Severity: finding.Error,
	Title:       "Every secret and parameter of the task exists and the execution role may read it",
	TitleJA:     "タスクのシークレットとパラメータが存在し、タスク実行ロールが読み取れる",
	Description: "For every `secrets` entry, `logConfiguration.secretOptions` entry and `repositoryCredentials.credentialsParameter`: a Secrets Manager reference (full or partial ARN, including the `:json-key:version-stage:version-id` suffixes, of which the secret ARN is the first seven fields) needs `secretsmanager:GetSecretValue` on the secret, evaluated over the execution role's policies with the secret's resource policy as the resource-based policy; an SSM parameter (ARN or name, which ECS expands to `arn:aws:ssm:REGION:ACCOUNT:parameter/NAME`) needs `ssm:GetParameters`. The secret or parameter must exist: absent from the snapshot fails as not found, an unreadable one is unknown. KMS keys are checked by `kms-decrypt`.",
	Needs:       []string{"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "ssm:DescribeParameters", "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:GetPolicyVersion", "iam:ListRolePolicies", "iam:GetRolePolicy"},
}

// secretRef is one reference of the task to a secret or parameter.
type secretRef struct {
	Container string
	Field     string // "secrets[DB_PASSWORD]", "repositoryCredentials", "secretOptions[...]"
	ValueFrom string
	// Service is "secretsmanager" or "ssm".
	Service string
	// ARN is the secret's ARN (first seven fields) or the parameter's ARN.
	ARN string
}

// taskSecretRefs lists the task's secret references in definition order.
func taskSecretRefs(s *snapshot.Snapshot) []secretRef {
	var out []secretRef
	add := func(container, field, v string, credentials bool) {
		if v == "" {
			return
		}
		out = append(out, resolveSecretRef(s, container, field, v, credentials))
	}
	for _, cd := range s.Containers() {
		name := deref(cd.Name)
		for _, sec := range cd.Secrets {
			add(name, "secrets["+deref(sec.Name)+"]", deref(sec.ValueFrom), false)
		}
		if cd.LogConfiguration != nil {
			for _, sec := range cd.LogConfiguration.SecretOptions {
				add(name, "logConfiguration.secretOptions["+deref(sec.Name)+"]", deref(sec.ValueFrom), false)
			}
		}
		if cd.RepositoryCredentials != nil {
			add(name, "repositoryCredentials", deref(cd.RepositoryCredentials.CredentialsParameter), true)
		}
	}
	return out
}

// resolveSecretRef works out what a valueFrom names. repositoryCredentials always names a
// Secrets Manager secret; elsewhere a bare name is an SSM parameter in the task's region.
func resolveSecretRef(s *snapshot.Snapshot, container, field, v string, credentials bool) secretRef {
	r := secretRef{Container: container, Field: field, ValueFrom: v}
	account := firstNonEmpty(s.Account, s.Target.Account)
	if strings.HasPrefix(v, "arn:") {
		parts := strings.Split(v, ":")
		if len(parts) >= 3 {
			r.Service = parts[2]
		}
		switch {
		case r.Service == "secretsmanager" && len(parts) >= 7:
			r.ARN = strings.Join(parts[:7], ":")
		default:
			r.ARN = v
		}
		return r
	}
	if credentials {
		r.Service = "secretsmanager"
		r.ARN = "arn:" + iamPartition(s) + ":secretsmanager:" + s.Region + ":" + account + ":secret:" + v
		return r
	}
	r.Service = "ssm"
	r.ARN = "arn:" + iamPartition(s) + ":ssm:" + s.Region + ":" + account + ":parameter/" + strings.TrimPrefix(v, "/")
	return r
}

// Run implements Check.
func (c SecretsAccess) Run(s *snapshot.Snapshot) []finding.Finding { return c.appendFindings(nil, s) }

func (c SecretsAccess) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := secretsAccessMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	refs := taskSecretRefs(s)
	if len(refs) == 0 {
		return append(dst, newFinding(m, finding.NotApplicable,
			"the task uses no secrets, secretOptions or repositoryCredentials",
			"タスクは secrets、secretOptions、repositoryCredentials を使っていません"))
	}
	arn := s.ExecutionRoleARN()
	if arn == "" {
		return append(dst, noExecRoleForSecrets(m))
	}
	// A finding about the role replaces the ones this check added before it.
	start := len(dst)
	var sub *iamSubject
	for _, r := range refs {
		if r.Service != "secretsmanager" && r.Service != "ssm" {
			f := newFinding(m, finding.Fail,
				"container "+r.Container+": "+r.Field+" = "+r.ValueFrom+" is neither a Secrets Manager secret nor an SSM parameter",
				"コンテナ "+r.Container+": "+r.Field+" = "+r.ValueFrom+" は Secrets Manager のシークレットでも SSM パラメータでもありません")
			f.Subject = r.Container + " " + r.Field
			f.Evidence = []finding.Evidence{{Source: "ecs:DescribeTaskDefinition", Ref: r.Container, Key: r.Field, Value: r.ValueFrom}}
			f.Remediation = &finding.Remediation{
				Text:   "Use the ARN of a Secrets Manager secret (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME) or of an SSM parameter (or its name) in valueFrom.",
				TextJA: "valueFrom には Secrets Manager シークレットの ARN、または SSM パラメータの ARN（か名前）を指定してください。",
				Links:  []string{"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specifying-sensitive-data.html"},
			}
			dst = append(dst, f)
			continue
		}
		if sub == nil {
			var uf *finding.Finding
			if sub, uf = iamState(s).subject(m, arn, "execution role", "タスク実行ロール"); uf != nil {
				return append(dst[:start], *uf)
			}
		}
		dst = append(dst, c.one(s, m, sub, r))
	}
	return dst
}

func (c SecretsAccess) one(s *snapshot.Snapshot, m Meta, sub *iamSubject, r secretRef) finding.Finding {
	subject := r.Container + " " + r.Field
	ev := []finding.Evidence{{Source: "ecs:DescribeTaskDefinition", Ref: r.Container, Key: r.Field, Value: r.ValueFrom}}
	mk := func(st finding.Status, en, ja string) finding.Finding {
		f := newFinding(m, st, "container "+r.Container+": "+en, "コンテナ "+r.Container+": "+ja)
		f.Subject = subject
		f.Evidence = append(f.Evidence, ev...)
		return f
	}
	set := sub.Set
	resource := r.ARN
	action := "ssm:GetParameters"
	readCall := "ssm:DescribeParameters"
	what := "SSM parameter " + r.ARN
	whatJA := "SSM パラメータ " + r.ARN
	var present bool
	if r.Service == "secretsmanager" {
		action, readCall = "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"
		what, whatJA = "secret "+r.ARN, "シークレット "+r.ARN
		if sec := s.Secret(r.ARN); sec != nil {
			present = true
			resource = sec.ARN
			ev = append(ev, finding.Evidence{Source: readCall, Ref: sec.ARN, Key: "ARN", Value: sec.ARN})
			if sec.DeletedDate != nil {
				f := mk(finding.Fail, what+" is scheduled for deletion ("+fmtTime(sec.DeletedDate)+") and cannot be read",
					what+" は削除予定（"+fmtTime(sec.DeletedDate)+"）のため読み取れません")
				f.Remediation = &finding.Remediation{
					Text: "Restore the secret, or point valueFrom at another secret.", TextJA: "シークレットを復元するか、valueFrom を別のシークレットに向けてください。",
					Commands: []string{"aws secretsmanager restore-secret --secret-id " + sec.ARN},
					Links:    []string{"https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_restore-secret.html"},
				}
				return f
			}
			if g := gapWithRef(s, "secretsmanager:GetResourcePolicy", sec.ARN, r.ARN, r.ValueFrom); g != nil {
				f := mk(finding.Unknown, "cannot decide: the resource policy of "+what+" could not be read ("+g.Error+")",
					"判定できません: "+whatJA+" のリソースポリシーを読み取れませんでした（"+g.Error+"）")
				f.Needs = []string{g.Call}
				return f
			}
			if len(sec.ResourcePolicy) > 0 && string(sec.ResourcePolicy) != "null" {
				p, err := parsePolicyCached(sec.ResourcePolicy)
				if err != nil {
					f := mk(finding.Unknown, "cannot decide: the resource policy of "+what+" does not parse: "+err.Error(),
						"判定できません: "+whatJA+" のリソースポリシーを解析できません: "+err.Error())
					f.Needs = []string{"secretsmanager:GetResourcePolicy"}
					return f
				}
				set.Resource = &iampolicy.NamedPolicy{Name: "resource policy of " + sec.ARN, Policy: p}
				ev = append(ev, finding.Evidence{Source: "secretsmanager:GetResourcePolicy", Ref: sec.ARN, Key: "ResourcePolicy", Value: shorten(compactJSON(sec.ResourcePolicy), 400)})
			}
		}
	} else if p := s.Parameter(r.ARN); p != nil || s.Parameter(r.ValueFrom) != nil {
		if p == nil {
			p = s.Parameter(r.ValueFrom)
		}
		present = true
		resource = firstNonEmpty(p.ARN, r.ARN)
		ev = append(ev, finding.Evidence{Source: readCall, Ref: resource, Key: "Type", Value: p.Type})
	}
	if !present {
		g := gapWithRef(s, readCall, r.ValueFrom, r.ARN)
		if g == nil {
			g = s.Gap(readCall, "")
			if g != nil && g.Ref != "" {
				g = nil
			}
		}
		if g != nil && g.Error != errResourceNotFound && g.Error != "ParameterNotFound" {
			f := mk(finding.Unknown, "cannot decide: "+what+" could not be read ("+g.Call+": "+g.Error+")",
				"判定できません: "+whatJA+" を読み取れませんでした（"+g.Call+": "+g.Error+"）")
			f.Needs = []string{g.Call}
			f.Evidence = append(f.Evidence, finding.Evidence{Source: g.Call, Ref: orPlaceholder(g.Ref, r.ARN), Key: "error", Value: g.Error})
			return f
		}
		val := "not in the snapshot"
		if g != nil {
			val = g.Error
		}
		f := mk(finding.Fail, what+" was not found", whatJA+" が見つかりません")
		f.Evidence = append(f.Evidence, finding.Evidence{Source: readCall, Ref: r.ARN, Key: "found", Value: val})
		f.Remediation = notFoundRemediation(s, r)
		return f
	}
	region := firstNonEmpty(arnRegion(resource), s.Region)
	resAccount := arnAccount(resource)
	if resAccount == sub.Account {
		resAccount = ""
	}
	var buf [1]actionResult
	rs := evalActions(buf[:0], set, sub.ARN, resource, resAccount, sharedRequestContext(region), action)
	f, denied := permFinding(m, sub, subject, phrase{what}, phrase{whatJA}, rs, ev)
	if denied != nil {
		res := resource
		if r.Service == "secretsmanager" && s.Secret(r.ARN) == nil {
			res = r.ARN + "-??????"
		}
		rem := identityRemediation(sub, "ecs-secrets-"+iamTFIdent(lastPart(res)),
			iamStmt{Sid: "ReadTaskSecret", Effect: "Allow", Action: action, Resource: res}, denied,
			"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html",
			"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html#task-execution-secrets")
		if set.Resource != nil && denied[0].Dec.Effect == iampolicy.ExplicitDeny {
			for _, ref := range denied[0].Dec.Deciding {
				if ref.Policy == set.Resource.Name {
					rem.Text = "The secret's resource policy (" + iamStmtName(ref) + ") explicitly denies " + action + " to the role: edit it (aws secretsmanager get-resource-policy / put-resource-policy). " + rem.Text
					rem.TextJA = "シークレットのリソースポリシー（" + iamStmtName(ref) + "）がロールの " + action + " を明示的に拒否しています。get-resource-policy / put-resource-policy で修正してください。" + rem.TextJA
					rem.Commands = append(rem.Commands, "aws secretsmanager get-resource-policy --secret-id "+resource+" --query ResourcePolicy --output text > secret-policy.json",
						"aws secretsmanager put-resource-policy --secret-id "+resource+" --resource-policy file://secret-policy.json")
					break
				}
			}
		}
		f.Remediation = rem
	}
	return f
}

func lastPart(arn string) string {
	if i := strings.LastIndexAny(arn, ":/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// notFoundRemediation is the fix for a secret or parameter that does not exist.
func notFoundRemediation(s *snapshot.Snapshot, r secretRef) *finding.Remediation {
	region := firstNonEmpty(arnRegion(r.ARN), s.Region)
	if r.Service == "secretsmanager" {
		_, name, ok := strings.Cut(r.ARN, ":secret:")
		if !ok {
			name = lastPart(r.ARN)
		}
		return &finding.Remediation{
			Text:   "The secret does not exist in " + region + " (or the ARN has a typo, or names another account or region). Find the right one, or create it, then fix valueFrom and register a new task definition revision. Note that a full ARN must include the 6-character suffix Secrets Manager appends.",
			TextJA: "シークレットが " + region + " に存在しません（ARN の誤記、または別のアカウントやリージョンを指している可能性があります）。正しいシークレットを探すか作成し、valueFrom を直してタスク定義の新しいリビジョンを登録してください。完全な ARN には Secrets Manager が付ける 6 文字のサフィックスが必要です。",
			Commands: []string{
				"aws secretsmanager list-secrets --region " + region + " --filters Key=name,Values=" + strings.TrimSuffix(name, "-??????"),
				"aws secretsmanager create-secret --region " + region + " --name " + name + " --secret-string file://secret.json",
			},
			Terraform: fmt.Sprintf("resource \"aws_secretsmanager_secret\" %q {\n  name = %q\n}", iamTFIdent(name), name),
			Links:     []string{"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html"},
		}
	}
	_, name, ok := strings.Cut(r.ARN, ":parameter")
	if !ok {
		name = lastPart(r.ARN)
	}
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	if !strings.HasPrefix(r.ValueFrom, "/") && !strings.HasPrefix(r.ValueFrom, "arn:") {
		name = r.ValueFrom
	}
	return &finding.Remediation{
		Text:   "The SSM parameter does not exist in " + region + " (or the name has a typo; names are case-sensitive and a hierarchical name starts with /). Create it or fix valueFrom.",
		TextJA: "SSM パラメータが " + region + " に存在しません（名前の誤記の可能性があります。名前は大文字と小文字を区別し、階層名は / で始まります）。作成するか valueFrom を直してください。",
		Commands: []string{
			"aws ssm describe-parameters --region " + region + " --parameter-filters Key=Name,Option=Contains,Values=" + lastPart(name),
			"aws ssm put-parameter --region " + region + " --name " + name + " --type SecureString --value '...'",
		},
		Terraform: fmt.Sprintf("resource \"aws_ssm_parameter\" %q {\n  name  = %q\n  type  = \"SecureString\"\n  value = var.%s\n}", iamTFIdent(name), name, iamTFIdent(name)),
		Links:     []string{"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-ssm-paramstore.html"},
	}
}
