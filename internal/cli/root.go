// Package cli is pulldoctor's command line: one file per command, flag parsing and wiring
// only. Exit codes are a contract: 0 nothing wrong found, 1 problems found, 2 pulldoctor
// could not do its job.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pulldoctor/pulldoctor/pkg/render"
)

// Exit codes (contract).
const (
	ExitOK       = 0
	ExitProblems = 1
	ExitError    = 2
)

// exitCode carries a non-error exit status (problems found) out of a command.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// globals are the flags every command shares.
type globals struct {
	region  string
	profile string
	output  string
	lang    string
	timeout time.Duration
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
}

// Run executes the command line and returns the exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ec exitCode
	if errors.As(err, &ec) {
		return int(ec)
	}
	fmt.Fprintln(stderr, "pulldoctor: "+oneLineError(err))
	return ExitError
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "pulldoctor",
		Short:         "Why can't this ECS task pull its image, and what exactly do I change?",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return g.validate()
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.region, "region", "", "AWS region (default: from the AWS config chain)")
	pf.StringVar(&g.profile, "profile", "", "AWS shared config profile")
	pf.StringVar(&g.output, "output", "text", "output format: text, json, sarif, markdown")
	pf.StringVar(&g.lang, "lang", defaultLang(), "language: en or ja (the default follows LC_ALL, LC_MESSAGES, LANG)")
	pf.DurationVar(&g.timeout, "timeout", 60*time.Second, "overall time limit for AWS reads and registry probes")
	root.AddCommand(newExplain(g), newDiagnose(g), newCollect(g), newChecks(g), newScan(g), newPreflight(g))
	return root
}

func (g *globals) validate() error {
	switch g.lang {
	case "en", "ja":
	default:
		return fmt.Errorf("--lang %q: want en or ja", g.lang)
	}
	for _, f := range render.Formats {
		if g.output == f {
			return nil
		}
	}
	if g.output == "md" {
		g.output = "markdown"
		return nil
	}
	return fmt.Errorf("--output %q: want one of %s", g.output, strings.Join(render.Formats, ", "))
}

func (g *globals) renderOptions() render.Options { return render.Options{Lang: g.lang} }

// defaultLang picks Japanese when the user's locale is Japanese.
func defaultLang() string {
	for _, v := range []string{os.Getenv("LC_ALL"), os.Getenv("LC_MESSAGES"), os.Getenv("LANG")} {
		if v == "" {
			continue
		}
		if strings.HasPrefix(strings.ToLower(v), "ja") {
			return "ja"
		}
		return "en"
	}
	return "en"
}

func oneLineError(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
