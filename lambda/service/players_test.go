package service

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/players"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/memstore"
)

// A finished game is applied once to each player however often it is recorded at once (a
// retried request, two containers): the profiles' conditional writes let one through and the
// rest find it applied. Both rating changes come from the one record, and the leaderboard and
// the rating bands count each player once. Against dynalite, with racing goroutines.
func TestRecordingIsExactlyOnce(t *testing.T) {
	tb := dynalitetest.New(t)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	db := store.NewDynamoStore(tb.Client, tb.Name, func() time.Time { return now }, store.Expiry{Room: time.Hour})
	s := New(Options{Store: memstore.New(), Sender: nopSender{}, Grace: time.Minute, Players: db, Now: func() time.Time { return now }})
	ctx := context.Background()
	for _, id := range []string{"ann", "bob"} {
		if err := db.PutPlayer(ctx, &players.Profile{ID: id, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	games := []*game.Record{}
	for n := 1; n <= 3; n++ {
		games = append(games, &game.Record{ID: game.RecordID("K7M2QX", now, n), Code: "K7M2QX", Winner: game.X, How: game.EndLine,
			Moves: []int{0, 3, 1, 4, 2}, Rated: true, EndedAt: now,
			X: game.Side{Name: "Ann", Identity: game.Identity{ID: "ann"}, Delta: 20},
			O: game.Side{Name: "Bob", Identity: game.Identity{ID: "bob"}, Delta: -20}})
	}
	var wg sync.WaitGroup
	for range 8 {
		for _, rec := range games {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.recordGame(ctx, rec.Clone())
			}()
		}
	}
	wg.Wait()
	ann, err := db.GetPlayer(ctx, "ann")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := db.GetPlayer(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if len(ann.History) != 3 || ann.Stats.People.Wins != 3 || ann.Rating != game.InitialRating+60 || ann.Rated != 3 {
		t.Errorf("Ann after 3 games recorded 8 times each: %d games, %d wins, rating %d over %d", len(ann.History), ann.Stats.People.Wins, ann.Rating, ann.Rated)
	}
	if len(bob.History) != 3 || bob.Stats.People.Losses != 3 || bob.Rating != game.InitialRating-60 {
		t.Errorf("Bob: %d games, %d losses, rating %d", len(bob.History), bob.Stats.People.Losses, bob.Rating)
	}
	b, err := db.GetBoard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Top) != 2 || b.Top[0].ID != "ann" || b.Top[0].Rating != ann.Rating {
		t.Errorf("board %+v", b.Top)
	}
	bands, err := db.Bands(ctx, players.CountedWeeks(now))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range bands {
		total += n
	}
	if total != 2 || bands[players.Band(ann.Rating)] != 1 || bands[players.Band(bob.Rating)] != 1 {
		t.Errorf("bands %v, want Ann's and Bob's, once each", bands)
	}
}
