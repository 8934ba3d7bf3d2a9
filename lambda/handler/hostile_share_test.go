package handler_test

// Review of "an address's share of the stage": attacks on it and honest crowds beside it.
// Each test states the fairness rule it checks; a failure is a finding.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/ratelimit"
)

const (
	schoolIP = "203.0.113.9"
	homeIP   = "198.51.100.4"
)

var shareModes = []struct {
	name  string
	share int
}{{"share on", 0}, {"share off", -1}}

// shareEnv is the backend with the deployment's frame limits, the given share (0: default,
// -1: off) and one container with production's per-connection limiter and strikes.
func shareEnv(t *testing.T, share int, requests *requestCounter) *env {
	t.Helper()
	e := newEnv(t, envOptions{frames: defaultFrames, guard: &guard.Limits{Share: share}, requests: requests})
	clock := func() time.Time { return time.Unix(0, e.now.Load()) }
	e.h = e.newContainer(ratelimit.New(capacity.RatePerConnection, capacity.BurstPerConnection, clock),
		ratelimit.New(1.0/capacity.StrikeForgiveSeconds, capacity.StrikesToClose, clock))
	return e
}

// freshWindow moves the clock to the start of a window after a silent one, plus at.
func (e *env) freshWindow(at time.Duration) {
	w := int64(capacity.FrameWindowSeconds * time.Second)
	now := e.now.Load()
	e.now.Store((now/w+2)*w + int64(at))
}

// troubles lists the error frames id received since frame index from, and whether it is closed.
func (e *env) troubles(id string, from int) (errs []string, closed bool) {
	for _, f := range e.conns.Frames(e.t, id)[from:] {
		if f["type"] == "error" {
			errs = append(errs, fmt.Sprintf("%v %v", f["code"], f["action"]))
		}
	}
	return errs, e.conns.Closed(id)
}

