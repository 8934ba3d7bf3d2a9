package players

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
)

func TestCredentialCheck(t *testing.T) {
	secret := base64.RawURLEncoding.EncodeToString([]byte("a secret of thirty-two bytes!!!!"))
	id := IDOf(secret)
	other := base64.RawURLEncoding.EncodeToString([]byte("another secret, thirty-two bytes"))
	for _, tc := range []struct {
		name string
		c    Credential
		code apperr.Code
	}{
		{"as drawn", Credential{id, secret}, ""},
		{"an id read off a screen, with a secret of one's own", Credential{id, other}, apperr.NotYourPlayer},
		{"short id", Credential{id[1:], secret}, apperr.BadRequest},
		{"padded secret", Credential{id, base64.URLEncoding.EncodeToString(make([]byte, SecretBytes))}, apperr.BadRequest},
		{"not base64url", Credential{strings.Repeat("+", len(id)), secret}, apperr.BadRequest},
		{"secret as id", Credential{secret, id}, apperr.BadRequest},
		{"empty", Credential{}, apperr.BadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Check()
			if apperr.CodeOf(err) != tc.code || err != nil && apperr.As(err).Field != "player" {
				t.Fatalf("Check() = %v, want %q on player", err, tc.code)
			}
		})
	}
	if len(id) != 22 || IDOf(other) == id {
		t.Fatalf("ids: %q", id)
	}
}

func entry(id, result, how string, opts ...func(*Entry)) Entry {
	e := Entry{GameID: id, Result: result, How: how, Opponent: "Bob", OpponentID: "bob", Seat: game.X, EndedAt: time.Unix(0, 0)}
	for _, o := range opts {
		o(&e)
	}
	return e
}

// Apply counts a game once, in the right tally, with streaks, forfeits and timeouts, moves a
// rating only for a rated game, and keeps the last HistoryKeep games.
func TestApply(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var p Profile
	vsComputer := func(e *Entry) { e.OpponentComputer, e.OpponentID = game.Perfect, "" }
	rated := func(d int) func(*Entry) { return func(e *Entry) { e.Rated, e.Delta = true, d } }
	games := []Entry{
		entry("g1", Win, game.EndLine, rated(20)),
		entry("g2", Win, game.EndTimeout, rated(18)),
		entry("g3", Loss, game.EndLeft),
		entry("g4", Draw, game.EndDraw, vsComputer),
		entry("g5", Loss, game.EndTimeout, rated(-22)),
		entry("g6", Loss, game.EndForfeit, vsComputer),
		entry("g7", Win, game.EndLine),
	}
	for _, e := range games {
		if !p.Apply(e, "Ann", now) {
			t.Fatalf("%s not applied", e.GameID)
		}
	}
	if p.Apply(games[0], "Ann", now) {
		t.Fatal("a game applied twice")
	}
	want := Stats{People: Tally{Games: 5, Wins: 3, Losses: 2}, Computer: map[game.Level]Tally{game.Perfect: {Games: 2, Losses: 1, Draws: 1}},
		Forfeits: 2, Timeouts: 1, Streak: 1, Best: 2}
	if fmt.Sprint(p.Stats) != fmt.Sprint(want) {
		t.Fatalf("stats %+v, want %+v", p.Stats, want)
	}
	if p.Rating != game.InitialRating+20+18-22 || p.Rated != 3 || p.Name != "Ann" || !p.UpdatedAt.Equal(now) {
		t.Fatalf("rating %d over %d games, name %q", p.Rating, p.Rated, p.Name)
	}
	for i := range HistoryKeep {
		p.Apply(entry(fmt.Sprintf("h%d", i), Draw, game.EndDraw), "", now)
	}
	if len(p.History) != HistoryKeep || p.History[0].GameID != "h0" || p.Has("g7") {
		t.Fatalf("history of %d from %s, want the last %d", len(p.History), p.History[0].GameID, HistoryKeep)
	}
	if !p.Detach("h3") || p.History[3].Opponent != ErasedName || p.History[3].OpponentID != "" || p.Detach("g1") {
		t.Fatalf("detach: %+v", p.History[3])
	}
}

// EntryOf reads a record from each side.
func TestEntryOf(t *testing.T) {
	rec := &game.Record{ID: "K7M2QX-1", Code: "K7M2QX", Winner: game.O, How: game.EndLine, Moves: []int{4, 0}, Rated: true,
		X: game.Side{Name: "Ann", Identity: game.Identity{ID: "ann"}, Delta: -20},
		O: game.Side{Name: "Bob", Identity: game.Identity{ID: "bob"}, Delta: 20}}
	x, o := EntryOf(rec, game.X), EntryOf(rec, game.O)
	if x.Result != Loss || x.Opponent != "Bob" || x.OpponentID != "bob" || x.Delta != -20 || x.Seat != game.X {
		t.Errorf("X's entry %+v", x)
	}
	if o.Result != Win || o.Opponent != "Ann" || o.OpponentID != "ann" || o.Delta != 20 || o.Seat != game.O {
		t.Errorf("O's entry %+v", o)
	}
	rec.Winner = game.None
	if EntryOf(rec, game.X).Result != Draw {
		t.Error("a draw")
	}
}

// The board keeps the best BoardSize, best first, drops a player who falls off it and those
// past their retention, and moves nobody when nothing changed.
func TestBoard(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	var b Board
	for i := range BoardSize + 5 {
		b.Place(Standing{ID: fmt.Sprintf("p%02d", i), Rating: 1000 + i, Rated: 12, Expires: later}, now)
	}
	if len(b.Top) != BoardSize || b.Top[0].ID != "p54" || b.Top[BoardSize-1].ID != "p05" {
		t.Fatalf("board of %d from %s to %s", len(b.Top), b.Top[0].ID, b.Top[len(b.Top)-1].ID)
	}
	if b.Place(Standing{ID: "low", Rating: 900, Rated: 1, Expires: later}, now) {
		t.Error("a rating below the board changed it")
	}
	if !b.Place(Standing{ID: "p54", Rating: 999, Rated: 13, Expires: later}, now) || b.Top[0].ID != "p53" {
		t.Errorf("the best fell: top %s", b.Top[0].ID)
	}
	if b.Place(Standing{ID: "p53", Rating: 1053, Rated: 12, Expires: later}, now) {
		t.Error("the same standing again changed the board")
	}
	if !b.Remove("p53") || b.Remove("p53") {
		t.Error("remove")
	}
	b.Top[0].Expires = now
	if live := b.Live(now); len(live) != len(b.Top)-1 {
		t.Errorf("live %d of %d, want the expired one left out", len(live), len(b.Top))
	}
	if !(Standing{Rated: 9}).Provisional() || (Standing{Rated: 10}).Provisional() {
		t.Error("provisional below 10 rated games")
	}
}

func TestRankAbove(t *testing.T) {
	counts := map[int]int{150: 2, 121: 3, 120: 5, 119: 10, 90: 1}
	for _, tc := range []struct{ rating, want int }{{1500, 1}, {1205, 6}, {1199, 11}, {1000, 21}} {
		if got := RankAbove(Band(tc.rating), counts); got != tc.want {
			t.Errorf("rank of %d = %d, want %d", tc.rating, got, tc.want)
		}
	}
}
