package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/pulldoctor/pulldoctor/internal/jsonpos"
)

// MaxFileSize bounds what Load reads: a real snapshot is tens of kilobytes, and a file of
// hundreds of megabytes is a mistake (a wrong path, a log file), not a snapshot.
const MaxFileSize = 64 << 20

// Decode reads one snapshot from JSON and checks its schema version.
func Decode(r io.Reader) (*Snapshot, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("snapshot is larger than %d MiB", MaxFileSize>>20)
	}
	return Unmarshal(data)
}

// Unmarshal parses a snapshot from JSON bytes and checks its schema version.
func Unmarshal(data []byte) (*Snapshot, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("snapshot is not valid UTF-8 JSON")
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("snapshot is empty")
	}
	if trimmed[0] != '{' {
		return nil, errors.New("snapshot must be a JSON object")
	}
	var probe struct {
		SchemaVersion *int `json:"schemaVersion"`
	}
	if err := json.Unmarshal(trimmed, &probe); err != nil {
		return nil, fmt.Errorf("parse snapshot: %w", jsonpos.Describe(trimmed, err))
	}
	if probe.SchemaVersion == nil {
		return nil, errors.New("snapshot has no schemaVersion (expected 1)")
	}
	if *probe.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("snapshot schemaVersion %d is not supported (this pulldoctor reads %d)", *probe.SchemaVersion, SchemaVersion)
	}
	var s Snapshot
	if err := json.Unmarshal(trimmed, &s); err != nil {
		return nil, fmt.Errorf("parse snapshot: %w", jsonpos.Describe(trimmed, err))
	}
	return &s, nil
}

// Load reads a snapshot file.
func Load(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open snapshot: %w", err)
	}
	defer f.Close()
	s, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Marshal writes a snapshot as indented JSON.
func Marshal(s *Snapshot) ([]byte, error) {
	if s.SchemaVersion == 0 {
		s.SchemaVersion = SchemaVersion
	}
	return json.MarshalIndent(s, "", "  ")
}
