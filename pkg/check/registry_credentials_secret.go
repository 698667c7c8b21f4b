package check

import (
	"fmt"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// RegistryCredentialsSecret checks the secret behind a container's repositoryCredentials,
// which the ECS agent reads before the pull: the pull never starts when it is missing, being
// deleted, an SSM parameter instead of a secret, or not the JSON object
// {"username": ..., "password": ...} the agent expects. Only the secret's metadata and, when
// the user asked for it, its shape are looked at — never its value. Whether the execution
// role may read it is the secrets-access check's question.
type RegistryCredentialsSecret struct{}

// Meta implements Check.
func (RegistryCredentialsSecret) Meta() Meta { return registryCredentialsSecretMeta }

var registryCredentialsSecretMeta = Meta{
	ID: "registry-credentials-secret", Cause: cause.RegistryAuth, Severity: finding.Error,
	Title:       "The repositoryCredentials secret exists and has the right shape",
	TitleJA:     "repositoryCredentials のシークレットが存在し、正しい形式である",
	Description: "For each container with `repositoryCredentials`: `credentialsParameter` names a Secrets Manager secret (not an SSM parameter; a bare name is looked up in the task's region, a full ARN may name another region or account); the secret exists (`secretsmanager:DescribeSecret`) and is not scheduled for deletion; and, when the collector inspected its format (`--inspect-secret-format`, which keeps only yes/no facts and drops the value), it is a JSON object with `username` and `password`. Whether the execution role may read the secret is checked by `secrets-access`.",
	Needs:       []string{"ecs:DescribeTaskDefinition", "secretsmanager:DescribeSecret"},
}

// Run implements Check.
func (c RegistryCredentialsSecret) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (c RegistryCredentialsSecret) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := registryCredentialsSecretMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	n := len(dst)
	containers := s.Containers()
	for i := range containers {
		cd := &containers[i]
		if cd.RepositoryCredentials == nil {
			continue
		}
		dst = append(dst, c.one(s, m, deref(cd.Name), deref(cd.Image), deref(cd.RepositoryCredentials.CredentialsParameter)))
	}
	if len(dst) == n {
		return append(dst, newFinding(m, finding.NotApplicable, "no container uses repositoryCredentials", "repositoryCredentials を使うコンテナはありません"))
	}
	return dst
}

const secretsAccessNote = " (whether the execution role may read it is checked by secrets-access)"
const secretsAccessNoteJA = "（タスク実行ロールが読み取れるかは secrets-access で確認します）"

