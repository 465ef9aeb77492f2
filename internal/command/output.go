package command

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// JSON prints v on w as the commands' -json does: indented by two spaces.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Figures has write draw a result's figures into dir, unless dir is empty, and names the
// files it wrote on stdout, or on stderr when stdout carries output for programs (-json,
// -csv, -jsonl).
func Figures(dir string, write func(dir string) ([]string, error), forPrograms bool, stdout, stderr io.Writer) error {
	if dir == "" {
		return nil
	}
	paths, err := write(dir)
	if err != nil {
		return err
	}
	where := stdout
	if forPrograms {
		where = stderr
	}
	fmt.Fprintf(where, "Figures: %s\n", strings.Join(paths, " "))
	return nil
}
