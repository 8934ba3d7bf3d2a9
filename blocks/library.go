package blocks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Some files a construct deploys are this module's, not the app's: the functions it runs for
// itself (OpsCommandsDir: the account-role setter, the signal relay). An app in another Go
// module has none of them under its own go.mod, so they are read from this module's directory,
// wherever the app's build found it: a replace directive's checkout, the module cache, or this
// repository when the app is the game. (WebFrontend's default site needs no directory: it is
// compiled into the app, package frontend, and built from there.)

// libraryModule is this module's path, taken from this package's own import path (so that a
// fork under another path finds itself).
var libraryModule = strings.TrimSuffix(reflect.TypeOf(GoFunction{}).PkgPath(), "/blocks")

var library struct {
	once sync.Once
	dir  string
	err  error
}

// libraryDir is the directory of this module's source, asked once per process.
func libraryDir() (string, error) {
	library.once.Do(func() { library.dir, library.err = moduleDir(libraryModule, ".") })
	return library.dir, library.err
}

// moduleDir is where the go command, run in workDir, finds module's source: `go list -m` says
// so for the main module, a replace directive's directory and the module cache alike, from
// the go.mod (and go.work) that the app's own `go run` read. This package's source location
// (runtime.Caller) would be the other way to find it, but a build with -trimpath (GOFLAGS)
// records no directory at all, and it names where the binary was built, not where it runs.
// The go command is needed to build the functions anyway.
func moduleDir(module, workDir string) (string, error) {
	cmd := exec.Command("go", "list", "-m", "-json", module)
	cmd.Dir = workDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	abs, _ := filepath.Abs(workDir)
	if err != nil {
		return "", fmt.Errorf("cannot find the source of the Go module %s: `go list -m %s` in %s: %v: %s\nRun the CDK app from your Go module (the directory of its go.mod, or below), which requires %s",
			module, module, abs, err, strings.TrimSpace(stderr.String()), module)
	}
	var m struct {
		Dir     string
		Replace *struct{ Dir string }
	}
	if err := json.Unmarshal(out, &m); err != nil {
		return "", fmt.Errorf("reading `go list -m %s` in %s: %w", module, abs, err)
	}
	switch {
	case m.Dir != "":
		return m.Dir, nil
	case m.Replace != nil && m.Replace.Dir != "":
		return m.Replace.Dir, nil // -mod=vendor names a replacement's directory only there
	}
	return "", fmt.Errorf("`go list -m %s` in %s names no directory for it: it is not in the module cache, or the app is built with -mod=vendor (whose vendor directory holds no Lambda sources): run `go mod download %s`, and synth without -mod=vendor", module, abs, module)
}

// libraryPath is rel, a slash-separated path inside this module, on this machine.
func libraryPath(rel string) (string, error) {
	dir, err := libraryDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s has no %s (the source of %s that the app's go.mod uses): point its replace directive at a whole checkout, or run `go mod verify`", dir, rel, libraryModule)
	}
	return p, nil
}

// failSynth makes synth fail with err, whose message says what to do: an error annotation on
// scope, which `cdk synth` and `cdk deploy` print as "[Error at <path>] <message>" before
// refusing the app. A panic would end an app that does not recover from it (as the game's
// main does) in a Go stack trace instead.
func failSynth(scope constructs.IConstruct, err error) {
	awscdk.Annotations_Of(scope).AddError(jsii.String(err.Error()))
}

// placeholderDir is an empty directory in the app's output, the stand-in for files that were
// not found (a function's build, a site) after failSynth: the construct still completes, so
// every such error of the app is reported at once, and the app deploys nothing.
func placeholderDir(scope constructs.IConstruct) string {
	dir := filepath.Join(*awscdk.Stage_Of(scope).Outdir(), "not-found")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		panic(fmt.Errorf("creating %s: %w", dir, err))
	}
	return dir
}
