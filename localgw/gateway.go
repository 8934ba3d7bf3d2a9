// Package localgw is a local stand-in for an API Gateway WebSocket API: it accepts WebSocket
// connections, invokes Lambda handlers in-process with the events API Gateway sends, and
// serves the @connections management API that the handlers' real SDK client calls. It is what
// `make dev` and the end-to-end tests run the game's handlers behind (docs/local.md).
//
// What it emulates, as API Gateway does it:
//   - $connect gets the upgrade's headers and query string; a non-2xx answer refuses the
//     upgrade with that status (an invocation error: 500).
//   - Each text message is routed by the selection expression $request.body.action: a JSON
//     object whose "action" string is a route key goes to that route, anything else to
//     $default. Binary frames close the connection with 1003.
//   - Messages are invoked concurrently, each on its own goroutine, even those of one
//     connection, as separate Lambda invocations are: nothing orders them.
//   - $disconnect fires once per accepted connection, after it is gone (posts to it answer
//     410), with the close code: the client's, the gateway's own (1001 idle or too old, 1009
//     too big, 1003 binary, 1000 deleted), or 1006 when the client vanished (read error or
//     unanswered ping).
//   - @connections: POST /{stage}/@connections/{id} sends the body as one message, GET
//     describes the connection, DELETE closes it; 410 Gone for an unknown id.
//   - Limits (Limits): 32 KB frames, 128 KB messages, 10 minutes idle, 2 hours in all.
//   - Throttling (Throttle, RouteThrottles): token buckets, one for the stage's routes and one
//     per route with its own settings. A throttled $connect is refused with 429 before any
//     function runs; a throttled message reaches no function, and the client gets API
//     Gateway's {"message": "Too Many Requests", ...}.
//
// What it does not: authorizers, route responses, API keys, stage variables, the account's
// Regional quota.
package localgw

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"

	"github.com/serverless-tictactoe/tictactoe/localgw/management"
)

// Limits are API Gateway's WebSocket quotas; tests shorten them.
type Limits struct {
	// FrameBytes is the largest frame a client may send; a bigger one closes the connection
	// with 1009. Default: 32 KiB.
	FrameBytes int64
	// MessageBytes is the largest message either way: a client's bigger message closes the
	// connection with 1009; a bigger @connections POST answers 413. Default: 128 KiB.
	MessageBytes int64
	// IdleTimeout closes a connection with no message in either direction for that long
	// (1001). Default: 10 minutes.
	IdleTimeout time.Duration
	// MaxDuration closes a connection that old (1001). Default: 2 hours.
	MaxDuration time.Duration
	// InvokeTimeout bounds each handler invocation (API Gateway's integration timeout).
	// Default: 29 seconds.
	InvokeTimeout time.Duration
	// PingInterval is how often the gateway pings each client to notice one that vanished
	// without closing its TCP connection; a ping unanswered by the next one counts as gone.
	// Default: 30 seconds.
	PingInterval time.Duration
}

// Defaults (API Gateway's quotas).
const (
	DefaultFrameBytes    = 32 << 10
	DefaultMessageBytes  = 128 << 10
	DefaultIdleTimeout   = 10 * time.Minute
	DefaultMaxDuration   = 2 * time.Hour
	DefaultInvokeTimeout = 29 * time.Second
	DefaultPingInterval  = 30 * time.Second
	// DefaultStage is the stage name in paths and events.
	DefaultStage = "dev"
	// DefaultAPIID is the apiId in events.
	DefaultAPIID = "localgw"
)

func (l *Limits) fill() {
	set := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	setD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&l.FrameBytes, DefaultFrameBytes)
	set(&l.MessageBytes, DefaultMessageBytes)
	setD(&l.IdleTimeout, DefaultIdleTimeout)
	setD(&l.MaxDuration, DefaultMaxDuration)
	setD(&l.InvokeTimeout, DefaultInvokeTimeout)
	setD(&l.PingInterval, DefaultPingInterval)
}

// Options configures a Gateway.
type Options struct {
	// Functions are the Lambda handlers by function name. Every function a route names must
	// be here. Required.
	Functions map[string]handler.Func
	// Routes binds route keys to functions. Default: catalog.Routes(), the table the CDK stack
	// deploys.
	Routes []catalog.Route
	// Stage names the stage: the WebSocket endpoint is /{Stage} and the @connections API is
	// under /{Stage}/@connections/. Default: "dev".
	Stage string
	// APIID is the apiId in events. Default: "localgw".
	APIID string
	// Limits are the quotas; zero fields take API Gateway's defaults.
	Limits Limits
	// Throttle is the stage's default route throttle. Default: none.
	Throttle *Throttle
	// RouteThrottles are routes' own throttles, by route key. Default: none.
	RouteThrottles map[string]Throttle
	// Logger receives one line per connect, route invocation, disconnect and @connections
	// call. Default: slog.Default().
	Logger *slog.Logger
}

// Gateway is a running WebSocket API. It is an http.Handler for the paths under /{stage}.
type Gateway struct {
	routes map[string]string // route key → function name
	fns    map[string]handler.Func
	stage  string
	apiID  string
	limits Limits
	log    *slog.Logger
	limit  throttles

	// ctx is cancelled when a shutdown runs out of time: it ends invocations and connections.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	conns    map[string]*conn
	stopping bool
	killed   bool           // Kill: the Region failed
	serving  sync.WaitGroup // connections, until their $disconnect has returned
	invoking sync.WaitGroup // message invocations
}

