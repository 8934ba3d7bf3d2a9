package stacks

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// TestDumpTemplates is a tool, not a check: it writes the templates of every combination the
// tests synthesize to DUMP_DIR, to diff them across a refactor that must change none
// (DUMP_DIR=/tmp/before go test -run TestDumpTemplates ./stacks, then again after).
func TestDumpTemplates(t *testing.T) {
	dir := os.Getenv("DUMP_DIR")
	if dir == "" {
		t.Skip("a tool: set DUMP_DIR to write the templates there")
	}
	for name, s := range map[string]*synthesized{
		"dev": dev(t), "prod": prod(t), "direct": direct(t), "owncert": ownCert(t),
		"regions": twoRegions(t), "regionsdomain": twoRegionsWithDomain(t),
	} {
		for st, tpl := range s.templates {
			if err := os.WriteFile(filepath.Join(dir, name+"-"+st+".json"), []byte(cdktest.JSONOf(t, tpl.ToJSON())), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
