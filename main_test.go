package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

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
	for _, pkg := range []string{".", "./stacks", "./blocks"} {
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

// The pipeline runs the CDK CLI package.json pins: an exact version.
func TestThePipelineGetsThePinnedCLI(t *testing.T) {
	v, err := stacks.CLIVersion(packageJSON)
	if err != nil || !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("CLI version %q, %v", v, err)
	}
}
