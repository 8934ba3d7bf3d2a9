package localgw_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/app"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/localgw"
)

func TestRouteSelection(t *testing.T) {
	s := newStack(t, stackOptions{})
	c := s.dial(t, nil)
	tests := []struct {
		name, body, route string
	}{
		{"an action route", `{"action":"createRoom","name":"Ann"}`, catalog.CreateRoom},
		{"another action route", `{"roomCode":"K7M2QX","cell":4,"action":"move"}`, catalog.Move},
		{"unknown action", `{"action":"fly"}`, catalog.Default},
		{"not JSON", `hello`, catalog.Default},
		{"empty object", `{}`, catalog.Default},
		{"action not a string", `{"action":5}`, catalog.Default},
		{"action null", `{"action":null}`, catalog.Default},
		{"a JSON array", `["createRoom"]`, catalog.Default},
		{"a JSON string", `"createRoom"`, catalog.Default},
		{"member name is case-sensitive", `{"Action":"createRoom"}`, catalog.Default},
		{"action value is case-sensitive", `{"action":"CreateRoom"}`, catalog.Default},
		{"$connect is not selectable", `{"action":"$connect"}`, catalog.Default},
		{"$disconnect is not selectable", `{"action":"$disconnect"}`, catalog.Default},
		{"$default by name", `{"action":"$default"}`, catalog.Default},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.send(t, tc.body)
			var got echo
			if err := json.Unmarshal(c.read(t), &got); err != nil {
				t.Fatalf("echo: %v", err)
			}
			if got.Route != tc.route || got.Body != tc.body {
				t.Fatalf("body %s routed to %q with body %q, want %q", tc.body, got.Route, got.Body, tc.route)
			}
			ev := s.nextOf(t, tc.route).ev
			rc := ev.RequestContext
			if rc.EventType != "MESSAGE" || rc.ConnectionID != c.id || rc.MessageID == nil || rc.MessageDirection != "IN" {
				t.Fatalf("request context %+v", rc)
			}
		})
	}
}

// The gateway serves exactly the route table the CDK stack deploys: every route key reaches
// the function catalog.Routes() names, and no other key is routed.
func TestServesRouteTable(t *testing.T) {
	s := newStack(t, stackOptions{})
	want := map[string]string{}
	for _, r := range catalog.Routes() {
		want[r.Key] = r.Function
	}
	if got := s.gw.Routes(); !maps.Equal(got, want) {
		t.Fatalf("gateway routes %v, want catalog.Routes() %v", got, want)
	}

	c := s.dial(t, nil) // $connect reached the connect function: dial checks the route
	for _, r := range catalog.Routes() {
		if !catalog.IsAction(r.Key) {
			continue
		}
		c.send(t, fmt.Sprintf(`{"action":%q}`, r.Key))
		got := s.next(t)
		if got.ev.RequestContext.RouteKey != r.Key || got.fn != r.Function {
			t.Errorf("action %s: invoked %s on route %s, want %s", r.Key, got.fn, got.ev.RequestContext.RouteKey, r.Function)
		}
		c.read(t)
	}
	c.ws.Close(websocket.StatusNormalClosure, "")
	if got := s.nextOf(t, catalog.Disconnect); got.fn != catalog.FnDisconnect {
		t.Errorf("$disconnect invoked %s, want %s", got.fn, catalog.FnDisconnect)
	}
	for _, r := range catalog.Routes() {
		fn, _ := catalog.FunctionFor(r.Key)
		if fn != r.Function {
			t.Errorf("catalog.FunctionFor(%s) = %s, want %s", r.Key, fn, r.Function)
		}
	}
}

func TestNewValidates(t *testing.T) {
	ok := func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}
	all := map[string]handler.Func{}
	for _, fn := range catalog.RouteFunctionNames() {
		all[fn] = ok
	}
	tests := []struct {
		name string
		o    localgw.Options
		want string
	}{
		{"a function missing", localgw.Options{Functions: map[string]handler.Func{catalog.FnConnect: ok}}, `no handler for function "game"`},
		{"a route twice", localgw.Options{Functions: all, Routes: []catalog.Route{{Key: catalog.Move, Function: catalog.FnGame}, {Key: catalog.Move, Function: catalog.FnGame}}}, `route "move" is listed twice`},
		{"a slash in the stage", localgw.Options{Functions: all, Stage: "a/b"}, "cannot contain"},
		{"frames bigger than messages", localgw.Options{Functions: all, Limits: localgw.Limits{FrameBytes: 10, MessageBytes: 5}}, "cannot exceed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := localgw.New(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := localgw.New(localgw.Options{Functions: all}); err != nil {
		t.Fatalf("New with every function: %v", err)
	}
}

