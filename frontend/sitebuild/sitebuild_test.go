package sitebuild

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/serverless-tictactoe/tictactoe/frontend"
)

// gameSite is the game's site built, with its source.
func gameSite(t *testing.T) (src, built fs.FS) {
	t.Helper()
	src = frontend.Site()
	built, err := Build(src)
	if err != nil {
		t.Fatalf("building the game's site: %v", err)
	}
	return src, built
}

// siteFiles is every file of site, in lexical order.
func siteFiles(t *testing.T, site fs.FS) []string {
	t.Helper()
	var names []string
	err := fs.WalkDir(site, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func read(t *testing.T, site fs.FS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(site, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The built site has the source's files, no more, no fewer, under the same names.
func TestBuildKeepsEveryFileAndName(t *testing.T) {
	src, built := gameSite(t)
	if s, b := siteFiles(t, src), siteFiles(t, built); !slices.Equal(s, b) {
		t.Errorf("built files %v, want the source's %v", b, s)
	}
}

// lineComment is a comment on a line of its own, its text captured.
var lineComment = regexp.MustCompile(`(?m)^\s*//\s*(.+)$`)

// Every script and stylesheet of the game's site comes out smaller, without its comments.
func TestBuildMinifiesScriptsAndStyles(t *testing.T) {
	src, built := gameSite(t)
	for _, name := range siteFiles(t, src) {
		ext := path.Ext(name)
		if ext != ".mjs" && ext != ".js" && ext != ".css" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			in, out := read(t, src, name), read(t, built, name)
			if len(out) > len(in)*9/10 {
				t.Errorf("%d B built from %d B: not minified", len(out), len(in))
			}
			if ext == ".css" && bytes.Contains(out, []byte("/*")) {
				t.Errorf("a comment is left: %s", out)
			}
			for _, m := range lineComment.FindAllSubmatch(in, -1) {
				if text := bytes.TrimSpace(m[1]); len(text) > 12 && bytes.Contains(out, text) {
					t.Errorf("the comment %q is left", text)
				}
			}
			if bytes.Contains(out, []byte("\n  ")) { // a newline may be left in a template literal
				t.Errorf("indentation is left: %s", out)
			}
		})
	}
}

// moduleInterface is what a module shows the others, as esbuild parses it: its imports (the
// specifier and kind of each, in order: a side-effect import counts too) and its export names.
func moduleInterface(t *testing.T, name string, code []byte) (imports, exports []string) {
	t.Helper()
	external := api.Plugin{Name: "external", Setup: func(b api.PluginBuild) {
		b.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
			return api.OnResolveResult{Path: a.Path, External: true}, nil
		})
	}}
	res := api.Build(api.BuildOptions{
		Stdin:    &api.StdinOptions{Contents: string(code), Sourcefile: name, Loader: api.LoaderJS},
		Bundle:   true,
		Format:   api.FormatESModule,
		Target:   Target,
		Plugins:  []api.Plugin{external},
		Metafile: true,
		Outfile:  "out.js",
		LogLevel: api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		t.Fatalf("%s: %v", name, res.Errors)
	}
	var meta struct {
		Inputs map[string]struct {
			Imports []struct{ Path, Kind string }
		}
		Outputs map[string]struct{ Exports []string }
	}
	if err := json.Unmarshal([]byte(res.Metafile), &meta); err != nil {
		t.Fatal(err)
	}
	for _, imp := range meta.Inputs[name].Imports {
		imports = append(imports, imp.Kind+" "+imp.Path)
	}
	for _, out := range meta.Outputs {
		exports = append(exports, out.Exports...)
	}
	slices.Sort(exports)
	return imports, exports
}

// Each module keeps its interface: the same imports of the same paths, the same export names.
func TestBuildKeepsEveryModulesImportsAndExports(t *testing.T) {
	src, built := gameSite(t)
	for _, name := range siteFiles(t, src) {
		if path.Ext(name) != ".mjs" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			inImports, inExports := moduleInterface(t, name, read(t, src, name))
			outImports, outExports := moduleInterface(t, name, read(t, built, name))
			if !slices.Equal(inImports, outImports) {
				t.Errorf("imports %q, want the source's %q", outImports, inImports)
			}
			if !slices.Equal(inExports, outExports) {
				t.Errorf("exports %q, want the source's %q", outExports, inExports)
			}
			if name == "js/main.mjs" && len(inImports) < 5 || name != "js/main.mjs" && len(inExports) == 0 {
				t.Errorf("imports %q and exports %q found in the source: the check sees too little", inImports, inExports)
			}
		})
	}
}

