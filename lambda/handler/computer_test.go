package handler_test

import (
	"context"
	"errors"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// Against the computer: the answer to playComputer is a playing room with the player as X and
// the computer's seat marked; every move is answered by the computer's in the same frame (one
// write, so a move costs what it costs against a person); the perfect computer never loses;
// rematch starts at once with the computer opening; chat is accepted; leaving deletes the room.
func TestPlayComputer(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.send("p", map[string]any{"action": "playComputer", "name": "Ann"})
	room := e.room("p")
	code := room["code"].(string)
	o := room["players"].(map[string]any)["O"].(map[string]any)
	if room["status"] != "playing" || room["turn"] != "X" || o["computer"] != true || o["level"] != "perfect" || e.last("p")["you"].(map[string]any)["symbol"] != "X" {
		t.Fatalf("playComputer answered %v", e.last("p"))
	}
	for room["status"] == "playing" {
		before := e.count("p")
		cell := -1
		for i, c := range room["board"].([]any) {
			if c == "" {
				cell = i
				break
			}
		}
		e.move("p", code, cell)
		if e.count("p") != before+1 {
			t.Fatalf("a move made %d frames, want one room frame with the computer's answer", e.count("p")-before)
		}
		room = e.room("p")
		if room["status"] == "playing" && room["turn"] != "X" {
			t.Fatalf("the computer did not answer: %v", room)
		}
	}
	if room["winner"] == "X" {
		t.Fatalf("the perfect computer lost: %v", room)
	}
	e.send("p", map[string]any{"action": "sendMessage", "roomCode": code, "text": "gg"})
	if f := e.last("p"); f["type"] != "chat" {
		t.Fatalf("chat to the computer: %v", f)
	}
	e.send("p", map[string]any{"action": "rematch", "roomCode": code})
	room = e.room("p")
	marks := 0
	for _, c := range room["board"].([]any) {
		if c != "" {
			marks++
		}
	}
	if room["status"] != "playing" || room["turn"] != "X" || marks != 1 {
		t.Fatalf("rematch: %v, want the computer's opening move made and the player to move", room)
	}
	if n := e.metricCounts()["ComputerGamesPerfect"]; n != 2 {
		t.Errorf("%d games against the perfect computer counted, want 2 (the first and the rematch)", n)
	}
	e.send("p", map[string]any{"action": "leaveRoom", "roomCode": code})
	if _, err := e.store.GetRoom(context.Background(), code); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the room outlived its player: %v", err)
	}
}

func TestPlayComputerRefusesBadLevels(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, level := range []string{"hard", "Perfect"} {
		e.send("p", map[string]any{"action": "playComputer", "name": "Ann", "level": level})
		e.wantError("p", "bad_request", "playComputer")
	}
	e.send("p", map[string]any{"action": "playComputer", "name": "Ann", "level": 3})
	if f := e.last("p"); f["type"] != "error" || f["code"] != "bad_request" {
		t.Fatalf("a number for a level: %v", f)
	}
	for _, level := range []string{"easy", "medium", "perfect"} {
		e.send("p", map[string]any{"action": "playComputer", "name": "Ann", "level": level})
		if o := e.room("p")["players"].(map[string]any)["O"].(map[string]any); o["level"] != level {
			t.Errorf("level %s: computer %v", level, o)
		}
	}
}
