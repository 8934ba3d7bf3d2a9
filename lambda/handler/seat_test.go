package handler_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// When the connection item cannot be written after a seat was taken, the seat change is taken
// back: no room is left holding a seat whose token its client never received, and the client
// is told to try again.
func TestSeatIsUndoneWhenItsConnectionCannotBeRecorded(t *testing.T) {
	ctx := context.Background()

	t.Run("createRoom leaves no room behind", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		e.store.failConnPuts.Store(true)
		e.send("x", map[string]any{"action": "createRoom", "name": "Ann"})
		e.wantError("x", "internal_error", "createRoom")
		if n := e.count("x"); n != 1 {
			t.Fatalf("the creator got %d frames, want only the error", n)
		}
		if rooms := e.rooms(); len(rooms) != 0 {
			t.Fatalf("a half-created room was left behind: %v", rooms)
		}
		e.store.failConnPuts.Store(false)
		code := e.create("x", "Ann")
		if _, err := e.store.GetConnection(ctx, "x"); err != nil {
			t.Fatalf("creating again: %s has no connection item: %v", code, err)
		}
	})

	t.Run("joinRoom gives the seat back", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		code := e.create("x", "Ann")
		e.store.failConnPuts.Store(true)
		e.send("o", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Bob"})
		e.wantError("o", "internal_error", "joinRoom")
		r, err := e.store.GetRoom(ctx, code)
		if err != nil || r.O != nil || r.Status != "waiting" {
			t.Fatalf("after a failed join the room must wait for a guest again: %+v, %v", r, err)
		}
		if st := e.room("x"); st["status"] != "waiting" || st["players"].(map[string]any)["O"] != nil {
			t.Fatalf("the host must see the room waiting: %v", st)
		}
		e.store.failConnPuts.Store(false)
		e.send("o", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Bob"})
		if st := e.room("o"); st["status"] != "playing" {
			t.Fatalf("joining again: %v", st)
		}
		e.move("x", code, 4)
		if board(e.room("o")) != "....X...." {
			t.Fatal("the game must go on after the retried join")
		}
	})

	t.Run("rejoin keeps the seat, offline, for the token holder", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		code := e.startGame()
		token := e.tokens["o"]
		e.disconnect("o")
		e.store.failConnPuts.Store(true)
		e.send("o2", map[string]any{"action": "rejoin", "roomCode": code, "token": token})
		e.wantError("o2", "internal_error", "rejoin")
		r, err := e.store.GetRoom(ctx, code)
		if err != nil || r.O == nil || r.O.ConnID != "" {
			t.Fatalf("after a failed rejoin the seat must be held offline: %+v, %v", r, err)
		}
		e.store.failConnPuts.Store(false)
		e.send("o3", map[string]any{"action": "rejoin", "roomCode": code, "token": token})
		if you := e.last("o3")["you"].(map[string]any); you["symbol"] != "O" {
			t.Fatalf("rejoining again: %v", you)
		}
	})

	t.Run("getRoom does not keep a watcher nobody tracks", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		code := e.startGame()
		e.store.failConnPuts.Store(true)
		e.send("w", map[string]any{"action": "getRoom", "roomCode": code})
		e.wantError("w", "internal_error", "getRoom")
		r, err := e.store.GetRoom(ctx, code)
		if err != nil || len(r.Watchers) != 0 {
			t.Fatalf("the watcher must be dropped: %+v, %v", r, err)
		}
	})
}

// rooms returns the room items in the table, read with a raw scan (expired or not).
func (e *env) rooms() []map[string]types.AttributeValue {
	e.t.Helper()
	out, err := e.table.Client.Scan(context.Background(), &dynamodb.ScanInput{
		TableName:                 aws.String(e.table.Name),
		FilterExpression:          aws.String("#k = :room"),
		ExpressionAttributeNames:  map[string]string{"#k": schema.KindAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{":room": &types.AttributeValueMemberS{Value: schema.KindRoom}},
	})
	if err != nil {
		e.t.Fatalf("scanning the table: %v", err)
	}
	return out.Items
}