// What each kind of file becomes, on small cases: a module's interface and side effects, a
// classic script's global names, files esbuild does not minify.
func TestBuildFile(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // in the output
		not      []string // not in it
	}{
		{"a.mjs", "// note\nimport './effect.mjs';\nimport { helper } from './helper.mjs';\nconst unusedLocal = helper();\nfunction unusedFunction(longName) { return longName; }\nexport const answer = 42;\n",
			[]string{`import"./effect.mjs"`, `from"./helper.mjs"`, "answer", "()"}, []string{"note", "unusedLocal", "longName"}},
		{"script.js", "/* a classic script: its names are the page's globals */\nfunction greet(name) { return 'Hello, ' + name; }\nvar counter = 0;\n",
			[]string{"function greet(", "var counter"}, []string{"classic script"}},
		{"module.js", "export function twice(value) { return value * 2; }\n",
			[]string{"twice"}, []string{"value"}},
		{"s.css", "/* the page */\n.board   { color : #ff0000 ; }\n",
			[]string{".board{color:red}"}, []string{"page"}},
		{"words.mjs", "export const mark = '● “0”';\n", []string{"● “0”"}, []string{`\u`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site, err := Build(fstest.MapFS{tc.name: {Data: []byte(tc.in)}})
			if err != nil {
				t.Fatal(err)
			}
			out := string(read(t, site, tc.name))
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("built %q lacks %q", out, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(out, n) {
					t.Errorf("built %q still has %q", out, n)
				}
			}
		})
	}
}

// Files other than scripts and stylesheets are served byte for byte.
func TestBuildCopiesOtherFiles(t *testing.T) {
	src, built := gameSite(t)
	for _, name := range []string{"index.html", "favicon.svg"} {
		if !bytes.Equal(read(t, built, name), read(t, src, name)) {
			t.Errorf("%s changed", name)
		}
	}
	odd := fstest.MapFS{
		"data.json":  {Data: []byte("{ \"spaced\" : true }\n")},
		"image.png":  {Data: []byte{0x89, 'P', 'N', 'G', 0, 0xff, '\n'}},
		"notes.txt":  {Data: []byte("// not a script\n")},
		"sub/a.html": {Data: []byte("<!-- kept -->\n<p>  spaced  </p>\n")},
	}
	site, err := Build(odd)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range odd {
		if got := read(t, site, name); !bytes.Equal(got, f.Data) {
			t.Errorf("%s: %q, want %q", name, got, f.Data)
		}
	}
}

// The same source always builds to the same bytes: the CDK asset's hash depends on it.
func TestBuildIsDeterministic(t *testing.T) {
	_, first := gameSite(t)
	for range 3 {
		_, again := gameSite(t)
		for _, name := range siteFiles(t, first) {
			if !bytes.Equal(read(t, first, name), read(t, again, name)) {
				t.Fatalf("%s differs from one build to the next", name)
			}
		}
	}
	h1, err := Hash(first)
	if err != nil {
		t.Fatal(err)
	}
	if _, again := gameSite(t); mustHash(t, again) != h1 {
		t.Errorf("Hash differs from one build to the next")
	}
}

func mustHash(t *testing.T, site fs.FS) string {
	t.Helper()
	h, err := Hash(site)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// A file esbuild cannot read fails the build with its name, line and column, and every broken
// file is named, not only the first.
func TestBuildNamesTheFileItCannotBuild(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  []string
	}{
		{"module", fstest.MapFS{"js/ok.mjs": {Data: []byte("export const a = 1;\n")}, "js/bad.mjs": {Data: []byte("export const a = 1;\nconst = 2;\n")}},
			[]string{"js/bad.mjs:2:7: "}},
		{"stylesheet", fstest.MapFS{"css/site.css": {Data: []byte("body { color: red;\n")}},
			[]string{"css/site.css:"}},
		{"two files", fstest.MapFS{"a.mjs": {Data: []byte("if (\n")}, "b.js": {Data: []byte("let let = 1;\n")}},
			[]string{"a.mjs:", "b.js:"}},
		{"a warning", fstest.MapFS{"w.mjs": {Data: []byte("export const same = (x) => x === -0;\n")}},
			[]string{"w.mjs:1:", "-0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.files)
			if err == nil {
				t.Fatal("built; want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// Stage writes the built site into a directory named after its content: the same each time,
// with the built bytes, and nothing else left beside it.
func TestStage(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "cdk.out")
	dir, err := Stage(frontend.Site(), parent)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Stage(frontend.Site(), parent)
	if err != nil || again != dir {
		t.Errorf("staged again in %q (%v), want %q", again, err, dir)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("%d entries in %s, want the one site", len(entries), parent)
	}
	// A staged site changed since (edited, half deleted) is written again, not shipped.
	if err := os.Remove(filepath.Join(dir, "index.html")); err != nil {
		t.Fatal(err)
	}
	if again, err := Stage(frontend.Site(), parent); err != nil || again != dir {
		t.Fatalf("staged again in %q (%v), want %q", again, err, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		t.Errorf("a damaged staged site was reused: %v", err)
	}
	_, built := gameSite(t)
	if staged := os.DirFS(dir); mustHash(t, staged) != mustHash(t, built) {
		t.Errorf("the staged files differ from the build")
	}
	if !strings.HasPrefix(filepath.Base(dir), "site-"+mustHash(t, built)[:20]) {
		t.Errorf("staged in %s, not named after its content", dir)
	}
	if _, err := Stage(fstest.MapFS{"bad.mjs": {Data: []byte("(")}}, parent); err == nil || !strings.Contains(err.Error(), "bad.mjs") {
		t.Errorf("staging a broken site: %v, want an error naming bad.mjs", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("a failed stage left something in %s: %d entries", parent, len(entries))
	}
}
