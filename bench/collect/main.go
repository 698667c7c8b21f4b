// Command collect benchmarks pulldoctor's collector against moto_server behind a
// latency-injecting proxy, and compares it with the seed's manual aws CLI procedure
// (manual.sh) run through the same proxy.
//
//	go run ./bench/collect -n 5 -latency 0,50ms
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/pulldoctor/pulldoctor/internal/awstest"
	"github.com/pulldoctor/pulldoctor/pkg/collect"
)

func main() {
	n := flag.Int("n", 5, "runs per measurement")
	manualN := flag.Int("manual-n", 3, "runs of the manual aws CLI procedure")
	lat := flag.String("latency", "0,50ms", "comma-separated injected latencies")
	flag.Parse()
	if err := run(*n, *manualN, *lat); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
}

func run(n, manualN int, lats string) error {
	m, err := awstest.StartMoto()
	if err != nil {
		return err
	}
	defer m.Stop()
	ctx := context.Background()
	sd, err := awstest.Seed(ctx, m.URL, awstest.Scenario{ExecPolicy: "logs-only", Tag: "v1.0.0", PushTag: false, Endpoints: true,
		StoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s): manifest unknown"})
	if err != nil {
		return err
	}
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "manual.sh")
	fmt.Printf("%-8s %-28s %8s %6s %6s %10s\n", "latency", "procedure", "median", "waves", "calls", "ratio")
	for _, l := range strings.Split(lats, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(l))
		if err != nil && strings.TrimSpace(l) != "0" {
			return fmt.Errorf("latency %q: %w", l, err)
		}
		p := &awstest.Proxy{Upstream: m.URL, Latency: d, OnCall: func(c awstest.Call) *awstest.Reply {
			// moto 5.2 answers this with an HTML 500 (then retried); real ECR answers a list.
			if c.Action == "ecr:DescribePullThroughCacheRules" {
				return awstest.JSON(map[string]any{"pullThroughCacheRules": []any{}})
			}
			return nil
		}}
		url := p.Start()
		o := collect.Options{Region: "us-east-1", Endpoint: url, Credentials: awstest.Credentials(), Timeout: 10 * time.Second}
		cfg, err := collect.LoadConfig(ctx, o)
		if err != nil {
			return err
		}
		var walls []time.Duration
		var st collect.Stats
		for range n {
			var err error
			t0 := time.Now()
			_, st, err = collect.Collect(ctx, cfg, collect.Target{Cluster: sd.Cluster, Task: sd.TaskARN}, o)
			if err != nil {
				return err
			}
			walls = append(walls, time.Since(t0))
		}
		pd := median(walls)
		fmt.Printf("%-8v %-28s %8v %6d %6d\n", d, "pulldoctor collect", pd.Round(time.Millisecond), st.Waves, st.TotalCalls())

		p.ResetCalls()
		var manual []time.Duration
		for range manualN {
			cmd := exec.Command("bash", script)
			cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+url, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
				"CLUSTER="+sd.Cluster, "TASK="+sd.TaskARN, "SERVICE="+sd.Service, "REPO=my-app", "TAG=v1.0.0", "ROLE=ecsTaskExecutionRole", "VPC="+sd.VPC, "SUBNET="+sd.Subnet,
				"AWS_PAGER=")
			cmd.Stderr = os.Stderr
			t0 := time.Now()
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("manual procedure: %w", err)
			}
			manual = append(manual, time.Since(t0))
		}
		md := median(manual)
		calls := len(p.Calls()) / manualN
		fmt.Printf("%-8v %-28s %8v %6d %6d %9.1fx\n", d, "manual aws CLI (seed)", md.Round(time.Millisecond), calls, calls, float64(md)/float64(pd))
		p.Close()
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
