package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/check"
)

func newChecks(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "checks",
		Short: "List every check and cause with its id, severity and documentation",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			type checkJSON struct {
				ID       string   `json:"id"`
				Cause    cause.ID `json:"cause"`
				Severity string   `json:"severity"`
				Title    string   `json:"title"`
				Doc      string   `json:"doc"`
				Needs    []string `json:"needs,omitempty"`
			}
			type causeJSON struct {
				ID    cause.ID `json:"id"`
				Title string   `json:"title"`
				Links []string `json:"links,omitempty"`
			}
			var checks []checkJSON
			for _, c := range check.All() {
				m := c.Meta()
				title := m.Title
				if g.lang == "ja" && m.TitleJA != "" {
					title = m.TitleJA
				}
				checks = append(checks, checkJSON{ID: m.ID, Cause: m.Cause, Severity: string(m.Severity), Title: title, Doc: m.Doc(), Needs: m.Needs})
			}
			var causes []causeJSON
			for _, info := range cause.Catalogue() {
				causes = append(causes, causeJSON{ID: info.ID, Title: info.Title.In(g.lang), Links: info.Links})
			}
			if g.output == "json" {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"checks": checks, "causes": causes})
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CHECK\tCAUSE\tSEVERITY\tTITLE")
			for _, c := range checks {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Cause, c.Severity, c.Title)
			}
			fmt.Fprintln(tw)
			fmt.Fprintln(tw, "CAUSE\tTITLE\tDOC")
			for _, c := range causes {
				link := ""
				if len(c.Links) > 0 {
					link = c.Links[0]
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Title, link)
			}
			return tw.Flush()
		},
	}
}
