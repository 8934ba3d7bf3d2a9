// Package pkgsize measures what each Lambda uploads: its bootstrap binary, built as the CDK
// Go function construct builds it (linux/arm64, static, stripped), and zipped.
package pkgsize

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
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
		bin := filepath.Join(tmp, e.Name(), "bootstrap")
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w", "-tags", "lambda.norpc", "-o", bin, "./lambda/cmd/"+e.Name())
		cmd.Dir = moduleDir
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOFLAGS=")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building %s: %v\n%s", e.Name(), err, b)
		}
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
