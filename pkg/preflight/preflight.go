package preflight

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/pulldoctor/pulldoctor/internal/jsonpos"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// Kind is the shape of the input file.
type Kind string

// Input kinds.
const (
	KindTaskDefinition Kind = "task-definition"
	KindTerraformPlan  Kind = "terraform-plan"
	KindCloudFormation Kind = "cloudformation"
)

// NotCollected is the Gap error of everything the file does not say.
const NotCollected = "NotCollected"

// ErrUnrecognized is wrapped by Parse's error when the input is not JSON of a shape preflight
// reads, nor a CloudFormation template in YAML.
var ErrUnrecognized = errors.New("neither a task definition, a Terraform plan nor a CloudFormation template")

// ErrNoTaskDefinition is wrapped by Parse's error when a Terraform plan or CloudFormation
// template holds no ECS task definition: there is nothing to check.
var ErrNoTaskDefinition = errors.New("no ECS task definition in it")

// MaxFileSize bounds the input: a Terraform plan of a large estate is a few MiB.
const MaxFileSize = 64 << 20

// Options carry what a file cannot say offline.
type Options struct {
	// Region is the region the task will run in (default: inferred from the file: an ECR
	// image in it, the awslogs region, an ARN).
	Region string
	// Account is the account the task will run in (default: inferred from ARNs in the file).
	Account string
	// File names the input in gap messages ("taskdef.json"); default "the file".
	File string
}

// Result is a parsed input.
type Result struct {
	Snapshot *snapshot.Snapshot
	Kind     Kind
	// Notes are things a user should know about how the file was read (a container
	// definition known only after apply, an account that could not be inferred).
	Notes []string
}

// Parse reads a deployment file and builds the snapshot the checks run over.
func Parse(data []byte, o Options) (*Result, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("input is larger than %d MiB", MaxFileSize>>20)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("input is not valid UTF-8: %w", ErrUnrecognized)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("input is empty: %w", ErrUnrecognized)
	}
	if trimmed[0] != '{' {
		// Not JSON: only a CloudFormation template may be YAML.
		top, ok, err := decodeYAML(data)
		switch {
		case err != nil:
			return nil, fmt.Errorf("parse YAML: %w: %w", err, ErrUnrecognized)
		case !ok:
			return nil, fmt.Errorf("input is neither a JSON object nor a CloudFormation template in YAML (no top-level Resources): %w", ErrUnrecognized)
		}
		b := newBuilder(o)
		if err := b.cloudFormation(top); err != nil {
			return nil, err
		}
		return b.result(KindCloudFormation)
	}
	var top map[string]any
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("parse JSON: %w: %w", jsonpos.Describe(trimmed, err), ErrUnrecognized)
	}
	b := newBuilder(o)
	var kind Kind
	var err error
	switch {
	case isObject(top["taskDefinition"]) && isArray(obj(top["taskDefinition"])["containerDefinitions"]):
		kind = KindTaskDefinition
		err = b.taskDefinitionJSON(obj(top["taskDefinition"]))
	case isArray(top["containerDefinitions"]):
		kind = KindTaskDefinition
		err = b.taskDefinitionJSON(top)
	case top["format_version"] != nil && (isObject(top["planned_values"]) || isObject(top["values"]) || top["terraform_version"] != nil):
		kind = KindTerraformPlan
		err = b.terraform(top)
	case isObject(top["Resources"]) || top["AWSTemplateFormatVersion"] != nil:
		kind = KindCloudFormation
		err = b.cloudFormation(top)
	default:
		return nil, ErrUnrecognized
	}
	if err != nil {
		return nil, err
	}
	return b.result(kind)
}

// result finishes a parsed file of the given kind.
func (b *builder) result(kind Kind) (*Result, error) {
	if b.s.TaskDefinition == nil && b.s.Gap("ecs:DescribeTaskDefinition", "") == nil {
		return nil, ErrNoTaskDefinition
	}
	b.finish()
	return &Result{Snapshot: b.s, Kind: kind, Notes: b.notes}, nil
}

// builder is one Parse run: the snapshot under construction and what the file declared.
type builder struct {
	o     Options
	s     *snapshot.Snapshot
	notes []string
	// ownVPCs are VPCs the file creates or manages: their route tables, gateways, endpoints
	// and NACLs are all in the file (a VPC created by this plan has nothing else).
	ownVPCs map[string]bool
	// ownRepos are ECR repositories the file declares (repository name → true).
	ownRepos map[string]bool
	// newVPCs are VPCs the file creates, whose main route table and default NACL AWS makes.
	newVPCs map[string]bool
	accts   []string
	// assumedAcct says the account was taken from an image (noted once).
	assumedAcct bool
}

