package localgw_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/coder/websocket"

	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/connections/apigw"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/localgw"
)

// call is one invocation a test function saw.
type call struct {
	fn string
	ev events.APIGatewayWebsocketProxyRequest
}

// stack is a gateway on a loopback HTTP server, with test functions standing in for the
// Lambdas: they record every event, and the game function answers each message through the
// real @connections SDK client with {"route", "fn", "body"}.
type stack struct {
	gw       *localgw.Gateway
	srv      *httptest.Server
	wsURL    string
	callback string
	calls    chan call
	logs     *syncBuffer
	replace  map[string]handler.Func // test functions' behaviour, by name, replaced
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// echo is what the test game function sends back.
type echo struct {
	Route string `json:"route"`
	Fn    string `json:"fn"`
	Body  string `json:"body"`
}

type stackOptions struct {
	limits    localgw.Limits
	throttle  *localgw.Throttle
	routes    map[string]localgw.Throttle
	functions map[string]handler.Func // override test functions by name
}

func newStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	s := &stack{calls: make(chan call, 256), logs: &syncBuffer{}, replace: o.functions}
	fns := map[string]handler.Func{}
	for _, name := range catalog.RouteFunctionNames() {
		fns[name] = s.function(name)
	}
	gw, err := localgw.New(localgw.Options{
		Functions:      fns,
		Limits:         o.limits,
		Throttle:       o.throttle,
		RouteThrottles: o.routes,
		Logger:         slog.New(slog.NewTextHandler(io.MultiWriter(s.logs, testWriter{t}), nil)),
	})
	if err != nil {
		t.Fatalf("localgw.New: %v", err)
	}
	s.gw = gw
	s.srv = httptest.NewServer(gw)
	s.wsURL = "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/" + gw.Stage()
	s.callback = s.srv.URL + "/" + gw.Stage()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.gw.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		s.srv.Close()
	})
	return s
}

// testWriter sends gateway logs to the test log, shown for failing tests.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (s *stack) function(name string) handler.Func {
	return func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		s.calls <- call{name, ev}
		if f := s.replace[name]; f != nil {
			return f(ctx, ev)
		}
		if name == catalog.FnGame {
			b, err := json.Marshal(echo{Route: ev.RequestContext.RouteKey, Fn: name, Body: ev.Body})
			if err != nil {
				return events.APIGatewayProxyResponse{}, err
			}
			if err := s.sender().Send(ctx, ev.RequestContext.ConnectionID, b); err != nil {
				return events.APIGatewayProxyResponse{}, err
			}
		}
		return events.APIGatewayProxyResponse{StatusCode: http.StatusOK}, nil
	}
}

// sdk is the real @connections client the handlers use, pointed at this gateway.
func (s *stack) sdk() *apigatewaymanagementapi.Client {
	return apigw.NewClient(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, s.callback)
}

func (s *stack) sender() *apigw.APIGatewaySender {
	return apigw.NewAPIGatewaySender(s.sdk())
}

// next returns the next invocation, failing the test after a while without one.
func (s *stack) next(t *testing.T) call {
	t.Helper()
	select {
	case c := <-s.calls:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no invocation within 5s")
		return call{}
	}
}

// nextOf skips invocations until one of route.
func (s *stack) nextOf(t *testing.T, route string) call {
	t.Helper()
	for {
		if c := s.next(t); c.ev.RequestContext.RouteKey == route {
			return c
		}
	}
}

// quiet fails if any invocation arrives within d.
func (s *stack) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case c := <-s.calls:
		t.Fatalf("unexpected invocation of %s on %s", c.fn, c.ev.RequestContext.RouteKey)
	case <-time.After(d):
	}
}

// client is a test WebSocket client and its connection id.
type client struct {
	ws *websocket.Conn
	id string
}

// dial connects and returns the client with the id its $connect event carried.
func (s *stack) dial(t *testing.T, opts *websocket.DialOptions) client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.wsURL, opts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	c := s.nextOf(t, catalog.Connect)
	return client{ws: ws, id: c.ev.RequestContext.ConnectionID}
}

func (c client) send(t *testing.T, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(body)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// read returns the next message, failing after 5s.
func (c client) read(t *testing.T) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b
}

// closedWith reads until the connection closes and returns the close status.
func (c client) closedWith(t *testing.T, within time.Duration) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		_, _, err := c.ws.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("connection still open after %s", within)
			}
			return websocket.CloseStatus(err)
		}
	}
}
