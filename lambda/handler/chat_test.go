package handler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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

	// The room item holds none of it: its attributes are a room's.
	raw, err := e.store.GetRoom(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	item, err := store.EncodeRoom(raw, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range item {
		if s, ok := v.(*types.AttributeValueMemberS); ok && strings.Contains(s.Value, "line ") {
			t.Errorf("the room item's %s holds chat: %q", name, s.Value)
		}
		if name == "chat" || strings.HasPrefix(name, "msg") {
			t.Errorf("the room item has a chat attribute %s", name)
		}
	}
	later := &game.Room{Code: code, CreatedAt: raw.CreatedAt.Add(time.Hour)}
	if msgs, err := e.store.ChatHistory(context.Background(), later.Code, later.Series()); err != nil || len(msgs) != 0 {
		t.Errorf("a later room with the same code: %d messages, %v", len(msgs), err)
	}

	// A new guest is a new series: the host's chat with the previous guest is not theirs.
	e.send("o-reloaded", map[string]any{"action": "leaveRoom", "roomCode": code})
	e.send("cy", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Cy"})
	e.send("cy2", map[string]any{"action": "rejoin", "roomCode": code, "token": e.tokens["cy"]})
	for _, f := range e.conns.Frames(t, "cy2") {
		if f["type"] == "chatHistory" {
			t.Fatalf("a new guest got the previous series' chat: %v", f)
		}
	}
}
