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
