// Package collect reads the AWS state around one ECS task into a snapshot.Snapshot, live and
// read-only.
//
// Three properties carry the design:
//
//   - Read-only by construction: every SDK client gets a middleware (guard.go) that refuses any
//     operation outside Actions(), the allowlist docs/iam-policy.json documents, and anything not
//     named Describe*/Get*/List*/BatchGet*. secretsmanager:GetSecretValue is allowed only with
//     Options.InspectSecretFormat; SSM calls that return parameter values never are.
//   - Fast: a call starts as soon as the data it needs has arrived (the task → its definition,
//     ENI, subnet, container instance → VPC, roles, images, secrets …), under one bounded
//     semaphore, each resource read once. Stats.Waves is the longest chain of dependent calls,
//     the number of round trips a user actually waits for.
//   - Failures are data: a call that fails (AccessDenied, throttled past the adaptive retries,
//     5xx, per-call timeout) becomes a snapshot.Gap and the collection goes on. Only a target
//     that does not exist (ErrNotFound) or no credentials at all stop it.
//
// One file per AWS service (ecs.go, ecr.go, iam.go, ec2.go, secretsmanager.go, ssm.go, kms.go,
// sts.go), each behind a narrow interface (clients.go) so tests can swap a client.
package collect
