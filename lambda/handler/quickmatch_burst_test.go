package handler_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

func quickMatch(name string) map[string]any {
	return map[string]any{"action": "quickMatch", "name": name}
}

// quickOutcome sorts players by what they saw: paired (a room frame with their seat), waiting
// (queued, no room since) or failed (an error frame).
func (e *env) quickOutcome(ids []string) (paired, waiting, failed []string) {
	e.t.Helper()
	for _, id := range ids {
		var room, queued, errored bool
		for _, f := range e.conns.Frames(e.t, id) {
			switch f["type"] {
			case "room":
				if you, ok := f["you"].(map[string]any); ok && you["token"] != "" {
					room = true
				}
			case "queued":
				queued = true
			case "error":
				errored = true
			}
		}
		switch {
		case errored:
			failed = append(failed, id)
		case room:
			paired = append(paired, id)
		case queued:
			waiting = append(waiting, id)
		}
	}
	return paired, waiting, failed
}

// A burst of players pressing Quick match at the same instant: nobody is answered with an
// error, everyone is paired or waits, at most one waits (an odd one out: the queue never holds
// two players who could be paired), nobody is paired twice or with themselves, and once the
// one left waiting cancels, the queue is empty.
func TestQuickMatchBurst(t *testing.T) {
	for _, n := range []int{9, 20, 30, 50} {
		t.Run(fmt.Sprintf("%d at once", n), func(t *testing.T) {
			requests := &requestCounter{}
			e := newEnv(t, envOptions{requests: requests})
			ids := make([]string, n)
			start := make(chan struct{})
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for i := range ids {
				ids[i] = fmt.Sprintf("p%02d", i)
				wg.Add(1)
				go func(id string) {
					defer wg.Done()
					<-start
					errs <- e.deliver(id, quickMatch(id))
				}(ids[i])
			}
			began := time.Now()
			close(start)
			wg.Wait()
			took := time.Since(began)
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			paired, waiting, failed := e.quickOutcome(ids)
			t.Logf("%d at once: %d paired, %d waiting, %d errors, in %v; DynamoDB requests %v", n, len(paired), len(waiting), len(failed), took.Round(time.Millisecond), requests.take())
			if len(failed) != 0 {
				t.Errorf("%d of %d players were answered with an error: %v (first: %v)", len(failed), n, failed, e.last(failed[0]))
			}
			if len(paired)+len(waiting) != n || len(waiting) != n%2 {
				t.Errorf("%d paired and %d waiting of %d; want all paired but the odd one out", len(paired), len(waiting), n)
			}
			for _, id := range waiting {
				e.send(id, map[string]any{"action": "cancelQuickMatch"})
				if f := e.last(id); f["type"] != "unqueued" {
					t.Fatalf("%s cancelled: %v", id, f)
				}
			}
			if q := e.queue(); len(q.Entries) != 0 {
				t.Fatalf("queue after the cancels: %+v", q.Entries)
			}
			for _, id := range ids {
				if rec, err := e.store.GetConnection(context.Background(), id); err != nil || rec.Queued {
					t.Fatalf("%s after the cancels: %+v (%v), want not queued", id, rec, err)
				}
			}
			if seated := e.checkQuickRooms(ids, nil); len(seated) != len(paired) {
				t.Errorf("%d players seated in rooms, %d told they were paired", len(seated), len(paired))
			}
		})
	}
}

