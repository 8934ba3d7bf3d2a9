package store_test

import (
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// finishedRoom is a won game between cx (X) and co (O), both online.
func finishedRoom(code string) *game.Room {
	r := game.NewRoom(code, game.Seat{Name: "Ann", TokenHash: game.HashToken("tx"), ConnID: "cx"}, t0)
	_ = r.Join(game.Seat{Name: "Bob", TokenHash: game.HashToken("to"), ConnID: "co"}, t0)
	for _, m := range []struct {
		c    string
		cell int
	}{{"cx", 0}, {"co", 3}, {"cx", 1}, {"co", 4}, {"cx", 2}} {
		_ = r.Move(m.c, m.cell, t0)
	}
	r.AddWatcher("cw")
	return r
}

// The narrow writes leave the item the rule's whole-item write would: a narrow write is the
// rule, written in fewer attributes, and the two must not drift.
func TestNarrowWritesMatchTheRules(t *testing.T) {
	at := t0.Add(time.Minute)
	cases := []struct {
		name  string
		rule  func(r *game.Room)
		write func(s *store.DynamoStore, code string) (*game.Room, error)
	}{
		{"offline", func(r *game.Room) { r.Disconnect("co", at) },
			func(s *store.DynamoStore, code string) (*game.Room, error) {
				return s.SetOffline(t.Context(), code, game.O, "co", at)
			}},
		{"rematch", func(r *game.Room) { _, _ = r.RequestRematch("cx", at) },
			func(s *store.DynamoStore, code string) (*game.Room, error) {
				return s.RecordRematch(t.Context(), code, game.X, "cx", at)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock(at)
			s, tb := newStore(t, c)
			narrow, whole := finishedRoom("NARROW"), finishedRoom("WHOLEE")
			for _, r := range []*game.Room{narrow, whole} {
				if err := s.CreateRoom(ctx(t), r); err != nil {
					t.Fatal(err)
				}
			}
			got, err := tc.write(s, narrow.Code)
			if err != nil {
				t.Fatal(err)
			}
			whole, err = s.GetRoom(ctx(t), whole.Code) // as the service starts a rule: from a read
			if err != nil {
				t.Fatal(err)
			}
			tc.rule(whole)
			if err := s.SaveRoom(ctx(t), whole); err != nil {
				t.Fatal(err)
			}
			a, b := item(t, tb, narrow.Code), item(t, tb, whole.Code)
			for _, k := range []string{schema.PartitionKey, "code"} {
				delete(a, k)
				delete(b, k)
			}
			for _, it := range []map[string]any{a, b} { // the last game's id names its room
				if ended, ok := it["ended"].(map[string]any); ok {
					delete(ended, "id")
				}
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("the narrow write left\n%v\nthe rule's write\n%v", a, b)
			}
			back, err := s.GetRoom(ctx(t), whole.Code)
			if err != nil {
				t.Fatal(err)
			}
			got.Code = back.Code
			if got.Ended != nil && back.Ended != nil {
				got.Ended.ID, got.Ended.Code = back.Ended.ID, back.Ended.Code
			}
			if !reflect.DeepEqual(got, back) {
				t.Errorf("the narrow write returned\n%+v\nwant the room as the rule left it\n%+v", got, back)
			}
		})
	}
}

// item reads room code's item as stored.
func item(t *testing.T, tb dynalitetest.Table, code string) map[string]any {
	t.Helper()
	out, err := tb.Client.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: &tb.Name,
		Key: map[string]types.AttributeValue{schema.PartitionKey: &types.AttributeValueMemberS{Value: "ROOM#" + code}}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := attributevalue.UnmarshalMap(out.Item, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A narrow write whose condition no longer holds writes nothing and answers ErrConflict: the
// seat is not the connection's, the game is not finished, the room is gone.
func TestNarrowWritesRefuse(t *testing.T) {
	at := t0.Add(time.Minute)
	c := newClock(at)
	s, tb := newStore(t, c)
	r := finishedRoom("REFUSE")
	if err := s.CreateRoom(ctx(t), r); err != nil {
		t.Fatal(err)
	}
	playing := finishedRoom("PLAYIN")
	_, _ = playing.RequestRematch("cx", t0)
	_, _ = playing.RequestRematch("co", t0)
	if err := s.CreateRoom(ctx(t), playing); err != nil {
		t.Fatal(err)
	}
	before := item(t, tb, r.Code)
	cases := []struct {
		name  string
		write func() (*game.Room, error)
	}{
		{"offline from a connection not holding the seat", func() (*game.Room, error) { return s.SetOffline(ctx(t), r.Code, game.O, "cx", at) }},
		{"offline of a seat already offline", func() (*game.Room, error) {
			if _, err := s.SetOffline(ctx(t), "PLAYIN", game.X, "cx", at); err != nil {
				t.Fatal(err)
			}
			return s.SetOffline(ctx(t), "PLAYIN", game.X, "cx", at)
		}},
		{"offline in no room", func() (*game.Room, error) { return s.SetOffline(ctx(t), "NOROOM", game.X, "cx", at) }},
		{"rematch from a watcher", func() (*game.Room, error) { return s.RecordRematch(ctx(t), r.Code, game.X, "cw", at) }},
		{"rematch during a game", func() (*game.Room, error) { return s.RecordRematch(ctx(t), "PLAYIN", game.O, "co", at) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.write(); !errors.Is(err, store.ErrConflict) {
				t.Errorf("got %v, want ErrConflict", err)
			}
		})
	}
	if after := item(t, tb, r.Code); !reflect.DeepEqual(before, after) {
		t.Errorf("a refused narrow write changed the room:\n%v\n%v", before, after)
	}
	c.set(at.Add(48 * time.Hour)) // past the room's expiry: as absent as reads see it
	if _, err := s.SetOffline(ctx(t), r.Code, game.X, "cx", at); !errors.Is(err, store.ErrConflict) {
		t.Errorf("offline in an expired room: %v, want ErrConflict", err)
	}
}

// A connection's record is claimed for a room in one write only while it follows nothing;
// closing returns the record as it was, whatever it was.
func TestClaimAndCloseConnection(t *testing.T) {
	s, _ := newStore(t, newClock(t0))
	put := func(c store.Connection) {
		t.Helper()
		if err := s.PutConnection(ctx(t), &c); err != nil {
			t.Fatal(err)
		}
	}
	put(store.Connection{ID: "new", Source: "src"})
	put(store.Connection{ID: "seated", RoomCode: "ABCDEF", Role: store.RoleX})
	put(store.Connection{ID: "queued", Queued: true})
	put(store.Connection{ID: "closed", Closed: true})
	if err := s.ClaimConnection(ctx(t), "new", "QWERTY", store.RoleO); err != nil {
		t.Fatalf("claiming a new connection: %v", err)
	}
	got, err := s.GetConnection(ctx(t), "new")
	if want := (store.Connection{ID: "new", RoomCode: "QWERTY", Role: store.RoleO, Source: "src", Version: 2}); err != nil || got != want {
		t.Fatalf("claimed record = %+v, %v; want %+v", got, err, want)
	}
	for _, id := range []string{"new", "seated", "queued", "closed", "none"} {
		if err := s.ClaimConnection(ctx(t), id, "ZXCVBN", store.RoleX); !errors.Is(err, store.ErrConflict) {
			t.Errorf("claiming %s: %v, want ErrConflict", id, err)
		}
	}
	old, err := s.CloseConnection(ctx(t), "new")
	if err != nil || old != got {
		t.Fatalf("closing returned %+v, %v; want the record as it was, %+v", old, err, got)
	}
	closed, _ := s.GetConnection(ctx(t), "new")
	if !closed.Closed || closed.RoomCode != "QWERTY" || closed.Version != 3 {
		t.Errorf("closed record = %+v, want closed, its room kept, version 3", closed)
	}
	again, err := s.CloseConnection(ctx(t), "new")
	if err != nil || !again.Closed {
		t.Errorf("closing twice returned %+v, %v; want the closed record", again, err)
	}
	none, err := s.CloseConnection(ctx(t), "none")
	if err != nil || none != (store.Connection{ID: "none"}) {
		t.Errorf("closing a connection with no record: %+v, %v", none, err)
	}
	if rec, err := s.GetConnection(ctx(t), "none"); err != nil || !rec.Closed {
		t.Errorf("a connection closed with no record has %+v, %v; want a closed one, for a frame still running", rec, err)
	}
	if err := s.PutConnection(ctx(t), &store.Connection{ID: "none", RoomCode: "ABCDEF"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a frame recording a seat over the closed record: %v, want ErrConflict", err)
	}
}

// Misses racing each other (frames of one connection in several containers) are each counted,
// in one write apiece; a closed connection or none counts nothing.
func TestCountMiss(t *testing.T) {
	s, _ := newStore(t, newClock(t0))
	if err := s.PutConnection(ctx(t), &store.Connection{ID: "c", Source: "src", Misses: 2}); err != nil {
		t.Fatal(err)
	}
	const racing = 30
	seen := race(racing, func() int {
		rec, err := s.CountMiss(ctx(t), "c")
		if err != nil {
			t.Error(err)
		}
		return rec.Misses
	})
	got, err := s.GetConnection(ctx(t), "c")
	if err != nil || got.Misses != 2+racing || got.Source != "src" {
		t.Fatalf("after %d racing misses: %+v, %v; want %d misses, the source kept", racing, got, err, 2+racing)
	}
	for i, n := range seen {
		if n != 3+i {
			t.Fatalf("the counts each miss saw: %v, want each of 3..%d once", seen, 2+racing)
		}
	}
	if _, err := s.CloseConnection(ctx(t), "c"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c", "none"} {
		if _, err := s.CountMiss(ctx(t), id); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a miss of %s: %v, want ErrConflict", id, err)
		}
	}
	if rec, err := s.GetConnection(ctx(t), "none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a miss of a connection with no record wrote %+v, %v", rec, err)
	}
}

// Frames of one connection counted in several containers at once are each counted, once; a
// new window starts the count over, keeping the last window's if it was the one just before;
// a connection with no record counts nothing.
func TestChargeFrame(t *testing.T) {
	s, _ := newStore(t, newClock(t0))
	if err := s.PutConnection(ctx(t), &store.Connection{ID: "c", Source: "src"}); err != nil {
		t.Fatal(err)
	}
	const racing = 30
	seen := race(racing, func() int {
		c, err := s.ChargeFrame(ctx(t), "c", 100, 90)
		if err != nil {
			t.Error(err)
		}
		if c.Source != "src" {
			t.Errorf("the record a count returned names source %q, want src", c.Source)
		}
		return c.Frames
	})
	for i, n := range seen {
		if n != i+1 {
			t.Fatalf("the counts %d racing frames saw: %v, want each of 1..%d once", racing, seen, racing)
		}
	}
	if c, err := s.ChargeFrame(ctx(t), "c", 110, 100); err != nil || c.Frames != 1 || c.PrevFrames != racing || c.Source != "src" {
		t.Fatalf("the next window's first frame: %+v, %v; want 1 frame of source src, %d before", c, err, racing)
	}
	// A whole-record write (a seat taken) carries the count on.
	rec, err := s.GetConnection(ctx(t), "c")
	if err != nil || rec.FrameWindow != 110 || rec.Frames != 1 || rec.PrevFrames != racing {
		t.Fatalf("record %+v, %v; want window 110, 1 frame, %d before", rec, err, racing)
	}
	// A count advances the version: a whole-record write from a read before it fails, and
	// writes no older count back.
	stale := rec
	if _, err := s.ChargeFrame(ctx(t), "c", 110, 100); err != nil {
		t.Fatal(err)
	}
	if err := s.PutConnection(ctx(t), &stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a whole-record write from before a count: %v, want ErrConflict", err)
	}
	if rec, err = s.GetConnection(ctx(t), "c"); err != nil {
		t.Fatal(err)
	}
	rec.RoomCode = "ABCDEF"
	if err := s.PutConnection(ctx(t), &rec); err != nil {
		t.Fatal(err)
	}
	if c, err := s.ChargeFrame(ctx(t), "c", 110, 100); err != nil || c.Frames != 3 || c.PrevFrames != racing {
		t.Fatalf("after a seat was recorded: %+v, %v; want 3 frames, %d before", c, err, racing)
	}
	// A window after a silent one forgets the older count.
	if c, err := s.ChargeFrame(ctx(t), "c", 130, 120); err != nil || c.Frames != 1 || c.PrevFrames != 0 {
		t.Fatalf("after a silent window: %+v, %v; want 1 frame, none before", c, err)
	}
	if _, err := s.ChargeFrame(ctx(t), "none", 110, 100); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a frame of a connection with no record: %v, want ErrConflict", err)
	}
}

// An address's frames counted in several containers at once are each counted once, and its
// connections by their first frames; the next window is an item of its own, which expires a
// while after it starts.
func TestChargeSourceFrame(t *testing.T) {
	s, tb := newStore(t, newClock(t0))
	const racing = 30
	seen := race(racing, func() int {
		n, err := s.ChargeSourceFrame(ctx(t), "src", 100, true, time.Minute)
		if err != nil {
			t.Error(err)
		}
		return n.Frames
	})
	for i, n := range seen {
		if n != i+1 {
			t.Fatalf("the counts %d racing frames saw: %v, want each of 1..%d once", racing, seen, racing)
		}
	}
	if n, err := s.ChargeSourceFrame(ctx(t), "src", 100, false, time.Minute); err != nil || n != (store.SourceFrames{Frames: racing + 1, Conns: racing}) {
		t.Fatalf("a connection's second frame: %+v, %v; want %d frames of %d connections", n, err, racing+1, racing)
	}
	if n, err := s.ChargeSourceFrame(ctx(t), "src", 110, true, time.Minute); err != nil || n != (store.SourceFrames{Frames: 1, Conns: 1}) {
		t.Fatalf("the next window's first frame: %+v, %v; want 1 of 1 connection", n, err)
	}
	out, err := tb.Client.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: &tb.Name, Key: map[string]types.AttributeValue{
		schema.PartitionKey: &types.AttributeValueMemberS{Value: "SRC#src#110"}}})
	if err != nil || out.Item == nil {
		t.Fatalf("the window's item: %v, %v", out, err)
	}
	if exp := out.Item[schema.TTLAttribute].(*types.AttributeValueMemberN).Value; exp != "170" {
		t.Errorf("the window's item expires at %s, want 170: a minute after the window starts", exp)
	}
}

// race runs f n times at once and returns what each run returned, in increasing order.
func race(n int, f func() int) []int {
	var wg sync.WaitGroup
	got := make([]int, n)
	for i := range n {
		wg.Go(func() { got[i] = f() })
	}
	wg.Wait()
	slices.Sort(got)
	return got
}
