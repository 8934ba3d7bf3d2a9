package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/lambda/service"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/memstore"
)

// capture keeps the last frame per connection and counts sends, without any network.
type capture struct {
	sends atomic.Int64
	last  atomic.Value // []byte
}

func (c *capture) Send(_ context.Context, _ string, frame []byte) error {
	c.sends.Add(1)
	c.last.Store(frame)
	return nil
}

func (c *capture) Close(context.Context, string) error { return nil }

func (c *capture) Alive(context.Context, string) (bool, error) { return true, nil }

// BenchmarkMove measures the game function's own work for one move: decode the frame, read and
// decode the room item, apply the rules, encode and conditionally write the item, encode a
// frame for each player, and log. DynamoDB and @connections are in memory, so network time is
// excluded; `make bench` measures that over real WebSockets.
func BenchmarkMove(b *testing.B) {
	st := memstore.New()
	sender := &capture{}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := handler.New(handler.Options{Service: service.New(service.Options{Store: st, Sender: sender, Grace: config.DefaultGrace, Logger: logger}), Logger: logger})
	ctx := context.Background()
	call := func(conn, body string) {
		ev := events.APIGatewayWebsocketProxyRequest{Body: body}
		var probe struct{ Action string }
		_ = json.Unmarshal([]byte(body), &probe)
		ev.RequestContext.RouteKey, ev.RequestContext.ConnectionID = probe.Action, conn
		if _, err := h.Game(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	call("x", `{"action":"createRoom","name":"Ann"}`)
	var frame struct{ Room struct{ Code string } }
	if err := json.Unmarshal(sender.last.Load().([]byte), &frame); err != nil {
		b.Fatal(err)
	}
	code := frame.Room.Code
	call("o", fmt.Sprintf(`{"action":"joinRoom","roomCode":%q,"name":"Bob"}`, code))
	// A drawn game, then a rematch, over and over: every iteration is one legal move.
	draw := []int{0, 1, 2, 4, 7, 3, 5, 8, 6}
	opener := "x"
	moves := make([]string, len(draw))
	for i, c := range draw {
		moves[i] = fmt.Sprintf(`{"action":"move","roomCode":%q,"cell":%d}`, code, c)
	}
	rematch := fmt.Sprintf(`{"action":"rematch","roomCode":%q}`, code)
	other := map[string]string{"x": "o", "o": "x"}
	b.ReportAllocs()
	b.ResetTimer()
	sent := sender.sends.Load()
	for i := 0; i < b.N; i++ {
		k := i % len(draw)
		mover := opener
		if k%2 == 1 {
			mover = other[opener]
		}
		call(mover, moves[k])
		if k == len(draw)-1 {
			b.StopTimer()
			call("x", rematch)
			call("o", rematch)
			opener = other[opener]
			sent += 2 * 2
			b.StartTimer()
		}
	}
	b.StopTimer()
	if per := float64(sender.sends.Load()-sent) / float64(b.N); per != 2 {
		b.Fatalf("%.2f frames out per move, want 2 (one per player)", per)
	}
	b.ReportMetric(2, "frames/move")
}
