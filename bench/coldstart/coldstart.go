// Package coldstart measures each Lambda's cold start on this machine with a Runtime API of its
// own: the bootstrap is built as it ships (internal/gobuild) but for this machine's
// architecture, started with the environment Lambda gives it, and timed from exec to its first
// GET /next (init: the Go runtime, every package's init, the function's wiring) and from the
// first event handed out to its response (the first invoke, with its cold connection pools).
// The DynamoDB and @connections endpoints the functions call answer at once from the same
// server: what is timed is the function's own work, not a database.
package coldstart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/serverless-tictactoe/tictactoe/internal/gobuild"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
)

// Result is one function's cold starts.
type Result struct {
	Function        string
	Runs            int
	InitMedian      time.Duration
	InitMax         time.Duration
	FirstMedian     time.Duration // the first invoke
	FirstMax        time.Duration
	Arch, GoVersion string
	Response        string // the first run's, to show the invoke did the work
}

// Function is a function to start and the first event to give it.
type Function struct {
	Name  string
	Event string // JSON
	// Env is what the function needs beyond the AWS variables: its configuration.
	Env map[string]string
	// Package is the main package to build, relative to the module. Default: ./lambda/cmd/<Name>.
	Package string
}

// Floor is the floor under every function's init (bench/coldstart/floor): aws-lambda-go
// answering its event, with nothing of the project's.
func Floor() Function {
	return Function{Name: "floor", Package: "./bench/coldstart/floor", Event: `{"floor":true}`}
}

// Functions are the project's four, each with an ordinary first event: a connection, a frame,
// a closed connection, an empty batch of the table's stream. moduleDir holds go.mod.
func Functions(moduleDir string) ([]Function, error) {
	event := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(moduleDir, "lambda", "handler", "testdata", name+".json"))
		return string(b), err
	}
	var fns []Function
	for _, f := range []struct{ name, event string }{{"connect", "connect"}, {"disconnect", "disconnect"}, {"game", "default"}} {
		ev, err := event(f.event)
		if err != nil {
			return nil, fmt.Errorf("the %s event: %w", f.name, err)
		}
		fns = append(fns, Function{Name: f.name, Event: ev})
	}
	fns = append(fns, Function{Name: "presence", Event: `{"Records":[]}`, Env: map[string]string{config.EnvTopicARN: "arn:aws:sns:us-east-1:123456789012:alerts"}})
	return fns, nil
}

