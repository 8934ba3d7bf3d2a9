package blocks

import (
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/internal/gobuild"
)

// In this repository the module is the main module, and the library's directory is the
// repository's root.
func TestLibraryDirIsThisRepositoryHere(t *testing.T) {
	repo, err := gobuild.FindModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	if dir, err := libraryDir(); err != nil || dir != repo {
		t.Errorf("libraryDir() = %q, %v; want %q", dir, err, repo)
	}
	if libraryModule != "github.com/serverless-tictactoe/tictactoe" {
		t.Errorf("libraryModule = %q", libraryModule)
	}
}

// Outside any Go module the library cannot be found, and the error says what to do.
func TestModuleDirOutsideAModuleSaysWhatToDo(t *testing.T) {
	_, err := moduleDir(libraryModule, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "Run the CDK app from your Go module") {
		t.Errorf("moduleDir outside a module: %v; want an error saying where to run the app", err)
	}
}

// consumerApp is another team's CDK app: every construct that needs no other Region or
// account-wide input, at its defaults, and a function of its own under the default
// lambda/cmd, which logs with plain log/slog.
const consumerApp = `package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	lib "github.com/serverless-tictactoe/tictactoe/blocks"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Consumer"), nil)
	network := lib.NewNetwork(stack, jsii.String("Network"), nil)
	fn := lib.NewGoFunction(stack, jsii.String("Hello"), &lib.GoFunctionProps{Command: jsii.String("hello")})
	api := lib.NewWebSocketApi(stack, jsii.String("Api"), &lib.WebSocketApiProps{
		Integrations: []lib.WebSocketIntegration{{Name: "hello", Handler: fn.Function, RouteKeys: []string{"$default"}}},
	})
	lib.NewWebFrontend(stack, jsii.String("Web"), &lib.WebFrontendProps{Vpc: network.Vpc, WebSocketUrl: api.Stage.Url()})
	table := lib.NewTable(stack, jsii.String("Table"), nil)
	lib.NewStreamProcessor(stack, jsii.String("Stream"), &lib.StreamProcessorProps{Table: table.Table, Function: fn.Function})
	topic := lib.NewAlertsTopic(stack, jsii.String("Alerts"), nil)
	lib.NewFunctionAlarms(stack, jsii.String("HelloAlarms"), &lib.FunctionAlarmsProps{Name: "hello", Function: fn, AlarmTopic: topic.Topic})
	lib.NewApiAlarms(stack, jsii.String("ApiAlarms"), &lib.ApiAlarmsProps{Api: api})
	app.Synth(nil)
}
`

const consumerHandler = `package main

import (
	"log/slog"
	"os"
)

func main() {
	slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("hello failed")
}
`

