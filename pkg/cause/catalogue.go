package cause

import "fmt"

// Text is one piece of user-facing prose in every language pulldoctor speaks.
// The Japanese is written for Japanese readers, not translated word for word.
type Text struct{ EN, JA string }

// In returns the text for lang: Japanese for "ja" (or "ja-JP", "ja_JP.UTF-8",
// as LANG spells it) when it has been written, English otherwise. Falling back
// to English keeps a half-translated entry readable instead of blank.
func (t Text) In(lang string) string {
	if isJapanese(lang) && t.JA != "" {
		return t.JA
	}
	return t.EN
}

func isJapanese(lang string) bool {
	return len(lang) >= 2 && (lang[0] == 'j' || lang[0] == 'J') && (lang[1] == 'a' || lang[1] == 'A') &&
		(len(lang) == 2 || lang[2] == '-' || lang[2] == '_' || lang[2] == '.')
}

// Info is the catalogue entry for one cause: what renderers show next to a
// finding or a classification. Remediation is generic prose; the checks add
// commands and policies specific to the resources they looked at.
type Info struct {
	ID          ID
	Title       Text
	Explanation Text
	WhatToCheck []Text
	Remediation Text
	Links       []string // AWS (or registry) documentation
	SeedSection int      // section of the Japanese seed article this cause comes from; 0 if none
}

// Lookup returns the catalogue entry for id.
func Lookup(id ID) (Info, bool) {
	i, ok := index[id]
	if !ok {
		return Info{}, false
	}
	return clone(catalogue[i]), true
}

// MustLookup is Lookup for ids known at compile time (the constants of this
// package); an id without an entry is a programming error, so it panics.
func MustLookup(id ID) Info {
	info, ok := Lookup(id)
	if !ok {
		panic(fmt.Sprintf("cause: no catalogue entry for id %q", id))
	}
	return info
}

// Catalogue returns every entry in the order of All. The result is a copy;
// callers may modify it.
func Catalogue() []Info {
	out := make([]Info, len(catalogue))
	for i, info := range catalogue {
		out[i] = clone(info)
	}
	return out
}

// clone copies the slices so that no caller can edit the shared catalogue.
func clone(info Info) Info {
	info.WhatToCheck = append([]Text(nil), info.WhatToCheck...)
	info.Links = append([]string(nil), info.Links...)
	return info
}

var index = func() map[ID]int {
	m := make(map[ID]int, len(catalogue))
	for i, info := range catalogue {
		m[info.ID] = i
	}
	return m
}()

// Documentation links, each checked against the published page.
const (
	linkCannotPull      = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html"
	linkStoppedErrors   = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html"
	linkExecRole        = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html"
	linkInstanceRole    = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/instance_IAM_role.html"
	linkPrivateAuth     = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/private-auth.html"
	linkSecretsEnv      = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html"
	linkAwslogs         = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html"
	linkFargateNet      = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html"
	linkPV14            = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/platform-version-migration.html"
	linkECSVPCE         = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html"
	linkImageParam      = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_image"
	linkRuntimePlatform = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#runtime-platform"
	linkECRVPCE         = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html"
	linkECRRequests     = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-requests.html"
	linkRepoPolicy      = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html"
	linkPullThrough     = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html"
	linkPullThroughUse  = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-working.html"
	linkSMEncryption    = "https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html"
	linkVPCDNS          = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html"
	linkRepostFargate   = "https://repost.aws/knowledge-center/ecs-fargate-pull-container-error"
	linkDockerHubUsage  = "https://docs.docker.com/docker-hub/usage/"
)

