package handler_test

// Second review of "an address's share of the stage": honest players at their ordinary pace
// beside a busy address, and bots the share does not see. Each test states the rule it
// checks; a failure is a finding.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/lambda/ratelimit"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// clickComputer is one click of a child playing the computer as the page sends it: a move on
// an empty cell while the game is on (the computer answers in the same frame, so it is always
// the child's turn), else the Rematch button. It reports whether the click was answered with
// an error.
func (e *env) clickComputer(id, code string, rng *rand.Rand) (refused bool) {
	e.t.Helper()
	if e.conns.Closed(id) {
		return false
	}
	r := e.newestRoom(id)
	frame := map[string]any{"action": "rematch", "roomCode": code}
	if r["status"] == "playing" {
		var empty []int
		for i, v := range r["board"].([]any) {
			if s, _ := v.(string); s == "" {
				empty = append(empty, i)
			}
		}
		frame = map[string]any{"action": "move", "roomCode": code, "cell": empty[rng.IntN(len(empty))]}
	}
	n := e.count(id)
	e.send(id, frame)
	return e.count(id) > n && e.last(id)["type"] == "error"
}

// computerPlayers connects n players from the school's address, named prefix0…, each playing
// the computer in a room of its own, and returns them and their rooms.
func (e *env) computerPlayers(prefix string, n int) (ids, codes []string) {
	e.t.Helper()
	ids, codes = make([]string, n), make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%d", prefix, i)
		e.connectFrom(ids[i], schoolIP, nil)
		e.send(ids[i], map[string]any{"action": "playComputer", "name": prefix})
		codes[i] = e.room(ids[i])["code"].(string)
	}
	return ids, codes
}

// Review (classroom, fairness): a computer lab where every child plays the computer (a cell, or
// Rematch when a game ends). The first review found 12 children at a click a second refused and
// closed; now 12 at a click a second stay within the address's share, and 30 at a click every
// 1.5 s are past it but each within a player's pace (8 frames in 10 s): none is refused. (30
// at a click a second, past both, get equal parts: docs/capacity.md says what follows.)
func TestComputerLabAtAClickASecond(t *testing.T) {
	for _, kids := range []int{12, 30} {
		for _, mode := range shareModes {
			t.Run(fmt.Sprintf("%d children, %s", kids, mode.name), func(t *testing.T) {
				e := shareEnv(t, mode.share, nil)
				rng := rand.New(rand.NewPCG(3, 4))
				ids, codes := e.computerPlayers("k", kids)
				e.freshWindow(0)
				const seconds = 30
				click := time.Second // each child's time between clicks
				if kids > 12 {
					click = 1500 * time.Millisecond
				}
				refused := 0
				for range int(seconds * time.Second / click) {
					for i, id := range ids {
						if e.clickComputer(id, codes[i], rng) {
							refused++
						}
						e.advance(click / time.Duration(kids))
					}
				}
				closed := 0
				for _, id := range ids {
					if e.conns.Closed(id) {
						closed++
					}
				}
				t.Logf("%s: %d children clicking every %s for %d s: %d clicks refused, %d children closed", mode.name, kids, click, seconds, refused, closed)
				if refused > 0 || closed > 0 {
					t.Errorf("%d children playing the computer at a click every %s: %d clicks refused, %d of them closed",
						kids, click, refused, closed)
				}
			})
		}
	}
}

