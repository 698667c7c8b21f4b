package render

import (
	"encoding/json"
	"io"

	"github.com/pulldoctor/pulldoctor/pkg/finding"
)

// JSON writes the report as the contract JSON of DESIGN.md §6.
func JSON(w io.Writer, r *finding.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