// Another team's app, in a Go module of its own that requires this one through a replace
// directive, synthesizes with every construct at its defaults: the functions the constructs
// deploy for themselves (the account-role setter, the signal relay) come from this module's
// directory, not from under the app's go.mod, and WebFrontend's default site is built from the
// copy compiled into the app. Run from outside any module, the same app fails synth with
// errors that say what to do, not a stack trace.
func TestConstructsSynthesizeFromAnotherModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a CDK app in a Go module of its own")
	}
	start := time.Now()
	repo, err := gobuild.FindModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go [0-9.]+$`).Find(goMod)
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	app := t.TempDir()
	for name, body := range map[string]string{
		"go.mod": "module example.com/consumer\n\n" + string(goLine) + "\n\nrequire " + libraryModule + " v0.0.0\n\nreplace " + libraryModule + " => " + repo + "\n",
		// The repository's sums: `go mod tidy` then needs the module proxy only for what this
		// repository's own builds never downloaded.
		"go.sum":                   string(sum),
		"main.go":                  consumerApp,
		"lambda/cmd/hello/main.go": consumerHandler,
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(app, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(app, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goEnv := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	run := func(dir string, env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), dir, err, cdktestTail(string(out)))
		}
		return string(out)
	}
	run(app, goEnv, "go", "mod", "tidy")
	bin := filepath.Join(t.TempDir(), "app")
	run(app, goEnv, "go", "build", "-o", bin, ".")
	built := time.Since(start)

	// In the app's module, as `cdk synth` runs it.
	out := filepath.Join(t.TempDir(), "cdk.out")
	log := run(app, append(os.Environ(), "CDK_OUTDIR="+out), bin)
	if errs := synthErrors(t, out); len(errs) > 0 {
		t.Fatalf("synth reported errors: %v\n%s", errs, log)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	readJSON(t, filepath.Join(out, "Consumer.template.json"), &tpl)
	// The Go functions, by logical ID (the construct path without its "Resource").
	goFunction := regexp.MustCompile(`^(Hello|ApiAccountRoleSetter|WebSignalRelay)[0-9A-F]{8}$`)
	functions := map[string]bool{}
	for id, r := range tpl.Resources {
		m := goFunction.FindStringSubmatch(id)
		if r.Type != "AWS::Lambda::Function" || m == nil {
			continue
		}
		key, _ := r.Properties["Code"].(map[string]any)["S3Key"].(string)
		f, err := elf.Open(filepath.Join(out, "asset."+strings.TrimSuffix(key, ".zip"), "bootstrap"))
		if err != nil {
			t.Errorf("%s: no built bootstrap in its asset: %v", id, err)
			continue
		}
		if f.Machine != elf.EM_AARCH64 {
			t.Errorf("%s: bootstrap built for %v, want arm64", id, f.Machine)
		}
		f.Close()
		functions[m[1]] = true
	}
	for _, want := range []string{"Hello", "ApiAccountRoleSetter", "WebSignalRelay"} {
		if !functions[want] {
			t.Errorf("no function %s with a built asset; found %v", want, functions)
		}
	}
	if sites, _ := filepath.Glob(filepath.Join(out, "asset.*", "index.html")); len(sites) != 1 {
		t.Errorf("the site's asset: %d staged index.html, want 1 (the game's site, the default)", len(sites))
	}

	// Outside any module: each construct that needs files says so, and what to do.
	elsewhere := t.TempDir()
	out = filepath.Join(t.TempDir(), "cdk.out")
	log = run(elsewhere, append(os.Environ(), "CDK_OUTDIR="+out), bin)
	if strings.Contains(log, "goroutine") {
		t.Errorf("the failed synth printed a stack trace:\n%s", cdktestTail(log))
	}
	errs := synthErrors(t, out)
	for path, want := range map[string]string{
		"/Consumer/Hello":                 "no go.mod in " + elsewhere,
		"/Consumer/Api/AccountRoleSetter": "Run the CDK app from your Go module",
		"/Consumer/Web/SignalRelay":       "Run the CDK app from your Go module",
	} {
		if !strings.Contains(errs[path], want) {
			t.Errorf("synth error at %s: %q, want it to say %q", path, errs[path], want)
		}
	}
	// The default site is compiled into the app and built there: it needs no module directory.
	if e := errs["/Consumer/Web"]; e != "" {
		t.Errorf("synth error at /Consumer/Web: %q, want none: the default site needs no module directory", e)
	}
	t.Logf("tidy and build %v, both synths %v", built.Round(time.Second), (time.Since(start) - built).Round(time.Second))
}

// synthErrors is the error annotations of the cloud assembly in out, by construct path: what
// `cdk synth` prints as "[Error at <path>] <message>" before it fails.
func synthErrors(t *testing.T, out string) map[string]string {
	t.Helper()
	type metadata map[string][]struct {
		Type string
		Data any
	}
	var manifest struct {
		Artifacts map[string]struct {
			Metadata               metadata
			AdditionalMetadataFile string
		}
	}
	readJSON(t, filepath.Join(out, "manifest.json"), &manifest)
	errs := map[string]string{}
	for _, a := range manifest.Artifacts {
		if a.AdditionalMetadataFile != "" {
			readJSON(t, filepath.Join(out, a.AdditionalMetadataFile), &a.Metadata)
		}
		for path, entries := range a.Metadata {
			for _, e := range entries {
				if e.Type == "aws:cdk:error" {
					errs[path] += strings.TrimSpace(strings.Join(strings.Fields(toString(e.Data)), " "))
				}
			}
		}
	}
	return errs
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// cdktestTail is the last 40 lines of s: where a failed command says why.
func cdktestTail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// A module directory without one of the library's own files (a partial copy behind a replace
// directive) says which, and what to do.
func TestLibraryPathSaysWhatIsMissing(t *testing.T) {
	_, err := libraryPath("lambda/ops/cmd/nosuch")
	if err == nil || !strings.Contains(err.Error(), "has no lambda/ops/cmd/nosuch") || !strings.Contains(err.Error(), "replace directive") {
		t.Errorf("libraryPath of a missing directory: %v", err)
	}
	if dir, err := libraryPath(OpsCommandsDir + "/accountrole"); err != nil || !strings.HasSuffix(dir, filepath.FromSlash("lambda/ops/cmd/accountrole")) {
		t.Errorf("libraryPath of the account-role setter: %q, %v", dir, err)
	}
}