func newBuilder(o Options) *builder {
	if o.File == "" {
		o.File = "the file"
	}
	return &builder{
		o: o,
		s: &snapshot.Snapshot{
			SchemaVersion: snapshot.SchemaVersion,
			Source:        "preflight",
			Region:        o.Region,
			Account:       o.Account,
		},
		ownVPCs:  map[string]bool{},
		ownRepos: map[string]bool{},
		newVPCs:  map[string]bool{},
	}
}

func (b *builder) note(format string, a ...any) { b.notes = append(b.notes, fmt.Sprintf(format, a...)) }

// gap records something the file does not say.
func (b *builder) gap(call, ref string) {
	if g := b.s.Gap(call, ref); g != nil && g.Ref == ref {
		return
	}
	b.s.AddGap(snapshot.Gap{Call: call, Error: NotCollected, Ref: ref,
		Message: "preflight: not in " + b.o.File + "; use --live to look it up"})
}

// gapMsg records a gap with a message of its own.
func (b *builder) gapMsg(call, ref, msg string) {
	b.s.AddGap(snapshot.Gap{Call: call, Error: NotCollected, Ref: ref, Message: "preflight: " + msg})
}

var accountRE = regexp.MustCompile(`^\d{12}$`)

// seeARN remembers the account of an ARN met in the file, to infer the task's account.
func (b *builder) seeARN(arn string) {
	if a := arnField(arn, 4); accountRE.MatchString(a) {
		b.accts = append(b.accts, a)
	}
}

// taskDefinitionJSON reads a task definition in the ECS API's own JSON shape (camelCase:
// register-task-definition input, describe-task-definition output).
func (b *builder) taskDefinitionJSON(m map[string]any) error {
	td, err := decodeTaskDefinition(m)
	if err != nil {
		return err
	}
	b.s.TaskDefinition = td
	return nil
}

// decodeTaskDefinition converts a camelCase or PascalCase task definition object into the
// SDK type. Numbers written as strings (and the reverse for the task-level cpu and memory,
// which the API takes as strings) are accepted the way the CLI and CloudFormation accept
// them.
func decodeTaskDefinition(m map[string]any) (*ecstypes.TaskDefinition, error) {
	m = cloneMap(m)
	for k, v := range m {
		switch strings.ToLower(k) {
		case "registeredat", "deregisteredat", "tags":
			delete(m, k) // timestamps in whatever format the CLI printed; tags are not read
		case "cpu", "memory":
			if n, ok := v.(json.Number); ok {
				m[k] = n.String()
			}
		case "containerdefinitions":
			if cds, ok := v.([]any); ok {
				for _, cd := range cds {
					coerceInts(cd)
				}
			}
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("task definition: %w", err)
	}
	var td ecstypes.TaskDefinition
	if err := json.Unmarshal(raw, &td); err != nil {
		return nil, fmt.Errorf("task definition: %w", err)
	}
	for i, cd := range td.ContainerDefinitions {
		if cd.Image == nil || *cd.Image == "" {
			name := fmt.Sprint(i)
			if cd.Name != nil {
				name = *cd.Name
			}
			return nil, fmt.Errorf("task definition: container %s has no image", name)
		}
	}
	return &td, nil
}

// intKeys are the integer fields of a container definition (and its nested objects) that
// people write as strings.
var intKeys = map[string]bool{
	"cpu": true, "memory": true, "memoryreservation": true, "containerport": true, "hostport": true,
	"starttimeout": true, "stoptimeout": true, "interval": true, "timeout": true, "retries": true,
	"startperiod": true, "softlimit": true, "hardlimit": true, "size": true, "maxswap": true, "swappiness": true,
	"sharedmemorysize": true,
}

func coerceInts(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && intKeys[strings.ToLower(k)] {
				if n := json.Number(s); isInt(s) {
					x[k] = n
				}
				continue
			}
			coerceInts(val)
		}
	case []any:
		for _, e := range x {
			coerceInts(e)
		}
	}
}

func isInt(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if (r < '0' || r > '9') && !(i == 0 && r == '-') {
			return false
		}
	}
	return true
}

