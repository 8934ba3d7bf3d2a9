// Package players holds the rules of anonymous player identities and what is kept about a
// player (docs/privacy.md): how a page's credential is checked, how a finished game
// (game.Record) changes a player's stats, history and rating, and the leaderboard. It is pure:
// no AWS, no clock of its own; lambda/store keeps its values and lambda/service applies them.
//
// An identity needs no sign-up: the page draws a secret on its first visit and keeps it with
// the id it makes (IDOf) in localStorage; the server keeps neither the secret nor a hash of it.
// The seam for accounts later is service.Identify: a check of a Cognito token instead of a
// secret would hand the game the same Identity.
package players

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
)

// Credential is what a page presents to play as its player: the id and the secret it drew.
type Credential struct {
	ID, Secret string
}

// The credential's shape: the secret is SecretBytes random bytes, and the id the first IDBytes
// of the secret's SHA-256 (IDOf), both in unpadded base64url.
const (
	IDBytes     = 16
	SecretBytes = 32
)

// IDOf is the id that secret makes. The id is the secret's, so nobody can claim an id they
// did not draw (it would take a preimage of SHA-256), an id read off a screen is worth
// nothing, and the server keeps no secret and no hash of one: a credential proves itself.
func IDOf(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(sum[:IDBytes])
}

// Check refuses a credential that is not of the shape a page draws, or whose id is not its
// secret's, naming the field.
func (c Credential) Check() error {
	if !wellFormed(c.ID, IDBytes) {
		return apperr.New(apperr.BadRequest, "player.id must be %d bytes in unpadded base64url, as the page draws it.", IDBytes).On("player")
	}
	if !wellFormed(c.Secret, SecretBytes) {
		return apperr.New(apperr.BadRequest, "player.secret must be %d bytes in unpadded base64url, as the page draws it.", SecretBytes).On("player")
	}
	if subtle.ConstantTimeCompare([]byte(IDOf(c.Secret)), []byte(c.ID)) != 1 {
		return apperr.New(apperr.NotYourPlayer, "That player id is not the one its secret makes.").On("player")
	}
	return nil
}

func wellFormed(s string, n int) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(n) {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == n
}

// Retention: how long what is kept about a player lives after their last game (docs/privacy.md):
// every recorded game renews it. Only their last HistoryKeep games are kept at all.
const (
	Retention   = 365 * 24 * time.Hour
	HistoryKeep = 50
	// ErasureMemory is how long an erased player's mark is kept (lambda/store): longer than a
	// room can hold their seat unseen (ROOM_TTL's day) or the queue their place (2 hours), so
	// that no game of theirs is recorded after they were told "forgotten".
	ErasureMemory = 48 * time.Hour
)

// Tally counts games and their results.
type Tally struct {
	Games, Wins, Losses, Draws int
}

func (t *Tally) add(result string) {
	t.Games++
	switch result {
	case Win:
		t.Wins++
	case Loss:
		t.Losses++
	default:
		t.Draws++
	}
}

// Stats are a player's counts: against people, against each computer level apart, the games
// lost by forfeit (the grace period ran out, or they left a game under way) and by the move
// clock, and the runs of wins (every game counts).
type Stats struct {
	People   Tally
	Computer map[game.Level]Tally
	Forfeits int
	Timeouts int
	Streak   int
	Best     int
}

// Results, from a player's side.
const (
	Win  = "win"
	Loss = "loss"
	Draw = "draw"
)

// Profile is everything kept about one player, as one item: their stats, rating and history. One item makes recording a game one conditional write (exactly once, Apply) and
// erasure one delete.
type Profile struct {
	ID string
	// Name is the name they last played under: the leaderboard shows it.
	Name   string
	Stats  Stats
	Rating int // 0 until their first rated game (game.InitialRating applies)
	Rated  int // rated games played
	// RatedAt is when their last rated game ended (Counted).
	RatedAt time.Time
	// History is their last games, oldest first, at most HistoryKeep.
	History   []Entry
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64 // the store's optimistic-concurrency counter; 0: not stored yet
}