func TestConnectEvent(t *testing.T) {
	s := newStack(t, stackOptions{})
	h := http.Header{"User-Agent": {"tictactoe-test/1"}, "X-Custom": {"one", "two"}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.wsURL+"?name=Ann&tag=a&tag=b", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer ws.CloseNow()
	ev := s.nextOf(t, catalog.Connect).ev
	rc := ev.RequestContext
	checks := []struct {
		what      string
		got, want any
	}{
		{"eventType", rc.EventType, "CONNECT"},
		{"stage", rc.Stage, localgw.DefaultStage},
		{"apiId", rc.APIID, localgw.DefaultAPIID},
		{"sourceIp", rc.Identity.SourceIP, "127.0.0.1"},
		{"userAgent", rc.Identity.UserAgent, "tictactoe-test/1"},
		{"domainName", rc.DomainName, strings.TrimPrefix(s.srv.URL, "http://")},
		{"connectionId length", len(rc.ConnectionID), 16},
		{"requestId length", len(rc.RequestID), 16},
		{"connectedAt", rc.ConnectedAt, rc.RequestTimeEpoch},
		{"Host header", ev.Headers["Host"], rc.DomainName},
		{"a header's last value", ev.Headers["X-Custom"], "two"},
		{"a header's values", strings.Join(ev.MultiValueHeaders["X-Custom"], ","), "one,two"},
		{"X-Forwarded-For", ev.Headers["X-Forwarded-For"], "127.0.0.1"},
		{"query parameter", ev.QueryStringParameters["name"], "Ann"},
		{"query parameter values", strings.Join(ev.MultiValueQueryStringParameters["tag"], ","), "a,b"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if !strings.HasSuffix(rc.ConnectionID, "=") {
		t.Errorf("connectionId %q is not shaped like API Gateway's", rc.ConnectionID)
	}
	if _, err := time.Parse("02/Jan/2006:15:04:05 -0700", rc.RequestTime); err != nil {
		t.Errorf("requestTime %q: %v", rc.RequestTime, err)
	}
}

// $connect decides: the real connect function refuses an origin that ALLOWED_ORIGINS does not
// list, and the client sees the handler's status; no $disconnect follows a refusal.
func TestConnectRefused(t *testing.T) {
	tests := []struct {
		name   string
		status int
		err    error
		want   int
	}{
		{"403", http.StatusForbidden, nil, http.StatusForbidden},
		{"401", http.StatusUnauthorized, nil, http.StatusUnauthorized},
		{"invocation error", 0, errors.New("boom"), http.StatusInternalServerError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t, stackOptions{functions: map[string]handler.Func{
				catalog.FnConnect: func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
					return events.APIGatewayProxyResponse{StatusCode: tc.status}, tc.err
				},
			}})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ws, resp, err := websocket.Dial(ctx, s.wsURL, nil)
			if err == nil {
				ws.CloseNow()
				t.Fatal("connected, want refused")
			}
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("dial: %v (response %v), want HTTP %d", err, resp, tc.want)
			}
			s.nextOf(t, catalog.Connect)
			s.quiet(t, 200*time.Millisecond)
		})
	}
}

// A client's close code reaches $disconnect, and a client that drops its TCP connection
// without a close frame gets 1006.
func TestDisconnectCodes(t *testing.T) {
	s := newStack(t, stackOptions{})
	tests := []struct {
		name   string
		close  func(*websocket.Conn)
		code   int64
		reason string
	}{
		{"normal", func(ws *websocket.Conn) { ws.Close(websocket.StatusNormalClosure, "bye") }, 1000, "bye"},
		{"going away", func(ws *websocket.Conn) { ws.Close(websocket.StatusGoingAway, "") }, 1001, ""},
		{"application code", func(ws *websocket.Conn) { ws.Close(4000, "done playing") }, 4000, "done playing"},
		{"TCP dropped", func(ws *websocket.Conn) { ws.CloseNow() }, 1006, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := s.dial(t, nil)
			tc.close(c.ws)
			ev := s.nextOf(t, catalog.Disconnect).ev
			rc := ev.RequestContext
			if rc.ConnectionID != c.id || rc.EventType != "DISCONNECT" || rc.DisconnectStatusCode != tc.code || rc.DisconnectReason == nil || *rc.DisconnectReason != tc.reason {
				t.Fatalf("$disconnect context %+v, want code %d reason %q", rc, tc.code, tc.reason)
			}
		})
	}
}

