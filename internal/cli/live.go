package cli

import (
	"context"
	"errors"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// collectLive reads the task's state from AWS. (Wired to pkg/collect once it lands.)
func collectLive(ctx context.Context, g *globals, l *liveFlags, purpose string) (*snapshot.Snapshot, error) {
	_ = ctx
	_ = g
	_ = l
	_ = purpose
	return nil, errors.New("live AWS access is not wired yet")
}
