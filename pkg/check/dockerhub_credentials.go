package check

import (
	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// DockerHubCredentials catches seed cause 5: Docker Hub limits anonymous pulls per source IP
// (all tasks behind one NAT gateway share it), and the usual fix is to pull authenticated
// with repositoryCredentials. Without a rate-limit signal it only notes the exposure; with
// `toomanyrequests` in the stopped reason or a probe that hit the limit, it fails.
type DockerHubCredentials struct{}

// Meta implements Check.
func (DockerHubCredentials) Meta() Meta { return dockerHubCredentialsMeta }

var dockerHubCredentialsMeta = Meta{
	ID: "dockerhub-credentials", Cause: cause.RegistryRateLimit, Severity: finding.Error,
	Title:       "Docker Hub images are pulled with credentials",
	TitleJA:     "Docker Hub のイメージを認証付きでプルしている",
	Description: "For each container whose image is on Docker Hub: passes when `repositoryCredentials` names a Secrets Manager secret; fails when the image is pulled anonymously and the stopped reason (`toomanyrequests`) or a registry probe shows the pull rate limit was hit; otherwise passes with a note that anonymous pulls share the per-IP limit.",
	Needs:       []string{"ecs:DescribeTaskDefinition"},
}

// Run implements Check.
func (c DockerHubCredentials) Run(s *snapshot.Snapshot) []finding.Finding {
	return c.appendFindings(nil, s)
}

func (c DockerHubCredentials) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := dockerHubCredentialsMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	rateLimited := false
	if s.StoppedReason != "" {
		cl := classify(s.StoppedReason).Classification
		rateLimited = cl[0].Cause == cause.RegistryRateLimit
	}
	n := len(dst)
	for _, t := range imageTargets(s) {
		if t.Ref.Kind != imageref.KindDockerHub {
			continue
		}
		name, image, cd := t.Container, t.Image, t.def
		ev := make([]finding.Evidence, 1, 3)
		ev[0] = finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: name, Key: "image", Value: image}
		if cd.RepositoryCredentials != nil && deref(cd.RepositoryCredentials.CredentialsParameter) != "" {
			secret := deref(cd.RepositoryCredentials.CredentialsParameter)
			f := newFinding(m, finding.Pass,
				"container "+name+": Docker Hub image pulled with credentials from "+secret,
				"コンテナ "+name+": Docker Hub のイメージを "+secret+" の認証情報でプルしています")
			f.Subject = name
			f.Evidence = append(ev, finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: name, Key: "repositoryCredentials.credentialsParameter", Value: secret})
			dst = append(dst, f)
			continue
		}
		ev = append(ev, finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: name, Key: "repositoryCredentials", Value: "(none)"})
		probe := s.RegistryProbe(image)
		probeLimited := probe != nil && probe.Outcome == "rate-limited"
		if rateLimited || probeLimited {
			f := newFinding(m, finding.Fail,
				"container "+name+": anonymous pull of "+t.Familiar+" from Docker Hub hit the pull rate limit",
				"コンテナ "+name+": Docker Hub から "+t.Familiar+" を匿名でプルし、プルレート制限に達しました")
			f.Subject = name
			if rateLimited {
				f.Evidence = append(ev, finding.Evidence{Source: "ecs:DescribeTasks", Ref: s.Target.Task, Key: "stoppedReason", Value: truncate(s.StoppedReason, 300)})
			} else {
				f.Evidence = ev
			}
			if probeLimited {
				f.Evidence = append(f.Evidence, finding.Evidence{Source: "registry:HEAD manifest", Ref: image, Key: "ratelimit-remaining", Value: probe.RateLimitRemaining})
			}
			f.Remediation = dockerHubCredentialsRemediation(s, name, t.Familiar)
			dst = append(dst, f)
			continue
		}
		f := newFinding(m, finding.Pass,
			"container "+name+": "+t.Familiar+" is pulled from Docker Hub anonymously; it works until the per-IP pull rate limit is reached (tasks behind one NAT gateway share it)",
			"コンテナ "+name+": "+t.Familiar+" を Docker Hub から匿名でプルしています。IP ごとのプルレート制限に達するまでは動作します（同じ NAT ゲートウェイの背後のタスクは制限を共有します）")
		f.Subject, f.Evidence = name, ev
		dst = append(dst, f)
	}
	if len(dst) == n {
		return append(dst, newFinding(m, finding.NotApplicable, "no Docker Hub image", "Docker Hub のイメージはありません"))
	}
	return dst
}

func dockerHubCredentialsRemediation(s *snapshot.Snapshot, container, familiar string) *finding.Remediation {
	region := s.Region
	if region == "" {
		region = "REGION"
	}
	role := s.ExecutionRoleARN()
	roleName := "ecsTaskExecutionRole"
	if role != "" {
		roleName = snapshot.RoleNameFromARN(role)
	}
	account := s.Account
	if account == "" {
		account = "ACCOUNT_ID"
	}
	secretARN := "arn:aws:secretsmanager:" + region + ":" + account + ":secret:dockerhub-credentials"
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"` + secretARN + `*"}]}`
	return &finding.Remediation{
		Text:   "Pull authenticated: store a Docker Hub username and access token in Secrets Manager as {\"username\":...,\"password\":...}, reference it in repositoryCredentials of container " + container + ", and let the execution role read it. Or stop depending on Docker Hub: an ECR pull-through cache rule, or copy " + familiar + " into your own ECR repository.",
		TextJA: "認証付きでプルしてください: Docker Hub のユーザー名とアクセストークンを {\"username\":...,\"password\":...} の形式で Secrets Manager に保存し、コンテナ " + container + " の repositoryCredentials で参照して、タスク実行ロールに読み取りを許可します。または ECR プルスルーキャッシュや、" + familiar + " を自分の ECR リポジトリへコピーして Docker Hub への依存をなくしてください。",
		Commands: []string{
			"aws secretsmanager create-secret --region " + region + " --name dockerhub-credentials --secret-string '{\"username\":\"DOCKERHUB_USER\",\"password\":\"DOCKERHUB_ACCESS_TOKEN\"}'",
			"aws iam put-role-policy --role-name " + roleName + " --policy-name read-dockerhub-credentials --policy-document '" + policy + "'",
		},
		Policy: []byte(policy),
		Terraform: `# in the container definition of "` + container + `":
repositoryCredentials = {
  credentialsParameter = aws_secretsmanager_secret.dockerhub.arn
}`,
		Links: dockerHubCredentialsLinks,
	}
}

// Shared by every report that quotes them: read-only.
var dockerHubCredentialsLinks = []string{
	"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/private-auth.html",
	"https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html",
}
