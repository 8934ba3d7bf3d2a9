package handler_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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
// (queued with a place in the queue, no room since) or failed (an error frame).
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
				queued = queued || f["retryIn"] == nil // retryIn: no place in the queue
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

// askAsThePage sends id's quick match and, while the answer is queued with retryIn (no place
// in the queue: its queue writes kept losing to others'), asks again after retryIn seconds and
// up to one more at random, as the site does. It returns how long each invocation took.
func (e *env) askAsThePage(id string) ([]time.Duration, error) {
	var took []time.Duration
	for {
		t0 := time.Now()
		err := e.deliver(id, quickMatch(id))
		took = append(took, time.Since(t0))
		if err != nil {
			return took, err
		}
		f := e.conns.Last(e.t, id)
		in, ok := f["retryIn"].(float64)
		if f["type"] != "queued" || !ok {
			return took, nil
		}
		if len(took) == 20 {
			return took, fmt.Errorf("%s asked %d times, still told to ask again", id, len(took))
		}
		time.Sleep(time.Duration(in*float64(time.Second)) + rand.N(time.Second))
	}
}

// maxInvocation is a liveness bound on one quick match's invocation in a burst, far above
// the queue's retry budget (about 300 ms, then the client is asked to come back; the
// retrier's own test holds its attempts and budget) so that a loaded machine's slow requests
// cannot fail it: it catches an invocation that waits out the burst instead. How long
// invocations take is measured by make bench, not asserted here.
const maxInvocation = 10 * time.Second