// Review (attack, fairness): an address's count is a fixed window, and a connection's pace is
// only looked at once the address is past its share. A hostile client on the address sends
// its 100 frames at each window's start (10 connections × 10 getRooms, within every
// connection's own limit and the per-container burst), while the count is still within the
// share, so none of them is ever judged; 5 connections more send one frame each, pushing the
// count past the share and the connections of the window to 16, so that every other
// connection's fair part falls to the floor (7). It is never refused nor closed. Beside it, one
// child plays the computer at a click a second: refused and closed, again and again. The same
// from other /64s of the child's IPv6 /48 (another household on the same carrier or campus),
// whose share (300) the attacker fills with paced connections (60 × 6 frames spread over the
// window, a sliding pace of 7 at most), each on its own /64.
func TestCheapSwarmHoldsNeighboursToTheFloor(t *testing.T) {
	type swarm struct {
		name    string
		kidIP   string
		fast    int // connections sending 10 frames at each window's start
		singles int // connections sending 1 frame after them
		paced   int // connections sending 6 frames spread over the window, each on its own /64
	}
	for _, sw := range []swarm{
		{name: "alone", kidIP: schoolIP},
		{name: "IPv4, beside a burst at each window's start", kidIP: schoolIP, fast: 10, singles: 5},
		{name: "IPv6, other /64s of its /48 at a player's pace", kidIP: "2001:db8:77:ffff::1", paced: 60},
	} {
		t.Run(sw.name, func(t *testing.T) {
			e := shareEnv(t, 0, nil)
			e.connectFrom("kid", sw.kidIP, nil)
			e.send("kid", map[string]any{"action": "playComputer", "name": "Kid"})
			kidCode := e.room("kid")["code"].(string)
			e.connectFrom("host", homeIP, nil)
			code := e.create("host", "Host")
			var fast, singles, paced []string
			for i := range sw.fast {
				fast = append(fast, fmt.Sprintf("f%d", i))
				e.connectFrom(fast[i], sw.kidIP, nil)
			}
			for i := range sw.singles {
				singles = append(singles, fmt.Sprintf("s%d", i))
				e.connectFrom(singles[i], sw.kidIP, nil)
			}
			for i := range sw.paced {
				paced = append(paced, fmt.Sprintf("p%d", i))
				e.connectFrom(paced[i], fmt.Sprintf("2001:db8:77:%x::1", i+1), nil)
			}
			attacker := append(append(append([]string{}, fast...), singles...), paced...)
			peek := map[string]any{"action": "getRoom", "roomCode": code, "watch": false}
			rng := rand.New(rand.NewPCG(5, 6))
			e.freshWindow(0)
			const windows = 4
			kidRefused, attackerFrames := 0, 0
			for range windows {
				start := e.now.Load()
				for range 10 {
					for _, id := range fast {
						e.send(id, peek)
						attackerFrames++
					}
				}
				for _, id := range singles {
					e.send(id, peek)
					attackerFrames++
				}
				for tick := range 10 { // the child clicks at 0.5 s, 1.5 s, …; the paced swarm beside it
					e.now.Store(start + int64(tick)*int64(time.Second) + int64(500*time.Millisecond))
					if e.clickComputer("kid", kidCode, rng) {
						kidRefused++
					}
					if tick == 0 || tick == 2 || tick == 3 || tick == 5 || tick == 7 || tick == 8 { // a sliding pace of 7 at most
						for _, id := range paced {
							e.send(id, peek)
							attackerFrames++
						}
					}
				}
				e.now.Store(start + int64(capacity.FrameWindowSeconds*time.Second))
			}
			attackerTroubles := 0
			for _, id := range attacker {
				errs, closed := e.troubles(id, 0)
				attackerTroubles += len(errs)
				if closed {
					attackerTroubles++
				}
			}
			errs, closed := e.troubles("kid", 0)
			t.Logf("%s: the attacker sent %d frames in %d windows with %d refusals or closes; the child clicking once a second got %d errors %v, closed %v",
				sw.name, attackerFrames, windows, attackerTroubles, kidRefused, errs, closed)
			if len(errs) > 0 || closed {
				t.Errorf("a child playing the computer at a click a second (half its own limit) was refused %v / closed %v, "+
					"while the %d connections that filled its address's share had %d refusals or closes", errs, closed, len(attacker), attackerTroubles)
			}
		})
	}
}

