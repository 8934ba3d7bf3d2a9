package smoke_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/e2e/smoke"
	"github.com/serverless-tictactoe/tictactoe/frontend"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/localgw/devstack"
	"github.com/serverless-tictactoe/tictactoe/localgw/devstack/devstacktest"
)

func startStack(t *testing.T, env map[string]string, middleware func(http.Handler) http.Handler) *devstack.Stack {
	t.Helper()
	return devstacktest.Start(t, devstacktest.Options{Env: env, Middleware: middleware})
}

// TestSmokePassesAgainstTheLocalStack: the whole scenario passes against `make dev`'s stack,
// every step reported.
func TestSmokePassesAgainstTheLocalStack(t *testing.T) {
	st := startStack(t, nil, nil)
	var log bytes.Buffer
	if err := smoke.Run(context.Background(), smoke.Target{Site: st.URL, StepTimeout: 10 * time.Second, Moves: 11}, &log); err != nil {
		t.Fatalf("smoke test failed against a working stack: %v\n%s", err, log.String())
	}
	if !regexp.MustCompile(`ok   latency .*; 11 moves: to the mover p50 [0-9.]+m?s, p99 [0-9.]+m?s, to both players p50 [0-9.]+m?s, p99 [0-9.]+m?s`).MatchString(log.String()) {
		t.Errorf("the latency step does not report the moves' percentiles:\n%s", log.String())
	}
	for _, step := range []string{"site", "config.js", "connect", "createRoom", "joinRoom", "move", "sendMessage", "rematch", "latency", "leaveRoom"} {
		if !strings.Contains(log.String(), "ok   "+step+" ") {
			t.Errorf("step %s not reported as passed:\n%s", step, log.String())
		}
	}
}

// TestSmokeFailsClearlyAgainstABrokenStack: each stack broken on purpose fails the step that
// meets the breakage, saying what came back.
func TestSmokeFailsClearlyAgainstABrokenStack(t *testing.T) {
	dropHeader := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(dropping{w, name}, r)
			})
		}
	}
	serve := func(path, body string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == path {
					h, _ := frontend.SecurityHeaders("")
					for k, v := range h {
						w.Header()[k] = v
					}
					io.WriteString(w, body)
					return
				}
				next.ServeHTTP(w, r)
			})
		}
	}
	for _, tc := range []struct {
		name       string
		env        map[string]string
		middleware func(http.Handler) http.Handler
		site       string // the site's path, default /
		step       string
		got        []string
	}{
		{name: "no content security policy", middleware: dropHeader("Content-Security-Policy"),
			step: "site", got: []string{"Content-Security-Policy", "none"}},
		{name: "not the game's page", site: "/css/",
			step: "site", got: []string{"the game's page", "site.css"}},
		{name: "config.js without a socket", middleware: serve("/config.js", "window.TICTACTOE_CONFIG = {};\n"),
			step: "config.js", got: []string{"window.TICTACTOE_CONFIG = {}"}},
		{name: "config.js names a socket on another origin the CSP does not allow", middleware: serve("/config.js", `window.TICTACTOE_CONFIG = {"webSocketUrl": "wss://elsewhere.example/ws"};`),
			step: "config.js", got: []string{"connect-src allowing wss://elsewhere.example", "connect-src 'self';"}},
		{name: "config.js names a socket nobody serves", middleware: serve("/config.js", `window.TICTACTOE_CONFIG = {"webSocketUrl": "/nowhere"};`),
			step: "connect", got: []string{"/nowhere", "404"}},
		{name: "the connect function refuses the site's origin", env: map[string]string{config.EnvAllowedOrigins: "https://elsewhere.example"},
			step: "connect", got: []string{"403"}},
		{name: "the referee refuses the host's fourth frame", env: map[string]string{config.EnvRateBurst: "3", config.EnvRatePerSecond: "0.01"},
			step: "move", got: []string{"move 5 (X in cell 2)", `"code":"rate_limited"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := startStack(t, tc.env, tc.middleware)
			site := st.URL
			if tc.site != "" {
				site = strings.TrimSuffix(st.URL, "/") + tc.site
			}
			var log bytes.Buffer
			err := smoke.Run(context.Background(), smoke.Target{Site: site, StepTimeout: 5 * time.Second}, &log)
			var se *smoke.StepError
			if !errors.As(err, &se) {
				t.Fatalf("want a failed step, got %v\n%s", err, log.String())
			}
			if se.Step != tc.step {
				t.Fatalf("failed at step %s, want %s: %v", se.Step, tc.step, err)
			}
			for _, g := range tc.got {
				if !strings.Contains(err.Error(), g) {
					t.Errorf("the failure does not say %q: %v", g, err)
				}
			}
		})
	}
}

// TestSmokeWaitsForASiteThatIsNotServingYet: with Wait, a site that answers 503 for a while
// (a load balancer still taking its instances in) is tried again; without, that is a failure.
func TestSmokeWaitsForASiteThatIsNotServingYet(t *testing.T) {
	var mu sync.Mutex
	refusals := 2
	st := startStack(t, nil, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			refuse := r.URL.Path == "/" && refusals > 0
			if refuse {
				refusals--
			}
			mu.Unlock()
			if refuse {
				http.Error(w, "no healthy upstream", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	var log bytes.Buffer
	err := smoke.Run(context.Background(), smoke.Target{Site: st.URL, StepTimeout: 5 * time.Second}, &log)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("without Wait: %v, want the 503", err)
	}
	log.Reset()
	if err := smoke.Run(context.Background(), smoke.Target{Site: st.URL, StepTimeout: 5 * time.Second, Wait: 30 * time.Second}, &log); err != nil {
		t.Fatalf("with Wait: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "wait site") || !strings.Contains(log.String(), "ok   leaveRoom") {
		t.Errorf("log:\n%s", log.String())
	}
}

// dropping is a ResponseWriter that never sends the header name.
type dropping struct {
	http.ResponseWriter
	name string
}

func (d dropping) WriteHeader(code int) {
	d.Header().Del(d.name)
	d.ResponseWriter.WriteHeader(code)
}

func (d dropping) Write(b []byte) (int, error) {
	d.Header().Del(d.name)
	return d.ResponseWriter.Write(b)
}

// sideOf is a deployment's own side as its metrics would give it, recording the window asked.
type sideOf struct{ from, to *time.Time }

func (s sideOf) MoveHops(_ context.Context, from, to time.Time) ([]smoke.Hop, error) {
	*s.from, *s.to = from, to
	return []smoke.Hop{{Name: "in all", P50: 4 * time.Millisecond, P99: 9 * time.Millisecond}}, nil
}

// With a reader of the deployment's metrics, one more step prints its own side of the timed
// moves, read over the window they were played in.
func TestSmokeReportsTheDeploymentsOwnSide(t *testing.T) {
	st := startStack(t, nil, nil)
	var log bytes.Buffer
	var from, to time.Time
	start := time.Now()
	t0 := smoke.Target{Site: st.URL, StepTimeout: 10 * time.Second, Moves: 3, ServerSide: sideOf{&from, &to}, MetricsWait: time.Second}
	if err := smoke.Run(context.Background(), t0, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "ok   metrics") || !strings.Contains(log.String(), "the deployment's own, a move, in all p50 4ms, p99 9ms") {
		t.Errorf("no line for the deployment's side:\n%s", log.String())
	}
	if from.Before(start) || !to.After(from) || time.Since(to) < 0 {
		t.Errorf("the window %v..%v is not the timed moves'", from, to)
	}
}
