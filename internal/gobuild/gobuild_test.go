package gobuild

import (
	"debug/elf"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeModule writes a small Go module: cmd/a imports lib, cmd/b stands alone.
func writeModule(t *testing.T, dir string) {
	t.Helper()
	files := map[string]string{
		"go.mod":          "module example.com/m\n\ngo 1.22\n",
		"lib/lib.go":      "package lib\n\nfunc X() int { return 1 }\n",
		"lib/lib_test.go": "package lib\n",
		"lib/README.md":   "docs\n",
		"cmd/a/main.go":   "package main\n\nimport \"example.com/m/lib\"\n\nfunc main() { println(lib.X()) }\n",
		"cmd/b/main.go":   "package main\n\nfunc main() {}\n",
	}
	for name, body := range files {
		write(t, filepath.Join(dir, name), body)
	}
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sourceHash(t *testing.T, dir, pkg string) string {
	t.Helper()
	h, err := Command{ModuleDir: dir, Package: pkg}.SourceHash()
	if err != nil {
		t.Fatalf("hashing %s in %s: %v", pkg, dir, err)
	}
	return h
}

func TestSourceHashCoversExactlyWhatTheBinaryIsBuiltFrom(t *testing.T) {
	base := t.TempDir()
	writeModule(t, base)
	want := sourceHash(t, base, "./cmd/a")

	tests := []struct {
		name    string
		edit    func(dir string)
		changes bool
	}{
		{"same sources in another directory (another machine)", func(string) {}, false},
		{"a test file of a dependency", func(d string) { write(t, filepath.Join(d, "lib/lib_test.go"), "package lib\n\n// more\n") }, false},
		{"a non-Go file beside a dependency", func(d string) { write(t, filepath.Join(d, "lib/README.md"), "other docs\n") }, false},
		{"another command", func(d string) {
			write(t, filepath.Join(d, "cmd/b/main.go"), "package main\n\nfunc main() { println() }\n")
		}, false},
		{"a dependency's code", func(d string) { write(t, filepath.Join(d, "lib/lib.go"), "package lib\n\nfunc X() int { return 2 }\n") }, true},
		{"the command's code", func(d string) {
			write(t, filepath.Join(d, "cmd/a/main.go"), "package main\n\nimport \"example.com/m/lib\"\n\nfunc main() { println(lib.X() + 1) }\n")
		}, true},
		{"a new file in a dependency", func(d string) { write(t, filepath.Join(d, "lib/y.go"), "package lib\n\nfunc Y() {}\n") }, true},
		{"go.mod", func(d string) { write(t, filepath.Join(d, "go.mod"), "module example.com/m\n\ngo 1.23\n") }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeModule(t, dir)
			tt.edit(dir)
			got := sourceHash(t, dir, "./cmd/a")
			if changed := got != want; changed != tt.changes {
				t.Errorf("hash changed: %v, want %v", changed, tt.changes)
			}
		})
	}
}

// The repository's own functions hash the same from a copy elsewhere: a fresh clone on another
// machine uploads nothing new for unchanged code.
func TestSourceHashOfTheFunctionsIsLocationIndependent(t *testing.T) {
	repo, err := FindModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	clone := t.TempDir()
	err = filepath.WalkDir(repo, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repo, path)
		if d.IsDir() {
			switch rel {
			case "node_modules", ".git", "cdk.out", ".build":
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		write(t, filepath.Join(clone, rel), string(data))
		return nil
	})
	if err != nil {
		t.Fatalf("copying the repository: %v", err)
	}
	for _, cmd := range []string{"connect", "disconnect", "game"} {
		pkg := "./lambda/cmd/" + cmd
		if a, b := sourceHash(t, repo, pkg), sourceHash(t, clone, pkg); a != b {
			t.Errorf("%s hashes %s here and %s in a copy", pkg, a, b)
		}
	}
}

func TestBuildMakesAStaticArm64Bootstrap(t *testing.T) {
	dir := t.TempDir()
	writeModule(t, dir)
	out := t.TempDir()
	if err := (Command{ModuleDir: dir, Package: "./cmd/a"}).Build(out); err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(filepath.Join(out, "bootstrap"))
	if err != nil {
		t.Fatalf("no bootstrap ELF binary: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("built for %v, want arm64", f.Machine)
	}
	if p := f.Section(".interp"); p != nil {
		t.Errorf("dynamically linked (has .interp): provided.al2023 needs a static binary")
	}
	if s := f.Section(".symtab"); s != nil {
		t.Errorf("not stripped: has a symbol table")
	}
}

func TestBuildFailureCarriesTheCompilerOutput(t *testing.T) {
	dir := t.TempDir()
	writeModule(t, dir)
	write(t, filepath.Join(dir, "cmd/broken/main.go"), "package main\n\nfunc main() { undefinedThing() }\n")
	err := Command{ModuleDir: dir, Package: "./cmd/broken"}.Build(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "undefinedThing") {
		t.Errorf("want the compiler's complaint about undefinedThing, got %v", err)
	}
}
