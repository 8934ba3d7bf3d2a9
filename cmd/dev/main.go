// Command dev runs the whole game on this machine (`make dev`): dynalite with the game table,
// the Lambda handlers behind the local WebSocket gateway, and the site. Ctrl-C stops all of
// it. See docs/local.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/localgw"
	"github.com/serverless-tictactoe/tictactoe/localgw/devstack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

func run() error {
	o, err := options()
	if err != nil {
		return err
	}
	for k, v := range devstack.LocalAWSEnv {
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("setting %s: %w", k, err)
		}
	}
	if o.Logger, err = logger(); err != nil {
		return err
	}
	o.Logger.Info("starting: dynalite, the game table, the local gateway, the site")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := devstack.Start(ctx, o)
	if err != nil {
		return err
	}
	printAddresses(st, o.DataDir)

	// With several Regions, SIGUSR1 fails the first one still up, as an outage would (the
	// browser tests' Region failure; docs/local.md). The last one stays up.
	usr1 := make(chan os.Signal, 1)
	if len(st.Regions) > 1 {
		signal.Notify(usr1, syscall.SIGUSR1)
		defer signal.Stop(usr1)
	}
	failed := waitForEnd(ctx, st, usr1, o.Logger)
	stop() // a second Ctrl-C ends the process at once (dynalite dies with it)
	o.Logger.Info("stopping: closing connections, then the servers and dynalite")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := st.Stop(sctx); err != nil {
		return errors.Join(failed, err)
	}
	if failed != nil {
		return failed
	}
	o.Logger.Info("stopped")
	return nil
}

// options reads the command line.
func options() (devstack.Options, error) {
	var o devstack.Options
	site := defineFlags(flag.CommandLine, &o)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./cmd/dev [flags]   (or: make dev DEV_FLAGS='...')\n\n"+
			"Runs the game locally. The functions read their usual settings from the environment\n"+
			"(GRACE_PERIOD, ROOM_TTL, MOVE_TIMEOUT, ALLOWED_ORIGINS, RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST, LOG_LEVEL, PRESENCE_LOG).\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		return o, fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if *site != "" {
		if st, err := os.Stat(*site); err != nil || !st.IsDir() {
			return o, fmt.Errorf("-site %s: not a directory", *site)
		}
		o.Site = os.DirFS(*site)
	}
	return o, nil
}

// defineFlags defines cmd/dev's flags on fs, into o; the site directory is returned (o takes
// its files). docs/local.md's table states them (a test reads it against fs).
func defineFlags(fs *flag.FlagSet, o *devstack.Options) (site *string) {
	fs.StringVar(&o.Addr, "addr", devstack.DefaultAddr, "`host:port` serving the site and the WebSocket API (0.0.0.0:8080 lets other devices in)")
	fs.StringVar(&o.DataDir, "data", "", "keep the game data in `dir` across runs (default: in memory)")
	fs.IntVar(&o.DynalitePort, "dynamodb-port", 0, "dynalite's `port` (default: a free one)")
	fs.StringVar(&o.TableName, "table", devstack.DefaultTableName, "the game table's `name`")
	fs.IntVar(&o.Games, "games", capacity.DefaultGames, "throttle the local API as a deployment sized for `n` concurrent games (-c games=n; docs/capacity.md)")
	fs.IntVar(&o.Regions, "regions", 1, fmt.Sprintf("run `n` local Regions (1 to %d), each its own gateway and functions over the one table (docs/regions.md)", devstack.MaxRegions))
	site = fs.String("site", "", "serve the files in `dir` as they are, not minified (e.g. frontend/site, to see edits on reload), instead of the copy built in, minified as it ships")
	fs.DurationVar(&o.Limits.IdleTimeout, "idle-timeout", localgw.DefaultIdleTimeout, "close connections quiet for this long, as API Gateway does")
	fs.DurationVar(&o.Limits.MaxDuration, "max-duration", localgw.DefaultMaxDuration, "close connections this old, as API Gateway does")
	return site
}

// logger writes the stack's lines to stderr at LOG_LEVEL.
func logger() (*slog.Logger, error) {
	level := slog.LevelInfo
	if v := os.Getenv("LOG_LEVEL"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			return nil, fmt.Errorf("LOG_LEVEL %q: not one of debug, info, warn, error", v)
		}
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level, ReplaceAttr: shortTime})), nil
}

// printAddresses tells the developer where the site, each Region's socket and the table are.
func printAddresses(st *devstack.Stack, dataDir string) {
	fmt.Fprintf(os.Stderr, "\n  TicTacToe is running: open %s\n\n", st.URL)
	for _, r := range st.Regions {
		name := "WebSocket API"
		if r.Name != "" {
			name = r.Name
		}
		fmt.Fprintf(os.Stderr, "  %-14s %s   (@connections: %s/@connections)\n", name, r.WebSocketURL, r.CallbackURL)
	}
	fmt.Fprintf(os.Stderr, "  DynamoDB       %s   table %q (dynalite, %s)\n\n"+
		"  Ctrl-C stops everything.\n\n", st.DynamoDBEndpoint, st.TableName, storage(dataDir))
}

// waitForEnd waits for ctx to end (Ctrl-C) or a part of the stack to fail, which it returns,
// failing a Region at each signal on usr1 meanwhile.
func waitForEnd(ctx context.Context, st *devstack.Stack, usr1 <-chan os.Signal, log *slog.Logger) error {
	down := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-st.Failed():
			return err
		case <-usr1:
			down = failNextRegion(ctx, st, down, log)
		}
	}
}

// failNextRegion fails the first of the Regions still up (down are failed already), unless it
// is the last, and returns how many are down.
func failNextRegion(ctx context.Context, st *devstack.Stack, down int, log *slog.Logger) int {
	if down == len(st.Regions)-1 {
		log.Warn("SIGUSR1: the last Region stays up", "region", st.Regions[down].Name)
		return down
	}
	name := st.Regions[down].Name
	if err := st.Kill(ctx, name); err != nil {
		log.Error("SIGUSR1: failing a Region", "region", name, "error", err.Error())
		return down
	}
	log.Warn("SIGUSR1: Region failed as in an outage (connections dropped, endpoints down, marked failed)", "region", name)
	return down + 1
}

func storage(dir string) string {
	if dir == "" {
		return "in memory: gone when this stops"
	}
	return "kept in " + dir
}

// shortTime prints log times as 15:04:05.000: the date is noise in a dev session.
func shortTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.String(slog.TimeKey, a.Value.Time().Format("15:04:05.000"))
	}
	return a
}
