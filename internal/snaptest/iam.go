package snaptest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// IAM, secrets and KMS builders for the IAM checks' tests.

// ExecPolicyARN is the ARN of the AWS managed execution role policy.
const ExecPolicyARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"

// ExecPolicy is AmazonECSTaskExecutionRolePolicy as an attached policy, read from
// testdata/policies (the document AWS publishes).
func ExecPolicy() snapshot.Policy {
	return snapshot.Policy{Name: "AmazonECSTaskExecutionRolePolicy", ARN: ExecPolicyARN, VersionID: "v1", Document: PolicyFixture("AmazonECSTaskExecutionRolePolicy.json")}
}

// PolicyFixture reads testdata/policies/<name> from the repository root.
func PolicyFixture(name string) json.RawMessage {
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "policies", name))
	if err != nil {
		panic("snaptest.PolicyFixture: " + err.Error())
	}
	return json.RawMessage(b)
}

// Managed is a customer managed policy in the default account.
func Managed(name, doc string) snapshot.Policy {
	return snapshot.Policy{Name: name, ARN: "arn:aws:iam::" + Account + ":policy/" + name, VersionID: "v1", Document: json.RawMessage(doc)}
}

// Boundary sets the permissions boundary of the role with this ARN (added with Role).
func (b *Snap) Boundary(roleARN string, p snapshot.Policy) *Snap {
	for i := range b.S.Roles {
		if b.S.Roles[i].ARN == roleARN {
			b.S.Roles[i].PermissionsBoundary = &p
		}
	}
	return b
}

// InstanceRole sets the container instance role (EC2 launch type).
func (b *Snap) InstanceRole(arn string) *Snap {
	b.S.InstanceRoleARN = arn
	return b
}

// RepoIn adds an ECR repository in any account and region, with a repository policy
// (policy "" means none).
func (b *Snap) RepoIn(account, region, name, policy string) *Snap {
	r := snapshot.Repository{
		Repository: ecrtypes.Repository{
			RepositoryName: aws.String(name), RegistryId: aws.String(account),
			RepositoryArn:      aws.String("arn:aws:ecr:" + region + ":" + account + ":repository/" + name),
			RepositoryUri:      aws.String(account + ".dkr.ecr." + region + ".amazonaws.com/" + name),
			CreatedAt:          aws.Time(time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)),
			ImageTagMutability: ecrtypes.ImageTagMutabilityMutable,
		},
		Region: region,
	}
	if policy != "" {
		r.Policy = json.RawMessage(policy)
	}
	b.S.ECR.Repositories = append(b.S.ECR.Repositories, r)
	return b
}

// SecretWith adds a secret with a KMS key id and a resource policy ("" for none).
func (b *Snap) SecretWith(arn, kmsKeyID, resourcePolicy string) *Snap {
	name := arn[strings.LastIndex(arn, ":")+1:]
	if len(name) > 7 && name[len(name)-7] == '-' {
		name = name[:len(name)-7]
	}
	sec := snapshot.Secret{ARN: arn, Name: name, KmsKeyID: kmsKeyID}
	if resourcePolicy != "" {
		sec.ResourcePolicy = json.RawMessage(resourcePolicy)
	}
	b.S.Secrets = append(b.S.Secrets, sec)
	return b
}

// Parameter adds SSM parameter metadata (name with or without the leading slash, as SSM
// returns it).
func (b *Snap) Parameter(name, typ, keyID string) *Snap {
	arn := "arn:aws:ssm:" + Region + ":" + Account + ":parameter/" + strings.TrimPrefix(name, "/")
	b.S.Parameters = append(b.S.Parameters, snapshot.Parameter{ARN: arn, Name: name, Type: typ, KeyID: keyID})
	return b
}

// KMSKey adds a KMS key (manager AWS or CUSTOMER) with its key policy.
func (b *Snap) KMSKey(id, manager, state, policy string, aliases ...string) *Snap {
	k := snapshot.KMSKey{KeyID: id, ARN: "arn:aws:kms:" + Region + ":" + Account + ":key/" + id, KeyManager: manager, KeyState: state, Aliases: aliases}
	if policy != "" {
		k.Policy = json.RawMessage(policy)
	}
	b.S.KMSKeys = append(b.S.KMSKeys, k)
	return b
}

// LogGroup records an existing CloudWatch Logs group in the default account and region.
func (b *Snap) LogGroup(name string) *Snap {
	b.S.LogGroups = append(b.S.LogGroups, snapshot.LogGroup{Name: name, ARN: "arn:aws:logs:" + Region + ":" + Account + ":log-group:" + name + ":*"})
	return b
}
