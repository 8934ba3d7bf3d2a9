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
		{"both back: the same deadline", func(t *testing.T) *Room {
			r := playing(t)
			r.Disconnect("co", t0.Add(time.Second))
			if _, _, err := r.Rejoin(HashToken("to"), "co2", t0.Add(2*time.Second)); err != nil {
				t.Fatal(err)
			}
			r.Resume(t0.Add(2*time.Second), move)
			return r
		}, move, t0.Add(move)},
		{"the other back late: the player to move gets ReturnTime", func(t *testing.T) *Room {
			r := playing(t)
			r.Disconnect("co", t0.Add(time.Second))
			if _, _, err := r.Rejoin(HashToken("to"), "co2", t0.Add(move)); err != nil {
				t.Fatal(err)
			}
			r.Resume(t0.Add(move), move)
			return r
		}, move, t0.Add(move + ReturnTime)},
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
	t.Run("a move resets the count of timeouts", func(t *testing.T) {
		r := playing(t)
		r.X.Timeouts = 1
		play(t, r, 4)
		if r.X.Timeouts != 0 {
			t.Fatalf("timeouts after a move: %d", r.X.Timeouts)
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := playing(t)
			r.Quick = tc.quick
			at := t0
			for i := 0; i < tc.timeouts; i++ {
				if r.Turn != tc.camper { // the honest player moves
					if err := r.Move(map[Symbol]string{X: "cx", O: "co"}[r.Turn], 4, at); err != nil {
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
	r.Resume(back, move)
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
	r.Resume(again, move)
	if !r.ExpireTurn(again, move) || r.Timeout == nil || r.Timeout.Symbol != X {
		t.Fatalf("a second return must not stall the game: %s %+v", r.Status, r.Timeout)
	}

	// A reload early in the turn does not spend it.
	r = playing(t)
	r.Resume(t0.Add(5*time.Second), move)
	if !r.ResumedAt.IsZero() || !r.TurnEnds(move).Equal(t0.Add(move)) {
		t.Fatalf("an early return: resumed %v, turn ends %v", r.ResumedAt, r.TurnEnds(move))
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