// Review (fairness): a neighbour who is not misbehaving is refused and closed because other
// connections of its address used the share, even when those other connections are
// themselves never refused. Two neighbourhoods:
//
//   - a hostile swarm: 34 connections at exactly a player's pace (3 getRooms each at the
//     window's start): 102 frames, none of them refused, so the attacker pays nothing;
//   - a carrier NAT: 200 phones sending one frame each in the window (the doc's own example:
//     "200 a window, none refused").
//
// Beside them, a child whose Wi-Fi blipped comes back on a new connection (rejoin, then a
// getRoom) and types three short chat lines over the next few seconds: 5 frames in 10 s, a
// quarter of the per-connection limit (20 a window). With the share on, its 4th frame is
// refused "from your network" and its 5th closes it; with the share off it plays on. The rule
// is that a limit charges the device that misbehaves, never the address's other users.
func TestHonestNeighbourClosedForOthersFrames(t *testing.T) {
	swarms := []struct {
		name        string
		conns, each int
	}{
		{"a paced hostile swarm of 34", 34, capacity.PacedFramesPerWindow},
		{"a carrier NAT of 200 phones at one frame each", 200, 1},
	}
	for _, sw := range swarms {
		for _, mode := range shareModes {
			t.Run(sw.name+", "+mode.name, func(t *testing.T) {
				e := shareEnv(t, mode.share, nil)
				e.connectFrom("kid", schoolIP, nil)
				e.connectFrom("pal", homeIP, nil)
				code := e.create("kid", "Kid")
				e.send("pal", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Pal"})
				token := e.tokens["kid"]
				swarm := make([]string, sw.conns)
				for i := range swarm {
					swarm[i] = fmt.Sprintf("s%d", i)
					e.connectFrom(swarm[i], schoolIP, nil)
				}
				e.freshWindow(100 * time.Millisecond)
				swarmRefused := 0
				for range sw.each {
					for _, id := range swarm {
						n := e.count(id)
						e.send(id, map[string]any{"action": "getRoom", "roomCode": code, "watch": false})
						if errs, closed := e.troubles(id, n); len(errs) > 0 || closed {
							swarmRefused++
						}
						e.advance(5 * time.Millisecond)
					}
				}
				// The Wi-Fi blip: the page reconnects and rejoins its seat.
				e.disconnect("kid")
				e.connectFrom("kid2", schoolIP, nil)
				e.advance(time.Second)
				e.send("kid2", map[string]any{"action": "rejoin", "roomCode": code, "token": token})
				e.send("kid2", map[string]any{"action": "getRoom", "roomCode": code})
				for _, text := range []string{"sorry", "wifi", "back"} {
					e.advance(1500 * time.Millisecond)
					if e.conns.Closed("kid2") {
						break
					}
					e.send("kid2", map[string]any{"action": "sendMessage", "roomCode": code, "text": text})
				}
				errs, closed := e.troubles("kid2", 0)
				t.Logf("%s: the swarm sent %d frames, %d of them refused; the child's 5 frames in 6 s got errors %v, closed %v",
					mode.name, sw.conns*sw.each, swarmRefused, errs, closed)
				if len(errs) > 0 || closed {
					t.Errorf("an honest child at 5 frames in 10 s (a quarter of its own limit) was refused %v / closed %v for its neighbours' frames, "+
						"while the %d swarm connections that spent the share had %d refusals", errs, closed, sw.conns, swarmRefused)
				}
			})
		}
	}
}

// Review (classroom): 30 children behind one school address in one 10 s window, no flooder:
// 15 create a room, 15 open the invite link (the page's getRoom peek, then joinRoom), then
// each types a few short chat lines. "hi" alone fits (75 frames); "hi" + "ready?" is 105
// frames and a guest's 4th; "hi" + "ready?" + "go" is a guest's 5th. Every child stays far
// within its own limit (20 a window).
func TestClassroomJoinsAndChats(t *testing.T) {
	for _, lines := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("%d chat lines each", lines), func(t *testing.T) {
			e := shareEnv(t, 0, nil)
			const pairs = 15
			hosts, guests := make([]string, pairs), make([]string, pairs)
			for i := range pairs {
				hosts[i], guests[i] = fmt.Sprintf("h%d", i), fmt.Sprintf("g%d", i)
				e.connectFrom(hosts[i], schoolIP, nil)
				e.connectFrom(guests[i], schoolIP, nil)
			}
			e.freshWindow(500 * time.Millisecond)
			rng := rand.New(rand.NewPCG(1, 2))
			codes := make([]string, pairs)
			step := func(do func(i int)) { // every pair once, in a random order, over a second
				for _, i := range rng.Perm(pairs) {
					do(i)
					e.advance(time.Second / pairs)
				}
			}
			step(func(i int) { codes[i] = e.create(hosts[i], "H") })
			step(func(i int) {
				e.send(guests[i], map[string]any{"action": "getRoom", "roomCode": codes[i], "watch": false})
			})
			step(func(i int) {
				e.send(guests[i], map[string]any{"action": "joinRoom", "roomCode": codes[i], "name": "G"})
			})
			for l := range lines {
				kids := append(append([]string{}, hosts...), guests...)
				for _, k := range rng.Perm(len(kids)) {
					id := kids[k]
					if !e.conns.Closed(id) {
						e.send(id, map[string]any{"action": "sendMessage", "roomCode": codes[k%pairs], "text": fmt.Sprintf("line %d", l)})
					}
					e.advance(time.Second / 20)
				}
			}
			refused, closed := 0, 0
			for _, id := range append(append([]string{}, hosts...), guests...) {
				errs, c := e.troubles(id, 0)
				refused += len(errs)
				if c {
					closed++
				}
			}
			t.Logf("%d chat lines: %d refusals, %d children closed, all within %v", lines, refused, closed, time.Duration(e.now.Load()%int64(10*time.Second)))
			if refused > 0 || closed > 0 {
				t.Errorf("a class of 30 joining and chatting %d lines each: %d frames refused, %d children closed", lines, refused, closed)
			}
		})
	}
}

