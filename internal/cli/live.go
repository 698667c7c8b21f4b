package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/pulldoctor/pulldoctor/pkg/collect"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/registry"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// collectLive reads the task's state from AWS and, for diagnose, probes public non-ECR
// registries for the image manifest. Errors are one line a user can act on.
func collectLive(ctx context.Context, g *globals, l *liveFlags, purpose string) (*snapshot.Snapshot, error) {
	target, arnRegion, err := collect.Resolve(collect.Target{Cluster: l.cluster, Task: l.task, Service: l.service}, g.region)
	if err != nil {
		return nil, err
	}
	opts := collect.Options{Region: g.region, Profile: g.profile, InspectSecretFormat: l.inspectSecretFormat}
	if opts.Region == "" {
		// An ARN says where its task is; AWS_REGION or the profile may say otherwise.
		opts.Region = arnRegion
	}
	cfg, err := collect.LoadConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	s, _, err := collect.Collect(ctx, cfg, target, opts)
	if err != nil {
		if errors.Is(err, collect.ErrNotFound) || errors.Is(err, collect.ErrBadTarget) || errors.Is(err, collect.ErrUnreadable) {
			return nil, err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s: the AWS reads did not finish within --timeout %s (raise it): %w", purpose, g.timeout, err)
		}
		return nil, fmt.Errorf("%s: %w", purpose, err)
	}
	if err := probeRegistries(ctx, s, l, purpose); err != nil {
		return nil, err
	}
	return s, nil
}

// probeRegistries fills s.Registry for the task's non-ECR images. By default (auto) only
// diagnose probes, and only public registries (Docker Hub, ECR Public, GHCR, Quay...), where
// an anonymous HEAD is what the task itself would do; private registries are probed only
// when the user asks, with their own credentials.
func probeRegistries(ctx context.Context, s *snapshot.Snapshot, l *liveFlags, purpose string) error {
	if l.probeRegistry == "false" || (l.probeRegistry == "auto" && purpose != "diagnose") {
		return nil
	}
	opts := registry.Options{UseDockerConfig: l.useDockerConfig}
	if l.registryAuth != "" {
		user, pass, err := registry.ParseAuth(l.registryAuth)
		if err != nil {
			return err
		}
		opts.Username, opts.Password = user, pass
	}
	seen := map[string]bool{}
	for _, cd := range s.Containers() {
		if cd.Image == nil || seen[*cd.Image] {
			continue
		}
		seen[*cd.Image] = true
		ref, err := imageref.Parse(*cd.Image)
		if err != nil || ref.Kind == imageref.KindECR {
			continue
		}
		if l.probeRegistry == "auto" && !publicRegistry(ref) {
			continue
		}
		s.Registry = append(s.Registry, registry.Probe(ctx, *cd.Image, opts))
	}
	return nil
}

// publicRegistry reports registries that serve anonymous pulls of public images.
func publicRegistry(ref imageref.Ref) bool {
	switch ref.Kind {
	case imageref.KindDockerHub, imageref.KindECRPublic:
		return true
	}
	switch ref.Registry {
	case "ghcr.io", "quay.io", "registry.k8s.io", "gcr.io", "mcr.microsoft.com":
		return true
	}
	return false
}
