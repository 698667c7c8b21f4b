package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pulldoctor/pulldoctor/pkg/check"
	"github.com/pulldoctor/pulldoctor/pkg/collect"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/preflight"
	"github.com/pulldoctor/pulldoctor/pkg/render"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

func newPreflight(g *globals) *cobra.Command {
	var account, cluster, service string
	var live, verbose bool
	cmd := &cobra.Command{
		Use:   "preflight FILE",
		Short: "Check a task definition, Terraform plan or CloudFormation template before deploy",
		Long: `preflight reads FILE — a task definition as "aws ecs register-task-definition --cli-input-json"
takes it (or "aws ecs describe-task-definition" prints it), a Terraform plan
("terraform show -json plan.out") or a CloudFormation template in JSON or YAML (short-form
tags such as !Ref, !Sub and !GetAtt included) — and runs every check on it, offline. FILE "-"
reads stdin. What the file does not say is reported as unknown, never as a pass; --live looks
it up in AWS (read-only).

Exit codes: 0 no failing check, 1 failing checks, 2 unreadable or unrecognised input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := args[0]
			data, err := readInput(file, g.stdin)
			if err != nil {
				return fmt.Errorf("preflight: %w", err)
			}
			res, err := preflight.Parse(data, preflight.Options{Region: g.region, Account: account, File: file})
			switch {
			case errors.Is(err, preflight.ErrUnrecognized):
				return fmt.Errorf("preflight: %s is neither a task definition, a Terraform plan nor a CloudFormation template (JSON or YAML): %v", file, err)
			case errors.Is(err, preflight.ErrNoTaskDefinition):
				return fmt.Errorf("preflight: %s has no ECS task definition to check", file)
			case err != nil:
				return fmt.Errorf("preflight: %s: %w", file, err)
			}
			s := res.Snapshot
			if live {
				ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
				defer cancel()
				if s, err = preflightLive(ctx, g, s, cluster, service); err != nil {
					return err
				}
			}
			for _, n := range res.Notes {
				fmt.Fprintln(g.stderr, "preflight: "+n)
			}
			report := check.Diagnose(s)
			o := g.renderOptions()
			o.Verbose = verbose
			o.SourceFile = file
			shown, hidden := report, 0
			if !verbose && (g.output == "text" || g.output == "markdown") {
				shown, hidden = summarizeNotCollected(report)
			}
			if err := render.Report(g.stdout, shown, g.output, o); err != nil {
				return err
			}
			if hidden > 0 {
				msg := fmt.Sprintf("\n%d checks need live state: run with --live (or --verbose to list them)\n", hidden)
				if g.lang == "ja" {
					msg = fmt.Sprintf("\n%d 件のチェックは AWS 上の状態が必要です: --live を付けて実行してください（一覧は --verbose）\n", hidden)
				}
				fmt.Fprint(g.stdout, msg)
			}
			if report.HasFailures() {
				return exitCode(ExitProblems)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&account, "account", "", "AWS account the task will run in (default: from ARNs or the ECR image in FILE)")
	f.BoolVar(&live, "live", false, "look up what FILE does not say in AWS (read-only)")
	f.StringVar(&cluster, "cluster", "", "with --live: the cluster of --service")
	f.StringVar(&service, "service", "", "with --live: the service FILE will update (its subnets, security groups and network are read)")
	f.BoolVarP(&verbose, "verbose", "v", false, "list every unknown finding and the evidence of passing checks")
	return cmd
}

// readInput reads FILE, or stdin for "-".
func readInput(file string, stdin io.Reader) ([]byte, error) {
	var r io.Reader
	if file == "-" {
		r = stdin
	} else {
		fh, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		r = fh
	}
	data, err := io.ReadAll(io.LimitReader(r, preflight.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return data, nil
}

// summarizeNotCollected drops the unknown findings whose only reason is a NotCollected gap
// (something the file cannot say) and the NotCollected gaps themselves, so a person sees
// what the file decides; it returns how many findings it dropped. JSON and SARIF keep all.
func summarizeNotCollected(r *finding.Report) (*finding.Report, int) {
	nc := map[string]bool{}
	for _, g := range r.Gaps {
		if g.Error == preflight.NotCollected {
			nc[strings.ToLower(g.Call)] = true
		}
	}
	out := *r
	out.Findings = nil
	out.Gaps = nil
	hidden := 0
	for _, f := range r.Findings {
		if f.Status == finding.Unknown && onlyNotCollected(f, nc) {
			hidden++
			continue
		}
		out.Findings = append(out.Findings, f)
	}
	for _, g := range r.Gaps {
		if g.Error != preflight.NotCollected {
			out.Gaps = append(out.Gaps, g)
		}
	}
	return &out, hidden
}

func onlyNotCollected(f finding.Finding, nc map[string]bool) bool {
	for _, e := range f.Evidence {
		if e.Key == "error" && e.Value == preflight.NotCollected {
			return true
		}
	}
	if len(f.Needs) == 0 {
		return false
	}
	for _, n := range f.Needs {
		if !nc[strings.ToLower(n)] {
			return false
		}
	}
	return true
}

// preflightLive reads from AWS what the file does not say. The collector reads a task
// definition only once it is registered, so it is asked for the service the file will
// update (--cluster/--service) or, failing that, for the family's current revision (its
// roles and repositories are usually the new revision's too); the file's own resources
// then replace what was read.
func preflightLive(ctx context.Context, g *globals, file *snapshot.Snapshot, cluster, service string) (*snapshot.Snapshot, error) {
	opts := collect.Options{Region: firstNonEmptyStr(g.region, file.Region), Profile: g.profile}
	cfg, err := collect.LoadConfig(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("preflight --live: %w", err)
	}
	target := collect.Target{Cluster: cluster, Service: service}
	if service == "" {
		if file.TaskDefinition == nil || deref(file.TaskDefinition.Family) == "" {
			return nil, errors.New("preflight --live: name the service FILE will update (--cluster C --service S)")
		}
		target = collect.Target{TaskDefinition: deref(file.TaskDefinition.Family)}
	}
	liveSnap, _, err := collect.Collect(ctx, cfg, target, opts)
	if err != nil {
		if errors.Is(err, collect.ErrNotFound) && service == "" {
			fmt.Fprintln(g.stderr, "preflight: --live: "+oneLineError(err)+"; checking offline (pass --cluster/--service to read the network)")
			return file, nil
		}
		return nil, fmt.Errorf("preflight --live: %w", err)
	}
	return preflight.Overlay(liveSnap, file), nil
}

func firstNonEmptyStr(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