// Review (classroom + protocol): the server itself tells a quick match to ask again in 1 s
// when the queue is contended (retryIn 1), and the page does, after 1 to 2 s. A child on an
// address past its share (here a class's worth of paced frames) obeying it is refused at its
// 4th ask and closed at its 5th: the page then says "The connection dropped, which ended your
// wait for an opponent".
func TestQuickMatchRetriesCloseAChild(t *testing.T) {
	for _, mode := range shareModes {
		t.Run(mode.name, func(t *testing.T) {
			e := shareEnv(t, mode.share, nil)
			e.connectFrom("host", homeIP, nil)
			code := e.create("host", "Host")
			e.connectFrom("kid", schoolIP, nil)
			class := make([]string, 34)
			for i := range class {
				class[i] = fmt.Sprintf("c%d", i)
				e.connectFrom(class[i], schoolIP, nil)
			}
			e.freshWindow(100 * time.Millisecond)
			for range capacity.PacedFramesPerWindow {
				for _, id := range class {
					e.send(id, map[string]any{"action": "getRoom", "roomCode": code, "watch": false})
				}
			}
			e.contendQueue()
			asks := 0
			for asks < 6 && !e.conns.Closed("kid") {
				e.send("kid", quickMatch("kid"))
				asks++
				f := e.last("kid")
				if f["type"] == "queued" && f["retryIn"] != nil {
					e.advance(1500 * time.Millisecond) // retryIn 1, plus the page's jitter
					continue
				}
				if f["type"] == "error" {
					e.advance(2 * time.Second) // the child clicks Quick match again
					continue
				}
				break
			}
			errs, closed := e.troubles("kid", 0)
			t.Logf("%s: %d asks, errors %v, closed %v", mode.name, asks, errs, closed)
			if len(errs) > 0 || closed {
				t.Errorf("a child doing what retryIn told it was refused %v / closed %v", errs, closed)
			}
		})
	}
}

// Review (attack): a played move is never counted, in a connection's pace nor in its address's
// share, on the grounds that "turns bound how many a connection plays". Against the computer
// nothing bounds them: its move comes back in the same frame. 40 connections from one address
// play the computer at the per-connection rate (1 frame a second: moves, and a rematch when a
// game ends) for 30 s. Each stays at about 2 counted frames per 10 s, within a player's pace,
// so none is ever refused, and the address sends 4 frames a second per connection: 100 such
// connections (the doc's own opening example) take a default stage, not the 334 the doc says,
// and every one of those frames is a room write and a post.
func TestHostileComputerGamesEscapeTheShare(t *testing.T) {
	e := shareEnv(t, 0, nil)
	const conns, seconds = 40, 30
	ids, codes := e.computerPlayers("b", conns)
	e.freshWindow(0)
	served, refused, counted := 0, 0, 0
	codesSeen := map[string]int{}
	for range seconds {
		for i, id := range ids {
			if e.conns.Closed(id) {
				continue
			}
			r := e.newestRoom(id)
			frame := map[string]any{"action": "rematch", "roomCode": codes[i]}
			if r["status"] == "playing" {
				frame = map[string]any{"action": "move", "roomCode": codes[i], "cell": bestCell(r["board"].([]any), r["turn"].(string))}
			} else {
				counted++
			}
			n := e.count(id)
			e.send(id, frame)
			switch f := e.last(id); {
			case e.count(id) == n:
			case f["type"] == "room":
				served++
			case f["type"] == "error":
				refused++
				codesSeen[fmt.Sprint(f["code"], " ", f["action"])]++
			}
		}
		e.advance(time.Second)
	}
	closed := 0
	for _, id := range ids {
		if e.conns.Closed(id) {
			closed++
		}
	}
	perConn := float64(served) / seconds / conns
	window := float64(served) / seconds * capacity.FrameWindowSeconds
	bound := float64(capacity.AddressFramesPerWindow + conns*capacity.PacedFramesPerWindow)
	t.Logf("%d connections, %d s: %d frames served (%.0f per 10 s window from one address; the doc bounds it by %.0f), %d counted, %d refused %v, %d closed; "+
		"%.2f frames/s per connection: %.0f such connections take a default stage (doc: %d)",
		conns, seconds, served, window, bound, counted, refused, codesSeen, closed, perConn,
		capacity.Default().StageRate()/perConn, capacity.Default().PacedConnectionsToFillStage())
	if window > bound {
		t.Errorf("one address sent %.0f frames per window, none refused: past its share (%d) plus its connections' paces (%d × %d)",
			window, capacity.AddressFramesPerWindow, conns, capacity.PacedFramesPerWindow)
	}
}