// catalogue holds one entry per id, in the order of All (a test keeps the two
// in step).
var catalogue = []Info{
	{
		ID: ExecRoleMissing,
		Title: Text{
			EN: "The task has no execution role",
			JA: "タスク実行ロールが設定されていない",
		},
		Explanation: Text{
			EN: "Pulling a private ECR image, sending logs with awslogs, injecting secrets and using repositoryCredentials are all done by the ECS agent on the task's behalf, with the task execution role's credentials. " +
				"On Fargate a task that needs any of these and has no executionRoleArn cannot start. " +
				"On the EC2 launch type the agent falls back to the container instance role for ECR pulls and awslogs, so that role must then hold the permissions; secrets and repositoryCredentials always need an execution role.",
			JA: "プライベート ECR からのイメージ取得、awslogs によるログ送信、シークレットの注入、repositoryCredentials による認証は、いずれも ECS エージェントがタスク実行ロールの権限で行います。" +
				"Fargate では、これらが必要なのに executionRoleArn が未設定だとタスクは起動できません。" +
				"EC2 起動タイプでは ECR のプルと awslogs に限りコンテナインスタンスロールが代わりに使われるため、そのロールに権限が必要です。シークレットと repositoryCredentials には常に実行ロールが必要です。",
		},
		WhatToCheck: []Text{
			{EN: "executionRoleArn in the task definition revision the task actually ran", JA: "実際に起動したリビジョンのタスク定義に executionRoleArn があるか"},
			{EN: "whether the image is in private ECR, or the task uses awslogs, secrets or repositoryCredentials", JA: "イメージがプライベート ECR にあるか、awslogs・secrets・repositoryCredentials を使っているか"},
			{EN: "on EC2 without an execution role: the container instance role's ECR and CloudWatch Logs permissions", JA: "EC2 で実行ロールがない場合は、コンテナインスタンスロールに ECR と CloudWatch Logs の権限があるか"},
		},
		Remediation: Text{
			EN: "Create a task execution role (trusted by ecs-tasks.amazonaws.com), attach the AWS managed policy AmazonECSTaskExecutionRolePolicy or an equivalent policy, set it as executionRoleArn, register a new task definition revision and redeploy.",
			JA: "ecs-tasks.amazonaws.com を信頼するタスク実行ロールを作成し、マネージドポリシー AmazonECSTaskExecutionRolePolicy（または同等のポリシー）をアタッチします。executionRoleArn に設定して新しいリビジョンを登録し、デプロイし直してください。",
		},
		Links:       []string{linkExecRole, linkInstanceRole, linkCannotPull},
		SeedSection: 1,
	},
	{
		ID: ExecRolePermissions,
		Title: Text{
			EN: "The execution role lacks ECR pull permissions",
			JA: "タスク実行ロールに ECR の権限が足りない",
		},
		Explanation: Text{
			EN: "To pull from ECR the execution role needs ecr:GetAuthorizationToken, which only works with Resource \"*\" because it is not tied to a repository, and ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and ecr:BatchCheckLayerAvailability on the repository. " +
				"A missing action, a Resource that does not match the repository ARN, an explicit Deny, a permissions boundary or an SCP all produce the same failed pull, often reported as \"unable to retrieve ecr registry auth\" or \"403 Forbidden\".",
			JA: "ECR からプルするには、実行ロールに ecr:GetAuthorizationToken（リポジトリ単位の指定ができないため Resource は \"*\" にする必要があります）と、対象リポジトリへの ecr:BatchGetImage・ecr:GetDownloadUrlForLayer・ecr:BatchCheckLayerAvailability が必要です。" +
				"アクションの不足、Resource とリポジトリ ARN の不一致、明示的な Deny、アクセス許可の境界、SCP のどれでも同じようにプルが失敗し、\"unable to retrieve ecr registry auth\" や \"403 Forbidden\" と表示されることが多いです。",
		},
		WhatToCheck: []Text{
			{EN: "the role's attached and inline policies allow the four ECR actions", JA: "ロールのアタッチ済み・インラインポリシーで 4 つの ECR アクションが許可されているか"},
			{EN: "ecr:GetAuthorizationToken is granted on Resource \"*\", not on a repository ARN", JA: "ecr:GetAuthorizationToken が リポジトリ ARN ではなく Resource \"*\" で許可されているか"},
			{EN: "no explicit Deny, permissions boundary or SCP blocks these actions", JA: "明示的な Deny、アクセス許可の境界、SCP で拒否されていないか"},
		},
		Remediation: Text{
			EN: "Attach AmazonECSTaskExecutionRolePolicy to the execution role, or add a statement allowing ecr:GetAuthorizationToken on \"*\" and ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and ecr:BatchCheckLayerAvailability on the repository ARN; then start a new task.",
			JA: "実行ロールに AmazonECSTaskExecutionRolePolicy をアタッチするか、ecr:GetAuthorizationToken を \"*\" に、ecr:BatchGetImage・ecr:GetDownloadUrlForLayer・ecr:BatchCheckLayerAvailability をリポジトリ ARN に許可するステートメントを追加し、タスクを起動し直してください。",
		},
		Links:       []string{linkExecRole, linkCannotPull},
		SeedSection: 1,
	},
	{
		ID: ExecRoleTrust,
		Title: Text{
			EN: "The execution role cannot be assumed by ECS tasks",
			JA: "タスク実行ロールを ECS が引き受けられない",
		},
		Explanation: Text{
			EN: "ECS can only use the execution role if its trust policy allows the service principal ecs-tasks.amazonaws.com to call sts:AssumeRole. " +
				"A role created for EC2 or Lambda, a misspelt principal, or a condition such as aws:SourceAccount or aws:SourceArn that does not match the task leaves the agent without credentials, so every step that needs the role fails.",
			JA: "ECS が実行ロールを使えるのは、信頼ポリシーでサービスプリンシパル ecs-tasks.amazonaws.com に sts:AssumeRole が許可されている場合だけです。" +
				"EC2 や Lambda 用に作ったロールの流用、プリンシパルの綴り間違い、タスクと一致しない aws:SourceAccount や aws:SourceArn の条件があると、エージェントは認証情報を得られず、ロールを使う処理がすべて失敗します。",
		},
		WhatToCheck: []Text{
			{EN: "the role's trust policy names the service principal ecs-tasks.amazonaws.com with sts:AssumeRole", JA: "信頼ポリシーに ecs-tasks.amazonaws.com と sts:AssumeRole があるか"},
			{EN: "any aws:SourceAccount / aws:SourceArn condition matches the account and cluster that run the task", JA: "aws:SourceAccount / aws:SourceArn の条件がタスクを実行するアカウントやクラスターと一致しているか"},
		},
		Remediation: Text{
			EN: "Edit the role's trust relationship so that it allows \"Service\": \"ecs-tasks.amazonaws.com\" to perform sts:AssumeRole (keep any source conditions consistent with the account running the task), then start a new task.",
			JA: "ロールの信頼関係を編集し、\"Service\": \"ecs-tasks.amazonaws.com\" に sts:AssumeRole を許可してください（送信元の条件を付ける場合はタスクを実行するアカウントと矛盾しないように）。その後タスクを起動し直します。",
		},
		Links: []string{linkExecRole},
	},
	{
		ID: ImageNotFound,
		Title: Text{
			EN: "The image, tag or digest does not exist",
			JA: "イメージ・タグ・ダイジェストが存在しない",
		},
		Explanation: Text{
			EN: "The registry was reached and answered, but it has no such repository, tag or digest: \"manifest unknown\", \"not found\" or \"repository does not exist\". " +
				"Typical reasons are a typo, a tag that was never pushed or was removed by a lifecycle policy, or an image pushed to a different account or region than the one in the image URI.",
			JA: "レジストリには到達できたものの、指定したリポジトリ・タグ・ダイジェストが存在しないという応答です（\"manifest unknown\"、\"not found\"、\"repository does not exist\" など）。" +
				"よくある原因は、名前の打ち間違い、プッシュされていない（またはライフサイクルポリシーで削除された）タグ、イメージ URI とは別のアカウントやリージョンへのプッシュです。",
		},
		WhatToCheck: []Text{
			{EN: "the image URI in the task definition, character by character", JA: "タスク定義のイメージ URI を一文字ずつ確認する"},
			{EN: "that the tag or digest exists in that account and region (aws ecr describe-images --repository-name NAME --image-ids imageTag=TAG)", JA: "そのアカウント・リージョンにタグやダイジェストが存在するか（aws ecr describe-images --repository-name NAME --image-ids imageTag=TAG）"},
			{EN: "lifecycle policies that may have expired the tag", JA: "ライフサイクルポリシーでタグが削除されていないか"},
		},
		Remediation: Text{
			EN: "Point the task definition at an image that exists (prefer an immutable tag or a digest), or push the missing tag to the repository named in the URI, then deploy again.",
			JA: "実在するイメージ（できればイミュータブルなタグかダイジェスト）を指すようにタスク定義を直すか、URI が指すリポジトリに不足しているタグをプッシュしてから、再度デプロイしてください。",
		},
		Links:       []string{linkCannotPull},
		SeedSection: 2,
	},
	{
		ID: InvalidImageRef,
		Title: Text{
			EN: "The image reference is not valid",
			JA: "イメージの指定形式が正しくない",
		},
		Explanation: Text{
			EN: "The image string cannot be parsed as a container image reference, so no pull is even attempted (\"invalid reference format\"). " +
				"Repository names must be lower case, may not contain spaces or a URL scheme such as https://, and tags are limited to 128 letters, digits, '_', '.' and '-'.",
			JA: "イメージの文字列がコンテナイメージの参照として解釈できないため、プル自体が行われません（\"invalid reference format\"）。" +
				"リポジトリ名は小文字のみで、空白や https:// のようなスキームは使えません。タグは英数字・'_'・'.'・'-' の 128 文字までです。",
		},
		WhatToCheck: []Text{
			{EN: "the exact image value in the task definition, including leading or trailing spaces and variables that were never substituted", JA: "タスク定義の image の値そのもの（前後の空白や、置換されずに残った変数を含めて）"},
			{EN: "upper-case letters in the repository name, a scheme prefix, or a doubled ':'", JA: "リポジトリ名の大文字、スキームの付与、':' の重複がないか"},
		},
		Remediation: Text{
			EN: "Write the image as registry/repository:tag or registry/repository@sha256:digest with a lower-case repository name and no scheme, register a new task definition revision and deploy it.",
			JA: "image を registry/repository:tag または registry/repository@sha256:digest の形で、リポジトリ名は小文字、スキームなしで記述し、新しいリビジョンを登録してデプロイしてください。",
		},
		Links: []string{linkImageParam, linkCannotPull},
	},
	{
		ID: RepositoryPolicy,
		Title: Text{
			EN: "The ECR repository policy blocks the pull",
			JA: "ECR リポジトリポリシーがプルを拒否している",
		},
		Explanation: Text{
			EN: "When the repository belongs to another account, both sides must agree: the repository policy must allow the execution role (or its account) ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and ecr:BatchCheckLayerAvailability, and the role's own policy must allow them too. " +
				"In the same account, an explicit Deny in the repository policy, for example one conditioned on a VPC endpoint or organisation, overrides any Allow.",
			JA: "リポジトリが別アカウントにある場合は双方の許可が必要です。リポジトリポリシーで実行ロール（またはそのアカウント）に ecr:BatchGetImage・ecr:GetDownloadUrlForLayer・ecr:BatchCheckLayerAvailability を許可し、ロール側の IAM ポリシーでも同じアクションを許可しなければなりません。" +
				"同一アカウントでも、VPC エンドポイントや組織を条件にした明示的な Deny がリポジトリポリシーにあれば、Allow より優先されます。",
		},
		WhatToCheck: []Text{
			{EN: "the repository policy in the registry account (aws ecr get-repository-policy)", JA: "レジストリ側アカウントのリポジトリポリシー（aws ecr get-repository-policy）"},
			{EN: "that its principal names the execution role ARN or the task's account", JA: "Principal に実行ロールの ARN かタスク側アカウントが指定されているか"},
			{EN: "Deny statements and their conditions (aws:SourceVpce, aws:PrincipalOrgID, …)", JA: "Deny ステートメントとその条件（aws:SourceVpce、aws:PrincipalOrgID など）"},
		},
		Remediation: Text{
			EN: "Add a repository policy statement allowing the execution role (or its account) the three pull actions, make sure the role's identity policy allows them on the repository ARN, and remove or narrow any Deny that matches the task.",
			JA: "リポジトリポリシーに実行ロール（またはそのアカウント）へ 3 つのプル用アクションを許可するステートメントを追加し、ロール側でもリポジトリ ARN に対して許可されていることを確認します。タスクに当てはまる Deny は削除するか条件を絞ってください。",
		},
		Links:       []string{linkRepoPolicy, linkExecRole},
		SeedSection: 4,
	},
	{
		ID: NetworkNoRoute,
		Title: Text{
			EN: "No network path to the registry",
			JA: "レジストリへのネットワーク経路がない",
		},
		Explanation: Text{
			EN: "The pull timed out because nothing carries traffic from the task to the registry on port 443. " +
				"On Fargate the task's own network interface pulls the image; on EC2 the container instance does. That subnet needs a default route to a NAT gateway, or to an internet gateway together with a public IP, or VPC endpoints for ECR; and its security groups and network ACLs must allow HTTPS out and the replies back in.",
			JA: "タスクからレジストリの 443 番ポートへ通信する経路がないため、プルがタイムアウトしています。" +
				"Fargate ではタスク自身の ENI が、EC2 ではコンテナインスタンスがイメージを取得します。そのサブネットには NAT ゲートウェイへのデフォルトルート、パブリック IP 付きでのインターネットゲートウェイへのルート、または ECR 用の VPC エンドポイントのいずれかが必要です。セキュリティグループとネットワーク ACL でも HTTPS の送信と戻りの通信を許可する必要があります。",
		},
		WhatToCheck: []Text{
			{EN: "the route table of the subnet that pulls (explicit association, else the VPC's main table) and its 0.0.0.0/0 target", JA: "プルを行うサブネットのルートテーブル（明示的な関連付け、なければメインルートテーブル）と 0.0.0.0/0 の宛先"},
			{EN: "that the NAT gateway is available and sits in a subnet routed to an internet gateway", JA: "NAT ゲートウェイが利用可能で、インターネットゲートウェイへルーティングされたサブネットにあるか"},
			{EN: "security group egress on 443 and network ACL rules in both directions, including ephemeral ports 1024-65535", JA: "セキュリティグループのアウトバウンド 443 と、エフェメラルポート 1024-65535 を含むネットワーク ACL の双方向のルール"},
		},
		Remediation: Text{
			EN: "Give the subnet a way out: route 0.0.0.0/0 to a NAT gateway, or run in a public subnet with a public IP, or create the ECR VPC endpoints (ecr.api, ecr.dkr and the S3 gateway); and allow outbound 443 in the security group and network ACL.",
			JA: "サブネットに出口を用意してください。0.0.0.0/0 を NAT ゲートウェイへ向ける、パブリック IP 付きでパブリックサブネットに置く、または ECR 用の VPC エンドポイント（ecr.api・ecr.dkr・S3 ゲートウェイ）を作成する、のいずれかです。あわせてセキュリティグループとネットワーク ACL でアウトバウンド 443 を許可します。",
		},
		Links:       []string{linkFargateNet, linkCannotPull, linkRepostFargate},
		SeedSection: 3,
	},
	{
		ID: PublicIPMissing,
		Title: Text{
			EN: "Fargate task in a public subnet without a public IP",
			JA: "パブリックサブネットの Fargate タスクにパブリック IP がない",
		},
		Explanation: Text{
			EN: "The task's subnet sends 0.0.0.0/0 to an internet gateway, but the task was started with assignPublicIp=DISABLED. " +
				"An internet gateway only forwards traffic from addresses that have a public IP, so the task's network interface cannot reach the registry at all.",
			JA: "タスクのサブネットは 0.0.0.0/0 をインターネットゲートウェイへ向けていますが、タスクは assignPublicIp=DISABLED で起動されています。" +
				"インターネットゲートウェイはパブリック IP を持つアドレスの通信しか中継しないため、タスクの ENI からレジストリに到達できません。",
		},
		WhatToCheck: []Text{
			{EN: "awsvpcConfiguration.assignPublicIp of the service or run-task call", JA: "サービスまたは run-task の awsvpcConfiguration.assignPublicIp"},
			{EN: "whether the subnet's default route targets an internet gateway (igw-) rather than a NAT gateway", JA: "サブネットのデフォルトルートが NAT ゲートウェイではなくインターネットゲートウェイ（igw-）を向いているか"},
		},
		Remediation: Text{
			EN: "Set assignPublicIp to ENABLED for the service (or run-task), or move the task to private subnets whose default route goes through a NAT gateway.",
			JA: "サービス（または run-task）で assignPublicIp を ENABLED にするか、NAT ゲートウェイ経由のデフォルトルートを持つプライベートサブネットへタスクを移してください。",
		},
		Links:       []string{linkFargateNet, linkRepostFargate},
		SeedSection: 6,
	},
	{
		ID: VPCEndpointConfig,
		Title: Text{
			EN: "The ECR VPC endpoints are not usable",
			JA: "ECR の VPC エンドポイントが機能していない",
		},
		Explanation: Text{
			EN: "Without internet access, ECR is reached through interface endpoints: Fargate platform version 1.4.0 and later needs both com.amazonaws.REGION.ecr.api and com.amazonaws.REGION.ecr.dkr (plus the S3 gateway endpoint for layers, and com.amazonaws.REGION.logs for awslogs). " +
				"The endpoints only take effect when private DNS is enabled on them and the VPC has enableDnsSupport and enableDnsHostnames turned on; their security group must accept HTTPS (443) from the task, and their endpoint policy must allow the pull.",
			JA: "インターネットに出られない環境では、ECR にはインターフェイスエンドポイント経由でアクセスします。Fargate プラットフォームバージョン 1.4.0 以降では com.amazonaws.REGION.ecr.api と com.amazonaws.REGION.ecr.dkr の両方が必要です（レイヤー取得用の S3 ゲートウェイエンドポイント、awslogs を使う場合は com.amazonaws.REGION.logs も）。" +
				"エンドポイントのプライベート DNS が有効で、VPC の enableDnsSupport と enableDnsHostnames がオンになっていなければ使われません。エンドポイントのセキュリティグループはタスクからの HTTPS（443）を受け入れ、エンドポイントポリシーはプルを許可している必要があります。",
		},
		WhatToCheck: []Text{
			{EN: "both ecr.api and ecr.dkr endpoints exist in the task's VPC and are available", JA: "タスクの VPC に ecr.api と ecr.dkr の両方のエンドポイントがあり、利用可能な状態か"},
			{EN: "private DNS on the endpoints, and enableDnsSupport / enableDnsHostnames on the VPC", JA: "エンドポイントのプライベート DNS と、VPC の enableDnsSupport / enableDnsHostnames"},
			{EN: "the endpoint security group allows inbound 443 from the task's security group or subnet CIDR", JA: "エンドポイントのセキュリティグループがタスクのセキュリティグループまたはサブネット CIDR からのインバウンド 443 を許可しているか"},
			{EN: "endpoint policies, and endpoint subnets covering the task's Availability Zones", JA: "エンドポイントポリシーと、タスクのアベイラビリティーゾーンをカバーするエンドポイントのサブネット"},
		},
		Remediation: Text{
			EN: "Create whichever of ecr.api and ecr.dkr is missing with private DNS enabled, turn on the VPC DNS attributes, allow 443 from the tasks in the endpoint security group, and make the endpoint policy allow the repository (or leave it at full access).",
			JA: "不足している ecr.api / ecr.dkr エンドポイントをプライベート DNS 有効で作成し、VPC の DNS 属性をオンにします。エンドポイントのセキュリティグループでタスクからの 443 を許可し、エンドポイントポリシーで対象リポジトリを許可してください（既定のフルアクセスのままでも構いません）。",
		},
		Links:       []string{linkECRVPCE, linkPV14, linkECSVPCE},
		SeedSection: 3,
	},
	{
		ID: S3LayerAccess,
		Title: Text{
			EN: "Image layers cannot be downloaded from S3",
			JA: "イメージレイヤーを S3 から取得できない",
		},
		Explanation: Text{
			EN: "ECR serves image layers from Amazon S3 (the bucket prod-REGION-starport-layer-bucket). In a VPC without internet access this needs an S3 gateway endpoint (com.amazonaws.REGION.s3) associated with the route table of the task's subnet. " +
				"The manifest can be fetched through ecr.dkr while the layer download still times out or is denied when that route is missing, the security group egress does not allow the S3 prefix list, or the endpoint policy does not allow the layer bucket.",
			JA: "ECR のイメージレイヤーは Amazon S3（バケット prod-REGION-starport-layer-bucket）から配信されます。インターネットに出られない VPC では、タスクのサブネットのルートテーブルに関連付けた S3 ゲートウェイエンドポイント（com.amazonaws.REGION.s3）が必要です。" +
				"このルートがない、セキュリティグループのアウトバウンドで S3 のプレフィックスリストが許可されていない、エンドポイントポリシーでレイヤー用バケットが許可されていない、のいずれかだと、ecr.dkr 経由でマニフェストは取れてもレイヤーの取得がタイムアウトや拒否で失敗します。",
		},
		WhatToCheck: []Text{
			{EN: "an S3 gateway endpoint exists and is associated with the route table of the task's subnet", JA: "S3 ゲートウェイエンドポイントがあり、タスクのサブネットのルートテーブルに関連付けられているか"},
			{EN: "the task security group allows outbound 443 to the S3 managed prefix list when egress is restricted", JA: "アウトバウンドを絞っている場合、タスクのセキュリティグループが S3 のマネージドプレフィックスリストへの 443 を許可しているか"},
			{EN: "the endpoint policy allows s3:GetObject on arn:aws:s3:::prod-REGION-starport-layer-bucket/*", JA: "エンドポイントポリシーが arn:aws:s3:::prod-REGION-starport-layer-bucket/* への s3:GetObject を許可しているか"},
		},
		Remediation: Text{
			EN: "Create an S3 gateway endpoint and associate it with the subnet's route table, allow the S3 prefix list on 443 in the security group, and allow s3:GetObject on the prod-REGION-starport-layer-bucket bucket in the endpoint policy.",
			JA: "S3 ゲートウェイエンドポイントを作成してサブネットのルートテーブルに関連付け、セキュリティグループで S3 のプレフィックスリストへの 443 を許可し、エンドポイントポリシーで prod-REGION-starport-layer-bucket への s3:GetObject を許可してください。",
		},
		Links:       []string{linkECRVPCE, linkPV14},
		SeedSection: 3,
	},
	{
		ID: DNSResolution,
		Title: Text{
			EN: "The registry host name does not resolve",
			JA: "レジストリのホスト名を名前解決できない",
		},
		Explanation: Text{
			EN: "The pull failed before connecting because the registry's name could not be looked up (\"no such host\", \"lookup ... on ...:53\"). " +
				"In a VPC this happens when enableDnsSupport is off, when a custom DHCP options set points at DNS servers that cannot resolve public or AWS names, or when a private hosted zone or Resolver rule captures the registry's domain.",
			JA: "レジストリのホスト名を解決できず、接続前にプルが失敗しています（\"no such host\"、\"lookup ... on ...:53\" など）。" +
				"VPC では、enableDnsSupport がオフになっている、カスタム DHCP オプションセットが AWS やパブリックの名前を解決できない DNS サーバーを指している、プライベートホストゾーンや Resolver ルールがレジストリのドメインを横取りしている、といった場合に起こります。",
		},
		WhatToCheck: []Text{
			{EN: "the VPC's enableDnsSupport attribute", JA: "VPC の enableDnsSupport 属性"},
			{EN: "the VPC's DHCP options set (domain-name-servers should include AmazonProvidedDNS or forward to it)", JA: "VPC の DHCP オプションセット（domain-name-servers が AmazonProvidedDNS か、そこへ転送しているか）"},
			{EN: "private hosted zones and Route 53 Resolver rules that match the registry's domain", JA: "レジストリのドメインに一致するプライベートホストゾーンや Route 53 Resolver ルール"},
		},
		Remediation: Text{
			EN: "Turn on enableDnsSupport, use AmazonProvidedDNS (or make your DNS servers forward AWS and public names to it), and remove or fix zones and rules that shadow the registry's domain.",
			JA: "enableDnsSupport をオンにし、AmazonProvidedDNS を使うか自前の DNS サーバーから AWS やパブリックの名前を転送するよう設定します。レジストリのドメインを覆い隠しているゾーンやルールは削除または修正してください。",
		},
		Links: []string{linkVPCDNS, linkECRVPCE},
	},
	{
		ID: RegistryRateLimit,
		Title: Text{
			EN: "The registry's pull rate limit was hit",
			JA: "レジストリのプル回数制限に達した",
		},
		Explanation: Text{
			EN: "The registry refused the pull with \"toomanyrequests\" (HTTP 429). Docker Hub limits anonymous pulls per source IP address, and every task behind the same NAT gateway or public IP shares that allowance, so a deployment or a crash-looping service can exhaust it quickly. " +
				"Pulling with credentials raises the limit; pulling through Amazon ECR avoids Docker Hub on every task start.",
			JA: "レジストリが \"toomanyrequests\"（HTTP 429）でプルを拒否しました。Docker Hub は匿名のプルを送信元 IP アドレスごとに制限しており、同じ NAT ゲートウェイやパブリック IP の背後にあるタスクはその枠を共有するため、デプロイや再起動を繰り返すサービスですぐに使い切ってしまいます。" +
				"認証付きでプルすれば上限が上がり、Amazon ECR 経由にすればタスク起動のたびに Docker Hub へアクセスせずに済みます。",
		},
		WhatToCheck: []Text{
			{EN: "whether the image comes from Docker Hub and is pulled anonymously (no repositoryCredentials)", JA: "イメージが Docker Hub のもので、匿名でプルしていないか（repositoryCredentials なし）"},
			{EN: "how many tasks share the same NAT gateway or public IP", JA: "同じ NAT ゲートウェイやパブリック IP を共有しているタスクの数"},
			{EN: "the ratelimit-limit / ratelimit-remaining headers the registry returns", JA: "レジストリが返す ratelimit-limit / ratelimit-remaining ヘッダー"},
		},
		Remediation: Text{
			EN: "Authenticate the pull: store Docker Hub credentials in a Secrets Manager secret as JSON {\"username\": \"...\", \"password\": \"...\"} and reference it in repositoryCredentials (the execution role needs secretsmanager:GetSecretValue on it). " +
				"Better still, create an ECR pull through cache rule for Docker Hub, or copy the image into your own ECR repository, and point the task at the ECR URI.",
			JA: "プルを認証付きにしてください。Docker Hub の認証情報を JSON {\"username\": \"...\", \"password\": \"...\"} として Secrets Manager に保存し、repositoryCredentials で参照します（実行ロールにそのシークレットへの secretsmanager:GetSecretValue が必要です）。" +
				"さらに望ましいのは、Docker Hub 向けの ECR プルスルーキャッシュルールを作るか、イメージを自分の ECR リポジトリにコピーして、タスクからは ECR の URI を参照することです。",
		},
		Links:       []string{linkPrivateAuth, linkPullThrough, linkPullThroughUse, linkDockerHubUsage, linkCannotPull},
		SeedSection: 5,
	},
	{
		ID: RegistryAuth,
		Title: Text{
			EN: "The private registry rejected the credentials",
			JA: "プライベートレジストリの認証に失敗した",
		},
		Explanation: Text{
			EN: "A registry outside ECR answered \"unauthorized\", \"authentication required\" or \"pull access denied\". " +
				"ECS only sends credentials to such a registry when the container definition has repositoryCredentials pointing at a Secrets Manager secret whose value is JSON with \"username\" and \"password\" keys; a missing setting, a different JSON shape, or an expired or revoked token all end in the same refusal.",
			JA: "ECR 以外のレジストリが \"unauthorized\"、\"authentication required\"、\"pull access denied\" を返しました。" +
				"ECS がこうしたレジストリに認証情報を送るのは、コンテナ定義の repositoryCredentials が Secrets Manager のシークレットを指し、その値が \"username\" と \"password\" をキーに持つ JSON である場合だけです。設定漏れ、JSON の形の違い、期限切れや失効したトークンのどれでも同じ拒否になります。",
		},
		WhatToCheck: []Text{
			{EN: "repositoryCredentials.credentialsParameter is set on the container and names the right secret (full ARN when cross-account)", JA: "コンテナに repositoryCredentials.credentialsParameter があり、正しいシークレットを指しているか（別アカウントなら完全な ARN）"},
			{EN: "the secret's value is {\"username\": \"...\", \"password\": \"...\"} and the token is still valid for that registry", JA: "シークレットの値が {\"username\": \"...\", \"password\": \"...\"} の形で、トークンがそのレジストリで有効か"},
			{EN: "the repository is spelt correctly: registries often answer \"unauthorized\" for repositories that do not exist", JA: "リポジトリ名が正しいか（存在しないリポジトリにも \"unauthorized\" を返すレジストリが多い）"},
		},
		Remediation: Text{
			EN: "Store valid registry credentials as {\"username\": \"...\", \"password\": \"...\"} in Secrets Manager, set repositoryCredentials.credentialsParameter to the secret's ARN, and give the execution role secretsmanager:GetSecretValue on it (and kms:Decrypt if a customer managed key encrypts it).",
			JA: "有効な認証情報を {\"username\": \"...\", \"password\": \"...\"} として Secrets Manager に保存し、repositoryCredentials.credentialsParameter にそのシークレットの ARN を設定します。実行ロールにはそのシークレットへの secretsmanager:GetSecretValue（カスタマー管理キーで暗号化している場合は kms:Decrypt も）を許可してください。",
		},
		Links:       []string{linkPrivateAuth, linkExecRole},
		SeedSection: 5,
	},
	{
		ID: SecretsAccess,
		Title: Text{
			EN: "The task's secrets cannot be read",
			JA: "タスクのシークレットを読み取れない",
		},
		Explanation: Text{
			EN: "Before any container starts, the agent fetches every secret and parameter the task references, and the registry credentials in repositoryCredentials, with the execution role. " +
				"If one of them does not exist, is in another region without a full ARN, or the role is not allowed secretsmanager:GetSecretValue or ssm:GetParameters on it, the task stops with \"ResourceInitializationError: unable to pull secrets or registry auth\".",
			JA: "コンテナを起動する前に、エージェントはタスクが参照するすべてのシークレットとパラメータ、および repositoryCredentials の認証情報を実行ロールで取得します。" +
				"どれか一つでも存在しない、完全な ARN なしで別リージョンを指している、ロールに secretsmanager:GetSecretValue や ssm:GetParameters が許可されていない、のいずれかに当たると、タスクは \"ResourceInitializationError: unable to pull secrets or registry auth\" で停止します。",
		},
		WhatToCheck: []Text{
			{EN: "each valueFrom and credentialsParameter ARN: the secret or parameter exists in that region and account", JA: "各 valueFrom と credentialsParameter の ARN について、そのリージョン・アカウントにシークレットやパラメータが存在するか"},
			{EN: "the execution role allows secretsmanager:GetSecretValue / ssm:GetParameters on those ARNs", JA: "実行ロールがそれらの ARN への secretsmanager:GetSecretValue / ssm:GetParameters を許可しているか"},
			{EN: "without internet access, VPC endpoints for secretsmanager and ssm", JA: "インターネットに出られない場合は、secretsmanager と ssm の VPC エンドポイント"},
		},
		Remediation: Text{
			EN: "Fix the ARNs so they name existing secrets and parameters, grant the execution role secretsmanager:GetSecretValue and ssm:GetParameters on them, and add the Secrets Manager and Systems Manager endpoints in private subnets.",
			JA: "ARN を実在するシークレットやパラメータに合わせ、実行ロールにそれらへの secretsmanager:GetSecretValue と ssm:GetParameters を許可します。プライベートサブネットでは Secrets Manager と Systems Manager のエンドポイントも追加してください。",
		},
		Links: []string{linkSecretsEnv, linkExecRole, linkPrivateAuth},
	},
	{
		ID: KMSDecrypt,
		Title: Text{
			EN: "The execution role cannot decrypt the secret's KMS key",
			JA: "実行ロールがシークレットの KMS キーで復号できない",
		},
		Explanation: Text{
			EN: "A secret or SecureString parameter encrypted with a customer managed KMS key can only be read if the execution role may use that key: the role's policy must allow kms:Decrypt on it and the key policy must let the role (or its account) use it. " +
				"Secrets under the AWS managed key aws/secretsmanager need no extra permission in the same account.",
			JA: "カスタマー管理の KMS キーで暗号化されたシークレットや SecureString パラメータは、実行ロールがそのキーを使える場合にしか読めません。ロールのポリシーでそのキーへの kms:Decrypt を許可し、キーポリシーでもロール（またはそのアカウント）に使用を許可する必要があります。" +
				"AWS マネージドキー aws/secretsmanager で暗号化したシークレットなら、同一アカウント内で追加の権限は不要です。",
		},
		WhatToCheck: []Text{
			{EN: "which KMS key encrypts the secret or parameter", JA: "シークレットやパラメータを暗号化している KMS キー"},
			{EN: "the execution role allows kms:Decrypt on that key ARN", JA: "実行ロールがそのキー ARN への kms:Decrypt を許可しているか"},
			{EN: "the key policy allows the role or account, and the key is enabled", JA: "キーポリシーがロールまたはアカウントを許可し、キーが有効になっているか"},
		},
		Remediation: Text{
			EN: "Allow kms:Decrypt on the key in the execution role's policy and make sure the key policy permits that role (for a key in another account, both are required), then start a new task.",
			JA: "実行ロールのポリシーでそのキーへの kms:Decrypt を許可し、キーポリシーでもそのロールが許可されていることを確認してください（別アカウントのキーなら両方が必要です）。その後タスクを起動し直します。",
		},
		Links: []string{linkSecretsEnv, linkSMEncryption, linkExecRole},
	},
	{
		ID: PlatformMismatch,
		Title: Text{
			EN: "The image has no build for the task's platform",
			JA: "タスクのプラットフォーム向けのイメージがない",
		},
		Explanation: Text{
			EN: "The image exists, but none of its manifests matches the operating system and CPU architecture the task runs on (\"no matching manifest for linux/arm64\"). " +
				"This happens when runtimePlatform asks for ARM64 (Graviton) and the image was built only for amd64, or the other way round, or when a Linux image is used for a Windows task.",
			JA: "イメージ自体は存在しますが、タスクが動く OS と CPU アーキテクチャに合うマニフェストがありません（\"no matching manifest for linux/arm64\" など）。" +
				"runtimePlatform で ARM64（Graviton）を指定しているのにイメージが amd64 向けにしかビルドされていない場合や、その逆、あるいは Windows のタスクで Linux イメージを使った場合に起こります。",
		},
		WhatToCheck: []Text{
			{EN: "runtimePlatform.cpuArchitecture and operatingSystemFamily in the task definition (or the container instance's architecture on EC2)", JA: "タスク定義の runtimePlatform.cpuArchitecture と operatingSystemFamily（EC2 ではコンテナインスタンスのアーキテクチャ）"},
			{EN: "the platforms listed in the image's manifest list (docker buildx imagetools inspect IMAGE)", JA: "イメージのマニフェストリストにあるプラットフォーム（docker buildx imagetools inspect IMAGE）"},
		},
		Remediation: Text{
			EN: "Build and push the image for the platform the task uses (for example a multi-architecture image with docker buildx build --platform linux/amd64,linux/arm64), or change runtimePlatform to match the image.",
			JA: "タスクが使うプラットフォーム向けにイメージをビルドしてプッシュするか（たとえば docker buildx build --platform linux/amd64,linux/arm64 でマルチアーキテクチャイメージにする）、runtimePlatform をイメージに合わせてください。",
		},
		Links: []string{linkRuntimePlatform, linkCannotPull},
	},
	{
		ID: DiskFull,
		Title: Text{
			EN: "No space left to store the image",
			JA: "イメージを保存する空き容量がない",
		},
		Explanation: Text{
			EN: "The layers could not be written because the disk is full (\"no space left on device\"). " +
				"On EC2 the container instance's Docker storage is filled by old images and containers or is too small for the image; on Fargate the image together with everything the task writes must fit in the task's ephemeral storage.",
			JA: "ディスクがいっぱいでレイヤーを書き込めませんでした（\"no space left on device\"）。" +
				"EC2 では古いイメージやコンテナでコンテナインスタンスの Docker 用ストレージが埋まっているか、イメージに対して容量が小さすぎます。Fargate では、イメージとタスクが書き込むデータの合計がエフェメラルストレージに収まる必要があります。",
		},
		WhatToCheck: []Text{
			{EN: "on EC2: free space on the Docker data volume of the container instance and the agent's image cleanup settings", JA: "EC2: コンテナインスタンスの Docker 用ボリュームの空き容量と、エージェントのイメージクリーンアップ設定"},
			{EN: "on Fargate: the uncompressed image size against the task's ephemeralStorage", JA: "Fargate: 展開後のイメージサイズとタスクの ephemeralStorage"},
		},
		Remediation: Text{
			EN: "On EC2, enlarge the instance's data volume or let the agent clean up unused images more aggressively; on Fargate, increase ephemeralStorage in the task definition. In both cases a smaller image helps.",
			JA: "EC2 ではインスタンスのデータボリュームを拡張するか、エージェントが未使用イメージをより積極的に削除するよう設定します。Fargate ではタスク定義の ephemeralStorage を増やしてください。どちらの場合もイメージを小さくすることが有効です。",
		},
		Links: []string{linkCannotPull},
	},
	{
		ID: RegistryServerError,
		Title: Text{
			EN: "The registry returned a server error",
			JA: "レジストリがサーバーエラーを返した",
		},
		Explanation: Text{
			EN: "The request reached the registry, which failed on its side (HTTP 5xx such as 500 or 503). Nothing in the task's configuration causes this; it is usually transient, and ECS retries the pull when it starts the task again.",
			JA: "リクエストはレジストリに届きましたが、レジストリ側でエラーになりました（500 や 503 などの HTTP 5xx）。タスクの設定が原因ではなく、多くは一時的なもので、ECS がタスクを再度起動する際にプルも再試行されます。",
		},
		WhatToCheck: []Text{
			{EN: "the AWS Health Dashboard or the registry's status page for an ongoing incident", JA: "AWS Health Dashboard やレジストリのステータスページで障害が起きていないか"},
			{EN: "whether the error persists across several task starts", JA: "タスクを何度起動しても同じエラーが続くか"},
		},
		Remediation: Text{
			EN: "Wait and retry; if the error persists, check the registry's service health and consider mirroring the image into ECR in the task's region so that the task does not depend on a remote registry.",
			JA: "時間をおいて再試行してください。続くようであればレジストリのサービス状況を確認し、タスクと同じリージョンの ECR にイメージを複製して外部レジストリに依存しない構成を検討してください。",
		},
		Links: []string{linkCannotPull, linkStoppedErrors},
	},
	{
		ID: PullCanceled,
		Title: Text{
			EN: "The pull was cancelled before it finished",
			JA: "プルが完了前に中断された",
		},
		Explanation: Text{
			EN: "The pull ended with \"context canceled\": the task was stopped while its image was still downloading, because a new deployment replaced it, the service scaled in, someone stopped it, or the pull took longer than the agent allows. " +
				"Large images and slow paths to the registry make this more likely.",
			JA: "プルが \"context canceled\" で終了しました。イメージのダウンロード中に、新しいデプロイによる置き換え、サービスのスケールイン、手動での停止、エージェントの許容時間の超過などでタスクが停止されたことを意味します。" +
				"イメージが大きい場合や、レジストリまでの経路が遅い場合に起こりやすくなります。",
		},
		WhatToCheck: []Text{
			{EN: "service events and deployments around the time the task stopped", JA: "タスク停止前後のサービスイベントとデプロイの状況"},
			{EN: "the task's stopCode and who or what stopped it", JA: "タスクの stopCode と、誰（何）が停止したか"},
			{EN: "the image size and the pull time of earlier tasks", JA: "イメージサイズと、過去のタスクでのプル所要時間"},
		},
		Remediation: Text{
			EN: "Let the pull finish: avoid replacing tasks mid-deployment, make the image smaller, and keep the registry close (ECR in the same region, reached through VPC endpoints). On EC2, review the agent's image pull timeouts.",
			JA: "プルが完了できるようにしてください。デプロイ途中でタスクを置き換えない、イメージを小さくする、レジストリを近くに置く（同じリージョンの ECR を VPC エンドポイント経由で使う）などが有効です。EC2 ではエージェントのイメージプルのタイムアウト設定も見直してください。",
		},
		Links: []string{linkCannotPull, linkStoppedErrors},
	},
	{
		ID: LogConfig,
		Title: Text{
			EN: "The awslogs log configuration fails",
			JA: "awslogs のログ設定でエラーになる",
		},
		Explanation: Text{
			EN: "The task stops during setup, next to the image pull, because the awslogs driver cannot be prepared: the log group does not exist (and awslogs-create-group is not set), or the execution role is not allowed logs:CreateLogStream and logs:PutLogEvents. " +
				"In private subnets the CloudWatch Logs endpoint com.amazonaws.REGION.logs is needed as well.",
			JA: "イメージのプルと同じ準備段階で、awslogs ドライバーを準備できずにタスクが停止しています。ロググループが存在しない（awslogs-create-group も未設定）、または実行ロールに logs:CreateLogStream と logs:PutLogEvents が許可されていないのが原因です。" +
				"プライベートサブネットでは CloudWatch Logs のエンドポイント com.amazonaws.REGION.logs も必要です。",
		},
		WhatToCheck: []Text{
			{EN: "the awslogs-group and awslogs-region options and whether that log group exists", JA: "awslogs-group と awslogs-region の設定値と、そのロググループが存在するか"},
			{EN: "the execution role (or the container instance role on EC2 without one) allows logs:CreateLogStream and logs:PutLogEvents, and logs:CreateLogGroup when awslogs-create-group is true", JA: "実行ロール（EC2 で実行ロールがない場合はコンテナインスタンスロール）が logs:CreateLogStream と logs:PutLogEvents を、awslogs-create-group が true なら logs:CreateLogGroup も許可しているか"},
			{EN: "without internet access, a logs interface endpoint in the VPC", JA: "インターネットに出られない場合は、VPC に logs のインターフェイスエンドポイントがあるか"},
		},
		Remediation: Text{
			EN: "Create the log group (or set awslogs-create-group to true and allow logs:CreateLogGroup), grant logs:CreateLogStream and logs:PutLogEvents to the execution role, and add the logs endpoint in private subnets.",
			JA: "ロググループを作成し（または awslogs-create-group を true にして logs:CreateLogGroup を許可し）、実行ロールに logs:CreateLogStream と logs:PutLogEvents を付与します。プライベートサブネットでは logs エンドポイントも追加してください。",
		},
		Links: []string{linkAwslogs, linkExecRole},
	},
	{
		ID: Unknown,
		Title: Text{
			EN: "The cause could not be determined",
			JA: "原因を特定できなかった",
		},
		Explanation: Text{
			EN: "The evidence pulldoctor could see does not point to one cause. The full stopped reason, the container's own reason and the service events usually say more than the summary does.",
			JA: "pulldoctor が参照できた情報からは、原因を一つに絞れませんでした。停止理由の全文、コンテナごとの reason、サービスイベントには、要約より多くの手がかりがあるのが普通です。",
		},
		WhatToCheck: []Text{
			{EN: "the complete stoppedReason and each container's reason (aws ecs describe-tasks)", JA: "stoppedReason の全文と各コンテナの reason（aws ecs describe-tasks）"},
			{EN: "recent service events (aws ecs describe-services)", JA: "直近のサービスイベント（aws ecs describe-services）"},
			{EN: "a manual pull of the same image from the same network with the same credentials", JA: "同じネットワーク・同じ認証情報で同じイメージを手動でプルできるか"},
		},
		Remediation: Text{
			EN: "Run pulldoctor diagnose against the stopped task so that it can read the roles, network and image directly, and pass the full error text to pulldoctor explain.",
			JA: "停止したタスクに対して pulldoctor diagnose を実行し、ロール・ネットワーク・イメージを直接調べてください。エラーメッセージは全文を pulldoctor explain に渡してください。",
		},
		Links: []string{linkStoppedErrors, linkCannotPull},
	},
}
