#!/usr/bin/env bash
# The seed's manual debugging procedure, scripted in order with the aws CLI: what a person
# runs to answer "why can't this task pull its image" (seed: デバッグ手順 1, 2, 4 and the
# checks its causes 1-4 imply). Needs AWS_ENDPOINT_URL, CLUSTER, TASK, SERVICE, REPO, ROLE,
# TAG, VPC, SUBNET.
set -euo pipefail
q() { aws --region "${AWS_REGION:-us-east-1}" --output json "$@" >/dev/null; }
q ecs describe-tasks --cluster "$CLUSTER" --tasks "$TASK"                    # 1. stopped reason
q ecs describe-services --cluster "$CLUSTER" --services "$SERVICE"          # 2. service events
q ecs describe-task-definition --task-definition my-app                     # image + execution role
q ecr describe-images --repository-name "$REPO"                             # cause 2: image list
q ecr describe-images --repository-name "$REPO" --image-ids imageTag="$TAG" 2>/dev/null || true  # the tag
q iam list-attached-role-policies --role-name "$ROLE"                       # 4. role permissions
q iam list-role-policies --role-name "$ROLE"
q ecr get-repository-policy --repository-name "$REPO" 2>/dev/null || true  # cause 4: cross-account
q ec2 describe-subnets --subnet-ids "$SUBNET"                               # cause 3: network
q ec2 describe-route-tables --filters Name=association.subnet-id,Values="$SUBNET"
q ec2 describe-nat-gateways --filter Name=vpc-id,Values="$VPC"
q ec2 describe-vpc-endpoints --filters Name=vpc-id,Values="$VPC"