// New checks o and returns a Gateway.
func New(o Options) (*Gateway, error) {
	if o.Routes == nil {
		o.Routes = catalog.Routes()
	}
	if o.Stage == "" {
		o.Stage = DefaultStage
	}
	if strings.ContainsAny(o.Stage, "/@?#") {
		return nil, fmt.Errorf("stage %q: a stage name cannot contain / @ ? or #", o.Stage)
	}
	if o.APIID == "" {
		o.APIID = DefaultAPIID
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Limits.fill()
	if o.Limits.FrameBytes > o.Limits.MessageBytes {
		return nil, fmt.Errorf("limits: a frame (%d bytes) cannot exceed a message (%d bytes)", o.Limits.FrameBytes, o.Limits.MessageBytes)
	}
	g := &Gateway{
		routes: map[string]string{},
		fns:    o.Functions,
		stage:  o.Stage,
		apiID:  o.APIID,
		limits: o.Limits,
		log:    o.Logger,
		conns:  map[string]*conn{},
	}
	var errs []error
	limit, err := newThrottles(o.Throttle, o.RouteThrottles, time.Now)
	errs = append(errs, err)
	g.limit = limit
	for key := range o.RouteThrottles {
		if !slices.ContainsFunc(o.Routes, func(r catalog.Route) bool { return r.Key == key }) {
			errs = append(errs, fmt.Errorf("a throttle for route %q, which no route has", key))
		}
	}
	for _, r := range o.Routes {
		if _, dup := g.routes[r.Key]; dup {
			errs = append(errs, fmt.Errorf("route %q is listed twice", r.Key))
		}
		if r.Key == "" {
			errs = append(errs, errors.New("a route has an empty key"))
		}
		if o.Functions[r.Function] == nil {
			errs = append(errs, fmt.Errorf("route %q: no handler for function %q", r.Key, r.Function))
		}
		g.routes[r.Key] = r.Function
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	return g, nil
}

// Routes returns the route table the gateway serves: route key → function name.
func (g *Gateway) Routes() map[string]string {
	out := make(map[string]string, len(g.routes))
	for k, v := range g.routes {
		out[k] = v
	}
	return out
}

// Stage returns the stage name: the WebSocket endpoint's path is "/" + Stage().
func (g *Gateway) Stage() string { return g.stage }

// ServeHTTP serves the WebSocket endpoint /{stage} and the @connections API under
// /{stage}/@connections/; everything else is not found.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.isKilled() {
		management.Error(w, http.StatusServiceUnavailable, "ServiceUnavailableException", "The Region of this local gateway has failed (Kill).")
		return
	}
	path := r.URL.EscapedPath()
	base := "/" + g.stage
	switch {
	case path == base:
		g.serveWebSocket(w, r)
	case strings.HasPrefix(path, base+"/@connections/"):
		g.serveConnections(w, r, strings.TrimPrefix(path, base+"/@connections/"))
	default:
		http.NotFound(w, r)
	}
}

// Shutdown stops accepting connections, closes the open ones with 1001 (going away) and waits
// until their $disconnect invocations and every message invocation have returned. When ctx
// ends first, it cancels what still runs and returns ctx's error.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.stopping = true
	open := make([]*conn, 0, len(g.conns))
	for _, c := range g.conns {
		open = append(open, c)
	}
	g.mu.Unlock()
	for _, c := range open {
		c.closeWith(closeShutdown)
	}
	done := make(chan struct{})
	go func() {
		g.serving.Wait() // no connection left: no message invocation can start
		g.invoking.Wait()
		close(done)
	}()
	select {
	case <-done:
		g.cancel()
		return nil
	case <-ctx.Done():
		g.cancel()
		<-done // cancelled invocations and connections end promptly
		return fmt.Errorf("local gateway shutdown: %w", ctx.Err())
	}
}

// Kill stands in for the failure of the gateway's Region: every connection drops at once,
// with no close frame and no $disconnect (the Region's functions fail with it), and the
// endpoint and its @connections API answer 503 from then on. There is no way back: a Region
// that returns is a new gateway.
func (g *Gateway) Kill() {
	g.mu.Lock()
	g.killed, g.stopping = true, true
	open := make([]*conn, 0, len(g.conns))
	for _, c := range g.conns {
		open = append(open, c)
	}
	g.mu.Unlock()
	for _, c := range open {
		c.closeWith(closeKilled)
	}
}

func (g *Gateway) isKilled() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.killed
}

// register adds an accepted connection; false when the gateway is shutting down.
func (g *Gateway) register(c *conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopping {
		return false
	}
	g.conns[c.id] = c
	return true
}

func (g *Gateway) unregister(id string) {
	g.mu.Lock()
	delete(g.conns, id)
	g.mu.Unlock()
}

func (g *Gateway) lookup(id string) *conn {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.conns[id]
}

// start counts a connection in; false when the gateway is shutting down.
func (g *Gateway) start() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopping {
		return false
	}
	g.serving.Add(1)
	return true
}
