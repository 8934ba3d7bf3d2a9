package handler_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// An offline player's room frames say when the seat is given up (graceEndsAt, the server's
// clock); at that instant the first request on the room (the page asks for it) resolves the
// game: the absent player forfeits, the present one wins it in the series score, and the room
// says so; an absent guest's seat is freed, an absent host's room closes.
func TestGraceEndsInAForfeit(t *testing.T) {
	tests := []struct {
		name          string
		absent, asker string
		wantStatus    string
		wantScore     string // X-O
		wantSeat      string // the seat that is gone
	}{
		{"the guest vanishes: the host wins, the seat is free", "o", "x", "waiting", "1-0", "O"},
		{"the host vanishes: the guest wins, the room closes", "x", "o", "abandoned", "0-1", "X"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			code := e.startGame()
			e.move("x", code, 4)
			dropped := time.Unix(0, e.now.Load())
			e.disconnect(tc.absent)
			st := e.room(tc.asker)
			gone := st["players"].(map[string]any)[tc.wantSeat].(map[string]any)
			if gone["online"] != false || gone["graceEndsAt"] != float64(dropped.Add(grace).UnixMilli()) {
				t.Fatalf("the absent seat %v, want offline with graceEndsAt %d", gone, dropped.Add(grace).UnixMilli())
			}
			e.advance(grace - time.Millisecond)
			e.send(tc.asker, map[string]any{"action": "getRoom", "roomCode": code})
			if st := e.room(tc.asker); st["status"] != "playing" || st["forfeit"] != nil {
				t.Fatalf("a millisecond early the game goes on: %v", st)
			}
			e.advance(time.Millisecond)
			e.send(tc.asker, map[string]any{"action": "getRoom", "roomCode": code})
			st = e.room(tc.asker)
			score := st["score"].(map[string]any)
			if st["status"] != tc.wantStatus || fmt.Sprintf("%v-%v", score["X"], score["O"]) != tc.wantScore ||
				st["players"].(map[string]any)[tc.wantSeat] != nil {
				t.Fatalf("at the deadline: %v", st)
			}
			if f, _ := st["forfeit"].(map[string]any); f == nil || f["symbol"] != tc.wantSeat {
				t.Fatalf("the room does not say who forfeited: %v", st["forfeit"])
			}
		})
	}

	t.Run("a new guest after a forfeit starts a new series", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		code := e.startGame()
		e.disconnect("o")
		e.advance(grace)
		e.send("x", map[string]any{"action": "getRoom", "roomCode": code})
		e.send("o2", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Cy"})
		st := e.room("x")
		if st["status"] != "playing" || st["forfeit"] != nil || st["score"].(map[string]any)["X"] != 0.0 {
			t.Fatalf("a new opponent: %v", st)
		}
	})

	t.Run("no game in progress: the seat is given up, nobody forfeits", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		code := e.startGame()
		for _, c := range []int{0, 3, 1, 4, 2} { // X wins the top row
			e.move(map[bool]string{true: "x", false: "o"}[c != 3 && c != 4], code, c)
		}
		e.disconnect("o")
		e.advance(grace)
		e.send("x", map[string]any{"action": "getRoom", "roomCode": code})
		st := e.room("x")
		if st["status"] != "waiting" || st["forfeit"] != nil || st["score"].(map[string]any)["X"] != 0.0 {
			t.Fatalf("after a finished game: %v", st)
		}
	})
}

// The absent guest rejoining a moment before the deadline races the host's request made at
// it: both read the room before either writes, so one conditional write fails and that request
// starts again from the other's result. Exactly one outcome wins, whichever writes first
// (each order forced in turn): the rejoin (the guest is back, nobody forfeits) or the forfeit
// (the rejoin is then refused: the seat is gone). Both players are told the same.
func TestRejoinAtTheDeadlineRacesTheForfeit(t *testing.T) {
	for _, first := range []string{"rejoin", "host"} {
		t.Run(first+" writes first", func(t *testing.T) {
			e := newEnv(t, envOptions{})
			code := e.create("x", "Ann")
			e.send("o", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Bob"})
			token := e.tokens["o"]
			e.disconnect("o")
			e.advance(grace - time.Millisecond)

			e.raceAtDeadline(first,
				racer{"rejoin", "o2", map[string]any{"action": "rejoin", "roomCode": code, "token": token}},
				racer{"host", "x", map[string]any{"action": "getRoom", "roomCode": code}})
			r, err := e.store.GetRoom(context.Background(), code)
			if err != nil {
				t.Fatal(err)
			}
			answer := e.last("o2")
			if first == "rejoin" {
				if r.Forfeit != nil || r.O == nil || !r.O.Online() || r.Status != "playing" {
					t.Fatalf("the rejoin wrote first, the room is %+v (forfeit %+v)", r, r.Forfeit)
				}
				if you, _ := answer["you"].(map[string]any); you == nil || you["symbol"] != "O" {
					t.Fatalf("the room has the guest back, the rejoiner heard %v", answer)
				}
			} else {
				if r.Forfeit == nil || r.O != nil || r.Score.X != 1 {
					t.Fatalf("the forfeit wrote first, the room is %+v (forfeit %+v)", r, r.Forfeit)
				}
				if answer["type"] != "error" || answer["code"] != "not_in_room" {
					t.Fatalf("the seat is gone, the rejoiner heard %v", answer)
				}
			}
			if st := e.room("x"); st["version"] != float64(r.Version) {
				t.Fatalf("the host's last frame is version %v, the room %d", st["version"], r.Version)
			}
		})
	}
}

// A second tab rejoining a seat takes it over; the first is told why it no longer has it, and
// every room frame carries the server's clock for the page's countdown.
func TestSecondTabTakesTheSeat(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	if st := e.last("x"); st["serverTime"] != float64(time.Unix(0, e.now.Load()).UnixMilli()) {
		t.Fatalf("serverTime %v, want the server's clock", st["serverTime"])
	}
	e.send("o-tab2", map[string]any{"action": "rejoin", "roomCode": code, "token": e.tokens["o"]})
	if f := e.last("o"); f["type"] != "left" || f["roomCode"] != code || f["reason"] != "elsewhere" {
		t.Fatalf("the first tab heard %v, want left with reason elsewhere", f)
	}
	if you := e.last("o-tab2")["you"].(map[string]any); you["symbol"] != "O" {
		t.Fatalf("the second tab: %v", you)
	}
	e.send("x", map[string]any{"action": "leaveRoom", "roomCode": code})
	if f := e.last("x"); f["type"] != "left" || f["reason"] != nil {
		t.Fatalf("leaving: %v, want left with no reason", f)
	}
}
