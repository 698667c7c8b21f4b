package check

import (
	"strconv"
	"strings"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ExecRoleLogs checks the awslogs driver's needs. They fail the task in the same phase as
// the image pull ("ResourceInitializationError: failed to validate logger args ...
// AccessDeniedException" or "... The specified log group does not exist"), so a user
// chasing a pull error must see them ruled in or out
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html).
type ExecRoleLogs struct{}

// Meta implements Check.
func (ExecRoleLogs) Meta() Meta { return execRoleLogsMeta }

var execRoleLogsMeta = Meta{
	ID: "exec-role-logs", Cause: cause.LogConfig, Severity: finding.Error,
	Title:       "The awslogs log group exists and the execution role may write to it",
	TitleJA:     "awslogs のロググループが存在し、タスク実行ロールが書き込める",
	Description: "For each container using the `awslogs` log driver: evaluates `logs:CreateLogStream` and `logs:PutLogEvents` on the log group (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`, from `awslogs-group` and `awslogs-region`) over the execution role's policies (on EC2 without an execution role, the container instance role), plus `logs:CreateLogGroup` when `awslogs-create-group` is `true`. Fails when the log group does not exist and the driver is not allowed to create it.",
	Needs:       []string{"iam:GetRole", "iam:ListAttachedRolePolicies", "iam:GetPolicyVersion", "iam:ListRolePolicies", "iam:GetRolePolicy", "logs:DescribeLogGroups"},
}

// Run implements Check.
func (c ExecRoleLogs) Run(s *snapshot.Snapshot) []finding.Finding { return c.appendFindings(nil, s) }

func (c ExecRoleLogs) appendFindings(dst []finding.Finding, s *snapshot.Snapshot) []finding.Finding {
	m := execRoleLogsMeta
	if s.TaskDefinition == nil {
		return append(dst, taskDefinitionMissing(m, s)...)
	}
	// Findings go straight into dst; start tells whether this check added any, and lets a
	// finding about the role replace the ones added before it.
	start := len(dst)
	var sub *iamSubject
	for _, cd := range s.Containers() {
		lc := cd.LogConfiguration
		if lc == nil || lc.LogDriver != "awslogs" {
			continue
		}
		name := deref(cd.Name)
		group := lc.Options["awslogs-group"]
		region := firstNonEmpty(lc.Options["awslogs-region"], s.Region)
		create := strings.EqualFold(lc.Options["awslogs-create-group"], "true")
		ev := finding.Evidence{Source: "ecs:DescribeTaskDefinition", Ref: name, Key: "logConfiguration.options",
			Value: "awslogs-group=" + group + " awslogs-region=" + region + " awslogs-create-group=" + strconv.FormatBool(create)}
		if group == "" {
			f := newFinding(m, finding.Fail,
				"container "+name+": the awslogs driver has no awslogs-group option",
				"コンテナ "+name+": awslogs ドライバーに awslogs-group オプションがありません")
			f.Subject, f.Evidence = name, []finding.Evidence{ev}
			f.Remediation = &finding.Remediation{
				Text:      "Set the awslogs-group (and awslogs-region, awslogs-stream-prefix) options of the container's logConfiguration, register a new task definition revision and update the service.",
				TextJA:    "コンテナの logConfiguration に awslogs-group（と awslogs-region、awslogs-stream-prefix）を設定し、タスク定義の新しいリビジョンを登録してサービスを更新してください。",
				Commands:  []string{"aws logs create-log-group --log-group-name /ecs/" + orPlaceholder(deref(s.TaskDefinition.Family), "my-app") + " --region " + region},
				Terraform: "log_configuration = {\n  logDriver = \"awslogs\"\n  options = {\n    awslogs-group         = \"/ecs/" + orPlaceholder(deref(s.TaskDefinition.Family), "my-app") + "\"\n    awslogs-region        = \"" + region + "\"\n    awslogs-stream-prefix = \"ecs\"\n  }\n}",
				Links:     []string{"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html"},
			}
			dst = append(dst, f)
			continue
		}
		if sub == nil {
			arn, kind, kindJA, ok := pullPrincipal(s)
			if !ok {
				return append(dst[:start], noPrincipalFinding(m, s, "the awslogs permissions"))
			}
			var uf *finding.Finding
			if sub, uf = iamState(s).subject(m, arn, kind, kindJA); uf != nil {
				return append(dst[:start], *uf)
			}
		}
		dst = append(dst, c.one(s, m, sub, name, group, region, create, ev))
	}
	if len(dst) == start {
		return append(dst, newFinding(m, finding.NotApplicable, "no container uses the awslogs log driver", "awslogs ログドライバーを使うコンテナはありません"))
	}
	return dst
}

