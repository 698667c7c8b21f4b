package check

import (
	"fmt"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/iampolicy"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// KMSDecrypt checks that the execution role can decrypt secrets and SecureString parameters
// encrypted with a customer managed key. KMS differs from other resource policies: the key
// policy must allow, either the role itself or the account root (which delegates to IAM, so
// the identity policy must then allow too). An identity policy alone grants nothing on a key
// whose policy does not delegate to the account
// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam).
type KMSDecrypt struct{}

// Meta implements Check.
func (KMSDecrypt) Meta() Meta { return kmsDecryptMeta }

var kmsDecryptMeta = Meta{
	ID: "kms-decrypt", Cause: cause.KMSDecrypt, Severity: finding.Error,
	Title:       "The execution role may decrypt the task's secrets with their KMS keys",
	TitleJA:     "タスク実行ロールがシークレットの KMS キーで復号できる",
	Description: "For each Secrets Manager secret (and SecureString parameter) of the task encrypted with a customer managed KMS key: evaluates `kms:Decrypt` on the key ARN with `kms:ViaService` = `secretsmanager.REGION.amazonaws.com` (or `ssm.REGION.amazonaws.com`). The key policy must allow it: either naming the role, or naming the account root (`arn:aws:iam::ACCOUNT:root`), which delegates to IAM so that the role's identity policy must allow it as well. An identity policy alone is not enough. AWS managed keys (`aws/secretsmanager`, `aws/ssm`) pass; a disabled key or one pending deletion fails.",
	Needs:       []string{"secretsmanager:DescribeSecret", "ssm:DescribeParameters", "kms:DescribeKey", "kms:GetKeyPolicy", "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:GetPolicyVersion", "iam:ListRolePolicies", "iam:GetRolePolicy"},
}

// encrypted is one secret or parameter with the key that protects it.
type encrypted struct {
	Ref     secretRef
	ARN     string // the secret's or parameter's ARN
	KeyID   string
	Service string // secretsmanager or ssm
}

// Run implements Check.
func (c KMSDecrypt) Run(s *snapshot.Snapshot) []finding.Finding { return c.appendFindings(nil, s) }

func (c KMSDecrypt) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := kmsDecryptMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	var items []encrypted
	seen := map[string]bool{}
	for _, r := range taskSecretRefs(s) {
		var e encrypted
		switch r.Service {
		case "secretsmanager":
			sec := s.Secret(r.ARN)
			if sec == nil || sec.KmsKeyID == "" || isAWSManagedAlias(sec.KmsKeyID, "secretsmanager") {
				continue // absent secrets are secrets-access's; no key id means aws/secretsmanager
			}
			e = encrypted{Ref: r, ARN: sec.ARN, KeyID: sec.KmsKeyID, Service: "secretsmanager"}
		case "ssm":
			p := s.Parameter(r.ARN)
			if p == nil {
				p = s.Parameter(r.ValueFrom)
			}
			if p == nil || p.Type != "SecureString" || p.KeyID == "" || isAWSManagedAlias(p.KeyID, "ssm") {
				continue
			}
			e = encrypted{Ref: r, ARN: firstNonEmpty(p.ARN, r.ARN), KeyID: p.KeyID, Service: "ssm"}
		default:
			continue
		}
		if seen[e.ARN] {
			continue
		}
		seen[e.ARN] = true
		items = append(items, e)
	}
	if len(items) == 0 {
		return append(dst, newFinding(m, finding.NotApplicable,
			"no secret or SecureString parameter of the task uses a customer managed KMS key",
			"カスタマー管理の KMS キーを使うシークレットや SecureString パラメータはありません"))
	}
	arn := s.ExecutionRoleARN()
	if arn == "" {
		return append(dst, noExecRoleForSecrets(m))
	}
	sub, uf := iamState(s).subject(m, arn, "execution role", "タスク実行ロール")
	if uf != nil {
		return append(dst, *uf)
	}
	for _, e := range items {
		dst = append(dst, c.one(s, m, sub, e))
	}
	return dst
}

