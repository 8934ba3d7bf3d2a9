package handler_test

import (
	"testing"
	"time"
)

// the player to move, past the deadline that nobody has resolved yet, disconnects: the
// narrow SetOffline write marks them offline without applying the clock first, and settleGrace
// checks the clock on the room as written (offline: no clock). The timeout is lost.
func TestDisconnectingPastTheDeadlineDoesNotEscapeIt(t *testing.T) {
	e := newEnv(t, envOptions{moveTimeout: moveTimeout})
	code := e.startGame() // X (Ann) to move
	e.advance(moveTimeout + time.Second)
	e.disconnect("x") // X's socket closes after the deadline, before anyone's getRoom
	e.send("o", map[string]any{"action": "getRoom", "roomCode": code})
	st := e.room("o")
	t.Logf("after X disconnects past its deadline: status=%v timeout=%v turnEndsAt=%v", st["status"], st["timeout"], st["turnEndsAt"])
	if st["status"] == "playing" {
		t.Errorf("X ran out of time while both were online, yet the game goes on: %v", st)
	}
}

// repeated: rejoin just before the grace period ends, close at once (before the
// opponent's getRoom lands): the game never ends.
func TestRejoiningAndClosingCannotStallAGame(t *testing.T) {
	e := newEnv(t, envOptions{moveTimeout: moveTimeout})
	code := e.startGame()
	tok := e.tokens["x"]
	e.advance(moveTimeout - time.Second)
	e.disconnect("x")
	for i := range 5 {
		e.advance(grace - time.Second)
		conn := "x" + string(rune('a'+i))
		e.send(conn, map[string]any{"action": "rejoin", "roomCode": code, "token": tok})
		if f := e.last(conn); f["type"] != "room" {
			t.Fatalf("rejoin %d: %v", i, f)
		}
		t.Logf("cycle %d: rejoined, turnEndsAt=%v serverTime=%v", i, e.room(conn)["turnEndsAt"], e.last(conn)["serverTime"])
		e.disconnect(conn) // closed before the opponent's page asks
	}
	e.send("o", map[string]any{"action": "getRoom", "roomCode": code})
	st := e.room("o")
	t.Logf("after %v: status=%v", 5*grace, st["status"])
	if st["status"] == "playing" {
		t.Errorf("X stalled the game for 10 minutes without moving: %v", st)
	}
}

// the honest opponent's phone sleeps (socket closes) just after the mover's deadline
// passed, before its page's getRoom: the earned win is lost, and on return the mover even gets
// 15 s more.
func TestAWinEarnedAtTheDeadlineSurvivesASleepingPhone(t *testing.T) {
	e := newEnv(t, envOptions{moveTimeout: moveTimeout})
	code := e.startGame()
	tok := e.tokens["o"]
	e.advance(moveTimeout + time.Second)
	e.disconnect("o")
	e.advance(30 * time.Second)
	e.send("o2", map[string]any{"action": "rejoin", "roomCode": code, "token": tok})
	st := e.room("o2")
	t.Logf("O back: status=%v turnEndsAt=%v serverTime=%v", st["status"], st["turnEndsAt"], e.last("o2")["serverTime"])
	if st["status"] == "playing" {
		t.Errorf("X's clock ran out while both were online; O comes back to a game still on: %v", st)
	}
}

