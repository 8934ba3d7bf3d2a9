package handler_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// The chat survives: whoever rejoins (a reload) or starts watching gets the room's last
// store.ChatKeep messages, oldest first, in one chatHistory frame; the room item never holds
// them.
func TestChatHistoryOnRejoinAndWatch(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	const sent = store.ChatKeep + 7
	for i := 1; i <= sent; i++ {
		from := map[bool]string{true: "x", false: "o"}[i%2 == 1]
		e.send(from, map[string]any{"action": "sendMessage", "roomCode": code, "text": fmt.Sprintf("line %d", i)})
		e.advance(time.Millisecond)
	}
	check := func(connID string) {
		t.Helper()
		var history map[string]any
		for _, f := range e.conns.Frames(t, connID) {
			if f["type"] == "chatHistory" {
				history = f
			}
		}
		if history == nil || history["roomCode"] != code {
			t.Fatalf("%s got no chat history: %v", connID, history)
		}
		msgs := history["messages"].([]any)
		if len(msgs) != store.ChatKeep {
			t.Fatalf("%s: %d messages, want the last %d", connID, len(msgs), store.ChatKeep)
		}
		first, last := msgs[0].(map[string]any), msgs[len(msgs)-1].(map[string]any)
		if first["text"] != fmt.Sprintf("line %d", sent-store.ChatKeep+1) || last["text"] != fmt.Sprintf("line %d", sent) ||
			last["from"] != "Ann" || last["symbol"] != "X" {
			t.Fatalf("%s: history from %v to %v", connID, first, last)
		}
	}
	// Bob reloads: a new connection rejoins with his token.
	e.send("o-reloaded", map[string]any{"action": "rejoin", "roomCode": code, "token": e.tokens["o"]})
	check("o-reloaded")
	// A spectator opens the room's link.
	e.send("w", map[string]any{"action": "getRoom", "roomCode": code})
	check("w")

	// The room item holds none of it, and a room made later under the same code shows none.
	raw, err := e.store.GetRoom(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	item, err := store.EncodeRoom(raw, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if b := fmt.Sprint(item); len(b) > 1024 {
		t.Errorf("the room item grew to %d bytes", len(b))
	}
	later := &game.Room{Code: code, CreatedAt: raw.CreatedAt.Add(time.Hour)}
	if msgs, err := e.store.ChatHistory(context.Background(), later.Code, later.CreatedAt); err != nil || len(msgs) != 0 {
		t.Errorf("a later room with the same code: %d messages, %v", len(msgs), err)
	}
}