// isAWSManagedAlias reports whether a key reference is the service's AWS managed key alias.
func isAWSManagedAlias(keyID, service string) bool {
	return keyID == "alias/aws/"+service || strings.HasSuffix(keyID, ":alias/aws/"+service)
}

func (c KMSDecrypt) one(s *snapshot.Snapshot, m Meta, sub *iamSubject, e encrypted) finding.Finding {
	subject := e.ARN
	ev := []finding.Evidence{{Source: map[string]string{"secretsmanager": "secretsmanager:DescribeSecret", "ssm": "ssm:DescribeParameters"}[e.Service], Ref: e.ARN, Key: "KmsKeyId", Value: e.KeyID}}
	mk := func(st finding.Status, en, ja string) finding.Finding {
		f := newFinding(m, st, en, ja)
		f.Subject = subject
		f.Evidence = append(f.Evidence, ev...)
		return f
	}
	key := s.KMSKey(e.KeyID)
	if key == nil {
		for _, call := range []string{"kms:DescribeKey", "kms:GetKeyPolicy"} {
			if g := s.Gap(call, e.KeyID); g != nil {
				f := mk(finding.Unknown, "cannot decide: KMS key "+e.KeyID+" of "+e.ARN+" could not be read ("+g.Call+": "+g.Error+")",
					"判定できません: "+e.ARN+" の KMS キー "+e.KeyID+" を読み取れませんでした（"+g.Call+": "+g.Error+"）")
				f.Needs = []string{g.Call}
				return f
			}
		}
		f := unknownMissing(m, []string{"kms:DescribeKey", "kms:GetKeyPolicy"}, "KMS key "+e.KeyID+" of "+e.ARN, e.ARN+" の KMS キー "+e.KeyID)
		f.Subject, f.Evidence = subject, ev
		return f
	}
	keyARN := firstNonEmpty(key.ARN, e.KeyID)
	ev = append(ev, finding.Evidence{Source: "kms:DescribeKey", Ref: keyARN, Key: "KeyManager / KeyState", Value: orPlaceholder(key.KeyManager, "?") + " / " + orPlaceholder(key.KeyState, "?")})
	if key.KeyManager == "AWS" {
		return mk(finding.Pass, e.ARN+" uses the AWS managed key "+keyARN+", whose policy lets principals of the account use it through the service",
			e.ARN+" は AWS マネージドキー "+keyARN+" を使っており、そのキーポリシーはサービス経由でアカウント内のプリンシパルに使用を許可しています")
	}
	if key.KeyState != "" && key.KeyState != "Enabled" {
		f := mk(finding.Fail, fmt.Sprintf("KMS key %s of %s is %s: nothing can decrypt with it", keyARN, e.ARN, key.KeyState),
			fmt.Sprintf("%s の KMS キー %s の状態は %s で、復号に使えません", e.ARN, keyARN, key.KeyState))
		cmd := "aws kms enable-key --key-id " + keyARN
		if key.KeyState == "PendingDeletion" {
			cmd = "aws kms cancel-key-deletion --key-id " + keyARN + " && " + cmd
		}
		f.Remediation = &finding.Remediation{
			Text: "Enable the key (cancel its deletion first if it is pending deletion).", TextJA: "キーを有効化してください（削除待ちの場合は先に削除をキャンセルします）。",
			Commands: []string{cmd},
			Links:    []string{"https://docs.aws.amazon.com/kms/latest/developerguide/enabling-keys.html"},
		}
		return f
	}
	if len(key.Policy) == 0 || string(key.Policy) == "null" {
		if g := s.Gap("kms:GetKeyPolicy", keyARN); g != nil {
			f := mk(finding.Unknown, "cannot decide: the key policy of "+keyARN+" could not be read ("+g.Error+")",
				"判定できません: "+keyARN+" のキーポリシーを読み取れませんでした（"+g.Error+"）")
			f.Needs = []string{"kms:GetKeyPolicy"}
			return f
		}
		f := unknownMissing(m, []string{"kms:GetKeyPolicy"}, "the key policy of "+keyARN, keyARN+" のキーポリシー")
		f.Subject, f.Evidence = subject, ev
		return f
	}
	pol, err := parsePolicyCached(key.Policy)
	if err != nil {
		f := mk(finding.Unknown, "cannot decide: the key policy of "+keyARN+" does not parse: "+err.Error(),
			"判定できません: "+keyARN+" のキーポリシーを解析できません: "+err.Error())
		f.Needs = []string{"kms:GetKeyPolicy"}
		return f
	}
	ev = append(ev, finding.Evidence{Source: "kms:GetKeyPolicy", Ref: keyARN, Key: "Policy", Value: shorten(compactJSON(key.Policy), 600)})
	ev = append(ev, sub.policiesEvidence())

	region := firstNonEmpty(arnRegion(keyARN), s.Region)
	keyAccount := firstNonEmpty(arnAccount(keyARN), sub.Account)
	ctx := requestContext(region)
	ctx["kms:ViaService"] = []string{e.Service + "." + region + ".amazonaws.com"}
	ctx["kms:CallerAccount"] = []string{sub.Account}
	ctx["aws:ResourceAccount"] = []string{keyAccount}
	if e.Service == "secretsmanager" {
		ctx["kms:EncryptionContext:SecretARN"] = []string{e.ARN}
	} else {
		ctx["kms:EncryptionContext:PARAMETER_ARN"] = []string{e.ARN}
	}
	keyPol := &iampolicy.NamedPolicy{Name: "key policy of " + keyARN, Policy: pol}
	req := func(resAccount string) iampolicy.Request {
		return iampolicy.Request{PrincipalARN: sub.ARN, Action: "kms:Decrypt", Resource: keyARN, ResourceAccount: resAccount, Context: ctx}
	}
	// Both sides as AWS evaluates them across accounts: the key policy must name the role
	// or its account, and the identity policies must allow. For a key in the role's own
	// account this is exactly KMS's rule for a key policy that delegates to the account
	// root; a key policy naming the role itself is enough on its own (keyOnly). A
	// placeholder resource account forces that evaluation path; aws:ResourceAccount in
	// the context keeps conditions on it honest.
	otherAccount := keyAccount
	if keyAccount == sub.Account {
		otherAccount = "000000000000"
	}
	fixReason := func(d iampolicy.Decision) iampolicy.Decision {
		if otherAccount != keyAccount {
			d.Reason = strings.TrimPrefix(strings.ReplaceAll(d.Reason, otherAccount, keyAccount), "cross-account request: ")
		}
		return d
	}
	full := sub.Set
	full.Resource = keyPol
	delegated := fixReason(iampolicy.Evaluate(full, req(otherAccount)))
	var keyOnly iampolicy.Decision
	if keyAccount == sub.Account {
		keyOnly = iampolicy.Evaluate(iampolicy.PolicySet{Resource: keyPol, SCPs: []iampolicy.SCPLevel{}}, req(""))
	}
	keySide := fixReason(iampolicy.Evaluate(iampolicy.PolicySet{Identity: allowAll, Resource: keyPol, SCPs: []iampolicy.SCPLevel{}}, req(otherAccount)))

	var d iampolicy.Decision
	switch {
	case delegated.Effect == iampolicy.ExplicitDeny:
		d = delegated
	case keyOnly.Effect == iampolicy.Allow:
		d = keyOnly
		if delegated.Effect == iampolicy.Unknown {
			d = delegated // an identity Deny may still apply
		}
	default:
		d = delegated
		if keyOnly.Effect == iampolicy.Unknown && d.Effect != iampolicy.Allow {
			d = keyOnly
		}
	}
	rs := []actionResult{{Action: "kms:Decrypt", Resource: keyARN, Dec: d}}
	f, denied := permFinding(m, sub, subject, phrase{"KMS key " + keyARN + " (for " + e.ARN + ")"}, phrase{"KMS キー " + keyARN + "（" + e.ARN + " 用）"}, rs, ev)
	switch {
	case denied == nil:
	case keySide.Effect == iampolicy.Allow && d.Effect == iampolicy.ImplicitDeny:
		// The key policy delegates to IAM: the identity policy is what is missing.
		f.Remediation = identityRemediation(sub, "ecs-secrets-kms-decrypt",
			iamStmt{Sid: "DecryptTaskSecrets", Effect: "Allow", Action: "kms:Decrypt", Resource: keyARN,
				Condition: map[string]any{"StringEquals": map[string]any{"kms:ViaService": ctx["kms:ViaService"][0]}}}, rs,
			"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html",
			"https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html")
	default:
		f.Remediation = keyPolicyRemediation(s, sub, key, keyARN, ctx["kms:ViaService"][0], d)
	}
	if f.Status == finding.Fail && keySide.Effect == iampolicy.ImplicitDeny {
		f.Message = fmt.Sprintf("the key policy of %s allows neither %s %s nor its account root (arn:%s:iam::%s:root), so no identity policy can grant kms:Decrypt for %s (%s)",
			keyARN, sub.Kind, sub.ARN, iamPartition(s), sub.Account, e.ARN, keySide.Reason)
		f.MessageJA = fmt.Sprintf("%s のキーポリシーは %s %s もそのアカウントのルート（arn:%s:iam::%s:root）も許可していないため、アイデンティティポリシーでは %s の kms:Decrypt を許可できません",
			keyARN, sub.KindJA, sub.ARN, iamPartition(s), sub.Account, e.ARN)
		if d.SCPsAssumed {
			f.Message += scpNote
			f.MessageJA += scpNoteJA
		}
	}
	return f
}

