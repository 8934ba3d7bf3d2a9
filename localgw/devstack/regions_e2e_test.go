package devstack_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/serverless-tictactoe/tictactoe/localgw/devstack"
	"github.com/serverless-tictactoe/tictactoe/localgw/devstack/devstacktest"
)

func twoRegions(t *testing.T, unthrottled bool) *devstack.Stack {
	t.Helper()
	env := map[string]string{"GRACE_PERIOD": "30s"}
	if unthrottled {
		env["ADDRESS_STRIKES"] = "0" // every player of the test comes from 127.0.0.1
	}
	st := devstacktest.Start(t, devstacktest.Options{Regions: 2, Log: true, Unthrottled: unthrottled, Env: env})
	if len(st.Regions) != 2 || st.Regions[0].Name != "local-1" || st.Regions[1].Name != "local-2" {
		t.Fatalf("regions %+v", st.Regions)
	}
	return st
}

// Players in different Regions play one game; one Region fails mid-game (its gateway drops
// every connection with no $disconnect, its DynamoDB endpoint stops); its player reconnects to
// the other Region and rejoins with the token; the room, homed in the failed Region, is taken
// over; both finish the game there, no move lost.
func TestTwoRegionsGameSurvivesARegion(t *testing.T) {
	st := twoRegions(t, false)
	one, two := st.Regions[0], st.Regions[1]

	ann := connectTo(t, st, one.WebSocketURL, "Ann") // in local-1, which will fail
	ann.send(map[string]any{"action": "createRoom", "name": "Ann"})
	created := ann.room("the new room", func(f frame) bool { return f.Room.Status == "waiting" })
	code, annToken := created.Room.Code, created.You.Token
	bob := connectTo(t, st, two.WebSocketURL, "Bob") // in local-2
	bob.send(map[string]any{"action": "joinRoom", "roomCode": code, "name": "Bob"})
	bob.room("the game", func(f frame) bool { return f.Room.Status == "playing" })
	ann.room("Bob joining from the other Region", func(f frame) bool { return f.Room.Status == "playing" })

	// Moves cross Regions both ways: each player's frame is posted through the other's API.
	move(code, 4, ann, ann, bob)
	move(code, 1, bob, ann, bob)
	move(code, 8, ann, ann, bob)

	if err := st.Kill(context.Background(), "local-1"); err != nil {
		t.Fatal(err)
	}
	// Ann's connection drops with the Region; she reconnects to local-2 and rejoins.
	for range ann.frames { // until it closes: anything still in flight before the drop
	}
	ann2 := connectTo(t, st, two.WebSocketURL, "Ann again")
	ann2.send(map[string]any{"action": "rejoin", "roomCode": code, "token": annToken})
	back := ann2.room("her seat back in local-2", func(f frame) bool { return f.You != nil && f.You.Symbol == "X" })
	if got := strings.Join(back.Room.Board, ","); got != ",O,,,X,,,,X" {
		t.Fatalf("after the failover the board is %s: a move was lost", got)
	}
	// Bob, who never left, goes on; the game ends with every move there.
	move(code, 2, bob, ann2, bob)
	ann2.send(map[string]any{"action": "move", "roomCode": code, "cell": 0})
	end := bob.room("the end", func(f frame) bool { return f.Room.Status != "playing" })
	if end.Room.Status != "won" || end.Room.Winner != "X" || strings.Join(end.Room.Board, ",") != "X,O,O,,X,,,,X" {
		t.Fatalf("the game ended %s, winner %q, board %v", end.Room.Status, end.Room.Winner, end.Room.Board)
	}

	// The failed Region answers nothing more: new connections there are refused.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if ws, _, err := websocket.Dial(ctx, one.WebSocketURL, nil); err == nil {
		ws.CloseNow()
		t.Fatal("a connection to the failed Region was accepted")
	}
}

// raceRoundsRegions is how many times two players in different Regions move at once.
const raceRoundsRegions = 500

// Both players send a move at the same instant, each through their own Region, round after
// round: exactly one of the two is the legal one and lands, the other is refused; no move is
// applied twice and none that was accepted goes missing.
func TestTwoRegionsRacingMoves(t *testing.T) {
	st := twoRegions(t, true) // a new game every 4 rounds: connections faster than $connect's limit
	var ann, bob *client
	var code string
	newGame := func() {
		if ann != nil {
			ann.ws.CloseNow()
			bob.ws.CloseNow()
		}
		ann = connectTo(t, st, st.Regions[0].WebSocketURL, "Ann")
		bob = connectTo(t, st, st.Regions[1].WebSocketURL, "Bob")
		ann.send(map[string]any{"action": "createRoom", "name": "Ann"})
		code = ann.room("a room", func(f frame) bool { return f.Room.Status == "waiting" }).Room.Code
		bob.send(map[string]any{"action": "joinRoom", "roomCode": code, "name": "Bob"})
		bob.room("the game", func(f frame) bool { return f.Room.Status == "playing" })
		ann.room("the game", func(f frame) bool { return f.Room.Status == "playing" })
	}
	newGame()
	marks, turn := 0, "X" // of the game in progress: cells 0 1 2 3 are played in turn, no win
	for round := range raceRoundsRegions {
		if marks == 4 {
			newGame()
			marks, turn = 0, "X"
		}
		cell := marks
		var wg sync.WaitGroup
		for _, c := range []*client{ann, bob} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.send(map[string]any{"action": "move", "roomCode": code, "cell": cell})
			}()
		}
		wg.Wait()
		other := bob
		if turn == "O" {
			other = ann
		}
		for _, c := range []*client{ann, bob} {
			f, refused := c.awaitMove(cell, c == other)
			if c == other && refused.Code != "not_your_turn" && refused.Code != "cell_taken" {
				t.Fatalf("round %d: %s's move at the same instant got %q, want not_your_turn", round, c.name, refused.Code)
			}
			if f.Room.Board[cell] != turn {
				t.Fatalf("round %d: cell %d holds %q, want %s's", round, cell, f.Room.Board[cell], turn)
			}
			if n := countMarks(f.Room.Board); n != marks+1 {
				t.Fatalf("round %d: %d marks after %d moves: a move was doubled or lost", round, n, marks+1)
			}
		}
		marks++
		turn = map[string]string{"X": "O", "O": "X"}[turn]
	}
}

// awaitMove reads frames until the room shows a mark on cell and, when refused, an error
// frame has come too; it returns both.
func (c *client) awaitMove(cell int, refused bool) (room, err frame) {
	c.t.Helper()
	for room.Type == "" || (refused && err.Type == "") {
		f := c.next(true)
		switch {
		case f.Type == "error" && refused:
			err = f
		case f.Type == "error":
			c.t.Fatalf("%s got error %s: %s", c.name, f.Code, f.Message)
		case f.Type == "room" && f.Room.Board[cell] != "":
			room = f
		}
	}
	return room, err
}

func countMarks(board []string) int {
	n := 0
	for _, c := range board {
		if c != "" {
			n++
		}
	}
	return n
}
