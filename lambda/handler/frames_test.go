package handler_test

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/lambda/ratelimit"
)

// defaultFrames is a deployment's shared frame limit (lambda/app wires the same).
var defaultFrames = handler.FrameLimit{Window: capacity.FrameWindowSeconds * time.Second,
	PerWindow: capacity.FramesPerWindow(capacity.RatePerConnection, capacity.BurstPerConnection), CloseOver: capacity.StrikesToClose}

// sendVia delivers a frame through container h instead of the env's own.
func (e *env) sendVia(h *handler.Handler, connID string, frame map[string]any) {
	e.t.Helper()
	own := e.h
	e.h = h
	defer func() { e.h = own }()
	e.send(connID, frame)
}

// A connection's frames spread over many warm containers, as API Gateway spreads them on AWS:
// each container's own limiter sees a fraction and lets all through, but the count they share
// in the connection's record holds the connection within twice the documented rate, however
// many containers there are.
func TestFrameLimitHoldsAcrossContainers(t *testing.T) {
	// (In one container the per-container limit closes such a connection itself:
	// TestFloodingConnectionIsClosed.)
	for _, containers := range []int{5, 20} {
		t.Run(fmt.Sprintf("%d containers", containers), func(t *testing.T) {
			e := newEnv(t, envOptions{frames: defaultFrames, guard: &guard.Limits{Strikes: -1}})
			e.connectFrom("x", "203.0.113.9", nil)
			clock := func() time.Time { return time.Unix(0, e.now.Load()) }
			hs := make([]*handler.Handler, containers)
			for i := range hs {
				hs[i] = e.newContainer(ratelimit.New(capacity.RatePerConnection, capacity.BurstPerConnection, clock),
					ratelimit.New(1.0/capacity.StrikeForgiveSeconds, capacity.StrikesToClose, clock))
			}
			code := e.create("x", "Ann")
			const seconds, perSecond = 60, 3 // three times the documented rate, for a minute
			answered := 0
			for i := range seconds * perSecond {
				before := e.count("x")
				e.sendVia(hs[i%containers], "x", map[string]any{"action": "getRoom", "roomCode": code})
				if e.conns.Closed("x") {
					t.Fatalf("closed after %d frames: a connection at %d frames/s is past its limit, not flooding", i, perSecond)
				}
				if e.count("x") > before {
					if f := e.last("x"); f["type"] == "room" {
						answered++
					}
				}
				e.advance(time.Second / perSecond)
			}
			limit := 2 * (capacity.RatePerConnection*seconds + capacity.BurstPerConnection)
			t.Logf("%d containers: %d of %d frames answered in %d s (documented: %d/s, bursts of %d)", containers, answered, seconds*perSecond, seconds, capacity.RatePerConnection, capacity.BurstPerConnection)
			if answered > limit {
				t.Fatalf("%d frames answered in %d s over %d containers, want at most %d (twice the documented rate)", answered, seconds, containers, limit)
			}
			if answered < capacity.RatePerConnection*seconds {
				t.Fatalf("only %d frames answered in %d s: the documented rate is %d/s", answered, seconds, capacity.RatePerConnection)
			}
		})
	}
}

// A connection flooding across containers is closed once its shared count passes the limit
// and the strikes after it, whatever container each frame lands in.
func TestFloodAcrossContainersIsClosed(t *testing.T) {
	e := newEnv(t, envOptions{frames: defaultFrames, guard: &guard.Limits{Strikes: -1}})
	e.connectFrom("x", "203.0.113.9", nil)
	clock := func() time.Time { return time.Unix(0, e.now.Load()) }
	hs := make([]*handler.Handler, 20)
	for i := range hs {
		hs[i] = e.newContainer(ratelimit.New(capacity.RatePerConnection, capacity.BurstPerConnection, clock),
			ratelimit.New(1.0/capacity.StrikeForgiveSeconds, capacity.StrikesToClose, clock))
	}
	code := e.create("x", "Ann")
	for i := range 200 {
		e.sendVia(hs[i%len(hs)], "x", map[string]any{"action": "getRoom", "roomCode": code})
		if e.conns.Closed("x") {
			if max := defaultFrames.PerWindow + defaultFrames.CloseOver + 1; i+2 > max {
				t.Fatalf("closed after %d frames (the room's create included), want at most %d", i+2, max)
			}
			return
		}
	}
	t.Fatal("200 frames in an instant over 20 containers and the connection is still open")
}

