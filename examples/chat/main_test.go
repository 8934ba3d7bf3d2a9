package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The chat synthesizes, from its own module, with every block at its defaults and cdk-nag's
// AwsSolutions pack on: no error but those a suppression beside the resource explains.
func TestChatSynthesizesCleanUnderCdkNag(t *testing.T) {
	out := t.TempDir()
	app, stack := newApp(&awscdk.AppProps{Outdir: jsii.String(out)})
	app.Synth(nil)
	annotations := assertions.Annotations_FromStack(stack)
	for _, e := range *annotations.FindError(jsii.String("*"), assertions.Match_AnyValue()) {
		t.Errorf("synth error at %s: %v", *e.Id, e.Entry.Data)
	}

	tpl := assertions.Template_FromStack(stack, nil)
	// Its own function, from its own lambda/cmd/chat, built for arm64.
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Description":   "Go function chat",
		"Architectures": []any{"arm64"},
	})
	// Its own site, naming the socket in its own config object.
	sites, _ := filepath.Glob(filepath.Join(out, "asset.*", "chat.js"))
	if len(sites) != 1 {
		t.Fatalf("%d staged copies of site/chat.js, want 1", len(sites))
	}
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(sites[0]), "index.html")); err != nil || !strings.Contains(string(b), "<title>Chat</title>") {
		t.Errorf("the staged site is not the chat's: %v", err)
	}
	templateText, err := os.ReadFile(filepath.Join(out, "Chat.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"window.CHAT_CONFIG", `"Chat"`} {
		if !strings.Contains(string(templateText), want) {
			t.Errorf("the template lacks %s", want)
		}
	}
	// Nothing of the game but the first line of its nginx.conf, the web tier's default, which
	// says whose file it is.
	text := strings.ReplaceAll(string(templateText), "# frontend/nginx/nginx.conf of the TicTacToe repository", "")
	for _, game := range []string{"TicTacToe", "TICTACTOE_CONFIG"} {
		if i := strings.Index(text, game); i >= 0 {
			t.Errorf("the chat's template names %s: %q", game, text[max(0, i-100):min(len(text), i+60)])
		}
	}
}
