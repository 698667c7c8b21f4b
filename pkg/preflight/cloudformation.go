package preflight

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// A CloudFormation template, in JSON or in YAML (yaml.go makes YAML the same value). Intrinsic
// functions are resolved as far as the template alone allows: pseudo parameters from
// --region/--account, parameters from their Default, Ref and Fn::GetAtt of the template's own
// IAM roles to their ARNs (when RoleName and the account are known), everything else to a
// symbolic "(Ref: X)" / "(X.Attr)" that stays the same wherever it appears.
// Properties: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ecs-taskdefinition.html

type cfnTemplate struct {
	b         *builder
	resources map[string]map[string]any // logical id → resource
	params    map[string]any
	roleARN   map[string]string
	// inRef are the resources whose Ref is being resolved: a name built from itself stays
	// symbolic instead of recursing forever.
	inRef map[string]bool
}

func (b *builder) cloudFormation(top map[string]any) error {
	t := &cfnTemplate{b: b, resources: map[string]map[string]any{}, params: obj(top["Parameters"]), roleARN: map[string]string{}, inRef: map[string]bool{}}
	for id, r := range obj(top["Resources"]) {
		t.resources[id] = obj(r)
	}
	ids := make([]string, 0, len(t.resources))
	for id := range t.resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	acct := b.o.Account
	if acct == "" {
		var images []string
		for _, id := range ids {
			if str(t.resources[id]["Type"]) == "AWS::ECS::TaskDefinition" {
				for _, cd := range arr(obj(t.resources[id]["Properties"])["ContainerDefinitions"]) {
					images = append(images, str(obj(cd)["Image"]))
				}
			}
		}
		b.s.Region = b.o.Region
		acct = b.imageAccount(images)
		b.s.Account = acct
	}
	for _, id := range ids {
		r := t.resources[id]
		if str(r["Type"]) != "AWS::IAM::Role" {
			continue
		}
		props := obj(r["Properties"])
		if acct != "" {
			// Without a RoleName, CloudFormation makes one up ("stack-ExecRole-AbC123"); the
			// ARN still names the account, which is what decides same-account access.
			name := firstNonEmpty(str(props["RoleName"]), "("+id+")")
			t.roleARN[id] = "arn:" + imageref.PartitionOf(b.o.Region) + ":iam::" + acct + ":role" + firstNonEmpty(str(props["Path"]), "/") + name
		} else {
			t.roleARN[id] = "(" + id + ".Arn)"
		}
	}
	var tdID, svcID string
	for _, id := range ids {
		r := t.resources[id]
		switch str(r["Type"]) {
		case "AWS::IAM::Role":
			t.role(id, obj(r["Properties"]))
		case "AWS::ECR::Repository":
			props := obj(t.resolve(r["Properties"]))
			name := firstNonEmpty(str(props["RepositoryName"]), "("+id+")")
			repo := snapshot.Repository{Region: b.o.Region, Repository: ecrtypes.Repository{RepositoryName: ptr(name), RegistryId: ptr(acct)}}
			if pol := props["RepositoryPolicyText"]; pol != nil {
				repo.Policy = rawJSON(pol)
			}
			b.s.ECR.Repositories = append(b.s.ECR.Repositories, repo)
			b.ownRepos[name] = true
		case "AWS::Logs::LogGroup":
			b.s.LogGroups = append(b.s.LogGroups, snapshot.LogGroup{Name: str(t.ref(id))})
		case "AWS::SecretsManager::Secret":
			props := obj(t.resolve(r["Properties"]))
			b.s.Secrets = append(b.s.Secrets, snapshot.Secret{ARN: "(Ref: " + id + ")", Name: str(props["Name"]), KmsKeyID: str(props["KmsKeyId"])})
		case "AWS::ECS::Service":
			if svcID == "" {
				svcID = id
				if ref := str(obj(obj(r["Properties"])["TaskDefinition"])["Ref"]); ref != "" {
					tdID = ref
				}
			}
		case "AWS::ECS::TaskDefinition":
			if tdID == "" && svcID == "" {
				tdID = id
			}
		}
	}
	for _, id := range ids {
		r := t.resources[id]
		if typ := str(r["Type"]); typ == "AWS::IAM::Policy" || typ == "AWS::IAM::ManagedPolicy" {
			t.policy(id, typ, obj(r["Properties"]))
		}
	}
	if tdID == "" {
		for _, id := range ids {
			if str(t.resources[id]["Type"]) == "AWS::ECS::TaskDefinition" {
				tdID = id
				break
			}
		}
	}
	if r := t.resources[tdID]; r != nil && str(r["Type"]) == "AWS::ECS::TaskDefinition" {
		props := obj(t.resolve(r["Properties"]))
		if props == nil {
			props = map[string]any{}
		}
		if _, ok := props["Family"]; !ok {
			props["Family"] = tdID
		}
		td, err := decodeTaskDefinition(props)
		if err != nil {
			return err
		}
		if len(td.ContainerDefinitions) == 0 {
			// ECS refuses it too; with nothing to check, every check would be not applicable.
			return fmt.Errorf("task definition %s has no ContainerDefinitions", tdID)
		}
		b.s.TaskDefinition = td
		for _, cd := range td.ContainerDefinitions {
			img := deref(cd.Image)
			switch {
			case strings.Contains(img, "(AWS::AccountId)") || strings.Contains(img, "(AWS::Region)"):
				return fmt.Errorf("container %s: the image %s is built from the stack's account and region: pass --account and --region", deref(cd.Name), img)
			case strings.Contains(img, "("):
				b.s.TaskDefinition = nil
				b.gapMsg("ecs:DescribeTaskDefinition", "", "the image of container "+deref(cd.Name)+" is known only at deploy time: "+img)
				b.note("container %s: the image %s is known only at deploy time (give the parameter a Default, or run preflight on the registered task definition); the checks that read containers report unknown", deref(cd.Name), img)
			}
		}
	}
	if r := t.resources[svcID]; r != nil {
		t.service(svcID, obj(t.resolve(r["Properties"])))
	}
	t.network(ids)
	return nil
}

