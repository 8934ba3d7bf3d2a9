// Package gobuild compiles a Lambda command the one way this project ships it (linux/arm64,
// static, reproducible) and fingerprints its sources. The CDK Go function construct builds and
// hashes its assets with it; the benchmark measures the same binaries.
package gobuild

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Command is how a Lambda command is compiled: for the provided.al2023 runtime on Graviton,
// static (no cgo), without local paths or VCS stamps so the same source gives the same binary
// on any machine, stripped, and without the RPC shim only the deprecated go1.x runtime needed.
type Command struct {
	ModuleDir string // the Go module root (holds go.mod)
	Package   string // the main package, relative to ModuleDir, e.g. "./lambda/cmd/game"
	// Arch overrides GOARCH (default arm64, what ships): the cold-start benchmark runs the same
	// build on this machine's architecture. Not part of the asset hash: assets never set it.
	Arch string
}

// buildEnv is the environment the build and the dependency listing run in: the caller's (for
// PATH, GOCACHE, GOPROXY...), with the target fixed and GOFLAGS cleared so that a developer's
// GOFLAGS cannot change the binary behind an unchanged asset hash.
func buildEnv() []string {
	env := []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off"}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOOS", "GOARCH", "CGO_ENABLED", "GOFLAGS", "GOWORK", "GOARM64":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// buildTags and buildFlags are part of the asset hash: changing them changes every binary.
const buildTags = "lambda.norpc"

var buildFlags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-tags=" + buildTags}

// Build compiles the package into outDir/bootstrap, the file name provided.al2023 runs.
func (b Command) Build(outDir string) error {
	args := append([]string{"build"}, buildFlags...)
	args = append(args, "-o", filepath.Join(outDir, "bootstrap"), b.Package)
	cmd := exec.Command("go", args...)
	cmd.Dir = b.ModuleDir
	cmd.Env = buildEnv()
	if b.Arch != "" {
		cmd.Env = append(cmd.Env, "GOARCH="+b.Arch) // the last of a duplicated variable wins
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s (in %s): %w\n%s", strings.Join(args, " "), b.ModuleDir, err, out.String())
	}
	return nil
}

// listedPackage is the part of `go list -json` output the source hash needs.
type listedPackage struct {
	ImportPath string
	Dir        string
	Standard   bool
	GoFiles    []string
	SFiles     []string
	SysoFiles  []string
	EmbedFiles []string
	Module     *struct {
		Path    string
		Version string
		Main    bool
		Replace *struct {
			Path    string
			Version string
		}
	}
}

// SourceHash fingerprints everything the binary is built from, and nothing else: the bytes of
// every file of the module's own packages that the command imports (by path relative to the
// module, so the checkout location does not matter), the version of every other module it
// imports, go.mod and go.sum, and the build flags. Editing a test, a doc or another command
// leaves it unchanged; editing any compiled file of a dependency changes it. The Go toolchain
// version is not part of it (go.mod's go line is the contract): a toolchain upgrade alone does
// not redeploy the functions.
func (b Command) SourceHash() (string, error) {
	cmd := exec.Command("go", "list", "-deps", "-json", "-tags="+buildTags, b.Package)
	cmd.Dir = b.ModuleDir
	cmd.Env = buildEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("listing the dependencies of %s (in %s): %w\n%s", b.Package, b.ModuleDir, err, stderr.String())
	}
	h := sha256.New()
	fmt.Fprintf(h, "go build %s %s linux/arm64 cgo=0\n", strings.Join(buildFlags, " "), b.Package)
	var files []string
	var modules []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", fmt.Errorf("reading go list output for %s: %w", b.Package, err)
		}
		switch {
		case p.Standard:
			// The standard library is the toolchain's: see the doc comment.
		case p.Module == nil:
			return "", fmt.Errorf("package %s is not in a module: build %s from a Go module", p.ImportPath, b.Package)
		case p.Module.Main:
			for _, group := range [][]string{p.GoFiles, p.SFiles, p.SysoFiles, p.EmbedFiles} {
				for _, f := range group {
					files = append(files, filepath.Join(p.Dir, f))
				}
			}
		default:
			m := p.Module.Path + "@" + p.Module.Version
			if r := p.Module.Replace; r != nil {
				m += "=>" + r.Path + "@" + r.Version
			}
			modules = append(modules, m)
		}
	}
	files = append(files, filepath.Join(b.ModuleDir, "go.mod"), filepath.Join(b.ModuleDir, "go.sum"))
	sort.Strings(files)
	for _, f := range files {
		rel, err := filepath.Rel(b.ModuleDir, f)
		if err != nil {
			return "", fmt.Errorf("hashing %s: %w", f, err)
		}
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) && filepath.Base(f) == "go.sum" {
			data = nil // a module with no dependencies has no go.sum
		} else if err != nil {
			return "", fmt.Errorf("hashing the sources of %s: %w", b.Package, err)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(h, "file %s %x\n", filepath.ToSlash(rel), sum)
	}
	sort.Strings(modules)
	for _, m := range uniq(modules) {
		fmt.Fprintf(h, "module %s\n", m)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func uniq(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// FindModuleDir walks up from dir to the directory holding go.mod.
func FindModuleDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("finding the Go module of %s: %w", dir, err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod in %s or above: run from the Go module (the directory of its go.mod, or below), or set ModuleDir", abs)
		}
	}
}
