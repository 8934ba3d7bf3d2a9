// Package sitebuild makes the site that is served from its source (frontend/site): each
// JavaScript and CSS file minified by esbuild on its own, every other file as it is. Nothing is
// bundled or renamed: a module keeps its path, its import specifiers and its export names, so
// the page loads the same files in the same order, under the same Content-Security-Policy.
// Only the bytes sent shrink (comments, whitespace, local names). The source keeps its comments
// for the people who read it; the CDK app ships the built site (blocks.WebFrontend), and
// `make dev` serves it (localgw/devstack), so the browser tests run what ships.
package sitebuild

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/evanw/esbuild/pkg/api"
)

// Target is the JavaScript the built files may use: ES2022, which the source already needs
// (private methods, in js/waiting.mjs), so minifying asks no more of a browser than the source
// does. A lower target would make esbuild rewrite such syntax into longer code; a higher one
// would let its minifier use syntax the source never asked browsers for. (The stylesheet's
// minified forms, such as #rrggbbaa colours, are older than ES2022 in every browser.)
const Target = api.ES2022

// Build returns the site to serve, built from src (a site directory's files): every .mjs file
// minified as the ES module it is, every .js file minified keeping its form (a module stays
// one; a classic script keeps its top-level names, which other scripts may share), every .css
// file minified, and every other file byte for byte. The same src always gives the same bytes.
// A file esbuild cannot parse, or warns about, fails the build with an error naming it.
func Build(src fs.FS) (fs.FS, error) {
	// An in-memory file system whose files seek, as http.FileServerFS needs (testing/fstest
	// links no test code: it is the standard library's one such type).
	site := fstest.MapFS{}
	var errs []error
	err := fs.WalkDir(src, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(src, name)
		if err != nil {
			return err
		}
		built, err := buildFile(name, data)
		if err != nil {
			errs = append(errs, err)
			return nil // every broken file is reported, not just the first
		}
		site[name] = &fstest.MapFile{Data: built, Mode: 0o644}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the site: %w", err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return site, nil
}

// loaders are the files esbuild minifies, by extension, with the output format each keeps.
var loaders = map[string]struct {
	loader api.Loader
	format api.Format
}{
	".mjs": {api.LoaderJS, api.FormatESModule}, // always a module: local names are its own
	".js":  {api.LoaderJS, api.FormatDefault},  // as it is: a script's top-level names stay
	".css": {api.LoaderCSS, api.FormatDefault}, // (no format for CSS)
}

// buildFile is one file as served.
func buildFile(name string, data []byte) ([]byte, error) {
	l, ok := loaders[path.Ext(name)]
	if !ok {
		return data, nil
	}
	res := api.Transform(string(data), api.TransformOptions{
		Loader:            l.loader,
		Format:            l.format,
		Target:            Target,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		TreeShaking:       api.TreeShakingFalse, // keep every statement: no side effect may go
		Charset:           api.CharsetUTF8,      // as the source: not \u escapes, which are longer
		LegalComments:     api.LegalCommentsNone,
		Sourcefile:        name,
		LogLevel:          api.LogLevelSilent, // the messages come back in the error instead
	})
	if msgs := append(res.Errors, res.Warnings...); len(msgs) > 0 {
		return nil, fmt.Errorf("building the site: %s", strings.Join(messages(name, msgs), "; "))
	}
	return res.Code, nil
}

// messages are esbuild's errors and warnings as file:line:column: text.
func messages(name string, msgs []api.Message) []string {
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if m.Location == nil {
			out = append(out, fmt.Sprintf("%s: %s", name, m.Text))
			continue
		}
		out = append(out, fmt.Sprintf("%s:%d:%d: %s", name, m.Location.Line, m.Location.Column+1, m.Text))
	}
	return out
}

// Hash identifies site's content: its files' paths and bytes.
func Hash(site fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(site, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(site, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%q %d\n", name, len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Stage builds src and writes the result into a directory under parent named after its
// content, which it returns: a CDK asset's source. The name is "site-<hash>", with no dot,
// which CDK would take for an extension and append to the asset's own directory. The same src
// always gives the same directory and bytes, so the asset's hash stays put from one synth to
// the next. A directory already there is kept when it still holds those files, else written
// again; a new one is written beside it and renamed into place, so no reader sees half a site.
func Stage(src fs.FS, parent string) (string, error) {
	site, err := Build(src)
	if err != nil {
		return "", err
	}
	hash, err := Hash(site)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(parent, "site-"+hash[:20])
	if _, err := os.Stat(dir); err == nil {
		if got, err := Hash(os.DirFS(dir)); err == nil && got == hash {
			return dir, nil
		}
		// Changed since it was written (edited by hand, half deleted): write it again.
		if err := os.RemoveAll(dir); err != nil {
			return "", fmt.Errorf("staging the built site: %w", err)
		}
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("staging the built site: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "site-tmp-")
	if err != nil {
		return "", fmt.Errorf("staging the built site: %w", err)
	}
	defer os.RemoveAll(tmp)                      // nothing left once renamed; the remains of a failure otherwise
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp's is the owner's only
		return "", fmt.Errorf("staging the built site: %w", err)
	}
	if err := Write(tmp, site); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(dir); statErr == nil {
			return dir, nil // another synth in this directory staged the same site first
		}
		return "", fmt.Errorf("staging the built site: %w", err)
	}
	return dir, nil
}

// Write writes site's files into dir, each readable by all.
func Write(dir string, site fs.FS) error {
	return fs.WalkDir(site, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(site, name)
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("writing the built site: %w", err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("writing the built site: %w", err)
		}
		return nil
	})
}