func (c ExecRoleLogs) one(s *snapshot.Snapshot, m Meta, sub *iamSubject, container, group, region string, create bool, optionsEv finding.Evidence) finding.Finding {
	account := firstNonEmpty(s.Account, sub.Account)
	groupARN := "arn:" + iamPartition(s) + ":logs:" + region + ":" + account + ":log-group:" + group + ":*"
	exists, lgGap := logGroupExists(s, group)
	actions := logsActions[:2]
	if create {
		actions = logsActions[:]
	}
	var buf [maxActions]actionResult
	rs := evalActions(buf[:0], sub.Set, sub.ARN, groupARN, "", sharedRequestContext(region), actions...)
	ev := [...]finding.Evidence{optionsEv}
	f, denied := permFinding(m, sub, container, phrase{"log group ", group}, phrase{"ロググループ ", group}, rs, ev[:])
	if denied != nil {
		f.Remediation = identityRemediation(sub, "ecs-awslogs-"+iamTFIdent(group),
			iamStmt{Sid: "AwslogsWrite", Effect: "Allow", Action: actions, Resource: groupARN}, denied,
			"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html",
			"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html")
	}
	switch {
	case exists:
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "logs:DescribeLogGroups", Ref: group, Key: "exists", Value: "true"})
	case lgGap != nil:
		f.Evidence = append(f.Evidence, finding.Evidence{Source: lgGap.Call, Ref: group, Key: "error", Value: lgGap.Error})
		if f.Status == finding.Pass && !create {
			u := newFinding(m, finding.Unknown,
				"cannot decide: "+sub.ARN+" may write to log group "+group+", but whether the group exists could not be read ("+lgGap.Call+": "+lgGap.Error+")",
				"判定できません: "+sub.ARN+" はロググループ "+group+" に書き込めますが、グループが存在するかを読み取れませんでした（"+lgGap.Call+": "+lgGap.Error+"）")
			u.Subject, u.Evidence, u.Needs = container, f.Evidence, []string{"logs:DescribeLogGroups"}
			return u
		}
	case create:
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "logs:DescribeLogGroups", Ref: group, Key: "exists", Value: "false (awslogs-create-group=true creates it)"})
	default:
		f.Evidence = append(f.Evidence, finding.Evidence{Source: "logs:DescribeLogGroups", Ref: group, Key: "exists", Value: "false"})
		missing := newFinding(m, finding.Fail,
			"container "+container+": log group "+group+" does not exist in "+account+"/"+region+" and awslogs-create-group is not true",
			"コンテナ "+container+": ロググループ "+group+" が "+account+"/"+region+" に存在せず、awslogs-create-group も true ではありません")
		missing.Subject = container
		missing.Evidence = f.Evidence
		missing.Remediation = &finding.Remediation{
			Text:      "Create the log group (or set awslogs-create-group=true in the log options and allow logs:CreateLogGroup).",
			TextJA:    "ロググループを作成してください（またはログオプションで awslogs-create-group=true を設定し、logs:CreateLogGroup を許可します）。",
			Commands:  []string{"aws logs create-log-group --log-group-name " + group + " --region " + region},
			Terraform: "resource \"aws_cloudwatch_log_group\" " + strconv.Quote(iamTFIdent(group)) + " {\n  name              = " + strconv.Quote(group) + "\n  retention_in_days = 30\n}",
			Links:     []string{"https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html"},
		}
		if f.Status == finding.Fail {
			missing.Message += "; besides, " + f.Message
			missing.MessageJA += "。さらに " + f.MessageJA
			missing.Remediation.Commands = append(missing.Remediation.Commands, f.Remediation.Commands...)
			missing.Remediation.Terraform += "\n\n" + f.Remediation.Terraform
			missing.Remediation.Policy = f.Remediation.Policy
		}
		return missing
	}
	return f
}

// logsActions are what the awslogs driver calls: the last only with awslogs-create-group.
var logsActions = [...]string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:CreateLogGroup"}

// logGroupExists says whether the snapshot holds the log group, or the gap that left it out.
func logGroupExists(s *snapshot.Snapshot, group string) (bool, *snapshot.Gap) {
	for _, lg := range s.LogGroups {
		if lg.Name == group {
			return true, nil
		}
	}
	return false, s.Gap("logs:DescribeLogGroups", group)
}