// A burst of players pressing Quick match at the same instant, each asking again when told to
// (as the site does): nobody is answered with an error, everyone is paired or waits, at most
// one waits (an odd one out: the queue never holds two players who could be paired), nobody is
// paired twice or with themselves, no invocation holds the function for long, and once the one
// left waiting cancels, the queue is empty.
func TestQuickMatchBurst(t *testing.T) {
	for _, n := range []int{9, 20, 30, 50} {
		t.Run(fmt.Sprintf("%d at once", n), func(t *testing.T) {
			requests := &requestCounter{}
			e := newEnv(t, envOptions{requests: requests})
			ids := make([]string, n)
			start := make(chan struct{})
			errs := make(chan error, n)
			var mu sync.Mutex
			var took []time.Duration
			var wg sync.WaitGroup
			for i := range ids {
				ids[i] = fmt.Sprintf("p%02d", i)
				wg.Add(1)
				go func(id string) {
					defer wg.Done()
					<-start
					d, err := e.askAsThePage(id)
					mu.Lock()
					took = append(took, d...)
					mu.Unlock()
					errs <- err
				}(ids[i])
			}
			began := time.Now()
			close(start)
			wg.Wait()
			wall := time.Since(began)
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			var sum, worst time.Duration
			for _, d := range took {
				sum += d
				worst = max(worst, d)
			}
			paired, waiting, failed := e.quickOutcome(ids)
			t.Logf("%d at once: %d paired, %d waiting, %d errors, all answered in %v; %d invocations (%d asked again), mean %v, max %v; DynamoDB requests %v",
				n, len(paired), len(waiting), len(failed), wall.Round(time.Millisecond), len(took), len(took)-n,
				(sum / time.Duration(len(took))).Round(time.Millisecond), worst.Round(time.Millisecond), requests.take())
			if len(failed) != 0 {
				t.Errorf("%d of %d players were answered with an error: %v (first: %v)", len(failed), n, failed, e.last(failed[0]))
			}
			if len(paired)+len(waiting) != n || len(waiting) != n%2 {
				t.Errorf("%d paired and %d waiting of %d; want all paired but the odd one out", len(paired), len(waiting), n)
			}
			if worst > maxInvocation {
				t.Errorf("an invocation took %v, want at most %v", worst, maxInvocation)
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

// A queue that keeps changing (every write of it loses to another writer) holds no frame for
// long: a quick match gives up after about 300 ms and answers queued with retryIn 1, leaving no
// sign that it waits (its record not queued, no entry), while the player already waiting keeps
// their place; a cancel answers unqueued, and the entry it could not take off is dropped by the
// next matcher. Once the queue calms down, asking again pairs.
func TestQuickMatchContendedQueueAsksToRetry(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.send("b", quickMatch("b"))
	e.send("c", quickMatch("c")) // paired with b
	e.send("w", quickMatch("w")) // waits
	e.advance(time.Minute)       // b may leave c without a cooldown
	calm := e.contendQueue()
	timed := func(what string, do func()) {
		t.Helper()
		t0 := time.Now()
		do()
		if took := time.Since(t0); took > maxInvocation {
			t.Errorf("%s took %v against a contended queue, want at most %v", what, took, maxInvocation)
		}
	}
	for _, id := range []string{"a", "b"} { // a new arrival, and one leaving a room for the queue
		timed(id+"'s quick match", func() { e.send(id, quickMatch(id)) })
		if f := e.last(id); f["type"] != "queued" || f["retryIn"] != 1.0 {
			t.Fatalf("%s against a contended queue: %v, want queued with retryIn 1", id, f)
		}
		if rec, err := e.store.GetConnection(context.Background(), id); (err != nil && !errors.Is(err, store.ErrNotFound)) || rec.Queued || rec.RoomCode != "" {
			t.Fatalf("%s's record %+v (%v), want in no room and not queued", id, rec, err)
		}
	}
	if q := e.queue(); len(q.Entries) != 1 || q.Entries[0].ConnID != "w" {
		t.Fatalf("queue %+v, want w alone", q.Entries)
	}
	timed("w's cancel", func() { e.send("w", map[string]any{"action": "cancelQuickMatch"}) })
	if f := e.last("w"); f["type"] != "unqueued" {
		t.Fatalf("w cancelled against a contended queue: %v", f)
	}
	calm()
	e.send("a", quickMatch("a")) // asked again, as told: w's entry is dropped, a waits
	if f := e.last("a"); f["type"] != "queued" || f["retryIn"] != nil {
		t.Fatalf("a asked again: %v, want queued", f)
	}
	e.send("b", quickMatch("b"))
	if f := e.last("b"); f["type"] != "room" || f["room"].(map[string]any)["players"].(map[string]any)["X"].(map[string]any)["name"] != "a" {
		t.Fatalf("b asked again: %v, want paired with a", f)
	}
	if q := e.queue(); len(q.Entries) != 0 {
		t.Fatalf("queue %+v, want empty", q.Entries)
	}
	e.send("c", map[string]any{"action": "leaveRoom", "roomCode": e.room("c")["code"]}) // left by b
	e.checkQuickRooms([]string{"a", "b", "c", "w"}, map[string]bool{"w": true})
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

// A player who leaves the first game of a quick match unfinished within a minute of the pairing,
// moves made or not, waits a short cooldown before being paired again, with no place in the
// queue meanwhile (asking again then pairs it with whoever waits); leaving after the partner
// left, after the game ended, a minute later, or after the partner idled 8 seconds on their own
// turn costs nothing; a second quick leave doubles the cooldown.
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
		{"leaves after a move", func(e *env, code, _ string) { e.move("a", code, 4) }, 1, 10 * time.Second},
		{"leaves after moves, 50 seconds later", func(e *env, code, b string) {
			e.move("a", code, 4)
			e.advance(5 * time.Second)
			e.move(b, code, 0)
			e.advance(45 * time.Second)
		}, 1, 10 * time.Second},
		{"leaves after the partner idled 7 seconds on their turn", func(e *env, code, _ string) {
			e.move("a", code, 4)
			e.advance(7 * time.Second)
		}, 1, 10 * time.Second},
		{"leaves after the partner idled 8 seconds on their turn", func(e *env, code, _ string) {
			e.move("a", code, 4)
			e.advance(8 * time.Second)
		}, 1, 0},
		{"leaves after the partner left", func(e *env, code, b string) {
			e.send(b, map[string]any{"action": "leaveRoom", "roomCode": code})
		}, 1, 0},
		{"leaves after the game ended", func(e *env, code, b string) {
			for i, cell := range []int{0, 3, 1, 4, 2} { // X wins
				e.move(map[bool]string{true: "a", false: b}[i%2 == 0], code, cell)
			}
		}, 1, 0},
		{"leaves a minute later", func(e *env, _, _ string) { e.advance(time.Minute) }, 1, 0},
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
			if q := e.queue(); len(q.Entries) != 1 || q.Entries[0].ConnID != "c" {
				t.Fatalf("queue during a's cooldown: %+v, want c alone (a has no place)", q.Entries)
			}
			if rec, err := e.store.GetConnection(context.Background(), "a"); err != nil || rec.Queued || rec.RoomCode != "" {
				t.Fatalf("a's record during its cooldown: %+v (%v), want in no room and not queued", rec, err)
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

// The victim does not pay: a player (O) who gives up on a partner (X) that never opens is
// not cooled down once X has idled 8 seconds on its turn, and is paired at once with whoever
// waits; giving up sooner is a quick leave.
func TestQuickMatchLeavingAnIdlePartner(t *testing.T) {
	for _, tc := range []struct {
		idle time.Duration
		want string // h's answer when it asks again: room, or queued (cooling down)
	}{{8 * time.Second, "room"}, {5 * time.Second, "queued"}} {
		t.Run(fmt.Sprint(tc.idle), func(t *testing.T) {
			e := newEnv(t, envOptions{})
			e.send("bot", quickMatch("bot"))
			e.send("h", quickMatch("h"))
			if you := e.last("h")["you"].(map[string]any); you["symbol"] != "O" {
				t.Fatalf("h's seat %v, want O", you)
			}
			e.advance(tc.idle) // X never opens
			e.send("c", quickMatch("c"))
			e.send("h", quickMatch("h"))
			if f := e.last("h"); f["type"] != tc.want {
				t.Fatalf("h gave up after %v: %v, want %s", tc.idle, f, tc.want)
			}
			rec, err := e.store.GetConnection(context.Background(), "h")
			if wantLeaves := map[string]int{"room": 0, "queued": 1}[tc.want]; err != nil || rec.QuickLeaves != wantLeaves {
				t.Fatalf("h's record %+v (%v), want %d quick leaves", rec, err, wantLeaves)
			}
		})
	}
}

// honest is how many honest players arrive, one after another, while the bot camps, and
// maxVictims how many of them it may be paired with.
const honest, maxVictims = 30, 4

// A bot that re-queues the instant it is paired (or after one move: as X it opens, as O it
// waits for the honest X's opening), and asks again the moment its cooldown lets it, against
// honest players arriving one every 2 seconds who play their game or, left by the bot, ask
// again: the bot is the partner of a small minority of them, the honest players pair with each
// other, and no honest player is cooled down.
func TestQuickMatchCampingBot(t *testing.T) {
	for _, moves := range []bool{false, true} {
		t.Run(map[bool]string{false: "never moves", true: "one move"}[moves], func(t *testing.T) {
			e := newEnv(t, envOptions{})
			victims := map[string]bool{} // honest players the bot was paired with
			games := 0                   // honest pairs that played
			asks := 0
			var botRetry time.Time // when the bot, cooling down, may ask again
			var ask func(id string)
			ask = func(id string) {
				if asks++; asks > 10*honest { // without a cooldown the bot and its victim pair forever
					t.Fatalf("%d quick matches asked for %d honest players: the bot keeps being paired (%d victims)", asks, honest, len(victims))
				}
				e.send(id, quickMatch(id))
				f := e.last(id)
				if in, ok := f["retryIn"].(float64); ok && f["type"] == "queued" {
					if id != "bot" {
						t.Fatalf("honest %s told to ask again: %v", id, f)
					}
					botRetry = time.Unix(0, e.now.Load()).Add(time.Duration(in) * time.Second)
				}
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
					if moves {
						e.move(x, code, 4) // the bot opens, or waits for the honest X's opening
					}
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
				if !botRetry.IsZero() && !time.Unix(0, e.now.Load()).Before(botRetry) {
					botRetry = time.Time{}
					ask("bot") // as soon as its cooldown ends
				}
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
		})
	}
}

// With nobody racing, quick match costs what docs/capacity.md says: waiting 4 DynamoDB
// requests, cancelling 4, a pairing 7; leaving a fresh room at once for the queue costs the
// leave's room read and write and the record's (the cooldown rides on it), and nothing of the
// queue; asking during the cooldown reads the record alone.
func TestQuickMatchCosts(t *testing.T) {
	c := &requestCounter{}
	e := newEnv(t, envOptions{requests: c})
	for _, step := range []struct {
		name string
		do   func()
		want ops
	}{
		{"waiting", func() { e.send("a", quickMatch("a")) }, ops{"GetItem": 2, "PutItem": 2}},
		{"cancelling", func() { e.send("a", map[string]any{"action": "cancelQuickMatch"}) }, ops{"GetItem": 2, "PutItem": 2}},
		{"waiting again", func() { e.send("a", quickMatch("a")) }, ops{"GetItem": 2, "PutItem": 2}},
		{"a pairing", func() { e.send("b", quickMatch("b")) }, ops{"GetItem": 3, "PutItem": 4}},
		{"leaving the room at once for the queue", func() { e.send("a", quickMatch("a")) }, ops{"GetItem": 2, "PutItem": 2}},
		{"asking again during the cooldown", func() { e.send("a", quickMatch("a")) }, ops{"GetItem": 1}},
		{"cancelling during the cooldown", func() { e.send("a", map[string]any{"action": "cancelQuickMatch"}) }, ops{"GetItem": 2}},
	} {
		step.do()
		wantOps(t, step.name, "game", c, step.want)
	}
}

// Players who cool down have no place in the queue: one client's connections, each a quick
// leave away from a cooldown and asking again at once, leave the one queue item holding only
// the honest player who waits, who is paired with the next to ask.
func TestQuickMatchCoolingTakesNoPlace(t *testing.T) {
	e := newEnv(t, envOptions{})
	const n = 40
	e.send("c0", quickMatch("c0"))
	for i := range n {
		id := fmt.Sprintf("cooling%02d", i)
		e.send(id, quickMatch(id)) // paired with c0
		e.send(id, quickMatch(id)) // a quick leave: cooling down
		if f := e.last(id); f["type"] != "queued" || f["retryIn"] != 10.0 {
			t.Fatalf("%s asked again at once: %v, want queued with retryIn 10", id, f)
		}
		e.send("c0", quickMatch("c0")) // its partner left: it waits again, for free
	}
	if q := e.queue(); len(q.Entries) != 1 || q.Entries[0].ConnID != "c0" {
		t.Fatalf("%d queue entries after %d connections cooled down, want c0's alone", len(q.Entries), n)
	}
	e.send("honest", quickMatch("honest"))
	if f := e.last("honest"); f["type"] != "room" || f["room"].(map[string]any)["players"].(map[string]any)["X"].(map[string]any)["name"] != "c0" {
		t.Fatalf("an honest player: %v, want paired with c0", f)
	}
}

// A queue full of entries whose connections are gone (a mass disconnect whose dequeues lost
// the race for the item) costs one quick match a bounded number of reads: it checks at most
// 20 entries it has not seen per attempt, keeps those found gone across attempts (a write that
// lost does not make it check them again) and drops them with its write; the rest wait for
// the next matchers, who reach the player waiting behind them.
func TestQuickMatchGoneEntriesCostBoundedReads(t *testing.T) {
	const gone, checks = 300, 20
	requests := &requestCounter{}
	e := newEnv(t, envOptions{requests: requests})
	q := e.queue()
	for i := range gone {
		q.Entries = append(q.Entries, store.QueueEntry{ConnID: fmt.Sprintf("gone%03d", i), Name: "g", At: time.Unix(0, e.now.Load())})
	}
	if err := e.store.Store.PutQueue(context.Background(), &q); err != nil {
		t.Fatal(err)
	}
	requests.take()
	e.send("w", quickMatch("w")) // behind the gone entries, dropping the first 20
	if r := requests.take(); r["GetItem"] > 2+checks {
		t.Errorf("w: %v DynamoDB requests, want at most %d reads", r, 2+checks)
	}
	if f := e.last("w"); f["type"] != "queued" || f["retryIn"] != nil {
		t.Fatalf("w: %v, want queued", f)
	}
	if got := len(e.queue().Entries); got != gone-checks+1 {
		t.Fatalf("%d entries after w asked, want %d", got, gone-checks+1)
	}

	// m0's first queue write loses to another writer: its second attempt checks 20 more.
	var lost atomic.Bool
	hook := func(ctx context.Context, _ *store.Queue) {
		if lost.Swap(true) {
			return
		}
		q, err := e.store.Store.GetQueue(ctx)
		if err == nil {
			err = e.store.Store.PutQueue(ctx, &q)
		}
		if err != nil {
			t.Error(err)
		}
	}
	e.store.beforeQueuePut.Store(&hook)
	requests.take()
	e.send("m0", quickMatch("m0"))
	e.store.beforeQueuePut.Store(nil)
	if r := requests.take(); r["GetItem"] > 1+1+2*(1+checks) { // one read is the other writer's
		t.Errorf("m0, with one lost write: %v DynamoDB requests, want at most %d reads", r, 1+1+2*(1+checks))
	}
	if got, want := len(e.queue().Entries), gone-3*checks+2; got != want {
		t.Errorf("%d entries after m0 asked, want %d (40 gone entries dropped, m0 queued)", got, want)
	}

	// The next matchers each read at most 22 items, until one reaches w.
	requests.take()
	for i := 1; e.last("w")["type"] != "room"; i++ {
		id := fmt.Sprintf("m%02d", i)
		if i > gone/checks {
			t.Fatalf("%d matchers, and w is still not paired", i)
		}
		e.send(id, quickMatch(id))
		if r := requests.take(); r["GetItem"] > 2+checks {
			t.Fatalf("%s: %v DynamoDB requests, want at most %d reads", id, r, 2+checks)
		}
	}
	e.checkQuickRooms(nil, nil)
}

// An entry whose connection was found open but no longer waiting (a cancel whose dequeue lost
// the race for the item) is checked again in the matcher's next attempt, not taken for gone:
// the connection may have asked again meanwhile, with a new entry, and is paired.
func TestQuickMatchEntryLeftIsCheckedAgain(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.send("p", quickMatch("p"))
	rec, err := e.store.Store.GetConnection(context.Background(), "p")
	if err != nil {
		t.Fatal(err)
	}
	rec.Queued = false // cancelled; its entry stayed
	if err := e.store.Store.PutConnection(context.Background(), &rec); err != nil {
		t.Fatal(err)
	}
	var fired atomic.Bool
	hook := func(ctx context.Context, _ *store.Queue) {
		if !fired.Swap(true) {
			e.send("p", quickMatch("p")) // p asks again before m's write lands
		}
	}
	e.store.beforeQueuePut.Store(&hook)
	e.send("m", quickMatch("m"))
	if !fired.Load() {
		t.Fatal("m never wrote the queue")
	}
	if f := e.last("m"); f["type"] != "room" || f["room"].(map[string]any)["players"].(map[string]any)["X"].(map[string]any)["name"] != "p" {
		t.Fatalf("m: %v, want paired with p, who asked again", f)
	}
	e.checkQuickRooms([]string{"m", "p"}, nil)
}

// contendQueue has another writer get in before each write of the quick-match queue until
// the function it returns is called: every queue write loses.
func (e *env) contendQueue() (calm func()) {
	hook := func(ctx context.Context, _ *store.Queue) {
		q, err := e.store.Store.GetQueue(ctx) // another writer gets in first
		if err == nil {
			err = e.store.Store.PutQueue(ctx, &q)
		}
		if err != nil {
			e.t.Error(err)
		}
	}
	e.store.beforeQueuePut.Store(&hook)
	return func() { e.store.beforeQueuePut.Store(nil) }
}
