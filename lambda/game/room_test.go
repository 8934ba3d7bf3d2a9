package game

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// playing returns a room where host (X, conn "cx") and guest (O, conn "co") have started.
func playing(t *testing.T) *Room {
	t.Helper()
	r := NewRoom("ABCDEF", Seat{Name: "Ann", TokenHash: HashToken("tx"), ConnID: "cx"}, t0)
	if err := r.Join(Seat{Name: "Bob", TokenHash: HashToken("to"), ConnID: "co"}, t0); err != nil {
		t.Fatalf("join: %v", err)
	}
	return r
}

// play makes moves alternately from X's and O's connections, failing on any error.
func play(t *testing.T, r *Room, cells ...int) {
	t.Helper()
	for _, c := range cells {
		conn := map[Symbol]string{X: "cx", O: "co"}[r.Turn]
		if err := r.Move(conn, c, t0); err != nil {
			t.Fatalf("move %d by %s: %v", c, r.Turn, err)
		}
	}
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func TestJoinStartsGameWithXToMove(t *testing.T) {
	r := playing(t)
	if r.Status != Playing || r.Turn != X || r.Starter != X {
		t.Fatalf("after join: status %s turn %s starter %s, want playing, X, X", r.Status, r.Turn, r.Starter)
	}
	if r.O.Name != "Bob" || r.SymbolOf("co") != O || r.SymbolOf("cx") != X {
		t.Fatalf("seats wrong: %+v %+v", r.X, r.O)
	}
}

func TestJoinErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *Room)
		want  apperr.Code
	}{
		{"second guest", func(r *Room) {}, apperr.RoomFull},
		{"abandoned room", func(r *Room) { _ = r.Leave("cx", t0) }, apperr.GameNotActive},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := playing(t)
			tc.setup(r)
			wantCode(t, r.Join(Seat{Name: "Cy", ConnID: "cc"}, t0), tc.want)
		})
	}
}

func TestWins(t *testing.T) {
	tests := []struct {
		name   string
		moves  []int
		winner Symbol
		line   []int
	}{
		{"top row", []int{0, 3, 1, 4, 2}, X, []int{0, 1, 2}},
		{"middle row", []int{3, 0, 4, 1, 5}, X, []int{3, 4, 5}},
		{"bottom row by O", []int{0, 6, 1, 7, 5, 8}, O, []int{6, 7, 8}},
		{"left column", []int{0, 1, 3, 2, 6}, X, []int{0, 3, 6}},
		{"middle column", []int{1, 0, 4, 2, 7}, X, []int{1, 4, 7}},
		{"right column by O", []int{0, 2, 1, 5, 3, 8}, O, []int{2, 5, 8}},
		{"diagonal", []int{0, 1, 4, 2, 8}, X, []int{0, 4, 8}},
		{"anti-diagonal", []int{2, 0, 4, 1, 6}, X, []int{2, 4, 6}},
		{"win on the last cell is a win, not a draw", []int{0, 1, 2, 3, 4, 5, 7, 6, 8}, X, []int{0, 4, 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := playing(t)
			play(t, r, tc.moves...)
			if r.Status != Won || r.Winner != tc.winner || !equalInts(r.WinLine, tc.line) || r.Turn != None {
				t.Fatalf("status %s winner %s line %v turn %q; want won, %s, %v, none", r.Status, r.Winner, r.WinLine, r.Turn, tc.winner, tc.line)
			}
			want := Score{}
			if tc.winner == X {
				want.X = 1
			} else {
				want.O = 1
			}
			if r.Score != want {
				t.Fatalf("score %+v, want %+v", r.Score, want)
			}
			wantCode(t, r.Move("cx", firstFree(r), t0), apperr.GameNotActive)
		})
	}
}

func TestDraw(t *testing.T) {
	r := playing(t)
	play(t, r, 0, 1, 2, 4, 7, 3, 5, 8, 6)
	if r.Status != Draw || r.Winner != None || r.Score.Draws != 1 || r.Turn != None {
		t.Fatalf("status %s winner %q score %+v turn %q; want draw", r.Status, r.Winner, r.Score, r.Turn)
	}
}

