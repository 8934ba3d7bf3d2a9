package presence_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

type recorder struct{ got []string }

func (r *recorder) Publish(_ context.Context, e presence.Event) error {
	r.got = append(r.got, fmt.Sprintf("%s:%s", e.Type, e.Symbol))
	return nil
}

// counting counts requests to DynamoDB, to show observing adds none.
type counting struct {
	*dynamodb.Client
	n atomic.Int32
}

func (c *counting) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.n.Add(1)
	return c.Client.GetItem(ctx, in, o...)
}

func (c *counting) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.n.Add(1)
	return c.Client.PutItem(ctx, in, o...)
}

func (c *counting) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.n.Add(1)
	return c.Client.DeleteItem(ctx, in, o...)
}

func TestObservedStoreDerivesWhatTheStreamWould(t *testing.T) {
	tb := dynalitetest.New(t)
	db := &counting{Client: tb.Client}
	rec := &recorder{}
	s := presence.Observe(store.NewDynamoStore(db, tb.Name, time.Now, store.Expiry{Room: config.DefaultRoomTTL}), rec, time.Now, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	ctx := context.Background()
	now := time.Now()
	step := func(f func(r *game.Room)) {
		t.Helper()
		r, err := s.GetRoom(ctx, "K7M2QX")
		if err != nil {
			t.Fatal(err)
		}
		f(r)
		if r.Empty() {
			err = s.DeleteRoom(ctx, r)
		} else {
			err = s.SaveRoom(ctx, r)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateRoom(ctx, game.NewRoom("K7M2QX", game.Seat{Name: "Ann", ConnID: "cx"}, now)); err != nil {
		t.Fatal(err)
	}
	step(func(r *game.Room) { _ = r.Join(game.Seat{Name: "Bob", ConnID: "co"}, now) })
	step(func(r *game.Room) { _ = r.Move("cx", 0, now) })
	step(func(r *game.Room) { r.Disconnect("co", now) })
	step(func(r *game.Room) { _ = r.Leave("cx", now) })
	step(func(r *game.Room) { r.ExpireGrace(now.Add(time.Hour), time.Minute) })
	want := "[player_online:X player_online:O player_offline:O player_left:X room_abandoned: room_closed:]"
	if fmt.Sprint(rec.got) != want {
		t.Fatalf("got %v\nwant %s", rec.got, want)
	}
	if n := db.n.Load(); n != 11 { // 1 create + 5 × (read + write)
		t.Fatalf("%d DynamoDB requests, want 11: observing must add none", n)
	}
}
