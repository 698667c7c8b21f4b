// Package cause is the catalogue of reasons an ECS task cannot pull its image.
// The ids are a contract (DESIGN.md §5): other programs read them.
package cause

// ID names one cause of a failed image pull.
type ID string

// The cause ids of DESIGN.md §5. Extend, never rename.
const (
	ExecRoleMissing     ID = "exec-role-missing"
	ExecRolePermissions ID = "exec-role-permissions"
	ExecRoleTrust       ID = "exec-role-trust"
	ImageNotFound       ID = "image-not-found"
	InvalidImageRef     ID = "invalid-image-reference"
	RepositoryPolicy    ID = "repository-policy"
	NetworkNoRoute      ID = "network-no-route"
	PublicIPMissing     ID = "public-ip-missing"
	VPCEndpointConfig   ID = "vpc-endpoint-config"
	S3LayerAccess       ID = "s3-layer-access"
	DNSResolution       ID = "dns-resolution"
	RegistryRateLimit   ID = "registry-rate-limit"
	RegistryAuth        ID = "registry-auth"
	SecretsAccess       ID = "secrets-access"
	KMSDecrypt          ID = "kms-decrypt"
	PlatformMismatch    ID = "platform-mismatch"
	DiskFull            ID = "disk-full"
	RegistryServerError ID = "registry-server-error"
	PullCanceled        ID = "pull-canceled"
	LogConfig           ID = "log-config"
	Unknown             ID = "unknown"
)

// All lists every cause id in catalogue order.
var All = []ID{
	ExecRoleMissing, ExecRolePermissions, ExecRoleTrust, ImageNotFound, InvalidImageRef,
	RepositoryPolicy, NetworkNoRoute, PublicIPMissing, VPCEndpointConfig, S3LayerAccess,
	DNSResolution, RegistryRateLimit, RegistryAuth, SecretsAccess, KMSDecrypt,
	PlatformMismatch, DiskFull, RegistryServerError, PullCanceled, LogConfig, Unknown,
}