func TestMoveErrors(t *testing.T) {
	tests := []struct {
		name string
		room func(t *testing.T) *Room
		conn string
		cell int
		want apperr.Code
	}{
		{"spectator", playing, "cz", 0, apperr.NotInRoom},
		{"O first", playing, "co", 0, apperr.NotYourTurn},
		{"X twice", func(t *testing.T) *Room { r := playing(t); play(t, r, 4); return r }, "cx", 0, apperr.NotYourTurn},
		{"taken", func(t *testing.T) *Room { r := playing(t); play(t, r, 4); return r }, "co", 4, apperr.CellTaken},
		{"below board", playing, "cx", -1, apperr.BadRequest},
		{"above board", playing, "cx", 9, apperr.BadRequest},
		{"waiting for guest", func(t *testing.T) *Room { return NewRoom("ABCDEF", Seat{Name: "A", ConnID: "cx"}, t0) }, "cx", 0, apperr.GameNotActive},
		{"after win", func(t *testing.T) *Room { r := playing(t); play(t, r, 0, 3, 1, 4, 2); return r }, "co", 8, apperr.GameNotActive},
		{"empty connection id", playing, "", 0, apperr.NotInRoom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.room(t)
			before := *r
			wantCode(t, r.Move(tc.conn, tc.cell, t0.Add(time.Second)), tc.want)
			if r.Board != before.Board || r.Turn != before.Turn || r.Status != before.Status {
				t.Fatalf("a refused move changed the room")
			}
		})
	}
}

func TestRematch(t *testing.T) {
	r := playing(t)
	play(t, r, 0, 3, 1, 4, 2) // X wins, X started
	started, err := r.RequestRematch("cx", t0)
	if err != nil || started {
		t.Fatalf("first ask: started=%v err=%v, want waiting for the other", started, err)
	}
	if started, err = r.RequestRematch("cx", t0); err != nil || started {
		t.Fatalf("asking twice must not start: started=%v err=%v", started, err)
	}
	if started, err = r.RequestRematch("co", t0); err != nil || !started {
		t.Fatalf("second ask: started=%v err=%v, want a new game", started, err)
	}
	if r.Status != Playing || r.Turn != O || r.Starter != O || r.Board != (Board{}) || r.WinLine != nil {
		t.Fatalf("rematch: status %s turn %s starter %s board %v; want playing, O opens, empty", r.Status, r.Turn, r.Starter, r.Board)
	}
	if r.Score.X != 1 || r.X.Rematch || r.O.Rematch {
		t.Fatalf("score must carry on and asks reset: %+v %v %v", r.Score, r.X.Rematch, r.O.Rematch)
	}
	play(t, r, 4, 0, 8, 1, 2, 6, 3, 5, 7) // a draw, O opened
	if r.Status != Draw {
		t.Fatalf("want draw, got %s (%v)", r.Status, r.Board)
	}
	mustRematch(t, r)
	if r.Starter != X || r.Score != (Score{X: 1, Draws: 1}) {
		t.Fatalf("third game: starter %s score %+v; want X opens, 1-0-1", r.Starter, r.Score)
	}
}

func mustRematch(t *testing.T, r *Room) {
	t.Helper()
	for _, c := range []string{"cx", "co"} {
		if _, err := r.RequestRematch(c, t0); err != nil {
			t.Fatalf("rematch by %s: %v", c, err)
		}
	}
}

func TestRematchErrors(t *testing.T) {
	tests := []struct {
		name string
		room func(t *testing.T) *Room
		conn string
		want apperr.Code
	}{
		{"mid-game", playing, "cx", apperr.GameNotActive},
		{"spectator", func(t *testing.T) *Room { r := playing(t); play(t, r, 0, 3, 1, 4, 2); return r }, "cz", apperr.NotInRoom},
		{"guest gone", func(t *testing.T) *Room {
			r := playing(t)
			play(t, r, 0, 3, 1, 4, 2)
			_ = r.Leave("co", t0)
			return r
		}, "cx", apperr.GameNotActive},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.room(t).RequestRematch(tc.conn, t0)
			wantCode(t, err, tc.want)
		})
	}
}

