// Package pkgsize measures what each Lambda uploads: its bootstrap binary, built by the same
// code as the CDK Go function construct's assets (internal/gobuild), and zipped.
package pkgsize

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/serverless-tictactoe/tictactoe/internal/gobuild"
)

// Size is one function's package.
type Size struct {
	Function       string
	Binary, Zipped int64
}

// Measure builds every command under moduleDir/lambda/cmd and zips each bootstrap.
func Measure(moduleDir string) ([]Size, error) {
	entries, err := os.ReadDir(filepath.Join(moduleDir, "lambda", "cmd"))
	if err != nil {
		return nil, fmt.Errorf("listing lambda/cmd: %w", err)
	}
	tmp, err := os.MkdirTemp("", "pkgsize")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var out []Size
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		if err := (gobuild.Command{ModuleDir: moduleDir, Package: "./lambda/cmd/" + e.Name()}).Build(dir); err != nil {
			return nil, err
		}
		bin := filepath.Join(dir, "bootstrap")
		data, err := os.ReadFile(bin)
		if err != nil {
			return nil, err
		}
		var zbuf bytes.Buffer
		zw := zip.NewWriter(&zbuf)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate})
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		out = append(out, Size{Function: e.Name(), Binary: int64(len(data)), Zipped: int64(zbuf.Len())})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Function < out[j].Function })
	return out, nil
}