func (t *cfnTemplate) role(id string, raw map[string]any) {
	props := obj(t.resolve(raw))
	role := snapshot.Role{ARN: t.roleARN[id], RoleName: str(props["RoleName"]), AssumeRolePolicyDocument: rawJSON(props["AssumeRolePolicyDocument"])}
	for _, p := range arr(props["Policies"]) {
		p := obj(p)
		role.InlinePolicies = append(role.InlinePolicies, snapshot.Policy{Name: str(p["PolicyName"]), Document: rawJSON(p["PolicyDocument"])})
	}
	for _, arn := range strs(props["ManagedPolicyArns"]) {
		pol := snapshot.Policy{ARN: arn, Name: snapshot.RoleNameFromARN(arn)}
		if isTaskExecutionPolicy(arn) {
			pol.Document, pol.VersionID = json.RawMessage(taskExecutionRolePolicy), taskExecutionRolePolicyVersion
		} else if doc := t.managedPolicyDoc(arn); doc != nil {
			pol.Document = doc
		} else {
			t.b.gap("iam:GetPolicyVersion", arn)
		}
		role.AttachedPolicies = append(role.AttachedPolicies, pol)
	}
	t.b.s.Roles = append(t.b.s.Roles, role)
}

// managedPolicyDoc returns the document of an AWS::IAM::ManagedPolicy of the template that
// ref ("(Ref: X)") names.
func (t *cfnTemplate) managedPolicyDoc(ref string) json.RawMessage {
	id := strings.TrimSuffix(strings.TrimPrefix(ref, "(Ref: "), ")")
	if r := t.resources[id]; r != nil && str(r["Type"]) == "AWS::IAM::ManagedPolicy" {
		return rawJSON(t.resolve(obj(r["Properties"])["PolicyDocument"]))
	}
	return nil
}

// policy attaches an AWS::IAM::Policy (inline) or AWS::IAM::ManagedPolicy to the template's
// roles it lists under Roles.
func (t *cfnTemplate) policy(id, typ string, raw map[string]any) {
	props := obj(t.resolve(raw))
	doc := rawJSON(props["PolicyDocument"])
	for _, r := range arr(raw["Roles"]) {
		roleID := str(obj(r)["Ref"])
		for i := range t.b.s.Roles {
			role := &t.b.s.Roles[i]
			if role.ARN != t.roleARN[roleID] || roleID == "" {
				continue
			}
			if typ == "AWS::IAM::Policy" {
				role.InlinePolicies = append(role.InlinePolicies, snapshot.Policy{Name: firstNonEmpty(str(props["PolicyName"]), id), Document: doc})
			} else {
				role.AttachedPolicies = append(role.AttachedPolicies, snapshot.Policy{Name: firstNonEmpty(str(props["ManagedPolicyName"]), id), ARN: "(Ref: " + id + ")", Document: doc})
			}
		}
	}
}

func (t *cfnTemplate) service(id string, props map[string]any) {
	svc := &ecstypes.Service{ServiceName: ptr(firstNonEmpty(str(props["ServiceName"]), id)), LaunchType: ecstypes.LaunchType(str(props["LaunchType"]))}
	for _, cp := range arr(props["CapacityProviderStrategy"]) {
		svc.CapacityProviderStrategy = append(svc.CapacityProviderStrategy, ecstypes.CapacityProviderStrategyItem{CapacityProvider: ptr(str(obj(cp)["CapacityProvider"]))})
	}
	if av := obj(obj(props["NetworkConfiguration"])["AwsvpcConfiguration"]); av != nil {
		apip := ecstypes.AssignPublicIpDisabled
		if strings.EqualFold(str(av["AssignPublicIp"]), "ENABLED") {
			apip = ecstypes.AssignPublicIpEnabled
		}
		svc.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: strs(av["Subnets"]), SecurityGroups: strs(av["SecurityGroups"]), AssignPublicIp: apip,
		}}
	}
	if c := str(props["Cluster"]); c != "" {
		t.b.s.Target.Cluster = c
	}
	t.b.s.Service = svc
}

