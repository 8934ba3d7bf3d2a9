package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/connections/apigw"
	"github.com/serverless-tictactoe/tictactoe/lambda/connections/connectionstest"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/lambda/hops"
	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
	"github.com/serverless-tictactoe/tictactoe/lambda/ratelimit"
	"github.com/serverless-tictactoe/tictactoe/lambda/service"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
	"github.com/serverless-tictactoe/tictactoe/lambda/xray"
)

// env is the game backend as deployed, minus API Gateway: real handlers, a real dynalite table,
// the real @connections SDK client posting to a recording server, and a settable clock.
type env struct {
	t      *testing.T
	h      *handler.Handler
	conns  *connectionstest.Server
	table  dynalitetest.Table
	now    atomic.Int64
	logs   *bytes.Buffer
	emf    *bytes.Buffer     // the EMF metric lines the functions write
	tokens map[string]string // connection id → seat token it was given
	store  *faultStore       // the store the handlers use, with faults to switch on
	guard  *guard.Guard      // nil without per-address ceilings
	// traceHeader is the trace header lambda.Start hands the next invocations ("": none).
	traceHeader string
	// newContainer is another Lambda container of the game function: the same table and
	// service, its own memory (limiter and strikes from fresh).
	newContainer func(limiter, strikes *ratelimit.Limiter) *handler.Handler
}

// faultStore is the real DynamoDB store with one fault that can be switched on: every
// connection write fails, as on a throttled or unreachable table.
type faultStore struct {
	store.Store
	failConnPuts atomic.Bool
	// gate, when set, runs before each room read and write: a test holds a request there to
	// force an interleaving.
	gate atomic.Pointer[func(ctx context.Context, op string)]
	// beforeConnPut, when set, runs before each connection record write; an error it returns
	// is the write's (and the write is not made).
	beforeConnPut atomic.Pointer[func(ctx context.Context, c *store.Connection) error]
	// beforeQueuePut, when set, runs before each write of the quick-match queue.
	beforeQueuePut atomic.Pointer[func(ctx context.Context, q *store.Queue)]
}

func (f *faultStore) PutQueue(ctx context.Context, q *store.Queue) error {
	if hook := f.beforeQueuePut.Load(); hook != nil {
		(*hook)(ctx, q)
	}
	return f.Store.PutQueue(ctx, q)
}

func (f *faultStore) wait(ctx context.Context, op string) {
	if g := f.gate.Load(); g != nil {
		(*g)(ctx, op)
	}
}

func (f *faultStore) GetRoom(ctx context.Context, code string) (*game.Room, error) {
	f.wait(ctx, "GetRoom")
	return f.Store.GetRoom(ctx, code)
}

func (f *faultStore) SaveRoom(ctx context.Context, r *game.Room) error {
	f.wait(ctx, "SaveRoom")
	err := f.Store.SaveRoom(ctx, r)
	f.wait(ctx, "SavedRoom")
	return err
}

var errInjected = errors.New("injected fault: connection write refused")

func (f *faultStore) PutConnection(ctx context.Context, c *store.Connection) error {
	if f.failConnPuts.Load() {
		return errInjected
	}
	if hook := f.beforeConnPut.Load(); hook != nil {
		if err := (*hook)(ctx, c); err != nil {
			return err
		}
	}
	return f.Store.PutConnection(ctx, c)
}

func (f *faultStore) ClaimConnection(ctx context.Context, id, code string, role store.Role) error {
	if f.failConnPuts.Load() {
		return errInjected
	}
	return f.Store.ClaimConnection(ctx, id, code, role)
}

func (f *faultStore) CountMiss(ctx context.Context, id string) (store.Connection, error) {
	if f.failConnPuts.Load() {
		return store.Connection{ID: id}, errInjected
	}
	return f.Store.CountMiss(ctx, id)
}

func (f *faultStore) CloseConnection(ctx context.Context, id string) (store.Connection, error) {
	if f.failConnPuts.Load() {
		return store.Connection{ID: id}, errInjected
	}
	return f.Store.CloseConnection(ctx, id)
}

