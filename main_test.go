package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
	"github.com/serverless-tictactoe/tictactoe/stacks"
)

// The app's own part is reading the settings and reporting them: the stacks' tests (stacks/)
// cover what it composes.

// Bad settings stop synth before any stack exists, with a message that says what to fix.
func TestComposeRejectsBadSettings(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &map[string]any{"env": "staging", "maxInstances": "1"}})
	err := compose(app, func(string) string { return "" })
	if err == nil {
		t.Fatal("compose accepted env=staging")
	}
	for _, want := range []string{"context env", "context maxInstances", "docs/deploy.md"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := len(*app.Node().Children()); n != 0 {
		t.Errorf("%d stacks were added despite the error", n)
	}
}

// The CDK app links none of the Lambda runtime: it reads the function catalog, the table
// layout and the functions' settings from leaf packages, never the handlers or the SDK clients
// they use (`go list -deps`).
func TestTheAppLinksNoLambdaRuntime(t *testing.T) {
	forbidden := []string{
		"github.com/aws/aws-lambda-go/lambda",
		"github.com/aws/aws-sdk-go-v2/service/sns",
		"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi",
		"github.com/aws/aws-sdk-go-v2/service/dynamodb",
		"github.com/serverless-tictactoe/tictactoe/lambda/service",
		"github.com/serverless-tictactoe/tictactoe/lambda/handler",
		"github.com/serverless-tictactoe/tictactoe/lambda/app",
		"github.com/serverless-tictactoe/tictactoe/lambda/store",
	}
	for _, pkg := range []string{".", "./stacks", "./constructs"} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if dep == f {
					t.Errorf("%s links %s", pkg, dep)
				}
			}
		}
	}
}

// supportedNode is the Node majors that jsii and the CDK CLI support: 20 left on 2026-10-30,
// and jsii boxes a warning around every run on a Node outside them.
var supportedNode = []string{"22", "24"}

// Every make target runs the Node package.json pins (the npm package `node`, first on the
// Makefile's PATH), a supported one, and .node-version names the same for CI and the pipeline.
// Run on Debian's Node 20 (node_modules/node missing, or pinned back to 20), this fails.
func TestMakeRunsThePinnedNode(t *testing.T) {
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(packageJSON, &pkg); err != nil {
		t.Fatalf("package.json: %v", err)
	}
	pinned := pkg.DevDependencies["node"]
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(pinned) {
		t.Fatalf("package.json pins node %q, not an exact version", pinned)
	}
	if major, _, _ := strings.Cut(pinned, "."); !slices.Contains(supportedNode, major) {
		t.Errorf("package.json pins Node %s: the CDK supports Node %s", pinned, strings.Join(supportedNode, " and "))
	}
	if b, err := os.ReadFile(".node-version"); err != nil || strings.TrimSpace(string(b)) != pinned {
		t.Errorf(".node-version is %q (%v), package.json's node %s", b, err, pinned)
	}
	out, err := exec.Command("make", "-s", "versions").CombinedOutput()
	if err != nil {
		t.Fatalf("make versions: %v\n%s", err, out)
	}
	if !strings.Contains("\n"+string(out), "\nnode v"+pinned+"\n") {
		t.Errorf("make runs another Node than package.json's %s:\n%s", pinned, out)
	}
}

// `make synth` says it synthesized and nothing else: no jsii end-of-life box (the Node is a
// supported one, nothing silences the box: a JSII_SILENCE_… variable of the caller's is
// dropped), no waitid false alarm (internal/jsiiexit), no feature flag left unset in cdk.json.
// And the CLI package.json pins is one the library accepts (its manifest's minimumCliVersion).
func TestSynthIsQuiet(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make: %v", err)
	}
	outdir := t.TempDir()
	cmd := exec.Command("make", "-s", "synth", "CDK_ARGS=-o "+outdir)
	// Offline, as CI is: no credentials, no account, a HOME of its own.
	env, err := cdktest.OfflineEnv(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range env {
		if !strings.HasPrefix(kv, "JSII_SILENCE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make synth: %v\n%s", err, out)
	}
	text := string(out)
	if !strings.Contains(text, "Successfully synthesized") {
		t.Errorf("make synth did not say it synthesized:\n%s", text)
	}
	for _, noise := range []string{"end-of-life", "!!!!", "waitid", "exited abnormally", "feature flags are not configured"} {
		if strings.Contains(text, noise) {
			t.Errorf("make synth printed %q:\n%s", noise, text)
		}
	}
	b, err := os.ReadFile(filepath.Join(outdir, "manifest.json"))
	if err != nil {
		t.Fatalf("the cloud assembly: %v", err)
	}
	var manifest struct {
		MinimumCliVersion string `json:"minimumCliVersion"`
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	cli, err := stacks.CLIVersion(packageJSON)
	if err != nil {
		t.Fatal(err)
	}
	if manifest.MinimumCliVersion != "" && versionLess(cli, manifest.MinimumCliVersion) {
		t.Errorf("package.json pins CLI %s; the library asks for %s or later", cli, manifest.MinimumCliVersion)
	}
}

// versionLess compares two x.y.z versions by number.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

// The pipeline runs the CDK CLI package.json pins: an exact version.
func TestThePipelineGetsThePinnedCLI(t *testing.T) {
	v, err := stacks.CLIVersion(packageJSON)
	if err != nil || !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("CLI version %q, %v", v, err)
	}
}
