// Package preflight turns a deployment file into a snapshot before anything is deployed, so
// the same checks that explain a failed pull can stop one in CI: a task definition as
// `aws ecs register-task-definition --cli-input-json` takes it (or as
// `aws ecs describe-task-definition` prints it), a Terraform plan (`terraform show -json`)
// or a CloudFormation template in JSON or YAML (short-form tags such as !Ref and !Sub are
// read as their long forms).
//
// It is pure: bytes in, *snapshot.Snapshot out, no AWS call. What the file does not say is
// recorded as a snapshot.Gap with Error "NotCollected", so every check that needs it reports
// unknown (never pass) and names the read that would decide it; `pulldoctor preflight --live`
// fills those in.
//
// Values that exist only after deployment (Terraform's "known after apply", CloudFormation's
// Ref and Fn::GetAtt) become symbolic ids such as "(known after apply: aws_subnet.private_a)"
// or "(Ref: PrivateSubnetA)". Every mention of the same resource gets the same id, so a
// subnet still leads to its route table and a task definition to its execution role.
package preflight