// Identity is the game's view of p: who sits down, with their rating now.
func (p Profile) Identity() game.Identity {
	return game.Identity{ID: p.ID, Rating: p.Rating, Rated: p.Rated}
}

// Expires is when p is forgotten if they play no more.
func (p Profile) Expires() time.Time { return p.UpdatedAt.Add(Retention) }

// Entry is one game of a player's history, from their side: what "Your games" shows and
// replays.
type Entry struct {
	GameID    string
	Code      string
	StartedAt time.Time
	EndedAt   time.Time
	Moves     []int
	Starter   game.Symbol
	Seat      game.Symbol // the player's own seat
	Result    string      // Win, Loss or Draw
	How       string      // game.EndLine…
	Opponent  string      // the opponent's name ("Erased player" once they erased themselves)
	// OpponentComputer is the computer's level when the opponent was the computer.
	OpponentComputer game.Level
	// OpponentID is the opponent's player id, kept only so that either player's erasure can
	// reach the other's profile (Detach); never sent to a client.
	OpponentID string
	Rated      bool
	Delta      int // the rating change; 0 unless Rated
}

// ErasedName replaces an erased player's name in their opponents' history.
const ErasedName = "Erased player"

// EntryOf is rec from seat s's side.
func EntryOf(rec *game.Record, s game.Symbol) Entry {
	me, them := rec.Side(s), rec.Side(s.Other())
	result := Draw
	switch rec.Winner {
	case s:
		result = Win
	case s.Other():
		result = Loss
	}
	return Entry{
		GameID: rec.ID, Code: rec.Code, StartedAt: rec.StartedAt, EndedAt: rec.EndedAt, Moves: append([]int(nil), rec.Moves...),
		Starter: rec.Starter, Seat: s, Result: result, How: rec.How, Opponent: them.Name, OpponentComputer: them.Computer,
		OpponentID: them.ID, Rated: rec.Rated, Delta: me.Delta,
	}
}

// Has reports whether p's history holds game id.
func (p *Profile) Has(id string) bool {
	for _, e := range p.History {
		if e.GameID == id {
			return true
		}
	}
	return false
}

// Apply adds e, a game of p's played under name, to p's stats, rating and history at now. It
// reports false, and changes nothing, when p's history already holds the game: a record
// applied twice (a retry, a race) counts once.
func (p *Profile) Apply(e Entry, name string, now time.Time) bool {
	if p.Has(e.GameID) {
		return false
	}
	if e.OpponentComputer != "" {
		if p.Stats.Computer == nil {
			p.Stats.Computer = map[game.Level]Tally{}
		}
		t := p.Stats.Computer[e.OpponentComputer]
		t.add(e.Result)
		p.Stats.Computer[e.OpponentComputer] = t
	} else {
		p.Stats.People.add(e.Result)
	}
	if e.Result == Loss {
		switch e.How {
		case game.EndForfeit, game.EndLeft:
			p.Stats.Forfeits++
		case game.EndTimeout:
			p.Stats.Timeouts++
		}
	}
	if e.Result == Win {
		p.Stats.Streak++
		p.Stats.Best = max(p.Stats.Best, p.Stats.Streak)
	} else {
		p.Stats.Streak = 0
	}
	if e.Rated {
		p.Rating = game.Rerated(p.Identity().EffectiveRating(), e.Delta)
		p.Rated++
		p.RatedAt = now
	}
	if name != "" {
		p.Name = name
	}
	p.History = append(p.History, e)
	if len(p.History) > HistoryKeep {
		p.History = append([]Entry(nil), p.History[len(p.History)-HistoryKeep:]...)
	}
	p.UpdatedAt = now
	return true
}

// Detach replaces the opponent of game id in p's history by ErasedName and drops their id:
// the opponent erased themselves. It reports whether p's history held the game.
func (p *Profile) Detach(id string) bool {
	for i := range p.History {
		if e := &p.History[i]; e.GameID == id {
			e.Opponent, e.OpponentID = ErasedName, ""
			return true
		}
	}
	return false
}