// keyPolicyRemediation adds the role to the key policy (or grants it), keeping the rest of
// the policy: put-key-policy replaces the whole document, and a key policy that loses its
// administrators' statement makes the key unmanageable.
func keyPolicyRemediation(s *snapshot.Snapshot, sub *iamSubject, key *snapshot.KMSKey, keyARN, via string, d iampolicy.Decision) *finding.Remediation {
	st := iamStmt{Sid: "AllowECSExecutionRoleDecrypt", Effect: "Allow", Principal: map[string]any{"AWS": sub.ARN}, Action: "kms:Decrypt", Resource: "*",
		Condition: map[string]any{"StringEquals": map[string]any{"kms:ViaService": via}}}
	compact, indented := iamPolicyJSON(st)
	keyID := firstNonEmpty(key.KeyID, keyARN)
	text := "Add the statement below to the key policy of " + keyARN + ". put-key-policy replaces the whole key policy: fetch it first, add the statement to its Statement list, and put it back (never drop the statement that lets your administrators manage the key). Alternatively grant the role kms:Decrypt with a grant."
	textJA := keyARN + " のキーポリシーに下記のステートメントを追加してください。put-key-policy はキーポリシー全体を置き換えるため、まず取得してから Statement に追加して戻します（管理者がキーを管理するためのステートメントを消さないでください）。グラントで kms:Decrypt を許可する方法もあります。"
	if d.Effect == iampolicy.ExplicitDeny {
		text = decidingText(d) + " explicitly denies kms:Decrypt; remove or narrow it first. " + text
		textJA = decidingText(d) + " が kms:Decrypt を明示的に拒否しています。まずそれを削除・限定してください。" + textJA
	}
	return &finding.Remediation{
		Text: text, TextJA: textJA,
		Commands: []string{
			"aws kms get-key-policy --key-id " + keyID + " --policy-name default --query Policy --output text > key-policy.json",
			"# add the statement to key-policy.json, then:",
			"aws kms put-key-policy --key-id " + keyID + " --policy-name default --policy file://key-policy.json",
			"# or, without editing the key policy:",
			"aws kms create-grant --key-id " + keyARN + " --grantee-principal " + sub.ARN + " --operations Decrypt",
		},
		Policy: compact,
		Terraform: fmt.Sprintf("# add to the policy of the aws_kms_key that manages %s (keep its existing statements):\n# %s\n\n# or:\nresource \"aws_kms_grant\" %q {\n  key_id            = %q\n  grantee_principal = %q\n  operations        = [\"Decrypt\"]\n}",
			keyARN, strings.ReplaceAll(string(indented), "\n", "\n# "), iamTFIdent(sub.Name+"_decrypt"), keyARN, sub.ARN),
		Links: []string{
			"https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying.html",
			"https://docs.aws.amazon.com/kms/latest/developerguide/grants.html",
			"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html",
		},
	}
}
