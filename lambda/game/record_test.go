package game

import (
	"fmt"
	"testing"
	"time"
)

// Each way a game ends leaves one Record in the room, fixed by the write that ended it: who won,
// how, the moves in order, and, in a rated game, both rating changes, applied to the seats'
// snapshots so that the next game of the series starts from them.
func TestGameEndsLeaveARecord(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	ann := Identity{ID: "ann"}
	bob := Identity{ID: "bob", Rating: 1300, Rated: 12}
	room := func(quick bool, x, o Identity) *Room {
		r := NewRoom("K7M2QX", Seat{Name: "Ann", ConnID: "cx", Identity: x}, t0)
		r.Quick = quick
		if err := r.Join(Seat{Name: "Bob", ConnID: "co", Identity: o}, t0); err != nil {
			t.Fatal(err)
		}
		r.RatedPair = quick // as quick match pairs two addresses
		return r
	}
	play := func(r *Room, cells ...int) {
		for _, c := range cells {
			conn := "cx"
			if r.Turn == O {
				conn = "co"
			}
			if err := r.Move(conn, c, t0.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name    string
		quick   bool
		x, o    Identity
		end     func(r *Room)
		winner  Symbol
		how     string
		moves   []int
		rated   bool
		dx, do  int
		unended bool
	}{
		{name: "a line, rated", quick: true, x: ann, o: bob, end: func(r *Room) { play(r, 0, 3, 1, 4, 2) },
			winner: X, how: EndLine, moves: []int{0, 3, 1, 4, 2}, rated: true, dx: 26, do: -13},
		{name: "a draw, rated", quick: true, x: ann, o: bob, end: func(r *Room) { play(r, 0, 1, 2, 4, 3, 5, 7, 6, 8) },
			winner: None, how: EndDraw, moves: []int{0, 1, 2, 4, 3, 5, 7, 6, 8}, rated: true, dx: 6, do: -3},
		{name: "a private room is not rated", x: ann, o: bob, end: func(r *Room) { play(r, 0, 3, 1, 4, 2) },
			winner: X, how: EndLine, moves: []int{0, 3, 1, 4, 2}},
		{name: "one player unidentified: not rated", quick: true, x: ann, end: func(r *Room) { play(r, 0, 3, 1, 4, 2) },
			winner: X, how: EndLine, moves: []int{0, 3, 1, 4, 2}},
		{name: "leaving a game under way loses it", quick: true, x: ann, o: bob, end: func(r *Room) {
			play(r, 4)
			if err := r.Leave("cx", t0.Add(2*time.Second)); err != nil {
				t.Fatal(err)
			}
		}, winner: O, how: EndLeft, moves: []int{4}, rated: true, dx: -14, do: 7},
		{name: "leaving before the first move is no game", quick: true, x: ann, o: bob, end: func(r *Room) {
			if err := r.Leave("co", t0.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}, unended: true},
		{name: "the grace period runs out", x: ann, o: bob, end: func(r *Room) {
			play(r, 4)
			r.Disconnect("co", t0.Add(2*time.Second))
			r.ExpireGrace(t0.Add(time.Hour), time.Minute)
		}, winner: X, how: EndForfeit, moves: []int{4}},
		{name: "the move clock runs out", quick: true, x: ann, o: bob, end: func(r *Room) {
			play(r, 4)
			r.ExpireTurn(t0.Add(time.Hour), time.Minute)
		}, winner: X, how: EndTimeout, moves: []int{4}, rated: true, dx: 26, do: -13},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := room(tc.quick, tc.x, tc.o)
			tc.end(r)
			if tc.unended {
				if r.Ended != nil {
					t.Fatalf("ended %+v, want no record", r.Ended)
				}
				return
			}
			rec := r.Ended
			if rec == nil {
				t.Fatal("no record")
			}
			if rec.ID != RecordID("K7M2QX", t0, 1) || rec.Winner != tc.winner || rec.How != tc.how || rec.Rated != tc.rated ||
				len(rec.Moves) != len(tc.moves) || rec.X.Name != "Ann" || rec.O.Name != "Bob" || rec.Starter != X {
				t.Fatalf("record %+v", rec)
			}
			for i := range tc.moves {
				if rec.Moves[i] != tc.moves[i] {
					t.Fatalf("moves %v, want %v", rec.Moves, tc.moves)
				}
			}
			if rec.X.Delta != tc.dx || rec.O.Delta != tc.do {
				t.Fatalf("deltas X %d O %d, want %d %d", rec.X.Delta, rec.O.Delta, tc.dx, tc.do)
			}
			if tc.rated && r.X != nil && (r.X.Rating != InitialRating+tc.dx || r.X.Rated != 1) {
				t.Errorf("X's seat after the game: %+v", r.X.Identity)
			}
		})
	}
}

// The record stays the room's own through the next writes and goes only when the next game
// ends; a rematch starts a game with a new id.
func TestRecordIDsDifferByGame(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	r := NewRoom("K7M2QX", Seat{Name: "Ann", ConnID: "cx"}, t0)
	if err := r.Join(Seat{Name: "Bob", ConnID: "co"}, t0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []int{0, 3, 1, 4, 2} {
		conn := map[Symbol]string{X: "cx", O: "co"}[r.Turn]
		if err := r.Move(conn, c, t0); err != nil {
			t.Fatal(err)
		}
	}
	first := r.Ended.ID
	t1 := t0.Add(time.Minute)
	if _, err := r.RequestRematch("cx", t1); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RequestRematch("co", t1); err != nil {
		t.Fatal(err)
	}
	if r.Ended.ID != first || len(r.Moves) != 0 {
		t.Fatalf("after the rematch began: ended %s, moves %v", r.Ended.ID, r.Moves)
	}
	c := r.Clone()
	c.Ended.Moves[0] = 8
	if r.Ended.Moves[0] == 8 {
		t.Fatal("Clone shares the record's moves")
	}
	for _, c := range []int{0, 1, 3, 2, 6} { // O wins the rematch, all in the same instant
		if err := r.Move(map[Symbol]string{X: "cx", O: "co"}[r.Turn], c, t1); err != nil {
			t.Fatal(err)
		}
	}
	if r.Ended.ID == first || r.Ended.ID != RecordID("K7M2QX", t0, 2) {
		t.Fatalf("the rematch's id %s, the first game's %s", r.Ended.ID, first)
	}
}

func TestEloDelta(t *testing.T) {
	for _, tc := range []struct {
		mine, theirs int
		score        float64
		k, want      int
	}{
		{1200, 1200, 1, 40, 20},
		{1200, 1200, 0.5, 20, 0},
		{1200, 1600, 1, 20, 18},
		{1600, 1200, 1, 20, 2},
		{1600, 1200, 0, 20, -18},
	} {
		if got := EloDelta(tc.mine, tc.theirs, tc.score, tc.k); got != tc.want {
			t.Errorf("EloDelta(%d, %d, %v, %d) = %d, want %d", tc.mine, tc.theirs, tc.score, tc.k, got, tc.want)
		}
	}
	if got := Rerated(110, -40); got != RatingFloor {
		t.Errorf("Rerated(110, -40) = %d, want the floor %d", got, RatingFloor)
	}
}

// A quick-match room's later guest joined by the code: chosen, not paired. Their games are
// recorded, and rated for neither.
func TestAGuestByCodeIsNotRated(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	r := NewRoom("K7M2QX", Seat{Name: "Ann", ConnID: "cx", Identity: Identity{ID: "ann"}}, t0)
	r.Quick, r.RatedPair = true, true
	if err := r.Join(Seat{Name: "Bob", ConnID: "co", Identity: Identity{ID: "bob"}}, t0); err != nil {
		t.Fatal(err)
	}
	if r.RatedPair {
		t.Fatal("a join by the code keeps the room rated")
	}
	for _, c := range []int{0, 3, 1, 4, 2} {
		if err := r.Move(map[Symbol]string{X: "cx", O: "co"}[r.Turn], c, t0); err != nil {
			t.Fatal(err)
		}
	}
	if r.Ended == nil || r.Ended.Rated || r.Ended.X.Delta != 0 || r.X.Rated != 0 {
		t.Fatalf("a game with a guest by code: %+v", r.Ended)
	}
}

// Leaving a game whose opponent is offline, or the computer's, costs nobody anything: nothing
// is recorded. One player in both seats plays nobody; a game with no move is no game.
func TestWhatIsNoGame(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	two := func(x, o Identity) *Room {
		r := NewRoom("K7M2QX", Seat{Name: "Ann", ConnID: "cx", Identity: x}, t0)
		if err := r.Join(Seat{Name: "Bob", ConnID: "co", Identity: o}, t0); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		name string
		room func() *Room
	}{
		{"leaving while the opponent is offline", func() *Room {
			r := two(Identity{ID: "ann"}, Identity{ID: "bob"})
			_ = r.Move("cx", 4, t0)
			r.Disconnect("cx", t0)
			_ = r.Leave("co", t0)
			return r
		}},
		{"leaving the computer", func() *Room {
			r := NewComputerRoom("K7M2QX", Seat{Name: "Ann", ConnID: "cx", Identity: Identity{ID: "ann"}}, Easy, t0)
			_ = r.Move("cx", 4, t0)
			_ = r.Leave("cx", t0)
			return r
		}},
		{"one player in both seats", func() *Room {
			r := two(Identity{ID: "ann"}, Identity{ID: "ann"})
			for _, c := range []int{0, 3, 1, 4, 2} {
				_ = r.Move(map[Symbol]string{X: "cx", O: "co"}[r.Turn], c, t0)
			}
			return r
		}},
		{"out of time before the first move", func() *Room {
			r := two(Identity{ID: "ann"}, Identity{ID: "bob"})
			r.ExpireTurn(t0.Add(time.Hour), time.Minute)
			return r
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := tc.room(); r.Ended != nil {
				t.Fatalf("recorded %+v", r.Ended)
			}
		})
	}
}

// One pairing rates its first RatedPerPairing games; rematches past them are recorded, unrated.
func TestAPairingRatesItsFirstGames(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	r := NewRoom("K7M2QX", Seat{Name: "Ann", ConnID: "cx", Identity: Identity{ID: "ann"}}, t0)
	r.Quick = true
	if err := r.Join(Seat{Name: "Bob", ConnID: "co", Identity: Identity{ID: "bob"}}, t0); err != nil {
		t.Fatal(err)
	}
	r.RatedPair = true
	var rated []bool
	for game := range RatedPerPairing + 2 {
		if game > 0 {
			for _, c := range []string{"cx", "co"} {
				if _, err := r.RequestRematch(c, t0); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, cell := range []int{0, 3, 1, 4, 2} {
			if err := r.Move(map[Symbol]string{X: "cx", O: "co"}[r.Turn], cell, t0); err != nil {
				t.Fatal(err)
			}
		}
		rated = append(rated, r.Ended.Rated)
	}
	if fmt.Sprint(rated) != "[true true true false false]" {
		t.Fatalf("rated games of one pairing: %v", rated)
	}
}
