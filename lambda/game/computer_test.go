package game

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The perfect computer never loses: every game reachable against it, whoever opens, whatever
// the other side plays and whichever of its best moves it picks, ends in its win or a draw.
func TestPerfectNeverLoses(t *testing.T) {
	var games, lost int
	var walk func(b Board, toMove, computer Symbol)
	walk = func(b Board, toMove, computer Symbol) {
		if w, _ := b.Winner(); w != None || b.Full() {
			games++
			if w == computer.Other() {
				lost++
				if lost <= 3 {
					t.Errorf("the computer (%s) lost: %v", computer, b)
				}
			}
			return
		}
		var cells []int
		if toMove == computer {
			cells = BestMoves(b, computer)
			if win := b.completing(computer); win >= 0 {
				cells = []int{win} // ComputerMove takes a win it sees before anything
			}
		} else {
			cells = b.freeCells()
		}
		for _, c := range cells {
			next := b
			next[c] = toMove
			walk(next, toMove.Other(), computer)
		}
	}
	walk(Board{}, X, O) // the player opens
	walk(Board{}, X, X) // the computer opens (a rematch)
	if lost != 0 || games < 1000 {
		t.Fatalf("%d of %d games lost", lost, games)
	}
	t.Logf("%d games walked, none lost", games)
}

// Against the easy computer a beginner's plan works: a random opponent loses often; against
// the perfect one, never. Medium sits between. Seeded, so the numbers do not move.
func TestLevelsDiffer(t *testing.T) {
	losses := func(level Level) int {
		r := rand.New(rand.NewPCG(1, 2))
		pick := func(n int) int { return r.IntN(n) }
		var lost int
		for range 2000 {
			var b Board
			for turn := X; ; turn = turn.Other() {
				if w, _ := b.Winner(); w != None || b.Full() {
					if w == X {
						lost++ // the computer, O, lost to a random X
					}
					break
				}
				if turn == X {
					free := b.freeCells()
					b[free[pick(len(free))]] = X
				} else {
					b[ComputerMove(b, O, level, pick)] = O
				}
			}
		}
		return lost
	}
	easy, medium, perfect := losses(Easy), losses(Medium), losses(Perfect)
	if perfect != 0 || !(easy > medium && medium > perfect) || easy < 100 {
		t.Fatalf("losses to a random player in 2000 games: easy %d, medium %d, perfect %d", easy, medium, perfect)
	}
	t.Logf("losses to a random player in 2000 games: easy %d, medium %d, perfect %d", easy, medium, perfect)
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"": Perfect, "easy": Easy, "medium": Medium, "perfect": Perfect} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"hard", "Perfect", " easy"} {
		if _, err := ParseLevel(in); err == nil {
			t.Errorf("ParseLevel(%q): no error", in)
		}
	}
}

// A room against the computer: the player opens, the computer answers each move at once,
// a rematch starts the next game at once with the computer opening, and the room is empty
// (deleted) once the player leaves.
func TestComputerRoom(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	first := func(n int) int { return 0 }
	r := NewComputerRoom("K7M2QX", Seat{Name: "Ann", TokenHash: HashToken("t"), ConnID: "cx"}, Perfect, now)
	if r.Status != Playing || r.Turn != X || r.O == nil || r.O.Computer != Perfect || r.O.Name != "Computer (perfect)" || r.Empty() {
		t.Fatalf("new room: %+v, O %+v", r, r.O)
	}
	for r.Status == Playing {
		free := r.Board.freeCells()
		if err := r.Move("cx", free[0], now); err != nil {
			t.Fatal(err)
		}
		if r.Status == Playing && !r.PlayComputer(first, now) {
			t.Fatalf("the computer did not answer: %v", r.Board)
		}
		if r.Status == Playing && r.Turn != X {
			t.Fatalf("the computer moved twice: %v", r.Board)
		}
	}
	if r.Winner == X {
		t.Fatalf("the perfect computer lost: %v", r.Board)
	}
	if err := r.Move("cx", 0, now); err == nil {
		t.Fatal("a move after the game ended")
	}
	started, err := r.RequestRematch("cx", now)
	if err != nil || !started || r.Starter != O || r.Turn != O {
		t.Fatalf("rematch: started %v, %v, starter %s turn %s; want the computer to open at once", started, err, r.Starter, r.Turn)
	}
	if !r.PlayComputer(first, now) || r.Turn != X || len(r.Board.freeCells()) != 8 {
		t.Fatalf("the computer did not open: %v", r.Board)
	}
	if r.PlayComputer(first, now) {
		t.Fatal("the computer moved out of turn")
	}
	if err := r.Join(Seat{Name: "Bob", ConnID: "co"}, now); err == nil {
		t.Fatal("someone joined a room against the computer")
	}
	if err := r.Leave("cx", now); err != nil || !r.Empty() {
		t.Fatalf("after the player left: %v, empty %v", err, r.Empty())
	}
}