// the opponent (not to move) spends the once-a-turn ReturnTime with a quick return, then
// goes offline (the mover's clock disappears from every frame), comes back and asks at once:
// the mover loses by timeout without ever being shown a deadline they could meet.
func TestTheOpponentsBlipsNeverTimeOutTheMover(t *testing.T) {
	e := newEnv(t, envOptions{moveTimeout: moveTimeout})
	code := e.startGame()
	tok := e.tokens["o"]
	e.advance(50 * time.Second)
	e.disconnect("o")
	e.send("o2", map[string]any{"action": "rejoin", "roomCode": code, "token": tok}) // ResumedAt spent
	e.advance(time.Second)
	e.disconnect("o2")
	if st := e.room("x"); st["turnEndsAt"] != nil {
		t.Fatalf("X's frame while O is offline shows a clock: %v", st)
	} else {
		t.Logf("X sees while O offline: status=%v turn=%v players.O=%v (no turnEndsAt)", st["status"], st["turn"], st["players"].(map[string]any)["O"])
	}
	e.advance(90 * time.Second) // within O's grace period
	e.send("o3", map[string]any{"action": "rejoin", "roomCode": code, "token": tok})
	st := e.room("x")
	t.Logf("X's frame when O is back: turnEndsAt=%v serverTime=%v (behind by %v ms)", st["turnEndsAt"], e.last("x")["serverTime"],
		e.last("x")["serverTime"].(float64)-st["turnEndsAt"].(float64))
	e.send("o3", map[string]any{"action": "getRoom", "roomCode": code})
	st = e.room("x")
	if st["status"] == "won" && st["timeout"] != nil {
		t.Errorf("X (online throughout, shown no clock for 90 s) lost by timeout the instant O came back: %v", st["timeout"])
	}
}

// a quick-match camper who moves once per game (then never again) is never charged two
// timeouts in a row: Move resets the count, though every game is lost by timeout.
func TestACamperWhoMovesOnceAGameLosesTheSeat(t *testing.T) {
	e := newEnv(t, envOptions{moveTimeout: moveTimeout})
	e.send("a", map[string]any{"action": "quickMatch", "name": "Ann"})
	e.send("b", map[string]any{"action": "quickMatch", "name": "Bot"})
	code := e.room("a")["code"].(string)
	cells := map[string][]int{"a": {0, 8, 6, 2}, "b": {4, 1, 3}}
	for g := range 4 {
		st := e.room("a")
		var you string
		if y, ok := e.last("a")["you"].(map[string]any); ok {
			you, _ = y["symbol"].(string)
		}
		_ = you
		// whoever opens: if Ann to move, Ann moves; the bot then moves once; Ann moves; the bot idles
		if st["turn"] == "X" {
			e.move("a", code, 0)
		}
		e.move("b", code, 4)
		e.move("a", code, 8)
		e.advance(moveTimeout)
		e.send("a", map[string]any{"action": "getRoom", "roomCode": code})
		st = e.room("a")
		if st["timeout"] == nil {
			t.Fatalf("game %d did not end by timeout: %v", g, st)
		}
		if st["players"].(map[string]any)["O"] == nil {
			t.Logf("the camper lost the seat after game %d", g)
			return
		}
		e.send("a", map[string]any{"action": "rematch", "roomCode": code})
		e.send("b", map[string]any{"action": "rematch", "roomCode": code})
	}
	_ = cells
	t.Errorf("the camper lost 4 games in a row by timeout and still holds the seat")
}

// the seat lost to timeouts leaves the connection's record naming the room (role O): the
// same connection can then not watch another room (getRoom answers once, follows nothing).
func TestASeatLostToTheClockLeavesTheConnectionFree(t *testing.T) {
	e := newEnv(t, envOptions{moveTimeout: moveTimeout})
	e.send("a", map[string]any{"action": "quickMatch", "name": "Ann"})
	e.send("b", map[string]any{"action": "quickMatch", "name": "Bot"})
	code := e.room("a")["code"].(string)
	e.move("a", code, 4)
	e.advance(moveTimeout)
	e.send("a", map[string]any{"action": "getRoom", "roomCode": code})
	e.send("a", map[string]any{"action": "rematch", "roomCode": code})
	e.send("b", map[string]any{"action": "rematch", "roomCode": code})
	e.advance(moveTimeout)
	e.send("a", map[string]any{"action": "getRoom", "roomCode": code})
	if f := e.last("b"); f["reason"] != "timeout" {
		t.Fatalf("b: %v", f)
	}
	rec, _ := e.store.GetConnection(t.Context(), "b")
	t.Logf("b's record after losing the seat: room=%q role=%q", rec.RoomCode, rec.Role)
	other := e.startGame()
	e.send("b", map[string]any{"action": "getRoom", "roomCode": other})
	seen := e.count("b")
	e.move("x", other, 0)
	if e.count("b") == seen {
		t.Errorf("b asked to watch room %s but follows nothing: its record still names %s", other, code)
	}
}

