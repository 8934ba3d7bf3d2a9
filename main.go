// Command tictactoe is the game's CDK app: it reads the deployment's settings from CDK context
// (cdk.json, -c key=value; docs/deploy.md lists them) and composes the stacks
// (stacks.NewDeployment). The CDK CLI runs it: `npx cdk synth` (make synth), `npx cdk deploy --all`.
package main

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/serverless-tictactoe/tictactoe/internal/jsiiexit"
	"github.com/serverless-tictactoe/tictactoe/stacks"
)

func main() {
	stderr, closeRuntime := jsiiexit.Quiet()
	err := run()
	closeRuntime()
	if err != nil {
		fmt.Fprintln(stderr, "tictactoe:", err)
		os.Exit(1)
	}
}

func run() (err error) {
	// Constructs reject bad props and failed builds by panicking (jsii has no other way out of
	// a constructor): report the message, which says what to fix, without a Go stack trace.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth failed: %v", r)
		}
	}()
	app := awscdk.NewApp(nil)
	if err := compose(app, os.Getenv); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

// fileContext is the context of the CDK CLI's settings file.
func fileContext(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f.Context, nil
}

// packageJSON pins the CDK CLI the pipeline runs, as it pins the one `make deploy` runs.
//
//go:embed package.json
var packageJSON []byte

// compose validates the settings in app's context and adds the deployment's stacks to app, or
// with pipeline=true the pipeline that deploys them (docs/pipeline.md).
func compose(app awscdk.App, getenv func(string) string) error {
	ctx, _ := app.Node().GetAllContext(nil).(map[string]any)
	cfg, err := stacks.FromContext(ctx, getenv)
	if err != nil {
		return fmt.Errorf("invalid settings: fix them in cdk.json or with -c key=value (docs/deploy.md lists every key):\n%w", err)
	}
	if file, err := fileContext("cdk.json"); err == nil {
		cfg.ForgetFileSettings(file)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	cli, err := stacks.CLIVersion(packageJSON)
	if err != nil {
		return err
	}
	stacks.Compose(app, cfg, cli)
	return nil
}
