package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

func newCollect(g *globals) *cobra.Command {
	var outFile string
	live := &liveFlags{}
	cmd := &cobra.Command{
		Use:   "collect (--cluster C --task T | --cluster C --service S) -o FILE",
		Short: "Write the snapshot diagnose would read, for offline diagnosis or a support ticket",
		Long: `collect reads the same AWS state as diagnose (read-only) and writes it as a snapshot file.
No secret value is ever written: secrets and parameters are metadata only, and the task
definition's environment variable values are redacted. "pulldoctor diagnose --snapshot FILE"
then gives the same report as the live run, offline.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if outFile == "" {
				return errors.New("collect: say where to write the snapshot with --out FILE (- for stdout)")
			}
			if err := live.validate(); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
			defer cancel()
			s, err := collectLive(ctx, g, live, "collect")
			if err != nil {
				return err
			}
			data, err := snapshot.Marshal(s)
			if err != nil {
				return fmt.Errorf("encode snapshot: %w", err)
			}
			data = append(data, '\n')
			if outFile == "-" {
				_, err = g.stdout.Write(data)
				return err
			}
			if err := os.WriteFile(outFile, data, 0o600); err != nil {
				return fmt.Errorf("write snapshot: %w", err)
			}
			fmt.Fprintf(g.stderr, "pulldoctor: wrote %s (%d gaps)\n", outFile, len(s.Gaps))
			return nil
		},
	}
	// -o is the contract spelling (DESIGN.md §1); --output stays the format flag.
	cmd.Flags().StringVarP(&outFile, "out", "o", "", "snapshot file to write (- for stdout)")
	live.register(cmd)
	return cmd
}