// finish infers region and account, fills the target, and records a NotCollected gap for
// every input the checks need that the file did not provide.
func (b *builder) finish() {
	s := b.s
	td := s.TaskDefinition
	if td != nil {
		if td.ExecutionRoleArn != nil {
			b.seeARN(*td.ExecutionRoleArn)
		}
		if td.TaskDefinitionArn != nil {
			b.seeARN(*td.TaskDefinitionArn)
		}
	}
	for _, r := range s.Roles {
		b.seeARN(r.ARN)
	}
	if s.Region == "" {
		s.Region = b.inferRegion()
		if s.Region == "" {
			b.note("the region is not in the file: pass --region (endpoint service names and ECR comparisons depend on it)")
		}
	}
	if s.Account == "" && len(b.accts) > 0 {
		s.Account = b.accts[0]
	}
	if s.Account == "" {
		var images []string
		for _, cd := range s.Containers() {
			images = append(images, deref(cd.Image))
		}
		s.Account = b.imageAccount(images)
	}
	if s.Account == "" {
		b.gap("sts:GetCallerIdentity", "")
		b.note("the account is not in the file: pass --account (cross-account ECR comparisons depend on it)")
	}
	s.Partition = imageref.PartitionOf(s.Region)
	s.Target.Region, s.Target.Account = s.Region, s.Account
	if td != nil {
		fam := deref(td.Family)
		if td.Revision != 0 {
			fam += fmt.Sprintf(":%d", td.Revision)
		}
		s.Target.TaskDefinition = firstNonEmpty(deref(td.TaskDefinitionArn), fam)
	}
	if s.Service != nil {
		s.Target.Service = deref(s.Service.ServiceName)
	}
	b.gapsIAM()
	b.gapsImages()
	b.gapsSecrets()
	b.gapsLogs()
	b.gapsNetwork()
	sort.SliceStable(s.Gaps, func(i, j int) bool {
		if s.Gaps[i].Call != s.Gaps[j].Call {
			return s.Gaps[i].Call < s.Gaps[j].Call
		}
		return s.Gaps[i].Ref < s.Gaps[j].Ref
	})
}

// imageAccount is the last resort for the task's account: the account of its private ECR
// image in the task's region, which is where most tasks run. It is said in a note, because a
// central-registry setup makes it wrong (pass --account there).
func (b *builder) imageAccount(images []string) string {
	for _, img := range images {
		ref, err := imageref.Parse(img)
		if err != nil || ref.Kind != imageref.KindECR || (b.s.Region != "" && ref.Region != b.s.Region) {
			continue
		}
		if !b.assumedAcct {
			b.assumedAcct = true
			b.note("the account is not in the file: assuming %s, the account of the image %s (pass --account if the task runs in another account)", ref.Account, img)
		}
		return ref.Account
	}
	return ""
}

func (b *builder) inferRegion() string {
	for _, cd := range b.s.Containers() {
		if ref, err := imageref.Parse(deref(cd.Image)); err == nil && ref.Kind == imageref.KindECR && ref.Region != "" {
			return ref.Region
		}
	}
	for _, cd := range b.s.Containers() {
		if cd.LogConfiguration != nil {
			if r := cd.LogConfiguration.Options["awslogs-region"]; r != "" && !strings.HasPrefix(r, "(") {
				return r
			}
		}
	}
	for _, cd := range b.s.Containers() {
		for _, sec := range cd.Secrets {
			if r := arnField(deref(sec.ValueFrom), 3); r != "" && !strings.HasPrefix(r, "(") {
				return r
			}
		}
	}
	return ""
}

func (b *builder) gapsIAM() {
	s := b.s
	arn := s.ExecutionRoleARN()
	if arn != "" && s.Role(arn) == nil {
		b.gap("iam:GetRole", arn)
	}
	if s.LaunchType() == "EC2" && s.InstanceRoleARN == "" && s.ContainerInstance == nil {
		b.gap("ecs:DescribeContainerInstances", "")
		b.gap("ec2:DescribeInstances", "")
	}
}

