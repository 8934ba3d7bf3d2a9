package handler_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

const moveTimeout = time.Minute

// While two people play, each room frame says when the player to move must have moved
// (turnEndsAt, the server's clock), restarted by each move; at that instant the first request on
// the room (anyone's: the page asks for it) ends the game: the player to move loses it by
// timeout, counted in the series score, and the room says so; the room goes on (rematch).
func TestMoveClockEndsTheGame(t *testing.T) {
	e := newEnv(t, envOptions{moveTimeout: moveTimeout})
	code := e.startGame()
	start := time.Unix(0, e.now.Load())
	if got := e.room("o")["turnEndsAt"]; got != float64(start.Add(moveTimeout).UnixMilli()) {
		t.Fatalf("turnEndsAt at the start = %v, want %d", got, start.Add(moveTimeout).UnixMilli())
	}
	e.advance(10 * time.Second)
	e.move("x", code, 4)
	moved := time.Unix(0, e.now.Load())
	if got := e.room("x")["turnEndsAt"]; got != float64(moved.Add(moveTimeout).UnixMilli()) {
		t.Fatalf("turnEndsAt after a move = %v, want %d", got, moved.Add(moveTimeout).UnixMilli())
	}
	e.send("w", map[string]any{"action": "getRoom", "roomCode": code}) // a spectator

	e.advance(moveTimeout - time.Millisecond)
	e.send("w", map[string]any{"action": "getRoom", "roomCode": code})
	if st := e.room("w"); st["status"] != "playing" || st["timeout"] != nil {
		t.Fatalf("a millisecond early the game goes on: %v", st)
	}
	e.advance(time.Millisecond)
	e.send("w", map[string]any{"action": "getRoom", "roomCode": code}) // the spectator's request resolves it
	for _, who := range []string{"x", "o", "w"} {
		st := e.room(who)
		score := st["score"].(map[string]any)
		if st["status"] != "won" || st["winner"] != "X" || fmt.Sprintf("%v-%v", score["X"], score["O"]) != "1-0" ||
			st["turnEndsAt"] != nil || st["players"].(map[string]any)["O"] == nil {
			t.Fatalf("%s at the deadline: %v", who, st)
		}
		if to, _ := st["timeout"].(map[string]any); to == nil || to["symbol"] != "O" || to["name"] != "Bob" {
			t.Fatalf("%s is not told who ran out of time: %v", who, st["timeout"])
		}
	}
	e.send("x", map[string]any{"action": "rematch", "roomCode": code})
	e.send("o", map[string]any{"action": "rematch", "roomCode": code})
	if st := e.room("x"); st["status"] != "playing" || st["timeout"] != nil || st["turnEndsAt"] == nil {
		t.Fatalf("the rematch: %v", st)
	}
}

// No clock where nobody waits: against the computer, with the setting off, or while the player
// to move is offline (the grace period decides: docs/protocol.md).
func TestMoveClockOnlyWhereSomeoneWaits(t *testing.T) {
	t.Run("against the computer", func(t *testing.T) {
		e := newEnv(t, envOptions{moveTimeout: moveTimeout})
		e.send("x", map[string]any{"action": "playComputer", "name": "Ann", "level": "easy"})
		code := e.room("x")["code"].(string)
		e.advance(10 * moveTimeout)
		e.send("x", map[string]any{"action": "getRoom", "roomCode": code})
		if st := e.room("x"); st["status"] != "playing" || st["turnEndsAt"] != nil || st["timeout"] != nil {
			t.Fatalf("a computer game: %v", st)
		}
	})
	t.Run("off", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		code := e.startGame()
		e.advance(10 * moveTimeout)
		e.send("o", map[string]any{"action": "getRoom", "roomCode": code})
		if st := e.room("o"); st["status"] != "playing" || st["turnEndsAt"] != nil {
			t.Fatalf("no clock: %v", st)
		}
	})
	t.Run("the player to move is offline: the grace period decides", func(t *testing.T) {
		e := newEnv(t, envOptions{moveTimeout: moveTimeout})
		code := e.startGame()
		e.disconnect("x")
		e.advance(moveTimeout)
		e.send("o", map[string]any{"action": "getRoom", "roomCode": code})
		if st := e.room("o"); st["status"] != "playing" || st["turnEndsAt"] != nil {
			t.Fatalf("an offline player to move: %v", st)
		}
		e.advance(grace - moveTimeout)
		e.send("o", map[string]any{"action": "getRoom", "roomCode": code})
		if st := e.room("o"); st["status"] != "abandoned" || st["forfeit"] == nil || st["timeout"] != nil {
			t.Fatalf("at the end of the grace period: %v", st)
		}
	})
}

