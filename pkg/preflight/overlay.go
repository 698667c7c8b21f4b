package preflight

import (
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// Overlay lays the file's snapshot over one collected live (preflight --live): the file's
// task definition, service and resources win, because they are what will be deployed; the
// live snapshot supplies everything the file does not declare. The live task and its stopped
// reason are dropped: they belong to the revision being replaced.
func Overlay(live, file *snapshot.Snapshot) *snapshot.Snapshot {
	out := *live
	out.Source = "preflight+live"
	out.Task, out.StoppedReason = nil, ""
	out.Target.Task = ""
	if file.TaskDefinition != nil {
		out.TaskDefinition = file.TaskDefinition
		out.Target.TaskDefinition = file.Target.TaskDefinition
	}
	if file.Service != nil {
		svc := *file.Service
		if symbolicNetwork(&svc) && live.Service != nil && live.Service.NetworkConfiguration != nil {
			svc.NetworkConfiguration = live.Service.NetworkConfiguration
		}
		out.Service = &svc
	}
	out.Roles = append([]snapshot.Role(nil), file.Roles...)
	for _, r := range live.Roles {
		if file.Role(r.ARN) == nil {
			out.Roles = append(out.Roles, r)
		}
	}
	out.ECR.Repositories = append(append([]snapshot.Repository(nil), live.ECR.Repositories...), missingRepos(live, file)...)
	n, fn := &out.Network, file.Network
	n.Vpcs = appendNew(n.Vpcs, fn.Vpcs, func(v snapshot.VPC) string { return deref(v.VpcId) })
	n.Subnets = appendNew(n.Subnets, fn.Subnets, func(v subnetT) string { return deref(v.SubnetId) })
	n.RouteTables = appendNew(n.RouteTables, fn.RouteTables, func(v routeTableT) string { return deref(v.RouteTableId) })
	n.InternetGateways = appendNew(n.InternetGateways, fn.InternetGateways, func(v igwT) string { return deref(v.InternetGatewayId) })
	n.NatGateways = appendNew(n.NatGateways, fn.NatGateways, func(v natT) string { return deref(v.NatGatewayId) })
	n.VpcEndpoints = appendNew(n.VpcEndpoints, fn.VpcEndpoints, func(v vpceT) string { return deref(v.VpcEndpointId) })
	n.SecurityGroups = appendNew(n.SecurityGroups, fn.SecurityGroups, func(v sgT) string { return deref(v.GroupId) })
	n.NetworkAcls = appendNew(n.NetworkAcls, fn.NetworkAcls, func(v naclT) string { return deref(v.NetworkAclId) })
	out.LogGroups = appendNew(out.LogGroups, file.LogGroups, func(v snapshot.LogGroup) string { return v.Name })
	out.Secrets = appendNew(out.Secrets, file.Secrets, func(v snapshot.Secret) string { return v.ARN })
	// Gaps: the live reads' own, plus what neither side has for the new revision.
	out.Gaps = append([]snapshot.Gap(nil), live.Gaps...)
	b := &builder{o: Options{File: "the file"}, s: &out}
	if arn := out.ExecutionRoleARN(); arn != "" && out.Role(arn) == nil {
		b.gapMsg("iam:GetRole", arn, "the execution role of the new revision was not read (--live reads the deployed revision's)")
	}
	for _, cd := range out.Containers() {
		ref, err := imageref.Parse(deref(cd.Image))
		if err != nil || ref.Kind != imageref.KindECR || imageListed(&out, ref) {
			continue
		}
		b.gapMsg("ecr:DescribeImages", ref.Repository+":"+ref.TagOrDefault(), "the image of the new revision was not read (--live reads the deployed revision's)")
	}
	return &out
}

// symbolicNetwork reports a service network configuration that names resources by symbolic
// ids only (not created yet, or parameters).
func symbolicNetwork(svc *serviceT) bool {
	nc := svc.NetworkConfiguration
	if nc == nil || nc.AwsvpcConfiguration == nil {
		return true
	}
	for _, id := range nc.AwsvpcConfiguration.Subnets {
		if strings.HasPrefix(id, "(") {
			return true
		}
	}
	return len(nc.AwsvpcConfiguration.Subnets) == 0
}

func missingRepos(live, file *snapshot.Snapshot) []snapshot.Repository {
	var out []snapshot.Repository
	for _, r := range file.ECR.Repositories {
		found := false
		for _, l := range live.ECR.Repositories {
			if deref(l.RepositoryName) == deref(r.RepositoryName) {
				found = true
			}
		}
		if !found {
			out = append(out, r)
		}
	}
	return out
}

// imageListed reports whether the live read saw this tag or digest, or listed the whole
// repository (so absence means the tag is not pushed).
func imageListed(s *snapshot.Snapshot, ref imageref.Ref) bool {
	for _, r := range s.ECR.Repositories {
		if deref(r.RepositoryName) == ref.Repository && r.ImagesComplete {
			return true
		}
	}
	for _, im := range s.ECR.Images {
		if deref(im.RepositoryName) != ref.Repository {
			continue
		}
		if ref.Digest != "" && deref(im.ImageDigest) == ref.Digest {
			return true
		}
		for _, t := range im.ImageTags {
			if t == ref.TagOrDefault() {
				return true
			}
		}
	}
	return false
}

func appendNew[T any](base, extra []T, key func(T) string) []T {
	seen := map[string]bool{}
	for _, v := range base {
		seen[key(v)] = true
	}
	out := append([]T(nil), base...)
	for _, v := range extra {
		if !seen[key(v)] {
			out = append(out, v)
		}
	}
	return out
}

type (
	subnetT     = ec2types.Subnet
	routeTableT = ec2types.RouteTable
	igwT        = ec2types.InternetGateway
	natT        = ec2types.NatGateway
	vpceT       = ec2types.VpcEndpoint
	sgT         = ec2types.SecurityGroup
	naclT       = ec2types.NetworkAcl
	serviceT    = ecstypes.Service
)
