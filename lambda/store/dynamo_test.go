package store_test

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// clock is a settable clock for expiry tests.
type clock struct{ atomic.Int64 }

func (c *clock) now() time.Time   { return time.Unix(0, c.Load()) }
func (c *clock) set(t time.Time)  { c.Store(t.UnixNano()) }
func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func newStore(t *testing.T, c *clock) (*store.DynamoStore, dynalitetest.Table) {
	tb := dynalitetest.New(t)
	return store.NewDynamoStore(tb.Client, tb.Name, c.now, store.Expiry{Room: config.DefaultRoomTTL}), tb
}

// fullRoom is a room using every field, so a round trip proves the item layout.
func fullRoom(code string) *game.Room {
	r := game.NewRoom(code, game.Seat{Name: "Ann ☃", TokenHash: game.HashToken("tx"), ConnID: "cx"}, t0)
	_ = r.Join(game.Seat{Name: "Bob", TokenHash: game.HashToken("to"), ConnID: "co"}, t0)
	for _, m := range []struct {
		c    string
		cell int
	}{{"cx", 0}, {"co", 3}, {"cx", 1}, {"co", 4}, {"cx", 2}} {
		_ = r.Move(m.c, m.cell, t0)
	}
	_, _ = r.RequestRematch("co", t0)
	r.Disconnect("co", t0.Add(time.Second))
	r.AddWatcher("cw1")
	r.AddWatcher("cw2")
	r.Score.Draws = 3
	r.Quick, r.ResumedAt, r.X.Timeouts = true, t0.Add(2*time.Second), 1
	r.Timeout = &game.Forfeit{Symbol: game.O, Name: "Bob"}
	return r
}

func TestRoomRoundTrip(t *testing.T) {
	s, _ := newStore(t, newClock(t0))
	want := fullRoom("ABCDEF")
	if err := s.CreateRoom(ctx(t), want); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	got, err := s.GetRoom(ctx(t), "ABCDEF")
	if err != nil {
		t.Fatalf("GetRoom: %v", err)
	}
	if got.Version != 1 || got.Status != game.Won || got.Winner != game.X || len(got.WinLine) != 3 ||
		got.Board != want.Board || got.Score != want.Score || got.Starter != game.X ||
		*got.X != *want.X || got.O.Name != "Bob" || got.O.Online() || !got.O.OfflineSince.Equal(t0.Add(time.Second)) ||
		!got.O.Rematch || len(got.Watchers) != 2 || !got.CreatedAt.Equal(t0) ||
		!got.Quick || !got.TurnAt.Equal(want.TurnAt) || got.TurnAt.IsZero() || !got.ResumedAt.Equal(want.ResumedAt) ||
		got.Timeout == nil || *got.Timeout != *want.Timeout || got.Forfeit != nil {
		t.Fatalf("round trip lost data:\n got %+v\nwant %+v", got, want)
	}
}

func TestItemLayout(t *testing.T) {
	// The presence pipeline filters the stream on these attributes, and TTL deletes on expiresAt.
	s, tb := newStore(t, newClock(t0))
	if err := s.CreateRoom(ctx(t), fullRoom("ABCDEF")); err != nil {
		t.Fatal(err)
	}
	out, err := tb.Client.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: &tb.Name,
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ROOM#ABCDEF"}}})
	if err != nil {
		t.Fatal(err)
	}
	exp, ok := out.Item["expiresAt"].(*types.AttributeValueMemberN)
	if !ok || exp.Value != strconv.FormatInt(t0.Add(24*time.Hour).Unix(), 10) {
		t.Fatalf("expiresAt = %#v, want epoch seconds of t0+24h", out.Item["expiresAt"])
	}
	if k := out.Item["kind"].(*types.AttributeValueMemberS).Value; k != "room" {
		t.Fatalf("kind %q", k)
	}
	px := out.Item["playerX"].(*types.AttributeValueMemberM).Value
	if _, hasToken := px["token"]; hasToken {
		t.Fatal("a plain token must never be stored")
	}
	if pc, ok := out.Item[schema.PresenceChangedAttribute].(*types.AttributeValueMemberBOOL); !ok || !pc.Value {
		t.Fatalf("%s = %#v, want BOOL true on a write that changed presence", schema.PresenceChangedAttribute, out.Item[schema.PresenceChangedAttribute])
	}
	if on := out.Item["playerO"].(*types.AttributeValueMemberM).Value["online"].(*types.AttributeValueMemberBOOL).Value; on {
		t.Fatal("playerO.online must be false for an offline player")
	}
}