// a player who presses Leave just as the deadline passes (second timeout in a quick room)
// gets a left frame saying the clock took the seat and an error for its leave, and its record
// keeps naming the room.
func TestLeavingAtTheDeadlineThatTakesTheSeat(t *testing.T) {
	e := newEnv(t, envOptions{moveTimeout: moveTimeout})
	e.send("a", map[string]any{"action": "quickMatch", "name": "Ann"})
	e.send("b", map[string]any{"action": "quickMatch", "name": "Bot"})
	code := e.room("a")["code"].(string)
	e.move("a", code, 4)
	e.advance(moveTimeout)
	e.send("a", map[string]any{"action": "getRoom", "roomCode": code})
	e.send("a", map[string]any{"action": "rematch", "roomCode": code})
	e.send("b", map[string]any{"action": "rematch", "roomCode": code})
	e.advance(moveTimeout)
	n := e.count("b")
	e.send("b", map[string]any{"action": "leaveRoom", "roomCode": code})
	heard := e.conns.Frames(t, "b")[n:]
	if len(heard) != 1 || heard[0]["type"] != "left" || heard[0]["reason"] != "timeout" {
		t.Fatalf("the leaver hears %v: want one left frame saying the clock took the seat", heard)
	}
	if rec, _ := e.store.GetConnection(t.Context(), "b"); rec.RoomCode != "" {
		t.Fatalf("the leaver's record still names room %q", rec.RoomCode)
	}
}

// the same after a seat is taken by another tab (pre-existing?).
func TestASeatTakenByAnotherTabLeavesTheConnectionFree(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	e.send("x2", map[string]any{"action": "rejoin", "roomCode": code, "token": e.tokens["x"]})
	e.send("p", map[string]any{"action": "createRoom", "name": "P"})
	other := e.room("p")["code"].(string)
	e.send("q", map[string]any{"action": "joinRoom", "roomCode": other, "name": "Q"})
	e.send("x", map[string]any{"action": "getRoom", "roomCode": other})
	seen := e.count("x")
	e.move("p", other, 0)
	if e.count("x") == seen {
		t.Errorf("the connection told its seat is played elsewhere cannot watch another room")
	}
}

// a seated O re-sends joinRoom (double submit, a stale form) just after the deadline
// passed: the clock's write lands (out.wrote), and JoinRoom takes it for a fresh join.
func TestJoiningOnesOwnRoomPastADeadlineKeepsTheSeat(t *testing.T) {
	e := newEnv(t, envOptions{moveTimeout: moveTimeout})
	code := e.startGame()
	old := e.tokens["o"]
	e.move("x", code, 4)
	e.advance(moveTimeout) // O's clock ran out; nobody asked yet
	e.send("o", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Bob"})
	for _, who := range []string{"o", "x"} { // both hear the timeout
		if st := e.room(who); st["status"] != "won" || st["timeout"] == nil {
			t.Fatalf("%s after O's joinRoom past its deadline: %v", who, st)
		}
	}
	if e.tokens["o"] != old {
		t.Fatal("O was handed a new token for the seat it holds")
	}
	e.send("o2", map[string]any{"action": "rejoin", "roomCode": code, "token": old})
	if you, _ := e.last("o2")["you"].(map[string]any); you == nil || you["symbol"] != "O" {
		t.Fatalf("O's own token no longer holds the seat: %v", e.last("o2"))
	}
}