func (f *faultStore) SetOffline(ctx context.Context, code string, s game.Symbol, id string, at time.Time) (*game.Room, error) {
	f.wait(ctx, "SaveRoom")
	r, err := f.Store.SetOffline(ctx, code, s, id, at)
	f.wait(ctx, "SavedRoom")
	return r, err
}

func (f *faultStore) RecordRematch(ctx context.Context, code string, s game.Symbol, id string, at time.Time) (*game.Room, error) {
	f.wait(ctx, "SaveRoom")
	r, err := f.Store.RecordRematch(ctx, code, s, id, at)
	f.wait(ctx, "SavedRoom")
	return r, err
}

type envOptions struct {
	limiter *ratelimit.Limiter
	strikes *ratelimit.Limiter
	guard   *guard.Limits // nil: no per-source ceilings
	origins []string
	edge    string // the edge secrets, comma-separated as in EDGE_SECRET
	table   string // overrides the table name (a missing table simulates an outage)
	// requests, when set, counts every DynamoDB request the handlers make, by operation.
	requests *requestCounter
	// frames bounds each connection's frames across containers (zero: not at all).
	frames handler.FrameLimit
	// moveTimeout is the move clock (zero: off, as most tests need).
	moveTimeout time.Duration
	// timings, when set, receives each action's per-hop timings, counted by the SDK clients
	// as in production (lambda/hops).
	timings handler.Timings
	// players, when set, wraps the player store the service is given (a test holds a
	// request at a player read or write to force an interleaving).
	players func(store.Players) store.Players
	// tracer, when set, traces the invocations, the SDK clients adding their calls as in
	// production (lambda/xray).
	tracer *xray.Tracer
}

const grace = 2 * time.Minute

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{t: t, table: dynalitetest.New(t), conns: connectionstest.New(t), logs: &bytes.Buffer{}, emf: &bytes.Buffer{}, tokens: map[string]string{}}
	e.now.Store(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, e.now.Load()) }
	name := e.table.Name
	if o.table != "" {
		name = o.table
	}
	logger := slog.New(slog.NewJSONHandler(io.MultiWriter(e.logs, testWriter{t}), nil))
	var db store.DynamoAPI = e.table.Client
	if o.requests != nil {
		o.requests.next = e.table.Client
		db = o.requests
	}
	posts := e.conns.Client()
	// The SDK clients count and trace their calls as in production (lambda/app/base) when the
	// test times or traces actions.
	var apiOptions []func(*middleware.Stack) error
	if o.timings != nil {
		apiOptions = append(apiOptions, hops.Timing)
	}
	if o.tracer != nil {
		apiOptions = append(apiOptions, xray.Record)
	}
	if len(apiOptions) > 0 {
		counted := func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, apiOptions...) }
		if o.requests != nil {
			o.requests.next = dynamodb.New(e.table.Client.Options(), counted)
		} else {
			db = dynamodb.New(e.table.Client.Options(), counted)
		}
		posts = apigatewaymanagementapi.New(posts.Options(), func(o *apigatewaymanagementapi.Options) { o.APIOptions = append(o.APIOptions, apiOptions...) })
	}
	e.store = &faultStore{Store: store.NewDynamoStore(db, name, clock, store.Expiry{Room: config.DefaultRoomTTL})}
	svc := service.New(service.Options{
		Store:  e.store,
		Sender: apigw.NewAPIGatewaySender(posts),
		Now:    clock, Grace: grace, MoveTimeout: o.moveTimeout, Logger: logger, Metrics: metrics.NewEMF(slog.New(slog.NewJSONHandler(e.emf, nil)), clock),
		Players: wrapPlayers(o.players, e.store.Store.(*store.DynamoStore)),
	})
	var g *guard.Guard
	if o.guard != nil {
		g = guard.New(e.store.Store.(*store.DynamoStore), clock, []byte("the harness's source key secret"), *o.guard)
		e.guard = g
	}
	e.newContainer = func(limiter, strikes *ratelimit.Limiter) *handler.Handler {
		return handler.New(handler.Options{Service: svc, Logger: logger, Limiter: limiter, Strikes: strikes, Guard: g,
			Frames: o.frames, AllowedOrigins: o.origins, EdgeSecrets: edgeSecrets(o.edge), Now: clock, Timings: o.timings, Tracer: o.tracer})
	}
	e.h = e.newContainer(o.limiter, o.strikes)
	return e
}