func TestCreateRoomCollision(t *testing.T) {
	c := newClock(t0)
	s, _ := newStore(t, c)
	if err := s.CreateRoom(ctx(t), fullRoom("ABCDEF")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRoom(ctx(t), fullRoom("ABCDEF")); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second create = %v, want ErrExists", err)
	}
	c.set(t0.Add(25 * time.Hour)) // the first room has expired but is not deleted yet
	fresh := game.NewRoom("ABCDEF", game.Seat{Name: "New", ConnID: "c9"}, c.now())
	if err := s.CreateRoom(ctx(t), fresh); err != nil {
		t.Fatalf("an expired room must not hold its code: %v", err)
	}
	got, err := s.GetRoom(ctx(t), "ABCDEF")
	if err != nil || got.X.Name != "New" || got.Version != 1 {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestExpiredItemsReadAsAbsent(t *testing.T) {
	c := newClock(t0)
	s, _ := newStore(t, c)
	if err := s.CreateRoom(ctx(t), fullRoom("ABCDEF")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutConnection(ctx(t), &store.Connection{ID: "cx", RoomCode: "ABCDEF", Role: store.RoleX}); err != nil {
		t.Fatal(err)
	}
	c.set(t0.Add(3*time.Hour - time.Second))
	if _, err := s.GetConnection(ctx(t), "cx"); err != nil {
		t.Fatalf("connection should still be live: %v", err)
	}
	c.set(t0.Add(24 * time.Hour))
	if _, err := s.GetRoom(ctx(t), "ABCDEF"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired room: %v, want ErrNotFound", err)
	}
	if _, err := s.GetConnection(ctx(t), "cx"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired connection: %v, want ErrNotFound", err)
	}
}

func TestSaveIsVersionConditioned(t *testing.T) {
	c := newClock(t0)
	s, _ := newStore(t, c)
	if err := s.CreateRoom(ctx(t), game.NewRoom("ABCDEF", game.Seat{Name: "A", ConnID: "cx"}, t0)); err != nil {
		t.Fatal(err)
	}
	a, _ := s.GetRoom(ctx(t), "ABCDEF")
	b, _ := s.GetRoom(ctx(t), "ABCDEF")
	if err := a.Join(game.Seat{Name: "B", ConnID: "co"}, t0); err != nil {
		t.Fatal(err)
	}
	c.set(t0.Add(time.Hour))
	if err := s.SaveRoom(ctx(t), a); err != nil || a.Version != 2 {
		t.Fatalf("save: %v version %d", err, a.Version)
	}
	if err := b.Join(game.Seat{Name: "C", ConnID: "cc"}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveRoom(ctx(t), b); !errors.Is(err, store.ErrConflict) || b.Version != 1 {
		t.Fatalf("stale save = %v (version %d), want ErrConflict and version kept", err, b.Version)
	}
	if err := s.DeleteRoom(ctx(t), b); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale delete = %v, want ErrConflict", err)
	}
	got, _ := s.GetRoom(ctx(t), "ABCDEF")
	if got.O.Name != "B" {
		t.Fatalf("the stale write won: O is %q", got.O.Name)
	}
	// A save refreshes the expiry: the room lives 24 h after its last change.
	c.set(t0.Add(24*time.Hour + time.Minute))
	if _, err := s.GetRoom(ctx(t), "ABCDEF"); err != nil {
		t.Fatalf("room saved at t0+1h must live until t0+25h: %v", err)
	}
	if err := s.DeleteRoom(ctx(t), got); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRoom(ctx(t), "ABCDEF"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

// TestRacingWritersOneWins has many goroutines write from the same read: exactly one write
// lands, the others are told to retry, and the stored room is the winner's.
func TestRacingWritersOneWins(t *testing.T) {
	s, _ := newStore(t, newClock(t0))
	r := game.NewRoom("ABCDEF", game.Seat{Name: "A", ConnID: "cx"}, t0)
	_ = r.Join(game.Seat{Name: "B", ConnID: "co"}, t0)
	if err := s.CreateRoom(ctx(t), r); err != nil {
		t.Fatal(err)
	}
	const writers = 9
	var wins, conflicts atomic.Int32
	var winner atomic.Int32
	var wg, read sync.WaitGroup
	start := make(chan struct{})
	for cell := 0; cell < writers; cell++ {
		wg.Add(1)
		read.Add(1)
		go func() {
			defer wg.Done()
			mine, err := s.GetRoom(ctx(t), "ABCDEF")
			read.Done()
			if err != nil {
				t.Error(err)
				return
			}
			<-start // every writer starts from the same version
			if err := mine.Move("cx", cell, t0); err != nil {
				t.Error(err)
				return
			}
			switch err := s.SaveRoom(ctx(t), mine); {
			case err == nil:
				wins.Add(1)
				winner.Store(int32(cell))
			case errors.Is(err, store.ErrConflict):
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	read.Wait()
	close(start)
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != writers-1 {
		t.Fatalf("wins %d conflicts %d, want exactly one win", wins.Load(), conflicts.Load())
	}
	got, _ := s.GetRoom(ctx(t), "ABCDEF")
	marks := 0
	for _, c := range got.Board {
		if c != game.None {
			marks++
		}
	}
	if marks != 1 || got.Board[winner.Load()] != game.X || got.Version != 2 {
		t.Fatalf("board %v version %d: want only the winner's mark", got.Board, got.Version)
	}
}

func TestConnections(t *testing.T) {
	s, _ := newStore(t, newClock(t0))
	if _, err := s.GetConnection(ctx(t), "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing connection: %v", err)
	}
	want := store.Connection{ID: "c1", RoomCode: "ABCDEF", Role: store.RoleWatcher}
	if err := s.PutConnection(ctx(t), &want); err != nil || want.Version != 1 {
		t.Fatalf("first record: %v, version %d; want version 1", err, want.Version)
	}
	if got, err := s.GetConnection(ctx(t), "c1"); err != nil || got != want {
		t.Fatalf("got %+v %v, want %+v", got, err, want)
	}
	closed := want
	closed.Closed = true
	if err := s.PutConnection(ctx(t), &closed); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetConnection(ctx(t), "c1"); err != nil || !got.Closed || got.Version != 2 {
		t.Fatalf("got %+v %v, want closed at version 2", got, err)
	}
}

// A record written before records had a version (a connection open across the deploy that
// brought them) reads as version 0, and the next write replaces it.
func TestUnversionedConnectionRecordIsReplaced(t *testing.T) {
	s, tb := newStore(t, newClock(t0))
	_, err := tb.Client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String(tb.Name), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "CONN#old"}, "kind": &types.AttributeValueMemberS{Value: "connection"},
		"connectionId": &types.AttributeValueMemberS{Value: "old"}, "roomCode": &types.AttributeValueMemberS{Value: "ABCDEF"},
		"role": &types.AttributeValueMemberS{Value: "X"}, "expiresAt": &types.AttributeValueMemberN{Value: strconv.FormatInt(t0.Add(time.Hour).Unix(), 10)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := s.GetConnection(ctx(t), "old")
	if err != nil || rec.Version != 0 || rec.RoomCode != "ABCDEF" {
		t.Fatalf("old record %+v, %v; want room ABCDEF at version 0", rec, err)
	}
	rec.RoomCode = "GHJKMN"
	if err := s.PutConnection(ctx(t), &rec); err != nil {
		t.Fatalf("replacing an unversioned record: %v", err)
	}
}

// Two frames of one connection that read the same record: only the first write lands, so the
// second learns it raced (a version is never reused: records are replaced, not deleted).
func TestConnectionWritesAreConditional(t *testing.T) {
	tests := []struct {
		name string
		read int64 // the version both writers read
	}{
		{"no record yet", 0},
		{"an existing record", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t, newClock(t0))
			if tt.read > 0 {
				if err := s.PutConnection(ctx(t), &store.Connection{ID: "c1", RoomCode: "AAAAAA", Role: store.RoleX}); err != nil {
					t.Fatal(err)
				}
			}
			first := store.Connection{ID: "c1", RoomCode: "BBBBBB", Role: store.RoleX, Version: tt.read}
			second := store.Connection{ID: "c1", RoomCode: "CCCCCC", Role: store.RoleO, Version: tt.read}
			if err := s.PutConnection(ctx(t), &first); err != nil {
				t.Fatal(err)
			}
			if err := s.PutConnection(ctx(t), &second); !errors.Is(err, store.ErrConflict) || second.Version != tt.read {
				t.Fatalf("second write: %v, version %d; want ErrConflict and the version unchanged", err, second.Version)
			}
			if got, _ := s.GetConnection(ctx(t), "c1"); got.RoomCode != "BBBBBB" {
				t.Fatalf("record %+v, want the first write's", got)
			}
		})
	}
}

func TestCorruptItemIsAnError(t *testing.T) {
	s, tb := newStore(t, newClock(t0))
	_, err := tb.Client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String(tb.Name), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "ROOM#BADBAD"}, "kind": &types.AttributeValueMemberS{Value: "room"},
		"board": &types.AttributeValueMemberS{Value: "XXXXXXXX?"}, "version": &types.AttributeValueMemberN{Value: "1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRoom(ctx(t), "BADBAD"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a corrupt room must be an error, not a room or absent: %v", err)
	}
}

func TestStoreErrorsCarryContext(t *testing.T) {
	// A table that does not exist: every call fails with the SDK's error wrapped, not swallowed.
	tb := dynalitetest.New(t)
	s := store.NewDynamoStore(tb.Client, "no-such-table", time.Now, store.Expiry{Room: config.DefaultRoomTTL})
	_, err := s.GetRoom(ctx(t), "ABCDEF")
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Fatalf("got %v, want the SDK's ResourceNotFoundException wrapped", err)
	}
}

// The quick-match queue: empty at first; written only over the version read; its entries come
// back as written, oldest first; an entry past QueueEntryTTL is no longer live; and a
// connection's Queued flag and quick-match cooldown facts round-trip.
func TestQueue(t *testing.T) {
	c := newClock(t0)
	s, _ := newStore(t, c)
	q, err := s.GetQueue(ctx(t))
	if err != nil || len(q.Entries) != 0 || q.Version != 0 {
		t.Fatalf("empty queue: %+v, %v", q, err)
	}
	q.Entries = []store.QueueEntry{{ConnID: "a", Name: "Ann ☃", At: t0}, {ConnID: "b", Name: "Bob", At: t0.Add(1500 * time.Millisecond)}}
	if err := s.PutQueue(ctx(t), &q); err != nil || q.Version != 1 {
		t.Fatalf("first write: %v, version %d", err, q.Version)
	}
	stale := store.Queue{Entries: []store.QueueEntry{{ConnID: "x", Name: "X", At: t0}}}
	if err := s.PutQueue(ctx(t), &stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a write over a version not read: %v, want ErrConflict", err)
	}
	got, err := s.GetQueue(ctx(t))
	if err != nil || got.Version != 1 || !reflect.DeepEqual(got.Entries, q.Entries) {
		t.Fatalf("read back %+v (%v), want %+v", got, err, q)
	}
	if live := got.Live(t0.Add(store.QueueEntryTTL + time.Second)); len(live) != 1 || live[0].ConnID != "b" {
		t.Fatalf("live past a's expiry: %+v", live)
	}
	got.Entries = nil
	if err := s.PutQueue(ctx(t), &got); err != nil {
		t.Fatalf("emptying: %v", err)
	}
	if q, _ := s.GetQueue(ctx(t)); len(q.Entries) != 0 || q.Version != 2 {
		t.Fatalf("emptied queue %+v", q)
	}

	conn := store.Connection{ID: "a", Queued: true, QuickRoom: "ABCDEF", QuickLeaves: 2, QuickLeftAt: t0.Add(250 * time.Millisecond)}
	if err := s.PutConnection(ctx(t), &conn); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.GetConnection(ctx(t), "a"); err != nil || !reflect.DeepEqual(rec, conn) {
		t.Fatalf("queued record read back %+v, %v; want %+v", rec, err, conn)
	}
}
