// Command chat is a small WebSocket chat built from the blocks of
// github.com/serverless-tictactoe/tictactoe at their defaults: one room, everyone in it, the
// last message shown to all. It is the example blocks/README.md opens with, and another team's
// app in every way that matters: its own Go module, its own handler (lambda/cmd/chat), its own
// site (site/). `cdk synth` runs it (cdk.json); `go test` synthesizes it with cdk-nag on.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

func main() {
	defer jsii.Close()
	app, _ := newApp(nil)
	app.Synth(nil)
}

// newApp is the chat's app: its stack, every resource checked against AWS Solutions' rules
// (an error fails synth, unless a suppression beside the resource says why it does not apply).
func newApp(props *awscdk.AppProps) (awscdk.App, awscdk.Stack) {
	app := awscdk.NewApp(props)
	stack := NewChatStack(app, "Chat", nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return app, stack
}
