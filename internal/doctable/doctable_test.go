package doctable

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The rows under the header, up to the first line that is not a row; cells trimmed, a pipe
// inside backquotes not expected (docs here write none).
func TestRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc.md")
	doc := "# Doc\n\n| a | b |\n|---|---|\n| `x` | 1 |\n|  y  | two words |\n\nAfter.\n| c | d |\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	got := Rows(t, path, "| a | b |")
	want := [][]string{{"`x`", "1"}, {"y", "two words"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Rows = %q, want %q", got, want)
	}
}