// A pairing that fails after its room was written leaves no room behind and nobody shown
// online in a room they were never told of, even when the waiting player's own $disconnect
// changed the room meanwhile; the player who was waiting waits on, and trying again works.
// Each case fails the record write of b, who arrives while a waits, or of a, as noted.
func TestQuickMatchFailedPairingLeavesNoRoom(t *testing.T) {
	for _, tc := range []struct {
		name string
		// fail is called at the failing record write (of connection failOn); it may act
		// meanwhile, and returns the write's error (nil: the write goes ahead).
		failOn string
		fail   func(e *env, c *store.Connection) error
		// wantB is b's answer; then, after b asks again: the rooms, and who waits.
		wantB      string
		wantRooms  int
		wantQueued []string
	}{{
		name:   "the waiting player's record cannot be written",
		failOn: "a",
		fail:   func(e *env, c *store.Connection) error { return errInjected },
		wantB:  "error", wantRooms: 1,
	}, {
		name:   "the arriver's record cannot be written, and the waiting player dropped meanwhile",
		failOn: "b",
		fail: func(e *env, c *store.Connection) error {
			e.disconnect("a")
			return errInjected
		},
		wantB: "error", wantQueued: []string{"b"},
	}, {
		name:   "another frame of the arriver wins, the waiting player dropped and c arrived meanwhile",
		failOn: "b",
		fail: func(e *env, c *store.Connection) error {
			e.disconnect("a")
			e.send("c", quickMatch("c"))
			// Another frame of b changes its record first: b's write loses, and b starts again.
			rec, err := e.store.Store.GetConnection(context.Background(), "b")
			if errors.Is(err, store.ErrNotFound) {
				rec, err = store.Connection{ID: "b"}, nil // no $connect here: no record yet
			}
			if err != nil {
				return err
			}
			rec.Misses++
			return e.store.Store.PutConnection(context.Background(), &rec)
		},
		wantB: "room", wantRooms: 1,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			e.send("a", quickMatch("a"))
			var fired atomic.Bool
			hook := func(ctx context.Context, c *store.Connection) error {
				if c.ID != tc.failOn || c.RoomCode == "" || fired.Swap(true) {
					return nil
				}
				return tc.fail(e, c)
			}
			e.store.beforeConnPut.Store(&hook)
			e.send("b", quickMatch("b"))
			if f := e.last("b"); f["type"] != tc.wantB {
				t.Fatalf("b's answer: %v, want %s", f, tc.wantB)
			}
			if !fired.Load() {
				t.Fatal("the fault never fired")
			}
			// Nobody shows online in two rooms, or in a room they never heard of.
			for conn, h := range e.seatsOf() {
				if len(h.online) > 1 {
					t.Errorf("%s shows online in %v", conn, h.online)
				}
			}
			if tc.wantB == "error" {
				if len(e.rooms()) != 0 {
					t.Fatalf("rooms left after the failed pairing: %v", e.seatsOf())
				}
				e.send("b", quickMatch("b")) // trying again
			}
			seated := e.checkQuickRooms([]string{"a", "b", "c"}, nil)
			if len(e.rooms()) != tc.wantRooms {
				t.Errorf("%d rooms (%v), want %d", len(e.rooms()), seated, tc.wantRooms)
			}
			var queued []string
			for _, q := range e.queue().Entries {
				queued = append(queued, q.ConnID)
			}
			if fmt.Sprint(queued) != fmt.Sprint(tc.wantQueued) {
				t.Errorf("queue %v, want %v", queued, tc.wantQueued)
			}
		})
	}
}

// An honest player who leaves a fresh quick match at once waits a short cooldown before being
// paired again, behind whoever waits; leaving after a move, after the partner left, or after
// some seconds costs nothing; a second quick leave doubles the cooldown.
func TestQuickMatchCooldown(t *testing.T) {
	for _, tc := range []struct {
		name string
		// before is what happens in the room of a (X) and b (O) before a leaves it.
		before func(e *env, code, b string)
		// leaves is how many quick leaves a makes in a row.
		leaves int
		want   time.Duration // a's cooldown: 0 for none
	}{
		{"leaves at once", func(*env, string, string) {}, 1, 10 * time.Second},
		{"leaves at once twice", func(*env, string, string) {}, 2, 20 * time.Second},
		{"leaves after a move", func(e *env, code, _ string) { e.move("a", code, 4) }, 1, 0},
		{"leaves after the partner left", func(e *env, code, b string) {
			e.send(b, map[string]any{"action": "leaveRoom", "roomCode": code})
		}, 1, 0},
		{"leaves 15 seconds later", func(e *env, _, _ string) { e.advance(15 * time.Second) }, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			for i := range tc.leaves {
				b := fmt.Sprintf("b%d", i)
				e.send("a", quickMatch("a"))
				if i > 0 { // cooling down: queued; asked again once it is over, and paired
					e.advance(10 * time.Second)
					e.send("a", quickMatch("a"))
				}
				e.send(b, quickMatch(b))
				code := e.room("a")["code"].(string)
				if you := e.last("a")["you"].(map[string]any); you["symbol"] != "X" {
					t.Fatalf("a's seat %v", you)
				}
				tc.before(e, code, b)
				if i == tc.leaves-1 {
					break
				}
				e.send("a", map[string]any{"action": "leaveRoom", "roomCode": code})
				e.send(b, map[string]any{"action": "leaveRoom", "roomCode": code})
			}
			e.send("c", quickMatch("c")) // waiting when a asks again
			e.send("a", quickMatch("a")) // leaves the room for the queue
			if tc.want == 0 {
				if f := e.last("a"); f["type"] != "room" || f["room"].(map[string]any)["players"].(map[string]any)["X"].(map[string]any)["name"] != "c" {
					t.Fatalf("a asked again: %v, want paired with c at once", f)
				}
				return
			}
			if f := e.last("a"); f["type"] != "queued" || f["retryIn"] != tc.want.Seconds() {
				t.Fatalf("a asked again within its cooldown: %v, want queued with retryIn %v", f, tc.want.Seconds())
			}
			e.advance(tc.want - time.Second)
			e.send("d", quickMatch("d")) // c waited first, a still cools down
			if f := e.last("c"); f["type"] != "room" || f["room"].(map[string]any)["players"].(map[string]any)["O"].(map[string]any)["name"] != "d" {
				t.Fatalf("c after d asked: %v, want paired with d", f)
			}
			e.send("g", quickMatch("g")) // a still cools down: g waits
			if f := e.last("g"); f["type"] != "queued" || f["retryIn"] != nil {
				t.Fatalf("g asked during a's cooldown: %v, want queued", f)
			}
			if f := e.last("a"); f["type"] != "queued" {
				t.Fatalf("a during its cooldown: %v, want still queued", f)
			}
			e.advance(time.Second)
			e.send("a", quickMatch("a")) // asked again at retryIn, as the site does
			if f := e.last("a"); f["type"] != "room" || f["room"].(map[string]any)["players"].(map[string]any)["X"].(map[string]any)["name"] != "g" {
				t.Fatalf("a asked again after its cooldown: %v, want paired with g, who waited", f)
			}
		})
	}
}

