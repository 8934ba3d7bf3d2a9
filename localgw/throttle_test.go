package localgw_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"

	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/localgw"
)

// The stage's token bucket, as API Gateway's: past the burst (and the slow refill), a message
// reaches no function and the client is told "Too Many Requests"; $connect has a bucket of its
// own and a throttled one is refused with 429 before any function runs.
func TestThrottling(t *testing.T) {
	s := newStack(t, stackOptions{
		throttle: &localgw.Throttle{Rate: 0.01, Burst: 3},
		routes:   map[string]localgw.Throttle{catalog.Connect: {Rate: 0.01, Burst: 2}},
	})
	c := s.dial(t, nil)
	for range 5 {
		c.send(t, `{"action":"move","cell":1}`)
	}
	var routed, throttled int
	for range 5 {
		var got map[string]string
		if err := json.Unmarshal(c.read(t), &got); err != nil {
			t.Fatal(err)
		}
		switch {
		case got["route"] == "move":
			routed++
		case got["message"] == "Too Many Requests" && got["connectionId"] == c.id && got["requestId"] != "":
			throttled++
		default:
			t.Fatalf("unexpected message %v", got)
		}
	}
	if routed != 3 || throttled != 2 {
		t.Fatalf("%d routed, %d throttled; want the burst of 3 routed and 2 throttled", routed, throttled)
	}
	s.dial(t, nil) // the $connect bucket's second token
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, s.wsURL, nil)
	if ws != nil {
		ws.CloseNow()
	}
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a third connect: %v %v, want HTTP 429", resp, err)
	}
	s.quiet(t, 100*time.Millisecond) // the refused connect invoked nothing
	if !strings.Contains(s.logs.String(), "connect throttled") {
		t.Errorf("the throttled connect is not logged")
	}
}

// A throttle that would refuse everything, or names a route the gateway does not have, is an
// error at start, not a silent gateway that refuses every player.
func TestThrottleSettingsAreChecked(t *testing.T) {
	fns := map[string]handler.Func{}
	for _, name := range catalog.RouteFunctionNames() {
		fns[name] = func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{StatusCode: 200}, nil
		}
	}
	tests := []struct {
		name string
		o    localgw.Options
		want string
	}{
		{"no rate", localgw.Options{Throttle: &localgw.Throttle{Rate: 0, Burst: 10}}, "would refuse everything"},
		{"no burst", localgw.Options{RouteThrottles: map[string]localgw.Throttle{catalog.Connect: {Rate: 1, Burst: 0}}}, "route $connect"},
		{"no such route", localgw.Options{RouteThrottles: map[string]localgw.Throttle{"nosuchroute": {Rate: 1, Burst: 1}}}, `"nosuchroute", which no route has`},
	}
	for _, tt := range tests {
		tt.o.Functions = fns
		if _, err := localgw.New(tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
}
