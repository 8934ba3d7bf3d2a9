package main

import (
	"os/exec"
	"regexp"
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

// `make synth` says it synthesized and nothing else: no jsii end-of-life box (the Makefile
// silences it for the Node the project runs on), no waitid false alarm (internal/jsiiexit).
func TestSynthIsQuiet(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make: %v", err)
	}
	out, err := exec.Command("make", "-s", "synth", "CDK_ARGS=-o "+t.TempDir()).CombinedOutput()
	if err != nil {
		t.Fatalf("make synth: %v\n%s", err, out)
	}
	text := string(out)
	if !strings.Contains(text, "Successfully synthesized") {
		t.Errorf("make synth did not say it synthesized:\n%s", text)
	}
	for _, noise := range []string{"end-of-life", "!!!!", "waitid", "exited abnormally"} {
		if strings.Contains(text, noise) {
			t.Errorf("make synth printed %q:\n%s", noise, text)
		}
	}
}

// The pipeline runs the CDK CLI package.json pins: an exact version.
func TestThePipelineGetsThePinnedCLI(t *testing.T) {
	v, err := stacks.CLIVersion(packageJSON)
	if err != nil || !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("CLI version %q, %v", v, err)
	}
}