// A handler failing (an error or a panic) gets the client API Gateway's own message.
func TestInvocationFailure(t *testing.T) {
	s := newStack(t, stackOptions{functions: map[string]handler.Func{
		catalog.FnGame: func(_ context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
			if ev.Body == "panic" {
				panic("handler bug")
			}
			return events.APIGatewayProxyResponse{}, errors.New("handler failed")
		},
	}})
	c := s.dial(t, nil)
	for _, body := range []string{"error", "panic"} {
		c.send(t, body)
		var got map[string]string
		if err := json.Unmarshal(c.read(t), &got); err != nil {
			t.Fatal(err)
		}
		ev := s.nextOf(t, catalog.Default).ev
		if got["message"] != "Internal server error" || got["connectionId"] != c.id || got["requestId"] != ev.RequestContext.RequestID {
			t.Fatalf("%s: client got %v", body, got)
		}
	}
	c.send(t, "error")
	c.read(t) // the connection survives failed invocations
}

// Without a $default route, a message no route selects gets API Gateway's "Forbidden".
func TestNoDefaultRoute(t *testing.T) {
	calls := make(chan string, 8)
	fn := func(_ context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		calls <- ev.RequestContext.RouteKey
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}
	gw, err := localgw.New(localgw.Options{
		Functions: map[string]handler.Func{"f": fn},
		Routes:    []catalog.Route{{Key: catalog.Move, Function: "f"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	defer gw.Shutdown(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/"+gw.Stage(), nil)
	if err != nil {
		t.Fatalf("dial without a $connect route: %v", err)
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"action":"createRoom"}`)); err != nil {
		t.Fatal(err)
	}
	_, b, err := ws.Read(ctx)
	var got map[string]string
	if err != nil || json.Unmarshal(b, &got) != nil || got["message"] != "Forbidden" || got["connectionId"] == "" {
		t.Fatalf("client got %s, %v; want API Gateway's Forbidden message", b, err)
	}
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"action":"move"}`)); err != nil {
		t.Fatal(err)
	}
	if r := <-calls; r != catalog.Move {
		t.Fatalf("invoked on %s, want move", r)
	}
}

// A subprotocol is agreed only when $connect answers with it, as on API Gateway.
func TestSubprotocolFromConnect(t *testing.T) {
	for _, answer := range []string{"", "tictactoe.v1"} {
		s := newStack(t, stackOptions{functions: map[string]handler.Func{
			catalog.FnConnect: func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
				return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"sec-websocket-protocol": answer}}, nil
			},
		}})
		c := s.dial(t, &websocket.DialOptions{Subprotocols: []string{"tictactoe.v1"}})
		if got := c.ws.Subprotocol(); got != answer {
			t.Errorf("$connect answering %q: subprotocol %q", answer, got)
		}
	}
}

// The real connect function, configured as on AWS with ALLOWED_ORIGINS, refuses a browser
// from another origin: the gateway turns its 403 into a refused upgrade.
func TestAllowedOriginsRefuse(t *testing.T) {
	tb := dynalitetest.New(t) // where $connect counts the connections of each address
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cfg, err := config.FromEnv(func(k string) string {
		switch k {
		case config.EnvAllowedOrigins:
			return "https://game.example.com"
		case config.EnvTableName:
			return tb.Name
		case config.EnvDynamoEndpoint:
			return tb.Endpoint
		case config.EnvSourceKeySecret:
			return "the test deployment's source key"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	connect, err := app.New(context.Background(), catalog.FnConnect, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s := newStack(t, stackOptions{functions: map[string]handler.Func{catalog.FnConnect: connect}})
	tests := []struct {
		origin string
		want   int
	}{
		{"https://evil.example.com", http.StatusForbidden},
		{"", http.StatusForbidden},
		{"https://game.example.com", http.StatusSwitchingProtocols},
	}
	for _, tc := range tests {
		t.Run("origin "+tc.origin, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			ws, resp, err := websocket.Dial(ctx, s.wsURL, &websocket.DialOptions{HTTPHeader: h})
			if ws != nil {
				defer ws.CloseNow()
			}
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("dial from %q: %v %v, want HTTP %d", tc.origin, resp, err, tc.want)
			}
		})
	}
}
