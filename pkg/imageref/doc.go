// Package imageref parses the container image references that Amazon ECS
// accepts in a task definition's "image" field and classifies the registry
// they point at (private ECR, public ECR, Docker Hub or anything else).
//
// The checks need to know *whose* registry an image lives in before they can
// decide which permissions, endpoints and credentials a pull needs, so the
// classification is as important as the syntax.
//
// The syntax follows the reference grammar of github.com/distribution/reference
// (reference.go / regexp.go, itself the grammar Docker and containerd use):
//
//	reference        := name [ ":" tag ] [ "@" digest ]
//	name             := [domain '/'] remote-name
//	domain           := host [':' port-number]
//	host             := domain-name | IPv4address | \[ IPv6address \]
//	domain-name      := domain-component ['.' domain-component]*
//	domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//	port-number      := /[0-9]+/
//	path-component   := alpha-numeric [separator alpha-numeric]*
//	remote-name      := path-component ['/' path-component]*
//	alpha-numeric    := /[a-z0-9]+/
//	separator        := /[_.]|__|[-]+/
//	tag              := /[\w][\w.-]{0,127}/
//	digest           := digest-algorithm ":" digest-hex
//
// plus NameTotalLengthMax = 255 for the whole name (domain included), and the
// digest rules of github.com/opencontainers/go-digest (sha256: 64, sha384: 96,
// sha512: 128 lowercase hex characters). Docker Hub normalisation follows
// distribution's normalize.go: a first path component is a registry host only
// when it contains "." or ":", is "localhost", or has upper-case letters;
// otherwise the image is on docker.io, and a single-component Docker Hub
// repository gets the "library/" namespace.
//
// Parsing is hand-written rather than regexp-based so that an error can say
// exactly which rule a reference breaks; pulldoctor shows that reason to the
// user as the explanation of an invalid-image-reference finding.
package imageref
