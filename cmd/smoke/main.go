// Command smoke plays one whole game against a deployment, from the outside, as two players:
// it loads the site and checks its security headers and config.js, opens two connections,
// creates and joins a room, plays to a win, chats, rematches, times more moves from the
// players' side (p50 and p99 to the mover and to both players) and leaves (e2e/smoke). It exits
// 0 when every step passed, 1 with the step that failed and what came back, 2 on bad flags.
//
//	make smoke SITE=https://play.example.com/
//	go run ./cmd/smoke -site http://127.0.0.1:8080/ [-ws ws://127.0.0.1:8080/dev] [-timeout 20s] [-wait 5m]
//
// The pipeline runs it after each stage's deploy, with the site from the Frontend stack's
// SiteUrl output (docs/pipeline.md).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/serverless-tictactoe/tictactoe/e2e/smoke"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	site := fs.String("site", os.Getenv("SITE_URL"), "the site's URL, the Frontend stack's SiteUrl output (default $SITE_URL)")
	ws := fs.String("ws", os.Getenv("WS_URL"), "the WebSocket URL to play through instead of the one config.js names (default $WS_URL; leave it empty behind CloudFront)")
	timeout := fs.Duration("timeout", smoke.DefaultStepTimeout, "how long each step may take")
	moves := fs.Int("moves", smoke.DefaultMoves, "how many more moves to time, from the players' side, after the game")
	wait := fs.Duration("wait", 0, "retry loading the site this long before failing (a deployment just made may not serve yet)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *site == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "smoke: give the site's URL: -site https://play.example.com/ (or SITE_URL)")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	fmt.Fprintf(stdout, "smoke test of %s\n", *site)
	if err := smoke.Run(ctx, smoke.Target{Site: *site, WebSocket: *ws, StepTimeout: *timeout, Wait: *wait, Moves: *moves}, stdout); err != nil {
		fmt.Fprintln(stderr, "smoke: FAILED:", err)
		return 1
	}
	fmt.Fprintf(stdout, "smoke: every step passed in %s\n", time.Since(start).Round(time.Millisecond))
	return 0
}