// Measure builds each function, then starts each in turn, runs rounds: a burst of other work on
// the machine falls on every function alike, so they stay comparable (the floor with the rest).
func Measure(ctx context.Context, moduleDir string, fns []Function, runs int) ([]Result, error) {
	if runs < 1 {
		return nil, ErrNoRuns
	}
	tmp, err := os.MkdirTemp("", "coldstart")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bins := make([]string, len(fns))
	for i, fn := range fns {
		dir := filepath.Join(tmp, fn.Name)
		pkg := fn.Package
		if pkg == "" {
			pkg = "./lambda/cmd/" + fn.Name
		}
		if err := (gobuild.Command{ModuleDir: moduleDir, Package: pkg, Arch: runtime.GOARCH}).Build(dir); err != nil {
			return nil, err
		}
		bins[i] = filepath.Join(dir, "bootstrap")
	}
	inits, firsts := make([][]time.Duration, len(fns)), make([][]time.Duration, len(fns))
	out := make([]Result, len(fns))
	for run := range runs {
		for i, fn := range fns {
			init, first, resp, err := Start(ctx, bins[i], fn)
			if err != nil {
				return nil, fmt.Errorf("%s: run %d: %w", fn.Name, run+1, err)
			}
			if run == 0 {
				out[i] = Result{Function: fn.Name, Runs: runs, Arch: runtime.GOARCH, GoVersion: runtime.Version(), Response: resp}
			}
			inits[i], firsts[i] = append(inits[i], init), append(firsts[i], first)
		}
	}
	for i := range out {
		out[i].InitMedian, out[i].InitMax = median(inits[i]), slices.Max(inits[i])
		out[i].FirstMedian, out[i].FirstMax = median(firsts[i]), slices.Max(firsts[i])
	}
	return out, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// Start runs bin once under a Runtime API: it returns the time from exec to the first GET /next,
// from handing out fn.Event to its response, and the response. A function that reports an init
// or invocation error, or exits, is an error naming what it said.
func Start(ctx context.Context, bin string, fn Function) (init, first time.Duration, response string, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, "", err
	}
	api := &runtimeAPI{event: fn.Event, next: make(chan time.Time, 1), done: make(chan outcome, 1)}
	srv := &http.Server{Handler: api}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	addr := ln.Addr().String()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{
		"AWS_LAMBDA_RUNTIME_API=" + addr, "AWS_LAMBDA_FUNCTION_NAME=" + fn.Name, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=coldstart", "AWS_SECRET_ACCESS_KEY=coldstart", "AWS_SESSION_TOKEN=coldstart",
		config.EnvTableName + "=tictactoe", config.EnvCallbackURL + "=http://" + addr + "/stage",
		config.EnvDynamoEndpoint + "=http://" + addr, "LOG_LEVEL=WARN",
		config.EnvSourceKeySecret + "=a cold start's own source key", // as the stack sets it
	}
	for k, v := range fn.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	exited := make(chan struct{}) // closed once the process has exited, with waitErr set
	var waitErr error
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, "", err
	}
	go func() { waitErr = cmd.Wait(); close(exited) }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	select {
	case t := <-api.next:
		init = t.Sub(start)
	case <-exited:
		return 0, 0, "", fmt.Errorf("exited before asking for an event (%v): %s", waitErr, strings.TrimSpace(stderr.String()))
	case o := <-api.done:
		return 0, 0, "", fmt.Errorf("init error: %s", o.body)
	case <-ctx.Done():
		return 0, 0, "", fmt.Errorf("never asked for an event: %w", ctx.Err())
	}
	select {
	case o := <-api.done:
		if o.failed {
			return init, 0, "", fmt.Errorf("the first invoke failed: %s", o.body)
		}
		return init, o.at.Sub(o.handed), o.body, nil
	case <-exited:
		return init, 0, "", fmt.Errorf("exited during the first invoke (%v): %s", waitErr, strings.TrimSpace(stderr.String()))
	case <-ctx.Done():
		return init, 0, "", fmt.Errorf("no answer to the first event: %w", ctx.Err())
	}
}

type outcome struct {
	handed, at time.Time
	body       string
	failed     bool
}

// runtimeAPI is the part of Lambda's Runtime API aws-lambda-go uses, for one event, and a
// stand-in for every AWS endpoint a function calls (DynamoDB, @connections), answering {}.
type runtimeAPI struct {
	event string
	next  chan time.Time
	done  chan outcome

	mu     sync.Mutex
	handed time.Time
}

const prefix = "/2018-06-01/runtime/"

func (a *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, _ := io.ReadAll(r.Body)
	path := r.URL.Path
	switch {
	case path == prefix+"invocation/next":
		a.mu.Lock()
		first := a.handed.IsZero()
		if first {
			a.handed = time.Now()
		}
		a.mu.Unlock()
		if !first { // one event per start: hold the runtime until it is stopped
			<-r.Context().Done()
			return
		}
		select {
		case a.next <- now:
		default:
		}
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", "coldstart-1")
		w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:coldstart")
		_, _ = io.WriteString(w, a.event)
	case strings.HasPrefix(path, prefix+"invocation/") && (strings.HasSuffix(path, "/response") || strings.HasSuffix(path, "/error")):
		a.mu.Lock()
		handed := a.handed
		a.mu.Unlock()
		a.finish(outcome{handed: handed, at: now, body: string(body), failed: strings.HasSuffix(path, "/error")})
		w.WriteHeader(http.StatusAccepted)
	case path == prefix+"init/error":
		a.finish(outcome{at: now, body: string(body), failed: true})
		w.WriteHeader(http.StatusAccepted)
	default: // DynamoDB, @connections
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, "{}")
	}
}

func (a *runtimeAPI) finish(o outcome) {
	select {
	case a.done <- o:
	default:
	}
}

// ErrNoRuns: Measure was asked for no runs.
var ErrNoRuns = errors.New("coldstart: at least one run")
