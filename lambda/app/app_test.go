package app_test

import (
	"context"
	"io"
	"log/slog"

	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/app"
	"github.com/serverless-tictactoe/tictactoe/lambda/app/stream"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/connections/connectionstest"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/lambda/xray"
	"github.com/serverless-tictactoe/tictactoe/lambda/xray/xraytest"
)

// TestWiringFromConfig builds every function exactly as its main does, from configuration
// alone, and plays one request through the real SDK clients against local endpoints.
func TestWiringFromConfig(t *testing.T) {
	tb := dynalitetest.New(t)
	conns := connectionstest.New(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{
			config.EnvTableName: tb.Name, config.EnvCallbackURL: conns.URL, config.EnvDynamoEndpoint: tb.Endpoint,
			config.EnvSourceKeySecret: "the test deployment's source key",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	fns := map[string]func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error){}
	for _, name := range catalog.RouteFunctionNames() {
		h, err := app.New(context.Background(), name, cfg, logger)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		fns[name] = h
	}
	ev := events.APIGatewayWebsocketProxyRequest{Body: `{"action":"createRoom","name":"Ann"}`}
	ev.RequestContext.RouteKey, ev.RequestContext.ConnectionID = catalog.CreateRoom, "c1"
	if resp, err := fns[catalog.FnGame](context.Background(), ev); err != nil || resp.StatusCode != 200 {
		t.Fatalf("createRoom: %d %v", resp.StatusCode, err)
	}
	if f := conns.Last(t, "c1"); f == nil || f["type"] != "room" {
		t.Fatalf("the room frame must reach @connections through the configured callback URL: %v", f)
	}
	ev.RequestContext.RouteKey, ev.Body = catalog.Disconnect, ""
	if _, err := fns[catalog.FnDisconnect](context.Background(), ev); err != nil {
		t.Fatalf("$disconnect: %v", err)
	}
}

// Wired from configuration as on Lambda (AWS_XRAY_DAEMON_ADDRESS, TRACE_SAMPLE_RATE), the game
// and disconnect functions trace their invocations, each call of their SDK clients a
// subsegment (the middleware lambda/app/base attaches), under the invocation's trace ID and
// the function's name; $connect traces nothing.
func TestTracingFromConfig(t *testing.T) {
	tb := dynalitetest.New(t)
	conns := connectionstest.New(t)
	daemon := xraytest.New(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "TicTacToe-Test-game")
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{
			config.EnvTableName: tb.Name, config.EnvCallbackURL: conns.URL, config.EnvDynamoEndpoint: tb.Endpoint,
			config.EnvSourceKeySecret: "the test deployment's source key",
			config.EnvXRayDaemon:      "tcp:" + daemon.Addr() + " udp:" + daemon.Addr(), config.EnvTraceSampleRate: "1",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	fns := map[string]handler.Func{}
	for _, name := range catalog.RouteFunctionNames() {
		if fns[name], err = app.New(context.Background(), name, cfg, logger); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	const root = "1-6760f0a0-a006649127e371903a2de979"
	ctx := xray.WithHeader(context.Background(), "Root="+root+";Lineage=061379e8:0")
	ev := events.APIGatewayWebsocketProxyRequest{}
	ev.RequestContext.RouteKey, ev.RequestContext.ConnectionID = catalog.Connect, "c1"
	if resp, err := fns[catalog.FnConnect](ctx, ev); err != nil || resp.StatusCode != 200 {
		t.Fatalf("$connect: %d %v", resp.StatusCode, err)
	}
	ev.RequestContext.RouteKey, ev.Body = catalog.CreateRoom, `{"action":"createRoom","name":"Ann"}`
	if _, err := fns[catalog.FnGame](ctx, ev); err != nil {
		t.Fatal(err)
	}
	ev.RequestContext.RouteKey, ev.Body = catalog.Disconnect, ""
	if _, err := fns[catalog.FnDisconnect](ctx, ev); err != nil {
		t.Fatal(err)
	}
	segs := daemon.Segments(2)
	if len(segs) != 2 {
		t.Fatalf("%d traces, want the game's and the disconnect's: %+v", len(segs), segs)
	}
	game, gone := segs[0], segs[1]
	code := game.Annotations["room"]
	if game.Name != "TicTacToe-Test-game" || game.TraceID != root || game.Annotations["action"] != catalog.CreateRoom || len(code) != 6 {
		t.Errorf("createRoom's segment %+v", game)
	}
	if gone.Annotations["action"] != catalog.Disconnect || gone.Annotations["room"] != code {
		t.Errorf("$disconnect's annotations %v, want the room %s", gone.Annotations, code)
	}
	for i, s := range segs {
		services := map[string]bool{}
		for _, sub := range s.Subsegments {
			services[sub.Name] = true
		}
		// The room's frame to its creator; leaving it alone, the disconnect tells nobody.
		if posts := i == 0; !services["DynamoDB"] || services["ApiGatewayManagementApi"] != posts {
			t.Errorf("%s: subsegments of %v, want DynamoDB's calls, and posts %v", s.Annotations["action"], services, posts)
		}
	}
}

// $connect needs the table (its source's share) and nothing to send with.
func TestConnectNeedsTheTableOnly(t *testing.T) {
	_, err := app.New(context.Background(), catalog.FnConnect, config.Config{}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "TABLE_NAME") || strings.Contains(err.Error(), "CALLBACK_URL") {
		t.Fatalf("connect without a table: %v, want TABLE_NAME named and nothing about CALLBACK_URL", err)
	}
}

func TestMissingConfigurationIsNamed(t *testing.T) {
	for _, fn := range []string{catalog.FnGame, catalog.FnDisconnect} {
		_, err := app.New(context.Background(), fn, config.Config{}, slog.Default())
		if err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
			t.Fatalf("%s: %v, want TABLE_NAME named", fn, err)
		}
	}
	if _, err := app.New(context.Background(), "nope", config.Config{TableName: "t", CallbackURL: "http://x"}, slog.Default()); err == nil {
		t.Fatal("an unknown function must be an error")
	}
}

func TestPresenceNeedsTopic(t *testing.T) {
	_, err := stream.New(context.Background(), config.Config{TableName: "t"}, slog.Default())
	if err == nil || !strings.Contains(err.Error(), "TOPIC_ARN") {
		t.Fatalf("got %v", err)
	}
}