// Review (attack): a move played against a person is never counted, neither in its
// connection's count across containers nor in its address's share, because "turns bound how
// many a connection plays". When both players are bots of one address, nothing bounds how fast
// the turns alternate but each container's own limiter (1 frame a second per connection per
// container). 13 pairs of bots on one address play each other, every frame of a connection
// going to the next of 5 warm containers, 9-move games with a rematch each (the only counted
// frame: about 6 per connection per 10 s, within a player's pace). The X bots send 34 frames
// per 10 s, past their own limit across containers (20) that the frame count is said to hold
// "however many containers its frames reach", and the 26 connections together 888 per window
// (89/s, 29 connections make the default stage's 100/s) from one address, not one frame
// refused. docs/capacity.md says a default stage takes 143 connections at a player's pace.
func TestPersonMoveBotsHoldTheStage(t *testing.T) {
	const pairs, containers, seconds = 13, 5, 30
	e := shareEnv(t, 0, nil)
	clock := func() time.Time { return time.Unix(0, e.now.Load()) }
	hs := make([]*handler.Handler, containers)
	for i := range hs {
		hs[i] = e.newContainer(ratelimit.New(capacity.RatePerConnection, capacity.BurstPerConnection, clock),
			ratelimit.New(1.0/capacity.StrikeForgiveSeconds, capacity.StrikesToClose, clock))
	}
	sent := map[string]int{}
	served := map[string]int{}
	troubles := 0
	via := func(id string, frame map[string]any) {
		n := e.count(id)
		e.sendVia(hs[sent[id]%containers], id, frame)
		sent[id]++
		switch {
		case e.conns.Closed(id):
			troubles++
		case e.count(id) > n && e.last(id)["type"] == "error":
			troubles++
		default:
			served[id]++
		}
	}
	xs, os, codes := make([]string, pairs), make([]string, pairs), make([]string, pairs)
	for i := range pairs {
		xs[i], os[i] = fmt.Sprintf("x%d", i), fmt.Sprintf("o%d", i)
		e.connectFrom(xs[i], schoolIP, nil)
		e.connectFrom(os[i], schoolIP, nil)
		codes[i] = e.create(xs[i], "X")
		e.send(os[i], map[string]any{"action": "joinRoom", "roomCode": codes[i], "name": "O"})
	}
	e.freshWindow(0)
	for k := range served {
		served[k] = 0
	}
	// A game a tick per move and one for both rematches: 10 ticks, 6 games and a bit per 10 s
	// (a rematch pace within a player's).
	tick := 10 * time.Second / 62
	end := e.now.Load() + int64(seconds*time.Second)
	for e.now.Load() < end {
		for i := range pairs {
			r := e.newestRoom(xs[i])
			switch {
			case r["status"] == "playing":
				mover := xs[i]
				if r["turn"] == "O" {
					mover = os[i]
				}
				via(mover, map[string]any{"action": "move", "roomCode": codes[i], "cell": bestCell(r["board"].([]any), r["turn"].(string))})
			default:
				via(xs[i], map[string]any{"action": "rematch", "roomCode": codes[i]})
				via(os[i], map[string]any{"action": "rematch", "roomCode": codes[i]})
			}
		}
		e.advance(tick)
	}
	closed, total, most := 0, 0, 0
	for _, id := range append(append([]string{}, xs...), os...) {
		if e.conns.Closed(id) {
			closed++
		}
		total += served[id]
		most = max(most, served[id])
	}
	perWindow := float64(total) / seconds * capacity.FrameWindowSeconds
	perConn := float64(most) / seconds * capacity.FrameWindowSeconds
	limit := capacity.FramesPerWindow(capacity.RatePerConnection, capacity.BurstPerConnection)
	t.Logf("%d bot connections of one address over %d containers, %d s: %.0f frames per 10 s together (%.0f/s), up to %.0f per connection per 10 s (own limit %d); "+
		"%d errors, %d closed; the doc says a default stage takes %d paced connections",
		2*pairs, containers, seconds, perWindow, perWindow/capacity.FrameWindowSeconds, perConn, limit, troubles, closed, capacity.Default().PacedConnectionsToFillStage())
	if perConn > float64(limit) {
		t.Errorf("a bot connection sent %.0f frames per 10 s, past its own limit across containers (%d)", perConn, limit)
	}
	if bound := float64(capacity.AddressFramesPerWindow + 2*pairs*capacity.PacedFramesPerWindow); perWindow > bound {
		t.Errorf("one address's %d connections sent %.0f frames per window, none refused: past its share plus its connections' paces (%.0f)", 2*pairs, perWindow, bound)
	}
}

