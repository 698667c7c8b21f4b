// Package jsonpos makes encoding/json's errors point at a line and column: the decoder
// reports only a byte offset, which means little to someone fixing a file by hand.
package jsonpos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Describe adds "line L column C" to a syntax or type error found while decoding data, and
// returns any other error unchanged.
func Describe(data []byte, err error) error {
	var offset int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		offset = syn.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	}
	if offset < 0 || offset > int64(len(data)) {
		return err
	}
	// The decoder's offset is just past the offending byte; point at the byte itself.
	if offset > 0 {
		offset--
	}
	line := 1 + bytes.Count(data[:offset], []byte("\n"))
	col := int(offset) - bytes.LastIndexByte(data[:offset], '\n')
	return fmt.Errorf("line %d column %d: %w", line, col, err)
}