// wrapPlayers is p, wrapped by wrap when there is one.
func wrapPlayers(wrap func(store.Players) store.Players, p store.Players) store.Players {
	if wrap == nil {
		return p
	}
	return wrap(p)
}

// edgeSecrets splits the harness's comma-separated secrets.
func edgeSecrets(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	if testing.Verbose() {
		w.t.Logf("%s", bytes.TrimSpace(p))
	}
	return len(p), nil
}

func (e *env) advance(d time.Duration) { e.now.Add(int64(d)) }

// golden loads the recorded API Gateway event for a route from testdata.
func golden(t *testing.T, route string) events.APIGatewayWebsocketProxyRequest {
	t.Helper()
	name := strings.TrimPrefix(route, "$")
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatalf("golden event for %s: %v", route, err)
	}
	var ev events.APIGatewayWebsocketProxyRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("golden event %s: %v", name, err)
	}
	return ev
}

// sendRaw delivers a frame as API Gateway would: routed by its action, else to $default.
func (e *env) sendRaw(connID, body string) events.APIGatewayProxyResponse {
	e.t.Helper()
	route := catalog.ActionOf(body)
	if _, ok := catalog.FunctionFor(route); !ok || !catalog.IsAction(route) {
		route = catalog.Default
	}
	ev := golden(e.t, route)
	ev.RequestContext.RouteKey = route
	ev.RequestContext.ConnectionID = connID
	ev.Body = body
	resp, err := e.h.Game(e.invocation(), ev)
	if err != nil || resp.StatusCode != 200 {
		e.t.Fatalf("%s: status %d err %v; a client frame must never fail the invocation", route, resp.StatusCode, err)
	}
	e.collectTokens(connID)
	return resp
}

// send marshals a frame and delivers it.
func (e *env) send(connID string, frame map[string]any) {
	e.t.Helper()
	b, err := json.Marshal(frame)
	if err != nil {
		e.t.Fatal(err)
	}
	e.sendRaw(connID, string(b))
}

func (e *env) disconnect(connID string) {
	e.t.Helper()
	ev := golden(e.t, catalog.Disconnect)
	ev.RequestContext.ConnectionID = connID
	if _, err := e.h.Disconnect(e.invocation(), ev); err != nil {
		e.t.Fatalf("$disconnect: %v", err)
	}
}

// invocation is the context of an invocation as lambda.Start makes it: with the trace header,
// when the test gives one.
func (e *env) invocation() context.Context {
	if e.traceHeader == "" {
		return context.Background()
	}
	return xray.WithHeader(context.Background(), e.traceHeader)
}

func (e *env) collectTokens(connID string) {
	for _, f := range e.conns.Frames(e.t, connID) {
		if you, ok := f["you"].(map[string]any); ok {
			if tok, ok := you["token"].(string); ok {
				e.tokens[connID] = tok
			}
		}
	}
}

// last returns the last frame connID received, failing if there is none.
func (e *env) last(connID string) map[string]any {
	e.t.Helper()
	f := e.conns.Last(e.t, connID)
	if f == nil {
		e.t.Fatalf("%s received no frame", connID)
	}
	return f
}

// room returns the room of the last frame connID received, which must be a room frame.
func (e *env) room(connID string) map[string]any {
	e.t.Helper()
	f := e.last(connID)
	if f["type"] != "room" {
		e.t.Fatalf("%s's last frame is %v, want a room frame", connID, f)
	}
	return f["room"].(map[string]any)
}