// Review (bug, version bump): a frame's count now advances the connection record's version.
// Rejoin (like a watch and a quick match) writes the record whole under the version it read,
// and on a conflict takes the seat back (the player shown offline again, and the room told)
// and rejoins from a fresh read. The page sends other frames beside its rejoin: on reconnect,
// "Your games" asks again what it had not been answered (myGames, leaderboard), and the
// outbox flushes. One such frame counted while the rejoin is between its room write and its
// record write used to be harmless (the count did not touch the version); now the opponent
// gets the room twice (the undo's "offline", then "online"), and the room is written three
// times instead of once. Rare and brief (both frames within the rejoin's few milliseconds),
// and the player shows offline only where it was offline already: a cost, not a fault, which
// docs/capacity.md states. The test holds what matters: the rejoin ends seated and online,
// with one retry at most.
func TestRejoinBesideAnotherFrameIsUndone(t *testing.T) {
	e := shareEnv(t, 0, nil)
	e.connectFrom("kid", schoolIP, nil)
	e.connectFrom("pal", homeIP, nil)
	code := e.create("kid", "Kid")
	e.send("pal", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Pal"})
	token := e.tokens["kid"]
	e.disconnect("kid")
	e.connectFrom("kid2", schoolIP, nil)
	e.advance(time.Second)
	from := e.count("pal")
	var fired atomic.Bool
	gate := func(ctx context.Context, op string) {
		if op == "SavedRoom" && fired.CompareAndSwap(false, true) {
			// The rejoin's room write has landed; its record write comes next.
			if err := e.deliver("kid2", map[string]any{"action": "leaderboard"}); err != nil {
				t.Error(err)
			}
		}
	}
	puts := 0
	hook := func(ctx context.Context, c *store.Connection) error {
		if c.ID == "kid2" {
			puts++
		}
		return nil
	}
	e.store.beforeConnPut.Store(&hook)
	e.store.gate.Store(&gate)
	e.send("kid2", map[string]any{"action": "rejoin", "roomCode": code, "token": token})
	e.store.gate.Store(nil)
	e.store.beforeConnPut.Store(nil)
	var seen []string
	flashes := 0
	for _, f := range e.conns.Frames(t, "pal")[from:] {
		r, ok := f["room"].(map[string]any)
		if f["type"] != "room" || !ok {
			continue
		}
		x, _ := r["players"].(map[string]any)["X"].(map[string]any)
		online := x["online"] == true
		seen = append(seen, fmt.Sprintf("v%v online=%v", r["version"], online))
		if !online {
			flashes++ // the seat taken back: the player was offline already before the rejoin
		}
	}
	t.Logf("the opponent's room frames during one rejoin: %v; the rejoin wrote its record %d time(s)", seen, puts)
	if puts > 2 || flashes > 1 || len(seen) == 0 || seen[len(seen)-1][len(seen[len(seen)-1])-4:] != "true" {
		t.Errorf("one rejoin beside one counted frame of its connection: %d record writes, "+
			"the opponent's room frames %v; want it online at the end, after one retry at most", puts, seen)
	}
	if rec, err := e.store.GetConnection(context.Background(), "kid2"); err != nil || rec.RoomCode != code {
		t.Errorf("kid2's record after the rejoin: %+v, %v", rec, err)
	}
}
