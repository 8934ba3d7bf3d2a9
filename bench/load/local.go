// Package load plays many games at once over real WebSockets against the local stack
// (devstack: the real handlers behind the local gateway, on dynalite) and measures what a move
// costs: round trips, and the DynamoDB requests and @connections messages it takes, counted
// at those endpoints. It only ever talks to loopback addresses it started itself.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/localgw"
	"github.com/serverless-tictactoe/tictactoe/localgw/devstack"
)

// Counters count requests at the DynamoDB endpoint (by operation) and @connections calls,
// and what the gateway did with each connect and message (its log lines, by message).
type Counters struct {
	mu      sync.Mutex
	dynamo  map[string]int64
	gateway map[string]int64
	posts   atomic.Int64
	gone    atomic.Int64
}

// Gateway is how many of the gateway's log lines said msg ("route": an invocation, "route
// throttled", "connect", "connect refused", "connect throttled").
func (c *Counters) Gateway(msg string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gateway[msg]
}

// gatewayLog counts the gateway's lines by message and writes nothing.
type gatewayLog struct{ c *Counters }

func (g gatewayLog) Enabled(context.Context, slog.Level) bool { return true }
func (g gatewayLog) Handle(_ context.Context, r slog.Record) error {
	g.c.mu.Lock()
	g.c.gateway[r.Message]++
	g.c.mu.Unlock()
	return nil
}
func (g gatewayLog) WithAttrs([]slog.Attr) slog.Handler { return g }
func (g gatewayLog) WithGroup(string) slog.Handler      { return g }

// Counts is a snapshot of Counters.
type Counts struct {
	Dynamo      map[string]int64 // operation (GetItem, PutItem…) → requests
	Posts, Gone int64            // @connections POSTs, and how many of them answered 410
}

// DynamoTotal is the number of DynamoDB requests of every operation.
func (c Counts) DynamoTotal() int64 {
	var n int64
	for _, v := range c.Dynamo {
		n += v
	}
	return n
}

// Sub is c − d.
func (c Counts) Sub(d Counts) Counts {
	out := Counts{Dynamo: map[string]int64{}, Posts: c.Posts - d.Posts, Gone: c.Gone - d.Gone}
	for k, v := range c.Dynamo {
		if n := v - d.Dynamo[k]; n != 0 {
			out.Dynamo[k] = n
		}
	}
	return out
}

// Snapshot returns the counts so far.
func (c *Counters) Snapshot() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := Counts{Dynamo: map[string]int64{}, Posts: c.posts.Load(), Gone: c.gone.Load()}
	for k, v := range c.dynamo {
		out.Dynamo[k] = v
	}
	return out
}

// Local is the stack under test with its counters.
type Local struct {
	Stack    *devstack.Stack
	Counters *Counters
	dyn      *dynalite.Server
	proxy    *http.Server
}

// StartLocal starts dynalite behind a counting proxy and the dev stack on free loopback ports.
// Per-connection rate limiting is off: the load plays faster than people do, on purpose.
func StartLocal(ctx context.Context) (*Local, error) { return startLocal(ctx, false) }

// StartLocalWithCeilings is StartLocal with every ceiling of a default deployment on: the
// stage's and $connect's throttles, the per-connection rate limit (and closing a connection
// that keeps flooding), the per-address limits.
func StartLocalWithCeilings(ctx context.Context) (*Local, error) { return startLocal(ctx, true) }

func startLocal(ctx context.Context, ceilings bool) (*Local, error) {
	for k, v := range devstack.LocalAWSEnv {
		if err := setenv(k, v); err != nil {
			return nil, err
		}
	}
	dyn, err := dynalite.Start(ctx, dynalite.Options{})
	if err != nil {
		return nil, err
	}
	l := &Local{dyn: dyn, Counters: &Counters{dynamo: map[string]int64{}, gateway: map[string]int64{}}}
	target, err := url.Parse(dyn.Endpoint)
	if err != nil {
		dyn.Stop()
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	// Idle connections are dropped before dynalite's own keep-alive timeout (Node's 5 s)
	// can: a request sent on a connection Node is closing fails, is answered 502, and the SDK
	// sends it again, one DynamoDB request counted twice. The likely cause of GetItem 3603 for
	// 3600 moves, seen once on a busy machine.
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 512, MaxIdleConns: 512, IdleConnTimeout: 4 * time.Second}
	rp.ErrorLog = log.New(io.Discard, "", 0) // a client gone mid-request is no news
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		dyn.Stop()
		return nil, fmt.Errorf("listening for the DynamoDB proxy: %w", err)
	}
	l.proxy = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := r.Header.Get("X-Amz-Target")
		if i := strings.LastIndexByte(op, '.'); i >= 0 {
			op = op[i+1:]
		}
		l.Counters.mu.Lock()
		l.Counters.dynamo[op]++
		l.Counters.mu.Unlock()
		rp.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = l.proxy.Serve(ln) }()

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	getenv := func(k string) string {
		switch {
		case k == config.EnvPresenceLog:
			return "false" // production's path: presence comes from the stream there
		case ceilings:
		case k == config.EnvRatePerSecond:
			return "0"
		case k == config.EnvAddressStrikes, k == config.EnvAddressFrames:
			return "0" // every simulated player is this one machine
		}
		return ""
	}
	st, err := devstack.Start(ctx, devstack.Options{
		Addr: "127.0.0.1:0", DynamoDBEndpoint: "http://" + ln.Addr().String(), Getenv: getenv,
		Logger: slog.New(gatewayLog{l.Counters}), LambdaLogger: quiet,
		Limits:      localgw.Limits{},
		Unthrottled: !ceilings, // the stress run measures capacity, past any one deployment's throttle
		Middleware:  l.countConnections,
	})
	if err != nil {
		_ = l.proxy.Close()
		dyn.Stop()
		return nil, err
	}
	l.Stack = st
	return l, nil
}

// countConnections counts @connections POSTs and their 410 answers.
func (l *Local) countConnections(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.Contains(r.URL.Path, "/@connections/") {
			next.ServeHTTP(w, r)
			return
		}
		// Counted before the gateway delivers the frame: a client that has read it must find
		// it counted, or the post lands in the next phase's figures.
		l.Counters.posts.Add(1)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if rec.status == http.StatusGone {
			l.Counters.gone.Add(1)
		}
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Stop ends everything StartLocal started.
func (l *Local) Stop(ctx context.Context) error {
	err := l.Stack.Stop(ctx)
	err = errors.Join(err, l.proxy.Shutdown(ctx))
	l.dyn.Stop()
	return err
}
