package scenario

import (
	"fmt"
	"strings"
)

// Abbreviate cuts every run of more than four "Moving slot" lines in a transcript to its
// first three and its last, with a line saying how many were left out, exactly as
// the real transcript testdata/seed-real-output.txt (shared/reference/seed-runbook-real-output.txt
// of the design notes) was cut. A reshard of 4096 slots prints 8192 such
// lines; the rest of a transcript is what a reader compares.
func Abbreviate(transcript string) string {
	lines := strings.SplitAfter(transcript, "\n")
	var b strings.Builder
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[j]), "Moving slot ") {
			j++
		}
		if j-i > 4 {
			for _, l := range lines[i : i+3] {
				b.WriteString(l)
			}
			fmt.Fprintf(&b, "    ... (%d more lines like these) ...\n", j-i-4)
			b.WriteString(lines[j-1])
			i = j
			continue
		}
		if j == i {
			j++
		}
		for _, l := range lines[i:j] {
			b.WriteString(l)
		}
		i = j
	}
	return b.String()
}