func (b *builder) gapsImages() {
	s := b.s
	seen := map[string]bool{}
	roleAcct := arnField(s.ExecutionRoleARN(), 4)
	for _, cd := range s.Containers() {
		ref, err := imageref.Parse(deref(cd.Image))
		if err != nil || ref.Kind != imageref.KindECR || seen[ref.String()] {
			continue
		}
		seen[ref.String()] = true
		own := b.ownRepos[ref.Repository] && (s.Account == "" || ref.Account == s.Account)
		if !own {
			b.gap("ecr:DescribeRepositories", ref.Repository)
		}
		if !own || !accountRE.MatchString(roleAcct) {
			b.gap("ecr:GetRepositoryPolicy", ref.Repository)
		}
		id := ref.Repository + ":" + ref.TagOrDefault()
		if ref.Digest != "" {
			id = ref.Repository + "@" + ref.Digest
		}
		b.gap("ecr:DescribeImages", id)
		b.gap("ecr:BatchGetImage", id)
		b.gap("ecr:DescribePullThroughCacheRules", ref.Account+"/"+ref.Region)
	}
}

func (b *builder) gapsSecrets() {
	s := b.s
	for _, cd := range s.Containers() {
		var refs []string
		if cd.RepositoryCredentials != nil && deref(cd.RepositoryCredentials.CredentialsParameter) != "" {
			refs = append(refs, deref(cd.RepositoryCredentials.CredentialsParameter))
		}
		for _, sec := range cd.Secrets {
			refs = append(refs, deref(sec.ValueFrom))
		}
		for _, r := range refs {
			switch {
			case r == "":
			case arnField(r, 2) == "secretsmanager":
				if s.Secret(r) == nil && s.Secret(secretBase(r)) == nil {
					b.gap("secretsmanager:DescribeSecret", r)
				}
			default:
				if s.Parameter(r) == nil {
					b.gap("ssm:GetParameters", r)
				}
			}
		}
	}
}

func (b *builder) gapsLogs() {
	for _, cd := range b.s.Containers() {
		lc := cd.LogConfiguration
		if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs {
			continue
		}
		group := lc.Options["awslogs-group"]
		if group == "" {
			continue
		}
		found := false
		for _, lg := range b.s.LogGroups {
			if lg.Name == group {
				found = true
			}
		}
		if !found {
			b.gap("logs:DescribeLogGroups", group)
		}
	}
}

// secretBase strips the JSON-key suffix ECS allows on a secret ARN
// (arn:...:secret:name-AbCdEf:key:stage:version).
func secretBase(ref string) string {
	parts := strings.Split(ref, ":")
	if len(parts) > 7 {
		return strings.Join(parts[:7], ":")
	}
	return ref
}

func (b *builder) gapsNetwork() {
	s := b.s
	if s.LaunchType() != "FARGATE" && s.NetworkMode() != "awsvpc" {
		// EC2 (or undecided): the container instance pulls, and the file does not name it.
		if s.Instance == nil {
			b.gap("ecs:DescribeContainerInstances", "")
			b.gap("ec2:DescribeInstances", "")
		}
		return
	}
	eni, ok := s.ENI()
	if !ok {
		b.gap("ecs:DescribeServices", "")
		b.gap("ecs:DescribeTasks", "")
		return
	}
	for _, id := range eni.SubnetIDs {
		sn := s.Subnet(id)
		if sn == nil {
			b.gap("ec2:DescribeSubnets", id)
			continue
		}
		vpc := deref(sn.VpcId)
		v := s.VPC(vpc)
		if v == nil {
			b.gap("ec2:DescribeVpcs", vpc)
		} else if v.EnableDnsSupport == nil || v.EnableDnsHostnames == nil {
			b.gap("ec2:DescribeVpcAttribute", vpc)
		}
		if rt, _ := s.RouteTableFor(id, vpc); rt == nil {
			b.gap("ec2:DescribeRouteTables", id)
		} else {
			for _, r := range rt.Routes {
				if n := deref(r.NatGatewayId); n != "" && s.NatGateway(n) == nil {
					b.gap("ec2:DescribeNatGateways", n)
				}
			}
		}
		if !b.ownVPCs[vpc] {
			b.gap("ec2:DescribeVpcEndpoints", vpc)
			b.gap("ec2:DescribeNetworkAcls", vpc)
			b.gap("ec2:DescribeNatGateways", vpc)
		}
	}
	for _, id := range eni.SecurityGroupIDs {
		if s.SecurityGroup(id) == nil {
			b.gap("ec2:DescribeSecurityGroups", id)
		}
	}
}

// arnField returns field i of an ARN (1 partition, 2 service, 3 region, 4 account), or "".
func arnField(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[i]
}