// resolve replaces intrinsic functions in v with what they resolve to.
func (t *cfnTemplate) resolve(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			r := t.resolve(e)
			if l, ok := r.([]any); ok && isIntrinsic(e) {
				out = append(out, l...) // a Ref to a List parameter spreads
				continue
			}
			out = append(out, r)
		}
		return out
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return t.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = t.resolve(e)
		}
		return out
	}
	return v
}

func isIntrinsic(v any) bool {
	m := obj(v)
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

func (t *cfnTemplate) intrinsic(fn string, arg any) any {
	switch fn {
	case "Ref":
		return t.ref(str(arg))
	case "Fn::GetAtt":
		var id, attr string
		if a := strs(arg); len(a) == 2 {
			id, attr = a[0], a[1]
		} else {
			id, attr, _ = strings.Cut(str(arg), ".")
		}
		return t.getAtt(id, attr)
	case "Fn::Sub":
		tmpl, vars := str(arg), map[string]any{}
		if a := arr(arg); len(a) == 2 {
			tmpl, vars = str(a[0]), obj(t.resolve(a[1]))
		}
		return subRE.ReplaceAllStringFunc(tmpl, func(m string) string {
			name := m[2 : len(m)-1]
			if strings.HasPrefix(name, "!") {
				return "${" + name[1:] + "}"
			}
			if v, ok := vars[name]; ok {
				return str(v)
			}
			if id, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
				return str(t.getAtt(id, attr))
			}
			return str(t.ref(name))
		})
	case "Fn::Join":
		a := arr(arg)
		if len(a) != 2 {
			return "(Fn::Join)"
		}
		var parts []string
		for _, e := range arr(t.resolve(a[1])) {
			parts = append(parts, str(e))
		}
		return strings.Join(parts, str(a[0]))
	case "Fn::Select":
		a := arr(arg)
		if len(a) == 2 {
			if i, ok := int32Of(t.resolve(a[0])); ok {
				if l := arr(t.resolve(a[1])); int(i) < len(l) && i >= 0 {
					return l[i]
				}
			}
		}
		return "(Fn::Select)"
	case "Fn::ImportValue":
		return "(ImportValue: " + str(t.resolve(arg)) + ")"
	}
	return "(" + fn + ")"
}

var subRE = regexp.MustCompile(`\$\{[^}]+\}`)

func (t *cfnTemplate) ref(name string) any {
	switch name {
	case "AWS::Region":
		return firstNonEmpty(t.b.o.Region, "(AWS::Region)")
	case "AWS::AccountId":
		return firstNonEmpty(t.b.o.Account, "(AWS::AccountId)")
	case "AWS::Partition":
		return imageref.PartitionOf(t.b.o.Region)
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName", "AWS::StackId", "AWS::NoValue":
		return "(" + name + ")"
	}
	if p := obj(t.params[name]); p != nil {
		if d, ok := p["Default"]; ok {
			if strings.HasPrefix(str(p["Type"]), "List<") || str(p["Type"]) == "CommaDelimitedList" {
				var out []any
				for _, e := range strings.Split(str(d), ",") {
					out = append(out, strings.TrimSpace(e))
				}
				return out
			}
			return d
		}
		return "(Ref: " + name + ")"
	}
	if r := t.resources[name]; r != nil {
		switch str(r["Type"]) {
		case "AWS::IAM::Role":
			if n := str(obj(r["Properties"])["RoleName"]); n != "" {
				return n
			}
		case "AWS::Logs::LogGroup":
			// Ref of a log group is its name; the name may itself be built with Fn::Sub.
			if !t.inRef[name] {
				t.inRef[name] = true
				n := str(t.resolve(obj(r["Properties"])["LogGroupName"]))
				delete(t.inRef, name)
				if n != "" {
					return n
				}
			}
		case "AWS::EC2::InternetGateway":
			// Route targets are told apart by their id's prefix, as EC2 returns them.
			return "igw-(Ref: " + name + ")"
		case "AWS::EC2::VPCEndpoint":
			return "vpce-(Ref: " + name + ")"
		}
	}
	return "(Ref: " + name + ")"
}

// sameAsRef are the attributes that are the resource's Ref, so both spellings name one id.
var sameAsRef = map[string]string{
	"AWS::EC2::SecurityGroup": "GroupId", "AWS::EC2::Subnet": "SubnetId", "AWS::EC2::VPC": "VpcId",
	"AWS::EC2::RouteTable": "RouteTableId", "AWS::EC2::VPCEndpoint": "Id", "AWS::EC2::InternetGateway": "InternetGatewayId",
}

func (t *cfnTemplate) getAtt(id, attr string) any {
	if arn, ok := t.roleARN[id]; ok && attr == "Arn" {
		return arn
	}
	if r := t.resources[id]; r != nil && attr != "" && sameAsRef[str(r["Type"])] == attr {
		return t.ref(id)
	}
	return "(" + id + "." + attr + ")"
}
