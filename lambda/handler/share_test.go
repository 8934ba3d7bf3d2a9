package handler_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/lambda/ratelimit"
)

// One address's connections, each at exactly the documented per-connection rate, cannot take
// the stage: past the address's share, the connections sending faster than a player's pace
// are refused and then closed, whatever container their frames reach, while two classmates
// on the same address, and two players on another, play and chat without one refusal. With
// the share off, the same flood keeps every connection open.
func TestAddressShareHoldsAcrossContainers(t *testing.T) {
	const school, home = "203.0.113.9", "198.51.100.4"
	const flooders, seconds, containers = 30, 40, 5
	for _, share := range []int{0, -1} {
		t.Run(map[int]string{0: "share on", -1: "share off"}[share], func(t *testing.T) {
			e := newEnv(t, envOptions{frames: defaultFrames, guard: &guard.Limits{Share: share}})
			clock := func() time.Time { return time.Unix(0, e.now.Load()) }
			hs := make([]*handler.Handler, containers)
			for i := range hs {
				hs[i] = e.newContainer(ratelimit.New(capacity.RatePerConnection, capacity.BurstPerConnection, clock),
					ratelimit.New(1.0/capacity.StrikeForgiveSeconds, capacity.StrikesToClose, clock))
			}
			sent := 0
			via := func(id string, frame map[string]any) {
				e.sendVia(hs[sent%containers], id, frame)
				sent++
			}
			// The honest: a game on the flood's address, one on another.
			pairs := [][2]string{{"ann", "bob"}, {"cy", "di"}}
			codes := make([]string, len(pairs))
			for i, p := range pairs {
				addr := map[int]string{0: school, 1: home}[i]
				e.connectFrom(p[0], addr, nil)
				e.connectFrom(p[1], addr, nil)
				codes[i] = e.create(p[0], "Ann")
				e.send(p[1], map[string]any{"action": "joinRoom", "roomCode": codes[i], "name": "Bob"})
			}
			flood := make([]string, flooders)
			floodCodes := make([]string, flooders)
			for i := range flood {
				flood[i] = fmt.Sprintf("f%d", i)
				e.connectFrom(flood[i], school, nil)
				floodCodes[i] = e.create(flood[i], "F")
			}
			e.advance(capacity.FrameWindowSeconds * time.Second) // a fresh window for everyone
			answered, honestMoves, turn := 0, 0, 0
			cells := []int{0, 4, 8, 2, 6, 3, 5, 7, 1} // a draw in nine moves
			for s := range seconds {
				for i, id := range flood {
					if e.conns.Closed(id) {
						continue
					}
					before := e.count(id)
					via(id, map[string]any{"action": "getRoom", "roomCode": floodCodes[i]})
					if e.count(id) > before && e.last(id)["type"] == "room" {
						answered++
					}
				}
				// Each pair moves every second and chats every 10 s; a rematch after each game.
				for i, p := range pairs {
					mover := p[0] // X
					if e.newestRoom(p[0])["turn"] == "O" {
						mover = p[1]
					}
					before := e.count(mover)
					via(mover, map[string]any{"action": "move", "roomCode": codes[i], "cell": cells[turn]})
					if f := e.last(mover); e.count(mover) == before || f["type"] != "room" {
						t.Fatalf("second %d: %s's move answered %v", s, mover, f)
					}
					honestMoves++
					if s%10 == 5 {
						via(p[0], map[string]any{"action": "sendMessage", "roomCode": codes[i], "text": "gg"})
					}
					if turn == len(cells)-1 {
						via(p[0], map[string]any{"action": "rematch", "roomCode": codes[i]})
						via(p[1], map[string]any{"action": "rematch", "roomCode": codes[i]})
					}
				}
				turn = (turn + 1) % len(cells)
				e.advance(time.Second)
			}
			for _, p := range pairs {
				for _, id := range p {
					for _, f := range e.conns.Frames(t, id) {
						if f["type"] == "error" {
							t.Fatalf("%s, an honest player, was answered %v", id, f)
						}
					}
					if e.conns.Closed(id) {
						t.Fatalf("%s, an honest player, was closed", id)
					}
				}
			}
			closed := 0
			for _, id := range flood {
				if e.conns.Closed(id) {
					closed++
				}
			}
			t.Logf("share %d: %d flooding connections closed of %d; %d of their %d frames answered; %d honest moves played",
				share, closed, flooders, answered, flooders*seconds, honestMoves)
			if share < 0 {
				if closed != 0 {
					t.Fatalf("with the share off, %d flooding connections were closed", closed)
				}
				return
			}
			if closed != flooders {
				t.Fatalf("%d of %d flooding connections closed, want all", closed, flooders)
			}
			// Each got its paced frames and a few past them before its address's share ran out.
			if most := flooders * (capacity.PacedFramesPerWindow + capacity.ShareRefusalsToClose); answered > most {
				t.Fatalf("%d flooding frames answered, want at most %d", answered, most)
			}
		})
	}
}
