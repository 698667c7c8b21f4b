package collect_test

import (
	"context"
	"testing"
	"time"

	"github.com/pulldoctor/pulldoctor/internal/awstest"
	"github.com/pulldoctor/pulldoctor/pkg/collect"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// TestMain stops the shared moto_server after the tests; since Go 1.15 the test binary exits
// with m.Run's code when TestMain returns.
func TestMain(m *testing.M) {
	m.Run()
	awstest.StopShared()
}

// options are what a test passes: the endpoint, dummy credentials, and a fast retryer.
func options(endpoint string) collect.Options {
	return collect.Options{
		Region: "us-east-1", Endpoint: endpoint, Credentials: awstest.Credentials(),
		MaxAttempts: 3, MaxBackoff: 20 * time.Millisecond, Timeout: 5 * time.Second,
	}
}

// run collects through the real SDK client (LoadConfig + Collect) against endpoint.
func run(t *testing.T, endpoint string, tgt collect.Target, mod ...func(*collect.Options)) (*snapshot.Snapshot, collect.Stats, error) {
	t.Helper()
	o := options(endpoint)
	for _, f := range mod {
		f(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := collect.LoadConfig(ctx, o)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	return collect.Collect(ctx, cfg, tgt, o)
}

// readOnlyProxy fronts moto and fails the test on any action the collector must not call.
func readOnlyProxy(t *testing.T, upstream string) *awstest.Proxy {
	t.Helper()
	p := &awstest.Proxy{Upstream: upstream}
	t.Cleanup(func() {
		for _, c := range p.Calls() {
			if err := collect.CheckAction(c.Action, false); err != nil && c.Action != collect.ActionSecretValue {
				t.Errorf("collector called %s: %v", c.Action, err)
			}
		}
	})
	p.Start()
	t.Cleanup(p.Close)
	return p
}
