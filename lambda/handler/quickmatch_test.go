package handler_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// Quick match: the first to ask waits (queued), the next is paired with them at once, the one
// who waited holding X and opening; both get the room with their own seat and token, and the
// game plays as any other. Cancelling answers unqueued, also when not queued, and a cancelled
// or disconnected player is never paired; nobody is paired with themselves.
func TestQuickMatch(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.send("a", map[string]any{"action": "quickMatch", "name": "Ann"})
	if f := e.last("a"); f["type"] != "queued" {
		t.Fatalf("first to ask: %v, want queued", f)
	}
	e.send("a", map[string]any{"action": "quickMatch", "name": "Ann"}) // asking again: still one wait
	if f := e.last("a"); f["type"] != "queued" {
		t.Fatalf("asking again: %v, want queued", f)
	}
	e.send("b", map[string]any{"action": "quickMatch", "name": "Bob"})
	ra, rb := e.last("a"), e.last("b")
	for who, f := range map[string]map[string]any{"a": ra, "b": rb} {
		if f["type"] != "room" || f["room"].(map[string]any)["status"] != "playing" {
			t.Fatalf("%s after the pairing: %v", who, f)
		}
	}
	if ra["you"].(map[string]any)["symbol"] != "X" || rb["you"].(map[string]any)["symbol"] != "O" ||
		ra["you"].(map[string]any)["token"] == "" || rb["you"].(map[string]any)["token"] == "" {
		t.Fatalf("seats: a %v, b %v; want the one who waited as X, each with a token", ra["you"], rb["you"])
	}
	room := rb["room"].(map[string]any)
	code := room["code"].(string)
	players := room["players"].(map[string]any)
	if players["X"].(map[string]any)["name"] != "Ann" || players["O"].(map[string]any)["name"] != "Bob" || room["turn"] != "X" {
		t.Fatalf("room %v", room)
	}
	e.move("a", code, 4)
	if board(e.room("b")) != "....X...." {
		t.Fatalf("a move in a quick-match room: %v", e.room("b"))
	}
	if q := e.queue(); len(q.Entries) != 0 {
		t.Fatalf("queue after the pairing: %+v", q.Entries)
	}
	m := e.metricCounts()
	if m["QuickMatches"] != 1 || m["QuickMatchWait"] != 1 || m["GamesStarted"] != 1 {
		t.Errorf("metrics %v", m)
	}

	// Cancelled: never paired.
	e.send("c", map[string]any{"action": "quickMatch", "name": "Cy"})
	e.send("c", map[string]any{"action": "cancelQuickMatch"})
	if f := e.last("c"); f["type"] != "unqueued" {
		t.Fatalf("cancel: %v", f)
	}
	e.send("c", map[string]any{"action": "cancelQuickMatch"})
	if f := e.last("c"); f["type"] != "unqueued" {
		t.Fatalf("cancel when not queued: %v", f)
	}
	// Disconnected: never paired.
	e.send("d", map[string]any{"action": "quickMatch", "name": "Di"})
	e.disconnect("d")
	// A lost $disconnect: the record still says queued, the connection is gone.
	e.send("g", map[string]any{"action": "quickMatch", "name": "Gus"})
	e.conns.SetGone("g")
	e.send("f", map[string]any{"action": "quickMatch", "name": "Flo"})
	if f := e.last("f"); f["type"] != "queued" {
		t.Fatalf("after a cancel, a disconnect and a gone connection: %v, want queued (nobody left to pair with)", f)
	}
	if q := e.queue(); len(q.Entries) != 1 || q.Entries[0].ConnID != "f" {
		t.Fatalf("queue %+v, want f alone (the gone one dropped)", q.Entries)
	}
	// Taking a seat ends a wait.
	e.create("f", "Flo")
	e.send("h", map[string]any{"action": "quickMatch", "name": "Hal"})
	if f := e.last("h"); f["type"] != "queued" {
		t.Fatalf("after f created a room: %v, want h queued", f)
	}
	e.advance(time.Minute) // leaving the first game a minute after the pairing costs nothing
	e.send("a", map[string]any{"action": "leaveRoom", "roomCode": code})
	e.send("a", map[string]any{"action": "quickMatch", "name": "Ann"})
	if f := e.last("h"); f["type"] != "room" || f["you"].(map[string]any)["symbol"] != "X" {
		t.Fatalf("h waited and a arrived: %v", f)
	}
}

// Bad input is answered as for any action.
func TestQuickMatchBadInput(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.send("a", map[string]any{"action": "quickMatch"})
	e.wantError("a", "bad_request", "quickMatch")
	e.send("a", map[string]any{"action": "quickMatch", "name": "   "})
	e.wantError("a", "bad_request", "quickMatch")
}

// quickRounds is how many rounds of racing arrivals the race test plays.
const quickRounds = 200

