// Package doctable reads a markdown table of a doc, for the tests that hold a doc's table of
// defaults or thresholds to the code that owns them.
package doctable

import (
	"os"
	"strings"
	"testing"
)

// Rows is the cells of each row of the table of path whose header line is header (exactly,
// as the doc writes it), the header and the separator line skipped, each cell trimmed. A
// missing doc or table fails the test.
func Rows(t testing.TB, path, header string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "\n"+header+"\n")
	if i < 0 {
		t.Fatalf("%s has no table %q", path, header)
	}
	lines := strings.Split(text[i+1:], "\n")
	var rows [][]string
	for _, line := range lines[2:] {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|"), " | ")
		for k := range cells {
			cells[k] = strings.TrimSpace(cells[k])
		}
		rows = append(rows, cells)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: the table %q has no rows", path, header)
	}
	return rows
}