// A player who loses two games in a row by the move clock in a quick-match room gives up the
// seat: a camper frees the room for someone who will play.
func TestQuickMatchCamperLosesTheSeat(t *testing.T) {
	e := newEnv(t, envOptions{moveTimeout: moveTimeout})
	e.send("a", map[string]any{"action": "quickMatch", "name": "Ann"})
	e.send("b", map[string]any{"action": "quickMatch", "name": "Bot"})
	code := e.room("a")["code"].(string)
	e.move("a", code, 4) // Ann (X) moves; the bot never does
	e.advance(moveTimeout)
	e.send("a", map[string]any{"action": "getRoom", "roomCode": code})
	if st := e.room("a"); st["status"] != "won" || st["players"].(map[string]any)["O"] == nil {
		t.Fatalf("the first timeout: %v", st)
	}
	e.send("a", map[string]any{"action": "rematch", "roomCode": code})
	e.send("b", map[string]any{"action": "rematch", "roomCode": code}) // the bot asks for more, then idles
	if st := e.room("a"); st["status"] != "playing" || st["turn"] != "O" {
		t.Fatalf("the rematch, the bot to open: %v", st)
	}
	e.advance(moveTimeout)
	e.send("a", map[string]any{"action": "getRoom", "roomCode": code})
	st := e.room("a")
	if st["status"] != "waiting" || st["players"].(map[string]any)["O"] != nil {
		t.Fatalf("after two timeouts in a row the bot's seat is free: %v", st)
	}
	if to, _ := st["timeout"].(map[string]any); to == nil || to["symbol"] != "O" || st["score"].(map[string]any)["X"] != 2.0 {
		t.Fatalf("the room says why and keeps the score: %v", st)
	}
	if f := e.last("b"); f["type"] != "left" || f["reason"] != "timeout" || f["roomCode"] != code {
		t.Fatalf("the bot is told it lost the seat: %v", f)
	}
	e.send("b", map[string]any{"action": "move", "roomCode": code, "cell": 0})
	e.wantError("b", "not_in_room", "move")
}

// A move landing at the deadline races the request that resolves the timeout: both read the
// room before either writes, so one conditional write fails and that request starts again from
// the other's result. Exactly one outcome wins, whichever writes first (each order forced in
// turn): the move (the game goes on, nobody timed out) or the timeout (the move is then
// refused: the game is over). Every connection is told the same.
func TestMoveAtTheDeadlineRacesTheTimeout(t *testing.T) {
	for _, first := range []string{"move", "watcher"} {
		t.Run(first+" writes first", func(t *testing.T) {
			e := newEnv(t, envOptions{moveTimeout: moveTimeout})
			code := e.startGame()
			e.send("w", map[string]any{"action": "getRoom", "roomCode": code})
			e.advance(moveTimeout - time.Millisecond)

			e.raceAtDeadline(first,
				racer{"move", "x", map[string]any{"action": "move", "roomCode": code, "cell": 4}},
				racer{"watcher", "w", map[string]any{"action": "getRoom", "roomCode": code}})
			r, err := e.store.GetRoom(context.Background(), code)
			if err != nil {
				t.Fatal(err)
			}
			if first == "move" {
				if r.Timeout != nil || r.Status != "playing" || r.Board[4] != "X" || r.Turn != "O" {
					t.Fatalf("the move wrote first, the room is %+v (timeout %+v)", r, r.Timeout)
				}
			} else {
				if r.Timeout == nil || r.Timeout.Symbol != "X" || r.Status != "won" || r.Board[4] != "" || r.Score.O != 1 {
					t.Fatalf("the timeout wrote first, the room is %+v (timeout %+v)", r, r.Timeout)
				}
				if f := e.last("x"); f["type"] != "error" || f["code"] != "game_not_active" {
					t.Fatalf("the late move must be refused, the mover heard %v", f)
				}
			}
			for _, c := range []string{"o", "w"} {
				if st := e.room(c); st["version"] != float64(r.Version) {
					t.Fatalf("%s's last frame is version %v, the room %d", c, st["version"], r.Version)
				}
			}
		})
	}
}

// A bot that opens a fresh connection for each quick match (so no per-connection cooldown
// reaches it) and never moves holds each honest partner for one move clock at most, and each
// of them wins that game (issue 28: one device cannot take a stream of honest players).
func TestFreshConnectionBotCostsEachVictimOneClock(t *testing.T) {
	e := newEnv(t, envOptions{moveTimeout: moveTimeout})
	for i := range 5 {
		bot, honest := fmt.Sprintf("bot%d", i), fmt.Sprintf("h%d", i)
		first, second := bot, honest
		if i%2 == 1 { // the honest player waits first, and holds X
			first, second = honest, bot
		}
		e.send(first, map[string]any{"action": "quickMatch", "name": "Q" + first})
		e.send(second, map[string]any{"action": "quickMatch", "name": "Q" + second})
		st := e.room(honest)
		code := st["code"].(string)
		if e.last(honest)["you"].(map[string]any)["symbol"] == "X" {
			e.move(honest, code, 4)
		}
		e.advance(moveTimeout)
		e.send(honest, map[string]any{"action": "getRoom", "roomCode": code})
		st = e.room(honest)
		you := e.last(honest)["you"].(map[string]any)["symbol"]
		if st["status"] != "won" || st["winner"] != you {
			t.Fatalf("victim %d after one move clock: %v", i, st)
		}
		e.send(honest, map[string]any{"action": "leaveRoom", "roomCode": code})
		e.disconnect(bot)
	}
}