// Review (cost): what docs/capacity.md says a counted frame costs: two writes (its
// connection's count and its address's), one more for an IPv6 address's /48, and one more at
// a connection's first frame of a window (the count's conditional write for the same window
// fails first, and a failed write is billed too).
func TestShareWritesPerFrame(t *testing.T) {
	for _, tc := range []struct{ name, ip string }{{"IPv4", schoolIP}, {"IPv6", "2001:db8:5:6::7"}} {
		t.Run(tc.name, func(t *testing.T) {
			req := &requestCounter{}
			e := shareEnv(t, 0, req)
			e.connectFrom("c", tc.ip, nil)
			code := e.create("c", "C")
			e.freshWindow(time.Second)
			e.send("c", map[string]any{"action": "getRoom", "roomCode": code}) // after a silent window
			e.advance(time.Second)
			req.take()
			e.send("c", map[string]any{"action": "getRoom", "roomCode": code}) // within the window
			within := req.take()["UpdateItem"]
			e.advance(capacity.FrameWindowSeconds * time.Second) // the next window, after an active one
			e.send("c", map[string]any{"action": "getRoom", "roomCode": code})
			first := req.take()["UpdateItem"]
			want := map[string]int{"IPv4": 2, "IPv6": 3}[tc.name]
			if within != want || first != want+1 {
				t.Errorf("%s: a getRoom costs %d writes within a window and %d at a window's start; docs/capacity.md says %d and %d", tc.name, within, first, want, want+1)
			}
		})
	}
}

// bestCell is a perfect player's move for mark on board (minimax): against the perfect
// computer every game is a draw, the longest a game lasts.
func bestCell(board []any, mark string) int {
	b := make([]string, 9)
	for i, v := range board {
		b[i], _ = v.(string)
	}
	if slices.Equal(b, make([]string, 9)) {
		return 4 // the centre: a draw (and the search skipped)
	}
	other := map[string]string{"X": "O", "O": "X"}
	lines := [][3]int{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {0, 3, 6}, {1, 4, 7}, {2, 5, 8}, {0, 4, 8}, {2, 4, 6}}
	var score func(turn string) int // the outcome for mark, with turn to move
	score = func(turn string) int {
		for _, l := range lines {
			if b[l[0]] != "" && b[l[0]] == b[l[1]] && b[l[1]] == b[l[2]] {
				if b[l[0]] == mark {
					return 1
				}
				return -1
			}
		}
		best, moved := 0, false
		for i := range b {
			if b[i] != "" {
				continue
			}
			b[i] = turn
			s := score(other[turn])
			b[i] = ""
			if !moved || (turn == mark && s > best) || (turn != mark && s < best) {
				best, moved = s, true
			}
		}
		return best
	}
	cell, best := -1, -2
	for i := range b {
		if b[i] != "" {
			continue
		}
		b[i] = mark
		if s := score(other[mark]); s > best {
			cell, best = i, s
		}
		b[i] = ""
	}
	return cell
}
