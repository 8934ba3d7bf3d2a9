package stacks

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

func TestDumpTemplates(t *testing.T) {
	dir := os.Getenv("DUMP_DIR")
	if dir == "" {
		t.Skip()
	}
	for name, s := range map[string]*synthesized{"dev": dev(t), "prod": prod(t)} {
		for st, tpl := range s.templates {
			os.WriteFile(filepath.Join(dir, name+"-"+st+".json"), []byte(cdktest.JSONOf(t, tpl.ToJSON())), 0o644)
		}
	}
}
