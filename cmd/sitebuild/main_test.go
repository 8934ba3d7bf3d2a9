package main

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/frontend"
	"github.com/serverless-tictactoe/tictactoe/frontend/sitebuild"
)

// The command writes exactly what sitebuild.Build makes, of the game's site or of -src, and
// refuses a directory that holds files already or arguments it does not know.
func TestRun(t *testing.T) {
	game, err := sitebuild.Build(frontend.Site())
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "a.mjs"), []byte("// a comment\nexport const answer = 42;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	own, err := sitebuild.Build(os.DirFS(src))
	if err != nil {
		t.Fatal(err)
	}
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "old.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    func(out string) []string
		want    map[string][]byte // files of the output, by name
		wantErr string
	}{
		{"the game's site", func(out string) []string { return []string{"-out", out} },
			map[string][]byte{"js/main.mjs": mustRead(t, game, "js/main.mjs"), "index.html": mustRead(t, game, "index.html")}, ""},
		{"a directory's site", func(out string) []string { return []string{"-out", out, "-src", src} },
			map[string][]byte{"a.mjs": mustRead(t, own, "a.mjs")}, ""},
		{"into a full directory", func(string) []string { return []string{"-out", full} }, nil, "not empty"},
		{"no -out", func(string) []string { return nil }, nil, "usage"},
		{"an argument", func(out string) []string { return []string{"-out", out, "frontend/site"} }, nil, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "site")
			err := run(tc.args(out), io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("run: %v, want an error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tc.want {
				got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s: %d B (%v), want the built %d B", name, len(got), err, len(want))
				}
			}
		})
	}
}

func mustRead(t *testing.T, fsys fs.FS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
