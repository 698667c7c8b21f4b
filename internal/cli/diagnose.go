package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/pulldoctor/pulldoctor/pkg/check"
	"github.com/pulldoctor/pulldoctor/pkg/render"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// liveFlags select what to read from AWS (diagnose and collect share them).
type liveFlags struct {
	cluster             string
	task                string
	service             string
	probeRegistry       string // "auto", "true", "false"
	registryAuth        string
	useDockerConfig     bool
	inspectSecretFormat bool
}

func (l *liveFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&l.cluster, "cluster", "", "ECS cluster name or ARN")
	f.StringVar(&l.task, "task", "", "task id or ARN (a stopped task is kept by ECS for about an hour)")
	f.StringVar(&l.service, "service", "", "service name or ARN: diagnose its most recent stopped tasks and events")
	f.StringVar(&l.probeRegistry, "probe-registry", "auto", "probe non-ECR registries for the image manifest: auto (public registries only), true, false")
	f.StringVar(&l.registryAuth, "registry-auth", "", "USER:PASSWORD for the registry probe (never printed or stored)")
	f.BoolVar(&l.useDockerConfig, "docker-config", false, "use your docker config credentials for the registry probe")
	f.BoolVar(&l.inspectSecretFormat, "inspect-secret-format", false, "read repositoryCredentials secrets to check their JSON shape; the value is dropped at once and never printed or stored")
}

func (l *liveFlags) validate() error {
	if l.cluster == "" && (l.task != "" || l.service != "") {
		// ECS accepts task and service ARNs without a cluster only when they carry it.
		if !isARN(l.task) && !isARN(l.service) {
			return errors.New("--cluster is required with --task or --service (unless you pass a full ARN)")
		}
	}
	if l.task == "" && l.service == "" {
		return errors.New("say what to diagnose: --cluster C --task T, --cluster C --service S, or --snapshot FILE")
	}
	if l.task != "" && l.service != "" {
		return errors.New("--task and --service are exclusive")
	}
	switch l.probeRegistry {
	case "auto", "true", "false":
	default:
		return errors.New("--probe-registry: want auto, true or false")
	}
	return nil
}

func newDiagnose(g *globals) *cobra.Command {
	var snapshotFile string
	var verbose bool
	live := &liveFlags{}
	cmd := &cobra.Command{
		Use:   "diagnose (--snapshot FILE | --cluster C --task T | --cluster C --service S)",
		Short: "Run every check against a task, a service or a snapshot file and print findings and a verdict",
		Long: `diagnose reads the task, its task definition, execution role, image, network and secrets
(read-only), runs every check and prints the verdict first, then each problem with its
evidence and the fix. With --snapshot it works offline from a file written by
"pulldoctor collect" (no network at all).

Exit codes: 0 nothing wrong found, 1 problems found, 2 pulldoctor could not do its job.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var s *snapshot.Snapshot
			var err error
			if snapshotFile != "" {
				if live.cluster != "" || live.task != "" || live.service != "" {
					return errors.New("--snapshot cannot be combined with --cluster/--task/--service")
				}
				s, err = snapshot.Load(snapshotFile)
				if err != nil {
					return err
				}
			} else {
				if err := live.validate(); err != nil {
					return err
				}
				ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
				defer cancel()
				s, err = collectLive(ctx, g, live, "diagnose")
				if err != nil {
					return err
				}
			}
			report := check.Diagnose(s)
			o := g.renderOptions()
			o.Verbose = verbose
			o.SourceFile = snapshotFile
			if err := render.Report(g.stdout, report, g.output, o); err != nil {
				return err
			}
			if report.HasFailures() {
				return exitCode(ExitProblems)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&snapshotFile, "snapshot", "", "diagnose offline from a snapshot file")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show evidence for passing checks too")
	live.register(cmd)
	return cmd
}

func isARN(s string) bool { return len(s) > 4 && s[:4] == "arn:" }
