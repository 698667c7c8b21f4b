// Package registry probes OCI/Docker registries that are not Amazon ECR (Docker Hub, GHCR,
// Quay, self-hosted) for one image manifest, the way the ECS agent's pull would ask for it,
// and turns the answer into a snapshot.RegistryProbe the checks can read offline.
//
// It exists because the failures that matter for a pull (toomanyrequests, unauthorized,
// manifest unknown, a proxy answering HTML, a registry that never answers) are only visible
// on the wire: the stopped reason often truncates them. The probe is read-only and bounded:
// a HEAD of the manifest (Docker Hub does not count HEAD requests against the pull rate
// limit), a GET only to read an index's platforms, no retries, and a deadline on every call.
//
// Credentials (a --registry-auth user:pass pair or the user's docker config) are used to
// authenticate but never stored: the probe result and its error text are scrubbed of the
// password and of every token the exchange carried.
package registry
