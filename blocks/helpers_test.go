package blocks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// newStack is an environment-agnostic stack in its own app, synthesizing into a temporary
// directory.
func newStack(t *testing.T) awscdk.Stack {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	return awscdk.NewStack(app, jsii.String("Test"), nil)
}

// mustPanic asserts that f fails with a message containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	err := cdktest.Catch(f)
	if err == nil {
		t.Fatalf("no error; want one containing %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", cdktest.FirstLines(err.Error(), 5), want)
	}
}

// obj and arr shorten assertion patterns.
func obj(m map[string]any) assertions.Matcher { return assertions.Match_ObjectLike(&m) }
func arr(items ...any) assertions.Matcher     { return assertions.Match_ArrayWith(&items) }