// honest is how many honest players arrive, one after another, while the bot camps, and
// maxVictims how many of them it may be paired with.
const honest, maxVictims = 30, 4

// A bot that re-queues the instant it is paired, and never moves, against honest players
// arriving one every 2 seconds who play their game or, left by the bot, ask again: the bot is
// the partner of a small minority of them, and the honest players pair with each other.
func TestQuickMatchCampingBot(t *testing.T) {
	e := newEnv(t, envOptions{})
	victims := map[string]bool{} // honest players the bot was paired with
	games := 0                   // honest pairs that played
	asks := 0
	var ask func(id string)
	ask = func(id string) {
		if asks++; asks > 10*honest { // without a cooldown the bot and its victim pair forever
			t.Fatalf("%d quick matches asked for %d honest players: the bot keeps being paired (%d victims)", asks, honest, len(victims))
		}
		e.send(id, quickMatch(id))
		f := e.last(id)
		if f["type"] != "room" {
			return // waits
		}
		room := f["room"].(map[string]any)
		code := room["code"].(string)
		players := room["players"].(map[string]any)
		x, o := players["X"].(map[string]any)["name"].(string), players["O"].(map[string]any)["name"].(string)
		if x == "bot" || o == "bot" {
			h := x
			if x == "bot" {
				h = o
			}
			victims[h] = true
			ask("bot") // the bot leaves at once for the queue
			ask(h)     // left alone, the honest player asks again
			return
		}
		for i, cell := range []int{0, 3, 1, 4, 2} { // X wins
			e.move(map[bool]string{true: x, false: o}[i%2 == 0], code, cell)
		}
		if st := e.room(x)["status"]; st != "won" {
			t.Fatalf("%s and %s's game: %v", x, o, st)
		}
		games++
		e.send(x, map[string]any{"action": "leaveRoom", "roomCode": code})
		e.send(o, map[string]any{"action": "leaveRoom", "roomCode": code})
	}
	ask("bot")
	for i := range honest {
		e.advance(2 * time.Second)
		ask(fmt.Sprintf("h%02d", i))
	}
	t.Logf("the bot was the partner of %d of %d honest players; %d honest games", len(victims), honest, games)
	if len(victims) > maxVictims {
		t.Errorf("the bot was the partner of %d of %d honest players, want at most %d", len(victims), honest, maxVictims)
	}
	if games < (honest-1)/2-1 {
		t.Errorf("%d games between honest players, want at least %d", games, (honest-1)/2-1)
	}
	for i := range honest {
		id := fmt.Sprintf("h%02d", i)
		if rec, err := e.store.GetConnection(context.Background(), id); err != nil || rec.QuickLeaves != 0 {
			t.Errorf("honest %s: %+v (%v), want no quick leave counted", id, rec, err)
		}
	}
}

// With nobody racing, quick match costs what docs/capacity.md says: waiting 4 DynamoDB
// requests, a pairing 7, cancelling 4; leaving a fresh room at once for the queue costs the
// leave's room read and write and nothing more (the cooldown rides on the record's write).
func TestQuickMatchCosts(t *testing.T) {
	c := &requestCounter{}
	e := newEnv(t, envOptions{requests: c})
	for _, step := range []struct {
		name string
		do   func()
		want ops
	}{
		{"waiting", func() { e.send("a", quickMatch("a")) }, ops{"GetItem": 2, "PutItem": 2}},
		{"a pairing", func() { e.send("b", quickMatch("b")) }, ops{"GetItem": 3, "PutItem": 4}},
		{"leaving the room at once for the queue", func() { e.send("a", quickMatch("a")) }, ops{"GetItem": 3, "PutItem": 3}},
		{"cancelling", func() { e.send("a", map[string]any{"action": "cancelQuickMatch"}) }, ops{"GetItem": 2, "PutItem": 2}},
	} {
		step.do()
		wantOps(t, step.name, "game", c, step.want)
	}
}