func TestLeaveRules(t *testing.T) {
	t.Run("host leaves: abandoned for everyone", func(t *testing.T) {
		r := playing(t)
		play(t, r, 4)
		if err := r.Leave("cx", t0); err != nil {
			t.Fatal(err)
		}
		if r.Status != Abandoned || r.X != nil || r.O == nil || r.Turn != None || r.Empty() {
			t.Fatalf("status %s X %v turn %q", r.Status, r.X, r.Turn)
		}
		wantCode(t, r.Move("co", 0, t0), apperr.GameNotActive)
		if err := r.Leave("co", t0); err != nil || !r.Empty() {
			t.Fatalf("guest leaving an abandoned room must empty it: %v empty=%v", err, r.Empty())
		}
	})
	t.Run("guest leaves: waiting for a new guest, series reset", func(t *testing.T) {
		r := playing(t)
		play(t, r, 0, 3, 1, 4, 2)
		if _, err := r.RequestRematch("cx", t0); err != nil {
			t.Fatal(err)
		}
		if err := r.Leave("co", t0); err != nil {
			t.Fatal(err)
		}
		if r.Status != Waiting || r.O != nil || r.Board != (Board{}) || r.Score != (Score{}) || r.X.Rematch || r.Winner != None {
			t.Fatalf("after guest left: %+v", r)
		}
		if err := r.Join(Seat{Name: "Cy", ConnID: "cc"}, t0); err != nil || r.Status != Playing || r.Turn != X {
			t.Fatalf("a new guest must be able to join and X opens: %v %s %s", err, r.Status, r.Turn)
		}
	})
	t.Run("host alone leaves: empty", func(t *testing.T) {
		r := NewRoom("ABCDEF", Seat{Name: "A", ConnID: "cx"}, t0)
		if err := r.Leave("cx", t0); err != nil || !r.Empty() {
			t.Fatalf("err %v empty %v", err, r.Empty())
		}
	})
	t.Run("stranger", func(t *testing.T) {
		wantCode(t, playing(t).Leave("cz", t0), apperr.NotInRoom)
	})
	t.Run("watcher", func(t *testing.T) {
		r := playing(t)
		r.AddWatcher("cw")
		if err := r.Leave("cw", t0); err != nil || len(r.Watchers) != 0 {
			t.Fatalf("err %v watchers %v", err, r.Watchers)
		}
	})
}