// Many players ask at once, round after round, some cancelling or disconnecting as they ask:
// nobody is paired twice or with themselves, every room made has two different players whose
// records both name it with their seat, and when the round's survivors cancel, nobody is left
// queued and the queue is empty.
func TestQuickMatchUnderRacingArrivals(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	var all []string
	var mu sync.Mutex
	unpaired := map[string]bool{} // answered unqueued before any pairing: must never sit anywhere
	for round := range quickRounds {
		const players = 5
		ids := make([]string, players)
		var wg sync.WaitGroup
		errs := make(chan error, 2*players)
		for i := range players {
			ids[i] = fmt.Sprintf("r%d-%d", round, i) // also its name, to find it in a room's seats
			wg.Add(1)
			go func(id string, i int) {
				defer wg.Done()
				errs <- e.deliver(id, map[string]any{"action": "quickMatch", "name": id})
				switch (round + i) % 7 {
				case 0:
					err := e.deliver(id, map[string]any{"action": "cancelQuickMatch"})
					if rec, _ := e.store.GetConnection(ctx, id); err == nil && rec.RoomCode == "" {
						mu.Lock()
						unpaired[id] = true
						mu.Unlock()
					}
					errs <- err
				case 1:
					ev := golden(t, "$disconnect")
					ev.RequestContext.ConnectionID = id
					_, err := e.h.Disconnect(ctx, ev)
					errs <- err
				}
			}(ids[i], i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		// Whoever still waits cancels: then nobody may be queued.
		for _, id := range ids {
			rec, err := e.store.GetConnection(ctx, id)
			if err != nil {
				t.Fatalf("round %d: %s has no record: %v", round, id, err)
			}
			if rec.Queued && !rec.Closed {
				if err := e.deliver(id, map[string]any{"action": "cancelQuickMatch"}); err != nil {
					t.Fatal(err)
				}
			}
			if rec, _ := e.store.GetConnection(ctx, id); rec.Queued {
				t.Fatalf("round %d: %s is still queued after cancelling", round, id)
			}
		}
		if q := e.queue(); len(q.Entries) != 0 {
			t.Fatalf("round %d: queue %+v after everyone cancelled", round, q.Entries)
		}
		all = append(all, ids...)
	}
	seated := e.checkQuickRooms(all, unpaired)
	if len(seated) < quickRounds { // about two pairs a round: fewer than a player a round means no pairs
		t.Errorf("only %d players paired over %d rounds", len(seated), quickRounds)
	}
	t.Logf("%d rounds, %d players, %d paired", quickRounds, len(all), len(seated))
}

// checkQuickRooms checks every room in the table against the quick-match guarantees: two
// different players, each paired once, each record naming the room and seat, nobody online
// after its $disconnect, nobody in unpaired seated, and no open record of players naming a room
// where it has no seat. It returns where each player sits.
func (e *env) checkQuickRooms(players []string, unpaired map[string]bool) map[string]string {
	t := e.t
	t.Helper()
	ctx := context.Background()
	seated := map[string]string{} // player → the room it sits in
	for _, item := range e.rooms() {
		r, err := store.DecodeRoom(item)
		if err != nil {
			t.Fatal(err)
		}
		if r.X == nil || r.O == nil {
			t.Fatalf("room %s is stranded: X %+v O %+v", r.Code, r.X, r.O)
		}
		if r.X.Name == r.O.Name {
			t.Fatalf("room %s pairs %s with themselves", r.Code, r.X.Name)
		}
		for role, p := range map[store.Role]string{store.RoleX: r.X.Name, store.RoleO: r.O.Name} {
			if other, ok := seated[p]; ok {
				t.Fatalf("%s is paired twice: rooms %s and %s", p, other, r.Code)
			}
			seated[p] = r.Code
			rec, err := e.store.GetConnection(ctx, p)
			if err != nil || rec.RoomCode != r.Code || rec.Role != role {
				t.Fatalf("%s sits as %s in %s, its record says %+v (%v)", p, role, r.Code, rec, err)
			}
			if seat := r.Player(game.Symbol(role)); rec.Closed && seat.Online() {
				t.Fatalf("%s shows online in %s after its $disconnect: paired after it closed", p, r.Code)
			}
			if unpaired[p] {
				t.Fatalf("%s was paired into %s after its cancel was answered", p, r.Code)
			}
		}
	}
	for _, id := range players {
		rec, _ := e.store.GetConnection(ctx, id)
		if _, ok := seated[id]; rec.RoomCode != "" && !ok && !rec.Closed {
			t.Fatalf("%s's record names room %s, where it has no seat", id, rec.RoomCode)
		}
	}
	return seated
}

func (e *env) queue() store.Queue {
	e.t.Helper()
	q, err := e.store.GetQueue(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return q
}