// What the shared counts cost: a move played against a person costs its floor (a read and a
// conditional write); every other frame two more writes, the count in its record and its
// address's (the share of the stage), a move against the computer too.
func TestFrameLimitCost(t *testing.T) {
	c := &requestCounter{}
	e := newEnv(t, envOptions{requests: c, frames: defaultFrames, guard: &guard.Limits{}})
	for _, id := range []string{"x", "o"} {
		e.connectFrom(id, "203.0.113.9", nil)
	}
	code := e.create("x", "Ann")
	e.send("o", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Bob"})
	c.take()
	e.advance(2 * time.Second) // a person's move, not a bot's instant answer
	e.move("x", code, 4)
	if got := c.take(); !maps.Equal(got, ops{"GetItem": 1, "PutItem": 1}) {
		t.Fatalf("a move played made %v, want its floor: GetItem 1, PutItem 1", got)
	}
	// A move made at once after the opponent's (a bot answering a bot) is counted.
	e.move("o", code, 0)
	if got := c.take(); !maps.Equal(got, ops{"GetItem": 1, "PutItem": 1, "UpdateItem": 2}) {
		t.Fatalf("an instant move made %v, want its floor and both counts: GetItem 1, PutItem 1, UpdateItem 2", got)
	}
	e.send("o", map[string]any{"action": "getRoom", "roomCode": code})
	if got := c.take(); got["UpdateItem"] != 2 || got["PutItem"] != 0 {
		t.Fatalf("a getRoom made %v, want its reads and two UpdateItems (the connection's and its address's counts)", got)
	}
	e.send("o", map[string]any{"action": "move", "roomCode": code, "cell": 4}) // taken: refused
	if got := c.take(); got["UpdateItem"] != 2 || got["PutItem"] != 0 {
		t.Fatalf("a refused move made %v, want its read and two UpdateItems (the connection's and its address's counts)", got)
	}
	e.connectFrom("solo", "203.0.113.10", nil)
	e.send("solo", map[string]any{"action": "playComputer", "name": "Sol", "level": "easy"})
	solo := e.room("solo")["code"].(string)
	c.take()
	e.advance(2 * time.Second)
	e.move("solo", solo, 4)
	if got := c.take(); !maps.Equal(got, ops{"GetItem": 1, "PutItem": 1, "UpdateItem": 2}) {
		t.Fatalf("a move against the computer made %v, want its floor and both counts: GetItem 1, PutItem 1, UpdateItem 2", got)
	}

}

// getRoom with "watch": false answers with the room and follows nothing: a link's visitor sees
// that the room is full before choosing to watch, and hears nothing more of it.
func TestPeekFollowsNothing(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	e.send("v", map[string]any{"action": "getRoom", "roomCode": code, "watch": false})
	f := e.last("v")
	st, _ := f["room"].(map[string]any)
	if f["type"] != "room" || f["you"] != nil || st["status"] != "playing" || st["players"].(map[string]any)["O"] == nil {
		t.Fatalf("the peek's answer: %v", f)
	}
	seen := e.count("v")
	e.move("x", code, 4)
	if e.count("v") != seen {
		t.Fatalf("a peek follows the room: %v", e.last("v"))
	}
	e.send("v", map[string]any{"action": "getRoom", "roomCode": "ZZZZZ2", "watch": false})
	e.wantError("v", "room_not_found", "getRoom")
}