func TestDisconnectGraceRejoin(t *testing.T) {
	grace := 2 * time.Minute
	t.Run("rejoin within grace restores the seat", func(t *testing.T) {
		r := playing(t)
		play(t, r, 4)
		if !r.Disconnect("co", t0) || r.O.Online() || r.O.ConnID != "" {
			t.Fatalf("disconnect must mark O offline: %+v", r.O)
		}
		if r.ExpireGrace(t0.Add(grace-time.Second), grace) {
			t.Fatal("seat given up before the grace period ended")
		}
		sym, prev, err := r.Rejoin(HashToken("to"), "co2", t0.Add(grace-time.Second))
		if err != nil || sym != O || prev != "" || !r.O.Online() || r.SymbolOf("co2") != O {
			t.Fatalf("rejoin: %s %q %v %+v", sym, prev, err, r.O)
		}
		if err := r.Move("co2", 0, t0); err != nil {
			t.Fatalf("the rejoined player must be able to move: %v", err)
		}
	})
	t.Run("grace over: guest's seat given up at the next action", func(t *testing.T) {
		r := playing(t)
		r.Disconnect("co", t0)
		if !r.ExpireGrace(t0.Add(grace), grace) || r.O != nil || r.Status != Waiting {
			t.Fatalf("after grace: O %+v status %s", r.O, r.Status)
		}
		_, _, err := r.Rejoin(HashToken("to"), "co2", t0.Add(grace))
		wantCode(t, err, apperr.NotInRoom)
	})
	t.Run("grace over for the host: abandoned", func(t *testing.T) {
		r := playing(t)
		r.Disconnect("cx", t0)
		if !r.ExpireGrace(t0.Add(grace), grace) || r.Status != Abandoned {
			t.Fatalf("status %s", r.Status)
		}
	})
	t.Run("both gone past grace: empty", func(t *testing.T) {
		r := playing(t)
		r.Disconnect("cx", t0)
		r.Disconnect("co", t0)
		if !r.ExpireGrace(t0.Add(grace), grace) || !r.Empty() {
			t.Fatalf("want empty room, got %+v %+v", r.X, r.O)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		r := playing(t)
		r.Disconnect("co", t0)
		_, _, err := r.Rejoin(HashToken("nope"), "c3", t0)
		wantCode(t, err, apperr.NotInRoom)
	})
	t.Run("rejoin while the old connection is open takes the seat over", func(t *testing.T) {
		r := playing(t)
		_, prev, err := r.Rejoin(HashToken("tx"), "cx2", t0)
		if err != nil || prev != "cx" || r.SymbolOf("cx") != None || r.SymbolOf("cx2") != X {
			t.Fatalf("prev %q err %v", prev, err)
		}
	})
	t.Run("disconnect of a stranger changes nothing", func(t *testing.T) {
		if playing(t).Disconnect("cz", t0) {
			t.Fatal("reported a change")
		}
	})
}

func TestWatchers(t *testing.T) {
	r := playing(t)
	if r.AddWatcher("cx") {
		t.Fatal("a player must not become a watcher")
	}
	for i := 0; i < MaxWatchers; i++ {
		if !r.AddWatcher(string(rune('a' + i))) {
			t.Fatalf("watcher %d refused", i)
		}
	}
	if r.AddWatcher("one-too-many") || r.AddWatcher("a") {
		t.Fatal("cap or duplicate not enforced")
	}
	if got := r.Connections(); len(got) != 2+MaxWatchers || got[0] != "cx" || got[1] != "co" {
		t.Fatalf("connections %v", got)
	}
	r.Disconnect("a", t0)
	if len(r.Watchers) != MaxWatchers-1 {
		t.Fatal("disconnect must drop a watcher")
	}
}

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		c, err := NewCode(bytes.NewReader(bytes.Repeat([]byte{byte(i), byte(i * 7), 250, byte(i * 13)}, 8)))
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := NormalizeCode(c); !ok || n != c {
			t.Fatalf("generated code %q is not well formed", c)
		}
		seen[c] = true
	}
	if len(seen) < 100 {
		t.Fatalf("codes not varied: %d distinct", len(seen))
	}
	if _, err := NewCode(bytes.NewReader(nil)); err == nil {
		t.Fatal("exhausted randomness must be an error")
	}
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"k7m2qx", "K7M2QX", true},
		{" K7M2QX ", "K7M2QX", true},
		{"K7M2Q", "K7M2Q", false},
		{"K7M2QXX", "K7M2QXX", false},
		{"K7M2Q0", "K7M2Q0", false}, // 0 is not in the alphabet
		{"K7M2QI", "K7M2QI", false},
		{"K7M2QL", "K7M2QL", false},
		{"K7M2Q1", "K7M2Q1", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, ok := NormalizeCode(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestTokens(t *testing.T) {
	a, err := NewToken(bytes.NewReader(bytes.Repeat([]byte{1}, 16)))
	if err != nil || len(a) != 22 {
		t.Fatalf("token %q err %v", a, err)
	}
	if HashToken(a) == a || HashToken(a) != HashToken(a) || HashToken(a) == HashToken(a+"x") {
		t.Fatal("hash must be deterministic and not the token")
	}
}

func firstFree(r *Room) int {
	for i, s := range r.Board {
		if s == None {
			return i
		}
	}
	return 0
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A clone can be changed by any rule without changing the room it came from.
func TestCloneIsIndependent(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	r := NewRoom("CLONEX", Seat{Name: "Ann", ConnID: "cx"}, now)
	_ = r.Join(Seat{Name: "Bob", ConnID: "co"}, now)
	r.AddWatcher("cw")
	r.Forfeit = &Forfeit{Symbol: O, Name: "Bob"}
	for name, change := range map[string]func(c *Room){
		"a seat offline": func(c *Room) { c.Disconnect("co", now) },
		"a watcher":      func(c *Room) { c.Watchers[0] = "other" },
		"a forfeit":      func(c *Room) { c.Forfeit.Name = "other" },
		"a move":         func(c *Room) { _ = c.Move("cx", 4, now) },
	} {
		t.Run(name, func(t *testing.T) {
			before := fmt.Sprintf("%+v %+v %+v %+v", *r, *r.X, *r.O, *r.Forfeit)
			change(r.Clone())
			if after := fmt.Sprintf("%+v %+v %+v %+v", *r, *r.X, *r.O, *r.Forfeit); after != before {
				t.Errorf("changing the clone changed the room:\n%s\n%s", before, after)
			}
		})
	}
}