// newestRoom returns the room of the newest version connID received: when two requests post
// to it at once, their frames may arrive in either order.
func (e *env) newestRoom(connID string) map[string]any {
	e.t.Helper()
	var newest map[string]any
	for _, f := range e.conns.Frames(e.t, connID) {
		if r, ok := f["room"].(map[string]any); ok && f["type"] == "room" && (newest == nil || r["version"].(float64) > newest["version"].(float64)) {
			newest = r
		}
	}
	if newest == nil {
		e.t.Fatalf("%s received no room frame", connID)
	}
	return newest
}

// wantError checks connID's last frame is an error with code, answering action.
func (e *env) wantError(connID, code, action string) {
	e.t.Helper()
	f := e.last(connID)
	if f["type"] != "error" || f["code"] != code || f["action"] != action || f["message"] == "" {
		e.t.Fatalf("%s's last frame = %v, want error %s for %q", connID, f, code, action)
	}
}

func (e *env) count(connID string) int { return len(e.conns.Frames(e.t, connID)) }

// create opens a room from connID and returns its code.
func (e *env) create(connID, name string) string {
	e.t.Helper()
	e.send(connID, map[string]any{"action": "createRoom", "name": name})
	return e.room(connID)["code"].(string)
}

// startGame creates a room on "x" and joins it from "o".
func (e *env) startGame() string {
	e.t.Helper()
	code := e.create("x", "Ann")
	e.send("o", map[string]any{"action": "joinRoom", "roomCode": strings.ToLower(code), "name": "Bob"})
	return code
}

func (e *env) move(connID, code string, cell int) {
	e.send(connID, map[string]any{"action": "move", "roomCode": code, "cell": cell})
}

func board(room map[string]any) string {
	var b strings.Builder
	for _, c := range room["board"].([]any) {
		if c == "" {
			b.WriteByte('.')
		} else {
			b.WriteString(c.(string))
		}
	}
	return b.String()
}

// metricCounts tallies the EMF lines written so far by event name.
func (e *env) metricCounts() map[string]int {
	out := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(e.emf.String()), "\n") {
		var m struct{ Event string }
		if json.Unmarshal([]byte(line), &m) == nil && m.Event != "" {
			out[m.Event]++
		}
	}
	return out
}

// racer is one side of raceAtDeadline: a frame, the connection sending it, and a name.
type racer struct {
	name, conn string
	frame      map[string]any
}

type racerName struct{}

// raceAtDeadline forces the race of a request made a millisecond before a deadline (early)
// with one made at it (late): early decides and waits to write; the clock passes the deadline;
// late reads the same version and decides too; then first (early's or late's name) writes, and
// the other's conditional write fails and starts again from its result. It returns once both
// are answered.
func (e *env) raceAtDeadline(first string, early, late racer) {
	t := e.t
	t.Helper()
	earlyReady, lateReady, wrote := make(chan struct{}), make(chan struct{}), make(chan struct{})
	seen := map[string]bool{}
	var mu sync.Mutex
	gate := func(ctx context.Context, op string) {
		name, _ := ctx.Value(racerName{}).(string)
		mu.Lock()
		firstTime := name != "" && !seen[name+op]
		seen[name+op] = true
		mu.Unlock()
		if !firstTime {
			return
		}
		switch op {
		case "SaveRoom":
			if name == early.name {
				close(earlyReady)
				<-lateReady
			} else {
				close(lateReady)
			}
			if name != first {
				<-wrote
			}
		case "SavedRoom":
			if name == first {
				close(wrote)
			}
		}
	}
	e.store.gate.Store(&gate)
	defer e.store.gate.Store(nil)
	deliver := func(r racer) error {
		ctx := context.WithValue(context.Background(), racerName{}, r.name)
		b, _ := json.Marshal(r.frame)
		action := r.frame["action"].(string)
		ev := golden(t, action)
		ev.RequestContext.RouteKey, ev.RequestContext.ConnectionID, ev.Body = action, r.conn, string(b)
		_, err := e.h.Game(ctx, ev)
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs <- deliver(early)
	}()
	<-earlyReady                // early has decided, a millisecond before the deadline...
	e.advance(time.Millisecond) // ...the deadline passes...
	wg.Add(1)                   // ...and late reads the same version at it
	go func() {
		defer wg.Done()
		errs <- deliver(late)
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
