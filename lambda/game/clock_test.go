package game

import (
	"testing"
	"time"
)

const move = time.Minute

func TestTurnEnds(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) *Room
		move  time.Duration
		want  time.Time // zero: no clock
	}{
		{"the game's first turn", playing, move, t0.Add(move)},
		{"restarts with each move", func(t *testing.T) *Room {
			r := playing(t)
			if err := r.Move("cx", 4, t0.Add(20*time.Second)); err != nil {
				t.Fatal(err)
			}
			return r
		}, move, t0.Add(20*time.Second + move)},
		{"off", playing, 0, time.Time{}},
		{"waiting for a guest", func(t *testing.T) *Room { return NewRoom("ABCDEF", Seat{Name: "Ann", ConnID: "cx"}, t0) }, move, time.Time{}},
		{"against the computer", func(t *testing.T) *Room {
			return NewComputerRoom("ABCDEF", Seat{Name: "Ann", ConnID: "cx"}, Easy, t0)
		}, move, time.Time{}},
		{"finished", func(t *testing.T) *Room { r := playing(t); play(t, r, 0, 3, 1, 4, 2); return r }, move, time.Time{}},
		{"the player to move is offline: the grace period decides", func(t *testing.T) *Room {
			r := playing(t)
			r.Disconnect("cx", t0.Add(time.Second))
			return r
		}, move, time.Time{}},
		{"the other player is offline: nobody waits", func(t *testing.T) *Room {
			r := playing(t)
			r.Disconnect("co", t0.Add(time.Second))
			return r
		}, move, time.Time{}},
		{"the other back: the clock stopped while it was away", func(t *testing.T) *Room {
			r := playing(t)
			r.Disconnect("co", t0.Add(time.Second))
			if _, _, err := r.Rejoin(HashToken("to"), "co2", t0.Add(40*time.Second)); err != nil {
				t.Fatal(err)
			}
			r.Resume(O, t0.Add(40*time.Second), move)
			return r
		}, move, t0.Add(move + 39*time.Second)},
		{"the other back with the mover's time nearly gone: ReturnTime", func(t *testing.T) *Room {
			r := playing(t)
			r.Disconnect("co", t0.Add(55*time.Second))
			if _, _, err := r.Rejoin(HashToken("to"), "co2", t0.Add(56*time.Second)); err != nil {
				t.Fatal(err)
			}
			r.Resume(O, t0.Add(56*time.Second), move)
			return r
		}, move, t0.Add(56*time.Second + ReturnTime)},
		{"a reload: nothing changes", func(t *testing.T) *Room {
			r := playing(t)
			if _, _, err := r.Rejoin(HashToken("to"), "co2", t0.Add(50*time.Second)); err != nil {
				t.Fatal(err)
			}
			return r
		}, move, t0.Add(move)},
		{"stored before the clock", func(t *testing.T) *Room { r := playing(t); r.TurnAt = time.Time{}; return r }, move, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.setup(t).TurnEnds(tc.move); !got.Equal(tc.want) {
				t.Fatalf("TurnEnds = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestExpireTurn(t *testing.T) {
	t.Run("before the deadline nothing happens", func(t *testing.T) {
		r := playing(t)
		if r.ExpireTurn(t0.Add(move-time.Millisecond), move) || r.Status != Playing {
			t.Fatalf("expired early: %s", r.Status)
		}
	})
	t.Run("at the deadline the player to move loses the game", func(t *testing.T) {
		r := playing(t)
		play(t, r, 4) // X moved; O's turn from t0
		if !r.ExpireTurn(t0.Add(move), move) {
			t.Fatal("not expired at the deadline")
		}
		if r.Status != Won || r.Winner != X || r.Turn != None || r.Score != (Score{X: 1}) ||
			r.Timeout == nil || *r.Timeout != (Forfeit{Symbol: O, Name: "Bob"}) || r.O.Timeouts != 1 || r.O == nil {
			t.Fatalf("after timeout: %s winner %s score %+v timeout %+v O %+v", r.Status, r.Winner, r.Score, r.Timeout, r.O)
		}
		if r.ExpireTurn(t0.Add(2*move), move) {
			t.Fatal("a finished game timed out again")
		}
		// The room goes on: a rematch clears the timeout and restarts the clock.
		if _, err := r.RequestRematch("cx", t0.Add(2*move)); err != nil {
			t.Fatal(err)
		}
		if started, err := r.RequestRematch("co", t0.Add(2*move)); !started || err != nil {
			t.Fatalf("rematch: %v %v", started, err)
		}
		if r.Timeout != nil || !r.TurnEnds(move).Equal(t0.Add(3*move)) {
			t.Fatalf("rematch: timeout %+v, turn ends %v", r.Timeout, r.TurnEnds(move))
		}
	})
	t.Run("a move does not reset the count; a game played to its end does", func(t *testing.T) {
		r := playing(t)
		r.X.Timeouts, r.O.Timeouts = 1, 1
		play(t, r, 4)
		if r.X.Timeouts != 1 {
			t.Fatalf("timeouts after a move: %d", r.X.Timeouts)
		}
		play(t, r, 0, 2, 1, 6) // X wins the diagonal 2-4-6
		if r.Status != Won || r.X.Timeouts != 0 || r.O.Timeouts != 0 {
			t.Fatalf("after a game played to its end: %s, timeouts %d %d", r.Status, r.X.Timeouts, r.O.Timeouts)
		}
	})
}

func TestTimeoutsInARowLoseAQuickMatchSeat(t *testing.T) {
	tests := []struct {
		name     string
		quick    bool
		camper   Symbol
		timeouts int
		status   Status
		seated   bool
	}{
		{"private room: the seat stays", false, O, 5, Won, true},
		{"quick match, once: the seat stays", true, O, 1, Won, true},
		{"quick match, the guest twice: freed for a new guest", true, O, 2, Waiting, false},
		{"quick match, the host twice: the room closes", true, X, 2, Abandoned, false},
		{"quick match, a camper who moves once a game: freed all the same", true, O, -2, Waiting, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := playing(t)
			r.Quick = tc.quick
			at := t0
			onceAGame := tc.timeouts < 0 // the camper makes one move each game, then idles
			for i := 0; i < max(tc.timeouts, -tc.timeouts); i++ {
				conn := map[Symbol]string{X: "cx", O: "co"}
				if r.Turn != tc.camper { // the honest player moves
					if err := r.Move(conn[r.Turn], 4, at); err != nil {
						t.Fatal(err)
					}
				}
				if onceAGame {
					if err := r.Move(conn[tc.camper], 0, at); err != nil {
						t.Fatal(err)
					}
					if err := r.Move(conn[tc.camper.Other()], 8, at); err != nil {
						t.Fatal(err)
					}
				}
				at = at.Add(move)
				if !r.ExpireTurn(at, move) {
					t.Fatalf("timeout %d did not expire", i+1)
				}
				if r.Player(tc.camper) == nil {
					break
				}
				for _, c := range []string{"cx", "co"} {
					if _, err := r.RequestRematch(c, at); err != nil {
						t.Fatal(err)
					}
				}
			}
			if seated := r.Player(tc.camper) != nil; seated != tc.seated || (!seated && r.Status != tc.status) {
				t.Fatalf("camper seated %v, status %s; want seated %v (status %s)", seated, r.Status, tc.seated, tc.status)
			}
			if !tc.seated && (r.Timeout == nil || r.Timeout.Symbol != tc.camper || r.Score == (Score{})) {
				t.Fatalf("the room must still say who timed out and keep the score: %+v %+v", r.Timeout, r.Score)
			}
		})
	}
}

func TestResumeGivesReturnTimeOnceATurn(t *testing.T) {
	r := playing(t) // X to move from t0
	r.Disconnect("cx", t0.Add(30*time.Second))
	back := t0.Add(move + 20*time.Second) // past the deadline, within grace
	if _, _, err := r.Rejoin(HashToken("tx"), "cx2", back); err != nil {
		t.Fatal(err)
	}
	r.Resume(X, back, move)
	if want := back.Add(ReturnTime); !r.TurnEnds(move).Equal(want) {
		t.Fatalf("back after the deadline: turn ends %v, want %v", r.TurnEnds(move), want)
	}
	if r.ExpireTurn(back, move) {
		t.Fatal("timed out on coming back")
	}
	// Leaving and coming back again gives nothing more.
	r.Disconnect("cx2", back.Add(time.Second))
	again := back.Add(time.Minute)
	if _, _, err := r.Rejoin(HashToken("tx"), "cx3", again); err != nil {
		t.Fatal(err)
	}
	r.Resume(X, again, move)
	if !r.ExpireTurn(again, move) || r.Timeout == nil || r.Timeout.Symbol != X {
		t.Fatalf("a second return must not stall the game: %s %+v", r.Status, r.Timeout)
	}

	// A reload early in the turn does not spend it.
	r = playing(t)
	r.Resume(X, t0.Add(5*time.Second), move)
	if !r.ResumedAt.IsZero() || !r.TurnEnds(move).Equal(t0.Add(move)) {
		t.Fatalf("an early return: resumed %v, turn ends %v", r.ResumedAt, r.TurnEnds(move))
	}
}

// The clock counts only while both are online, but a deadline that passed while they were
// stands: going offline after it does not undo it (the review's stall by disconnecting).
func TestADeadlinePassedWhileBothWereOnlineStands(t *testing.T) {
	tests := []struct {
		name    string
		offline string // who drops, a second after the deadline
	}{
		{"the player to move drops after its deadline", "cx"},
		{"the other player drops after the deadline", "co"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := playing(t) // X to move from t0
			r.Disconnect(tc.offline, t0.Add(move+time.Second))
			if !r.ExpireTurn(t0.Add(move+time.Minute), move) || r.Timeout == nil || r.Timeout.Symbol != X {
				t.Fatalf("status %s timeout %+v: the deadline passed while both were online", r.Status, r.Timeout)
			}
		})
	}
	// Dropping before the deadline: the grace period decides, and the clock waits.
	r := playing(t)
	r.Disconnect("co", t0.Add(move-time.Second))
	if r.ExpireTurn(t0.Add(move+time.Minute), move) {
		t.Fatal("the clock ran on while the other player was away")
	}
}

// The other player's return never costs the player to move: an early return does not spend the
// time that a later one gives back (the review's mover timed out by an opponent's blips).
func TestOpponentBlipsNeverCostTheMover(t *testing.T) {
	r := playing(t) // X to move from t0
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	r.Disconnect("co", at(50))
	if _, _, err := r.Rejoin(HashToken("to"), "co2", at(50)); err != nil {
		t.Fatal(err)
	}
	r.Resume(O, at(50), move)
	r.Disconnect("co2", at(51))
	if _, _, err := r.Rejoin(HashToken("to"), "co3", at(141)); err != nil {
		t.Fatal(err)
	}
	r.Resume(O, at(141), move)
	if r.ExpireTurn(at(141), move) {
		t.Fatal("the mover, online all along, timed out on the opponent's return")
	}
	if got := r.TurnEnds(move); got.Before(at(141).Add(ReturnTime)) {
		t.Fatalf("turn ends %v: the mover has less than ReturnTime", got)
	}
}

// Nobody asked at the deadline, and the other player then went away for good: the game was
// lost by timeout first, not won by the other's forfeit.
func TestATimeoutComesBeforeALaterForfeit(t *testing.T) {
	c := Clocks{Grace: 2 * time.Minute, Move: move}
	r := playing(t)                              // X to move from t0
	r.Disconnect("co", t0.Add(move+time.Second)) // after X's deadline
	if !r.Expire(t0.Add(move+c.Grace+time.Minute), c) {
		t.Fatal("nothing expired")
	}
	// X's timeout ended the game; O's seat was then given up after a finished game, as any
	// guest's is: nobody forfeits, and X is not credited a win by O's forfeit.
	if r.Forfeit != nil || r.Status != Waiting || r.O != nil || r.Score.X != 0 {
		t.Fatalf("forfeit %+v status %s score %+v O %+v: want no forfeit for X to win", r.Forfeit, r.Status, r.Score, r.O)
	}
}

func TestExpireAppliesBothClocks(t *testing.T) {
	c := Clocks{Grace: 2 * time.Minute, Move: move}
	r := playing(t)
	r.Disconnect("cx", t0) // X to move, offline: no timeout while the grace period runs
	if r.Expire(t0.Add(move+time.Second), c) || r.Status != Playing {
		t.Fatalf("an offline player timed out: %s", r.Status)
	}
	if !r.Expire(t0.Add(c.Grace), c) || r.Forfeit == nil || r.Timeout != nil || r.Status != Abandoned {
		t.Fatalf("grace: status %s forfeit %+v timeout %+v", r.Status, r.Forfeit, r.Timeout)
	}
}

func TestALeaveAfterATimeoutIsALeave(t *testing.T) {
	r := playing(t)
	if !r.ExpireTurn(t0.Add(move), move) {
		t.Fatal("no timeout")
	}
	if err := r.Leave("co", t0.Add(move)); err != nil {
		t.Fatal(err)
	}
	if r.Timeout != nil || r.Score != (Score{}) || r.Status != Waiting {
		t.Fatalf("after the guest left: timeout %+v score %+v status %s", r.Timeout, r.Score, r.Status)
	}
}
