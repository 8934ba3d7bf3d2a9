package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/players"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// A profile comes back as written, history and all; writes are conditioned on the version read
// (a second creation, a stale write and a stale delete are refused); a profile past its
// retention reads as absent and may be created again.
func TestPlayerProfiles(t *testing.T) {

	c := newClock(t0)
	s, _ := newStore(t, c)
	p := players.Profile{ID: "ann", Name: "Ann", CreatedAt: t0, UpdatedAt: t0, Rating: 1220, Rated: 1, RatedAt: t0,
		Stats: players.Stats{People: players.Tally{Games: 1, Wins: 1}, Computer: map[game.Level]players.Tally{game.Easy: {Games: 2, Draws: 2}},
			Forfeits: 1, Timeouts: 2, Streak: 1, Best: 3},
		History: []players.Entry{{GameID: "K7M2QX-abc-1", Code: "K7M2QX", StartedAt: t0, EndedAt: t0.Add(time.Minute), Moves: []int{0, 3, 1, 4, 2},
			Starter: game.X, Seat: game.X, Result: players.Win, How: game.EndLine, Opponent: "Bob", OpponentID: "bob", Rated: true, Delta: 20}}}
	if err := s.PutPlayer(ctx(t), &p); err != nil || p.Version != 1 {
		t.Fatalf("create: %v, version %d", err, p.Version)
	}
	again := players.Profile{ID: "ann", CreatedAt: t0, UpdatedAt: t0}
	if err := s.PutPlayer(ctx(t), &again); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a second creation: %v, want ErrConflict", err)
	}
	got, err := s.GetPlayer(ctx(t), "ann")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", p) { // times as written, whatever their location
		t.Fatalf("read back\n%+v\nwant\n%+v", got, p)
	}
	stale := got
	got.Name = "Annie"
	if err := s.PutPlayer(ctx(t), &got); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPlayer(ctx(t), &stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a stale write: %v", err)
	}
	if err := s.DeletePlayer(ctx(t), stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a stale delete: %v", err)
	}
	c.set(t0.Add(players.Retention + time.Second))
	if _, err := s.GetPlayer(ctx(t), "ann"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("past its retention: %v, want ErrNotFound", err)
	}
	fresh := players.Profile{ID: "ann", CreatedAt: c.now(), UpdatedAt: c.now()}
	if err := s.PutPlayer(ctx(t), &fresh); err != nil {
		t.Fatalf("creating over an expired profile: %v", err)
	}
	if err := s.DeletePlayer(ctx(t), fresh); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePlayer(ctx(t), fresh); err != nil {
		t.Fatalf("deleting what is gone: %v", err)
	}
}

// The leaderboard is one versioned item; the bands count by ADD, so racing moves keep every
// count.
func TestBoardAndBands(t *testing.T) {

	s, _ := newStore(t, newClock(t0))
	b, err := s.GetBoard(ctx(t))
	if err != nil || b.Version != 0 || len(b.Top) != 0 {
		t.Fatalf("no board yet: %+v, %v", b, err)
	}
	b.Place(players.Standing{ID: "ann", Name: "Ann", Rating: 1220, Rated: 1, Expires: t0.Add(time.Hour)}, t0)
	stale := b
	if err := s.PutBoard(ctx(t), &b); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBoard(ctx(t), &stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a stale board: %v", err)
	}
	back, err := s.GetBoard(ctx(t))
	if err != nil || len(back.Top) != 1 || back.Top[0].Name != "Ann" || !back.Top[0].Expires.Equal(t0.Add(time.Hour)) {
		t.Fatalf("board read back: %+v, %v", back, err)
	}
	w := players.WeekOf(t0)
	at := func(band int, week int64) players.Counted { return players.Counted{Band: band, Week: week} }
	for _, m := range []struct {
		from, to     players.Counted
		fromOK, toOK bool
	}{
		{to: at(122, w), toOK: true},
		{to: at(122, w), toOK: true},
		{from: at(122, w), fromOK: true, to: at(124, w+1), toOK: true}, // a later week
		{to: at(118, w-60), toOK: true},                                // counted long ago
	} {
		if err := s.MoveBand(ctx(t), m.from, m.fromOK, m.to, m.toOK); err != nil {
			t.Fatal(err)
		}
	}
	bands, err := s.Bands(ctx(t), []int64{w, w + 1})
	if err != nil || !reflect.DeepEqual(bands, map[int]int{122: 1, 124: 1}) {
		t.Fatalf("bands of two weeks %v, %v", bands, err)
	}
	// Counted at t0: the last year's weeks, up to t0's; not the week after, not 60 weeks before.
	if bands, _ := s.Bands(ctx(t), players.CountedWeeks(t0)); len(bands) != 1 || bands[122] != 1 {
		t.Fatalf("bands counted at %v: %v, want only week w's 122", t0, bands)
	}
}
