// Package devstacktest runs the local stack (devstack, as `make dev` runs it) for a test, on a
// free port, stopped when the test ends. Without dynalite the test is skipped, except under
// CI=true, where that fails it.
package devstacktest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite"
	"github.com/serverless-tictactoe/tictactoe/localgw/devstack"
)

// Options are what a test varies.
type Options struct {
	// Env is the functions' settings (GRACE_PERIOD, ALLOWED_ORIGINS…); unset ones take their
	// defaults.
	Env map[string]string
	// Middleware wraps every handler of the stack (a stack broken on purpose).
	Middleware func(http.Handler) http.Handler
	// Log shows the gateway's lines in the test's log. Default: discarded.
	Log bool
	// Regions is how many local Regions to run (devstack.Options.Regions).
	Regions int
	// Unthrottled turns the gateway's throttles off (a test opening connections fast).
	Unthrottled bool
	// RecordStream records the table's changes (devstack.Options.RecordStream).
	RecordStream bool
	// DynamoDBEndpoint is a DynamoDB-compatible server to use (one a test can break). Default:
	// the stack starts dynalite.
	DynamoDBEndpoint string
}

// Start starts the stack.
func Start(t testing.TB, o Options) *devstack.Stack {
	t.Helper()
	for k, v := range devstack.LocalAWSEnv {
		t.Setenv(k, v)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.Log {
		logger = slog.New(slog.NewTextHandler(testLog{t}, nil))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := devstack.Start(ctx, devstack.Options{
		Addr:             "127.0.0.1:0",
		Getenv:           func(k string) string { return o.Env[k] },
		Logger:           logger,
		Middleware:       o.Middleware,
		Regions:          o.Regions,
		Unthrottled:      o.Unthrottled,
		RecordStream:     o.RecordStream,
		DynamoDBEndpoint: o.DynamoDBEndpoint,
	})
	if errors.Is(err, dynalite.ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatalf("starting the local stack: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := st.Stop(ctx); err != nil {
			t.Errorf("stopping the stack: %v", err)
		}
	})
	return st
}

type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