func (c RegistryCredentialsSecret) one(s *snapshot.Snapshot, m Meta, container, image, param string) finding.Finding {
	ev := []finding.Evidence{
		{Source: "ecs:DescribeTaskDefinition", Ref: container, Key: "image", Value: image},
		{Source: "ecs:DescribeTaskDefinition", Ref: container, Key: "repositoryCredentials.credentialsParameter", Value: param},
	}
	fail := func(en, ja string, rem *finding.Remediation) finding.Finding {
		f := newFinding(m, finding.Fail, "container "+container+": "+en, "コンテナ "+container+": "+ja)
		f.Subject, f.Evidence, f.Remediation = container, ev, rem
		return f
	}
	region := orPlaceholder(s.Region, "REGION")
	if param == "" {
		return fail("repositoryCredentials has no credentialsParameter", "repositoryCredentials に credentialsParameter がありません",
			credentialsSecretRemediation(s, container, "", "create"))
	}
	arnParts := strings.SplitN(param, ":", 7)
	if strings.HasPrefix(param, "arn:") {
		if len(arnParts) < 6 || arnParts[2] != "secretsmanager" {
			svc := ""
			if len(arnParts) > 2 {
				svc = arnParts[2]
			}
			return fail(fmt.Sprintf("credentialsParameter %s is a %s ARN; repositoryCredentials only accepts a Secrets Manager secret", param, orPlaceholder(svc, "non-Secrets-Manager")),
				fmt.Sprintf("credentialsParameter %s は %s の ARN です。repositoryCredentials は Secrets Manager のシークレットしか受け付けません", param, orPlaceholder(svc, "Secrets Manager 以外")),
				credentialsSecretRemediation(s, container, "", "create"))
		}
		// A full ARN may name a secret in another region (or account): the agent reads it
		// there. Only a bare name is looked up in the task's region.
		// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/private-auth.html
		if sr := arnParts[3]; sr != "" {
			region = sr
		}
	} else if strings.HasPrefix(param, "/") || strings.HasPrefix(param, "parameter/") {
		return fail("credentialsParameter "+param+" looks like an SSM parameter name; repositoryCredentials only accepts a Secrets Manager secret (ARN, or name in the task's region)",
			"credentialsParameter "+param+" は SSM パラメータ名のようです。repositoryCredentials は Secrets Manager のシークレット（ARN、または同じリージョンならシークレット名）しか受け付けません",
			credentialsSecretRemediation(s, container, "", "create"))
	}

	sec := s.Secret(param)
	if sec == nil {
		g := gapWithRef(s, "secretsmanager:DescribeSecret", param)
		if g == nil {
			g = s.Gap("secretsmanager:DescribeSecret", "")
		}
		switch {
		case g != nil && g.Error == errResourceNotFound:
			ev = append(ev, finding.Evidence{Source: "secretsmanager:DescribeSecret", Ref: param, Key: "error", Value: g.Error})
			return fail("secret not found: "+param, "シークレットが見つかりません: "+param, credentialsSecretRemediation(s, container, param, "create"))
		case g != nil:
			f := unknownFromGap(m, g, "secret "+param, "シークレット "+param)
			f.Subject = container
			return f
		case s.Source == "preflight":
			f := unknownMissing(m, []string{"secretsmanager:DescribeSecret"}, "secret "+param, "シークレット "+param)
			f.Subject, f.Evidence = container, ev
			return f
		}
		ev = append(ev, finding.Evidence{Source: "secretsmanager:DescribeSecret", Ref: param, Key: "found", Value: "no"})
		return fail("secret not found: "+param+" (not among the secrets the collector described in "+region+")",
			"シークレットが見つかりません: "+param+"（"+region+" で取得したシークレットにありません）",
			credentialsSecretRemediation(s, container, param, "create"))
	}
	ev = append(ev, finding.Evidence{Source: "secretsmanager:DescribeSecret", Ref: sec.ARN, Key: "name", Value: sec.Name})
	if sec.DeletedDate != nil {
		ev = append(ev, finding.Evidence{Source: "secretsmanager:DescribeSecret", Ref: sec.ARN, Key: "deletedDate", Value: fmtTime(sec.DeletedDate)})
		return fail("secret "+sec.ARN+" is scheduled for deletion ("+fmtTime(sec.DeletedDate)+"); the agent cannot read it",
			"シークレット "+sec.ARN+" は削除予定です（"+fmtTime(sec.DeletedDate)+"）。エージェントは読み取れません",
			credentialsSecretRemediation(s, container, sec.ARN, "restore"))
	}
	if sf := sec.Format; sf != nil {
		ev = append(ev, finding.Evidence{Source: "secretsmanager:GetSecretValue (shape only)", Ref: sec.ARN, Key: "format",
			Value: fmt.Sprintf("is JSON: %s, has username: %s, has password: %s", yesNo(sf.IsJSON), yesNo(sf.HasUsername), yesNo(sf.HasPassword))})
		var missing []string
		if !sf.IsJSON {
			return fail("secret "+sec.ARN+" is not a JSON object; repositoryCredentials needs {\"username\":\"...\",\"password\":\"...\"}",
				"シークレット "+sec.ARN+" は JSON オブジェクトではありません。repositoryCredentials には {\"username\":\"...\",\"password\":\"...\"} が必要です",
				credentialsSecretRemediation(s, container, sec.ARN, "put"))
		}
		if !sf.HasUsername {
			missing = append(missing, "username")
		}
		if !sf.HasPassword {
			missing = append(missing, "password")
		}
		if len(missing) > 0 {
			return fail("secret "+sec.ARN+" is JSON but lacks the key(s) "+strings.Join(missing, ", ")+"; repositoryCredentials needs {\"username\":\"...\",\"password\":\"...\"}",
				"シークレット "+sec.ARN+" は JSON ですがキー "+strings.Join(missing, ", ")+" がありません。repositoryCredentials には {\"username\":\"...\",\"password\":\"...\"} が必要です",
				credentialsSecretRemediation(s, container, sec.ARN, "put"))
		}
		f := newFinding(m, finding.Pass,
			"container "+container+": secret "+sec.ARN+" exists and holds username and password"+secretsAccessNote,
			"コンテナ "+container+": シークレット "+sec.ARN+" は存在し、username と password を含みます"+secretsAccessNoteJA)
		f.Subject, f.Evidence = container, ev
		return f
	}
	f := newFinding(m, finding.Pass,
		"container "+container+": secret "+sec.ARN+" exists; its format was not inspected (collect with --inspect-secret-format to check for username/password)"+secretsAccessNote,
		"コンテナ "+container+": シークレット "+sec.ARN+" は存在します。形式は未確認です（--inspect-secret-format で username/password の有無を確認できます）"+secretsAccessNoteJA)
	f.Subject, f.Evidence = container, ev
	return f
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// credentialsSecretRemediation: action is "create", "put" (fix the value's shape) or
// "restore".
func credentialsSecretRemediation(s *snapshot.Snapshot, container, secret, action string) *finding.Remediation {
	region := orPlaceholder(s.Region, "REGION")
	name := "registry-credentials/" + orPlaceholder(container, "app")
	value := `'{"username":"REGISTRY_USER","password":"REGISTRY_TOKEN"}'`
	links := []string{
		"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/private-auth.html",
		"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_repositoryCredentials",
	}
	tf := `resource "aws_secretsmanager_secret" "registry" {
  name = "` + name + `"
}
# container definition "` + container + `":
repositoryCredentials = { credentialsParameter = aws_secretsmanager_secret.registry.arn }`
	switch {
	case action == "put":
		return &finding.Remediation{
			Text:   "Store the registry credentials as a JSON object with exactly the keys username and password (use an access token as the password), then start the task again.",
			TextJA: "レジストリの認証情報を username と password のキーを持つ JSON オブジェクトとして保存し（password にはアクセストークンを使えます）、タスクを再度起動してください。",
			Commands: []string{
				"aws secretsmanager put-secret-value --region " + region + " --secret-id " + secret + " --secret-string " + value,
			},
			Terraform: `resource "aws_secretsmanager_secret_version" "registry" {
  secret_id     = "` + secret + `"
  secret_string = jsonencode({ username = var.registry_user, password = var.registry_token })
}`,
			Links: links,
		}
	case action == "restore":
		return &finding.Remediation{
			Text:     "Cancel the deletion of the secret (or point repositoryCredentials at a live one).",
			TextJA:   "シークレットの削除を取り消してください（または有効なシークレットを repositoryCredentials に指定してください）。",
			Commands: []string{"aws secretsmanager restore-secret --region " + region + " --secret-id " + secret},
			Links:    append(links, "https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_restore-secret.html"),
		}
	}
	return &finding.Remediation{
		Text:   "Create a Secrets Manager secret in " + region + " holding {\"username\":...,\"password\":...} and put its ARN in repositoryCredentials.credentialsParameter of container " + container + "; the execution role needs secretsmanager:GetSecretValue on it.",
		TextJA: region + " に {\"username\":...,\"password\":...} を保存した Secrets Manager のシークレットを作成し、その ARN をコンテナ " + container + " の repositoryCredentials.credentialsParameter に指定してください。タスク実行ロールには secretsmanager:GetSecretValue の許可が必要です。",
		Commands: []string{
			"aws secretsmanager create-secret --region " + region + " --name " + name + " --secret-string " + value,
		},
		Terraform: tf,
		Links:     links,
	}
}
