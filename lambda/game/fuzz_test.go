package game

import (
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
)

// FuzzMoves plays arbitrary move sequences from arbitrary connections and checks the referee's
// invariants after every move: refused moves change nothing, the marks alternate, a game ends
// exactly when a line is full or the board is, and the score counts finished games.
func FuzzMoves(f *testing.F) {
	f.Add([]byte{0, 3, 1, 4, 2})
	f.Add([]byte{4, 4, 0, 9, 255, 8, 2, 6})
	f.Add([]byte{0x80, 0x01, 0x42, 0x13})
	f.Fuzz(func(t *testing.T, moves []byte) {
		r := NewRoom("ABCDEF", Seat{Name: "A", ConnID: "cx"}, time.Unix(0, 0))
		if err := r.Join(Seat{Name: "B", ConnID: "co"}, time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
		conns := []string{"cx", "co", "cz"}
		for _, m := range moves {
			conn := conns[int(m>>4)%len(conns)]
			cell := int(m&0x0f) - 1 // -1..14: off-board cells too
			before := *r
			err := r.Move(conn, cell, time.Unix(1, 0))
			if err != nil {
				if apperr.As(err) == nil {
					t.Fatalf("move error without a code: %v", err)
				}
				if r.Board != before.Board || r.Turn != before.Turn || r.Status != before.Status || r.Score != before.Score {
					t.Fatalf("refused move (%v) changed the room", err)
				}
				continue
			}
			checkInvariants(t, r)
			if r.Status != Playing {
				if _, err := r.RequestRematch("cx", time.Unix(2, 0)); err != nil {
					t.Fatal(err)
				}
				if _, err := r.RequestRematch("co", time.Unix(2, 0)); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

func checkInvariants(t *testing.T, r *Room) {
	t.Helper()
	var x, o int
	for _, s := range r.Board {
		switch s {
		case X:
			x++
		case O:
			o++
		}
	}
	opener, other := x, o
	if r.Starter == O {
		opener, other = o, x
	}
	if opener != other && opener != other+1 {
		t.Fatalf("marks do not alternate: X=%d O=%d starter %s", x, o, r.Starter)
	}
	w, line := r.Board.Winner()
	switch r.Status {
	case Won:
		if w == None || w != r.Winner || len(line) != 3 || r.Turn != None {
			t.Fatalf("won without a line: %+v", r)
		}
	case Draw:
		if w != None || !r.Board.Full() {
			t.Fatalf("draw with a line or free cells: %v", r.Board)
		}
	case Playing:
		if w != None || r.Board.Full() || !r.Turn.Valid() {
			t.Fatalf("still playing a finished board: %v", r.Board)
		}
	default:
		t.Fatalf("unexpected status %s", r.Status)
	}
}

// BenchmarkGame plays a whole drawn game (9 moves) and its rematch.
func BenchmarkGame(b *testing.B) {
	r := NewRoom("ABCDEF", Seat{Name: "A", ConnID: "cx"}, time.Unix(0, 0))
	if err := r.Join(Seat{Name: "B", ConnID: "co"}, time.Unix(0, 0)); err != nil {
		b.Fatal(err)
	}
	draw := []int{0, 1, 2, 4, 7, 3, 5, 8, 6}
	conn := map[Symbol]string{X: "cx", O: "co"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, c := range draw {
			if err := r.Move(conn[r.Turn], c, time.Unix(1, 0)); err != nil {
				b.Fatal(err)
			}
		}
		if r.Status != Draw {
			b.Fatalf("status %s", r.Status)
		}
		_, _ = r.RequestRematch("cx", time.Unix(2, 0))
		_, _ = r.RequestRematch("co", time.Unix(2, 0))
	}
}
