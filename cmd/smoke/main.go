// Command smoke plays one whole game against a deployment, from the outside, as two players:
// it loads the site and checks its security headers and config.js, opens two connections,
// creates and joins a room, plays to a win, chats, rematches, times more moves from the
// players' side (p50 and p99 to the mover and to both players), with -metrics reads the
// deployment's own side of those moves from its CloudWatch metrics, and leaves (e2e/smoke). It exits
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
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

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
	readMetrics := fs.Bool("metrics", false, "then read the deployment's own per-hop latencies of those moves from its CloudWatch metrics (needs AWS credentials and the deployment's Region, found as the AWS CLI finds them)")
	metricsWait := fs.Duration("metrics-wait", 4*time.Minute, "how long -metrics waits for the moves' metrics to arrive")
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
	target := smoke.Target{Site: *site, WebSocket: *ws, StepTimeout: *timeout, Wait: *wait, Moves: *moves}
	if *readMetrics {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err == nil && cfg.Region == "" {
			err = errors.New("no Region: set AWS_REGION (or AWS_PROFILE's) to the deployment's")
		}
		if err != nil {
			fmt.Fprintln(stderr, "smoke: -metrics:", err)
			return 2
		}
		target.ServerSide, target.MetricsWait = cloudWatch{api: cloudwatch.NewFromConfig(cfg), poll: 15 * time.Second}, *metricsWait
	}
	start := time.Now()
	fmt.Fprintf(stdout, "smoke test of %s\n", *site)
	if err := smoke.Run(ctx, target, stdout); err != nil {
		fmt.Fprintln(stderr, "smoke: FAILED:", err)
		return 1
	}
	fmt.Fprintf(stdout, "smoke: every step passed in %s\n", time.Since(start).Round(time.Millisecond))
	return 0
}
