// Package netpath answers "can the network identity that pulls this task's image reach service
// X on 443?" from a snapshot alone, the way AWS Reachability Analyzer does from the
// configuration: route table (explicit association, else main; longest prefix match;
// blackholes), internet and NAT gateways, interface and gateway VPC endpoints (service names
// per region, state, AZ coverage, private DNS, VPC DNS attributes, endpoint security groups,
// endpoint policies), task security-group egress and network ACLs in both directions.
//
// It never guesses: a resource that is absent, a read that failed (a snapshot Gap) or a path
// that leaves what the snapshot models (transit gateway, peering, an appliance ENI) makes the
// answer Unknown with the permission that would decide it.
//
// Whose network pulls the image matters: on Fargate the task's ENI, on EC2 the container
// instance (its subnet, security groups and public IP), whatever the task's network mode,
// because the ECS agent and the container runtime on the host do the pull (DESIGN.md §8).
package netpath
