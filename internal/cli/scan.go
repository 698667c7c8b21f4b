package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/pulldoctor/pulldoctor/pkg/check"
	"github.com/pulldoctor/pulldoctor/pkg/collect"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/render"
)

func newScan(g *globals) *cobra.Command {
	var clusters, regions []string
	var concurrency int
	cmd := &cobra.Command{
		Use:   "scan [--cluster C]... [--region R]...",
		Short: "Diagnose every service of every cluster in the chosen regions, grouped by cause",
		Long: `scan lists the clusters (or the ones you name) in each region, diagnoses every service
(read-only, as "diagnose --service" does) and groups the services by their most likely cause,
the largest group first: the one fix that repairs most services is read first.

Exit codes: 0 no service has a problem, 1 at least one has, 2 nothing could be listed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if concurrency < 1 || concurrency > 32 {
				return errors.New("--concurrency: want 1 to 32")
			}
			if len(regions) == 0 {
				regions = []string{""} // the config chain's region
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
			defer cancel()
			var results []finding.ServiceResult
			var usedRegions []string
			var listErrs []string
			for _, region := range regions {
				rs, used, err := scanRegion(ctx, g, region, clusters, concurrency)
				if err != nil {
					if errors.Is(err, collect.ErrNoCredentials) {
						return err
					}
					listErrs = append(listErrs, err.Error())
					continue
				}
				usedRegions = append(usedRegions, used)
				results = append(results, rs...)
			}
			if len(usedRegions) == 0 {
				return fmt.Errorf("scan: %s", strings.Join(listErrs, "; "))
			}
			for _, e := range listErrs {
				fmt.Fprintln(g.stderr, "pulldoctor: scan: "+e)
			}
			fr := finding.Fleet(usedRegions, results)
			if err := render.Fleet(g.stdout, fr, g.output, g.renderOptions()); err != nil {
				return err
			}
			if fr.HasFailures() {
				return exitCode(ExitProblems)
			}
			if fr.Errors > 0 {
				// Nothing failed, but part of the fleet was not looked at: not a clean bill.
				return fmt.Errorf("scan: %d of %d services or clusters could not be diagnosed", fr.Errors, len(fr.Services))
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&clusters, "cluster", nil, "cluster name or ARN (repeatable; default: every cluster)")
	cmd.Flags().StringSliceVar(&regions, "region", nil, "region to scan (repeatable or comma-separated; default: from the AWS config chain)")
	cmd.Flags().IntVar(&concurrency, "concurrency", 4, "services diagnosed at once")
	return cmd
}

// scanRegion diagnoses every service of the region's clusters, a few at a time: each
// diagnosis already fans out its own reads, so a small number keeps within API rate limits.
func scanRegion(ctx context.Context, g *globals, region string, clusters []string, concurrency int) ([]finding.ServiceResult, string, error) {
	opts := collect.Options{Region: region, Profile: g.profile}
	cfg, err := collect.LoadConfig(ctx, opts)
	if err != nil {
		return nil, "", err
	}
	region = cfg.Region
	opts.Region = region
	listed, err := collect.ListServices(ctx, cfg, clusters, opts)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", region, err)
	}
	if len(listed) == 0 {
		// Not an error (nothing is wrong), but most often the wrong region: say so.
		fmt.Fprintf(g.stderr, "pulldoctor: scan: no ECS clusters in %s (pass --region to scan another region)\n", region)
	}
	type job struct{ cluster, service string }
	var jobs []job
	var results []finding.ServiceResult
	for _, cs := range listed {
		if cs.Err != nil {
			results = append(results, finding.ServiceResult{Region: region, Cluster: shortName(cs.Cluster), Error: cs.Err.Error()})
			continue
		}
		for _, s := range cs.Services {
			jobs = append(jobs, job{cs.Cluster, s})
		}
	}
	out := make([]finding.ServiceResult, len(jobs))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cluster, service := shortName(j.cluster), shortName(j.service)
			s, _, err := collect.Collect(ctx, cfg, collect.Target{Cluster: j.cluster, Service: j.service}, opts)
			if err != nil {
				out[i] = finding.ServiceResult{Region: region, Cluster: cluster, Service: service, Error: err.Error()}
				return
			}
			out[i] = finding.NewServiceResult(region, cluster, service, check.Diagnose(s))
		}()
	}
	wg.Wait()
	return append(results, out...), region, nil
}

// shortName is the last path element of an ECS ARN ("prod" for ...:cluster/prod).
func shortName(arnOrName string) string {
	if i := strings.LastIndexByte(arnOrName, '/'); i >= 0 && strings.HasPrefix(arnOrName, "arn:") {
		return arnOrName[i+1:]
	}
	return arnOrName
}
