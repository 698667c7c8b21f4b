// Package snapshot is the data model every check reads: the AWS state around one ECS task,
// gathered once (live, from a file, or from a task definition before deploy).
//
// The AWS parts reuse aws-sdk-go-v2's own types, so the collector copies API answers as they
// are and a snapshot file reads like `aws ... describe-*` output (encoding/json matches field
// names case-insensitively, so the CLI's camelCase ECS output and PascalCase EC2 output both
// load). What the APIs do not return in one shape (policy documents already URL-decoded,
// secret metadata, registry probes, gaps) uses this package's own structs.
//
// The JSON form is a contract (DESIGN.md §4): "schemaVersion": 1.
package snapshot

import (
	"encoding/json"
	"time"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// SchemaVersion is the only snapshot version this build reads and writes.
const SchemaVersion = 1

// Snapshot is everything the checks may look at.
//
// Missing data is explicit: a read that failed is a Gap. For lists (VPC endpoints, route
// tables, ...) an empty list means "read, and there are none" unless a Gap names the call;
// for a resource referenced by id (the task's subnet, its role) absence from the snapshot
// means "unknown", never "fine".
type Snapshot struct {
	SchemaVersion int    `json:"schemaVersion"`
	CollectedAt   string `json:"collectedAt,omitempty"`
	// Source says how the snapshot was made: "live", "preflight", "example", "test".
	Source string `json:"source,omitempty"`
	Region string `json:"region"`
	// Account is the account the task runs in.
	Account   string `json:"account,omitempty"`
	Partition string `json:"partition,omitempty"`
	CallerARN string `json:"callerArn,omitempty"`

	Target Target `json:"target"`
	// StoppedReason is the text being explained: the task's stoppedReason, a container's
	// reason, or a service event, whichever the collector found most telling.
	StoppedReason string `json:"stoppedReason,omitempty"`

	Cluster           *ecstypes.Cluster           `json:"cluster,omitempty"`
	Service           *ecstypes.Service           `json:"service,omitempty"`
	Task              *ecstypes.Task              `json:"task,omitempty"`
	TaskDefinition    *ecstypes.TaskDefinition    `json:"taskDefinition,omitempty"`
	ContainerInstance *ecstypes.ContainerInstance `json:"containerInstance,omitempty"`
	// Instance is the EC2 instance behind the container instance (EC2 launch type): its
	// subnet, security groups and public IP are what the image pull uses.
	Instance *ec2types.Instance `json:"instance,omitempty"`
	// InstanceRoleARN is the IAM role of the container instance's instance profile; the ECS
	// agent falls back to it for ECR and awslogs when the task has no execution role.
	InstanceRoleARN string `json:"instanceRoleArn,omitempty"`

	// Roles holds the execution role (and any other role a check needs) by ARN.
	Roles []Role `json:"roles,omitempty"`

	ECR     ECR     `json:"ecr"`
	Network Network `json:"network"`

	Secrets    []Secret    `json:"secrets,omitempty"`
	Parameters []Parameter `json:"parameters,omitempty"`
	KMSKeys    []KMSKey    `json:"kmsKeys,omitempty"`
	LogGroups  []LogGroup  `json:"logGroups,omitempty"`

	// Registry holds probes of non-ECR registries (manifest HEAD/GET), one per image.
	Registry []RegistryProbe `json:"registry,omitempty"`

	Gaps []Gap `json:"gaps,omitempty"`
}

// Target names what was diagnosed.
type Target struct {
	Cluster        string `json:"cluster,omitempty"`
	Task           string `json:"task,omitempty"`
	Service        string `json:"service,omitempty"`
	TaskDefinition string `json:"taskDefinition,omitempty"`
	Region         string `json:"region,omitempty"`
	Account        string `json:"account,omitempty"`
}

// Gap is one read that failed. Checks that need it report "unknown" and name Call as the
// permission that would decide them.
type Gap struct {
	// Call is service:Action, e.g. "ec2:DescribeVpcEndpoints".
	Call string `json:"call"`
	// Error is the AWS error code (AccessDenied, UnauthorizedOperation, Throttling,
	// RequestTimeout, NotCollected, ...).
	Error   string `json:"error"`
	Message string `json:"message,omitempty"`
	// Ref is the resource the call was about, when it was about one (a role ARN, a secret).
	Ref string `json:"ref,omitempty"`
}

// Role is an IAM role with every policy document that applies to it, already decoded.
type Role struct {
	ARN      string `json:"arn"`
	RoleName string `json:"roleName,omitempty"`
	RoleID   string `json:"roleId,omitempty"`
	// AssumeRolePolicyDocument is the trust policy, as JSON (object, or a string holding
	// JSON, possibly URL-encoded as IAM returns it).
	AssumeRolePolicyDocument json.RawMessage `json:"assumeRolePolicyDocument,omitempty"`
	AttachedPolicies         []Policy        `json:"attachedPolicies,omitempty"`
	InlinePolicies           []Policy        `json:"inlinePolicies,omitempty"`
	PermissionsBoundary      *Policy         `json:"permissionsBoundary,omitempty"`
}

// Policy is one managed or inline policy document.
type Policy struct {
	Name string `json:"name"`
	ARN  string `json:"arn,omitempty"`
	// VersionID is the default version the document was read from (managed policies).
	VersionID string          `json:"versionId,omitempty"`
	Document  json.RawMessage `json:"document,omitempty"`
}

// ECR is the registry state around the task's ECR images, in the image's account and region.
type ECR struct {
	Repositories []Repository `json:"repositories,omitempty"`
	// Images are the image details read for the task's repositories (describe-images).
	Images []ecrtypes.ImageDetail `json:"images,omitempty"`
	// ImagePlatforms maps an image digest to the platforms its manifest or index lists
	// ("linux/amd64", "linux/arm64/v8").
	ImagePlatforms        map[string][]string             `json:"imagePlatforms,omitempty"`
	PullThroughCacheRules []ecrtypes.PullThroughCacheRule `json:"pullThroughCacheRules,omitempty"`
}

// Repository is an ECR repository with its repository policy (nil when it has none).
type Repository struct {
	ecrtypes.Repository
	Policy json.RawMessage `json:"policy,omitempty"`
	// Region is where the repository lives (the image's region, not always the task's).
	Region string `json:"region,omitempty"`
	// ImagesComplete says Images holds every image of the repository, so a tag absent from
	// it really does not exist. When false only a lookup of the wanted tag was made.
	ImagesComplete bool `json:"imagesComplete,omitempty"`
}

// Network is the VPC state around the task's ENI (or the container instance's).
type Network struct {
	Vpcs                       []VPC                                `json:"vpcs,omitempty"`
	Subnets                    []ec2types.Subnet                    `json:"subnets,omitempty"`
	RouteTables                []ec2types.RouteTable                `json:"routeTables,omitempty"`
	InternetGateways           []ec2types.InternetGateway           `json:"internetGateways,omitempty"`
	EgressOnlyInternetGateways []ec2types.EgressOnlyInternetGateway `json:"egressOnlyInternetGateways,omitempty"`
	NatGateways                []ec2types.NatGateway                `json:"natGateways,omitempty"`
	VpcEndpoints               []ec2types.VpcEndpoint               `json:"vpcEndpoints,omitempty"`
	SecurityGroups             []ec2types.SecurityGroup             `json:"securityGroups,omitempty"`
	NetworkAcls                []ec2types.NetworkAcl                `json:"networkAcls,omitempty"`
	PrefixLists                []PrefixList                         `json:"prefixLists,omitempty"`
	DhcpOptions                []ec2types.DhcpOptions               `json:"dhcpOptions,omitempty"`
	NetworkInterfaces          []ec2types.NetworkInterface          `json:"networkInterfaces,omitempty"`
}

// VPC is a VPC plus the two DNS attributes interface endpoints depend on (read with
// DescribeVpcAttribute; nil when not read).
type VPC struct {
	ec2types.Vpc
	EnableDnsSupport   *bool `json:"enableDnsSupport,omitempty"`
	EnableDnsHostnames *bool `json:"enableDnsHostnames,omitempty"`
}

// PrefixList is a managed prefix list with its entries (e.g. com.amazonaws.REGION.s3).
type PrefixList struct {
	PrefixListID   string   `json:"prefixListId"`
	PrefixListName string   `json:"prefixListName,omitempty"`
	Cidrs          []string `json:"cidrs,omitempty"`
}

// Secret is Secrets Manager metadata. The value is never read into a snapshot; only its
// shape, when the user asked for it (--inspect-secret-format).
type Secret struct {
	ARN      string `json:"arn"`
	Name     string `json:"name,omitempty"`
	KmsKeyID string `json:"kmsKeyId,omitempty"`
	// ResourcePolicy is the secret's resource policy, if any.
	ResourcePolicy json.RawMessage `json:"resourcePolicy,omitempty"`
	DeletedDate    *time.Time      `json:"deletedDate,omitempty"`
	Format         *SecretFormat   `json:"format,omitempty"`
}

// SecretFormat is what --inspect-secret-format learned about a secret's value, without the
// value: enough to tell a malformed repositoryCredentials secret.
type SecretFormat struct {
	IsJSON      bool `json:"isJson"`
	HasUsername bool `json:"hasUsername"`
	HasPassword bool `json:"hasPassword"`
}

// Parameter is SSM Parameter Store metadata (never the value).
type Parameter struct {
	ARN   string `json:"arn"`
	Name  string `json:"name"`
	Type  string `json:"type,omitempty"`
	KeyID string `json:"keyId,omitempty"`
}

// KMSKey is a KMS key's metadata and key policy.
type KMSKey struct {
	KeyID      string          `json:"keyId"`
	ARN        string          `json:"arn"`
	KeyManager string          `json:"keyManager,omitempty"` // AWS or CUSTOMER
	KeyState   string          `json:"keyState,omitempty"`
	Aliases    []string        `json:"aliases,omitempty"`
	Policy     json.RawMessage `json:"policy,omitempty"`
}

// LogGroup is a CloudWatch Logs group the task's awslogs configuration names.
type LogGroup struct {
	Name string `json:"name"`
	ARN  string `json:"arn,omitempty"`
}

// RegistryProbe is what a HEAD/GET of an image manifest on a non-ECR registry returned.
type RegistryProbe struct {
	Image      string `json:"image"`
	Registry   string `json:"registry"`
	Authorized bool   `json:"authorized"` // the probe used credentials
	// Outcome: found, not-found, unauthorized, denied, rate-limited, server-error,
	// timeout, error.
	Outcome    string   `json:"outcome"`
	HTTPStatus int      `json:"httpStatus,omitempty"`
	Digest     string   `json:"digest,omitempty"`
	MediaType  string   `json:"mediaType,omitempty"`
	Platforms  []string `json:"platforms,omitempty"`
	AuthScheme string   `json:"authScheme,omitempty"`
	// RateLimitLimit / RateLimitRemaining are Docker Hub's ratelimit-limit and
	// ratelimit-remaining headers, verbatim (e.g. "100;w=21600").
	RateLimitLimit     string `json:"rateLimitLimit,omitempty"`
	RateLimitRemaining string `json:"rateLimitRemaining,omitempty"`
	Error              string `json:"error,omitempty"`
	ProbedAt           string `json:"probedAt,omitempty"`
}
