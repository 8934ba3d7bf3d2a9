package game

import (
	"math"
	"strconv"
	"time"
)

// Identity is the anonymous player behind a seat (lambda/players): the player's id and their
// rating as it stood when they sat down, kept with the seat through the series so that a game's
// rating change follows from the room's own state. A zero Identity is a player who did not
// identify: nothing is recorded for them.
type Identity struct {
	ID     string
	Rating int // Elo rating; 0 for one not yet rated (InitialRating applies)
	Rated  int // rated games played
}

// How a game ended (Record.How).
const (
	EndLine    = "line"    // three in a row
	EndDraw    = "draw"    // a full board
	EndForfeit = "forfeit" // the loser's grace period ran out while offline
	EndTimeout = "timeout" // the loser's move clock ran out
	EndLeft    = "left"    // the loser left a game in progress
)

// Record is a finished game as its room saw it end: the one source of its history entries,
// stats and rating changes, written with the room in the write that ended the game.
type Record struct {
	// ID is the game's id: the room's code and when the game began, unique across rooms and
	// rematches (RecordID).
	ID        string
	Code      string
	StartedAt time.Time
	EndedAt   time.Time
	// Moves are the cells in the order played, the first by Starter.
	Moves   []int
	Starter Symbol
	Winner  Symbol // None: a draw
	How     string
	// Rated: the game counts for both players' ratings (Rated).
	Rated bool
	X, O  Side
}

// Side is a seat's player in a Record.
type Side struct {
	Name     string
	Computer Level // the computer's level; "" for a person
	Identity       // the player's identity and rating before the game; zero if none
	Delta    int   // the rating change this game made; 0 unless Rated
}

// Side returns seat s's side of the record.
func (rec *Record) Side(s Symbol) *Side {
	if s == O {
		return &rec.O
	}
	return &rec.X
}

// RecordID is the id of game n of room code created at created: a code is reused only once
// its room is gone, so the creation tells rooms apart, and n the games of one room.
func RecordID(code string, created time.Time, n int) string {
	return code + "-" + strconv.FormatInt(created.UnixMilli(), 36) + "-" + strconv.Itoa(n)
}

// Rating rules: Elo, as FIDE's, on integers.
const (
	// InitialRating is a new player's rating.
	InitialRating = 1200
	// ProvisionalGames is how many rated games a rating is provisional for: it moves faster
	// (KProvisional) and the leaderboard marks it.
	ProvisionalGames = 10
	KProvisional     = 40
	KEstablished     = 20
	// RatingFloor is as low as a rating goes, so that a rating is never 0 (not yet rated).
	RatingFloor = 100
)

// Rerated is rating r changed by delta, no lower than RatingFloor.
func Rerated(r, delta int) int { return max(RatingFloor, r+delta) }

// EffectiveRating is id's rating, InitialRating for a player not yet rated.
func (id Identity) EffectiveRating() int {
	if id.Rating == 0 {
		return InitialRating
	}
	return id.Rating
}

// Provisional reports whether id's rating is still provisional.
func (id Identity) Provisional() bool { return id.Rated < ProvisionalGames }

// EloDelta is the change to a rating of mine after a game against a rating of theirs that
// scored score (1 a win, 0.5 a draw, 0 a loss), with factor k.
func EloDelta(mine, theirs int, score float64, k int) int {
	expected := 1 / (1 + math.Pow(10, float64(theirs-mine)/400))
	return int(math.Round(float64(k) * (score - expected)))
}

// ratedBetween reports whether a game of room r counts for ratings: two people who both
// identified, as two different players, whom quick match paired from two addresses
// (RatedPair). A private room does not count: its players chose each other, so one person
// playing a second identity, or a friend throwing games, could move a rating at will; nor does
// a quick-match room's later guest (who joined by the code), nor two players from one address,
// who may be one person in two tabs.
func ratedBetween(r *Room) bool {
	x, o := r.X, r.O
	return r.RatedPair && r.RatedGames < RatedPerPairing && x.person() && o.person() && x.ID != "" && o.ID != "" && x.ID != o.ID
}

// RatedPerPairing is how many games one quick-match pairing rates: the first and two
// rematches. Two players (or one with two identities on two networks) who keep rematching
// cannot move a rating further without being paired again from the queue.
const RatedPerPairing = 3

// end records the game that just ended (winner None: a draw) in r.Ended, applies its rating
// changes to both seats' snapshots, and so fixes them for everyone: the record is written
// with the room, once. A game with no move is no game (a phone asleep at the pairing, a leave
// before the first move), and one player in both seats plays nobody: neither is recorded.
func (r *Room) end(winner Symbol, how string, now time.Time) {
	if r.X == nil || r.O == nil || len(r.Moves) == 0 || r.X.ID != "" && r.X.ID == r.O.ID {
		return
	}
	started := r.GameAt
	if started.IsZero() { // a game begun before rooms kept GameAt: its turn's start is as stable
		started = r.TurnAt
	}
	n := r.Games
	if n == 0 { // begun before rooms counted their games: told apart by its start
		n = -int(started.UnixMilli() % 1e9)
	}
	rec := &Record{
		ID: RecordID(r.Code, r.CreatedAt, n), Code: r.Code, StartedAt: started, EndedAt: now,
		Moves: append([]int(nil), r.Moves...), Starter: r.Starter, Winner: winner, How: how,
		Rated: ratedBetween(r),
	}
	for _, s := range []Symbol{X, O} {
		p := r.Player(s)
		*rec.Side(s) = Side{Name: p.Name, Computer: p.Computer, Identity: p.Identity}
	}
	if rec.Rated {
		for _, s := range []Symbol{X, O} {
			me, them := rec.Side(s), rec.Side(s.Other())
			score := 0.5
			if winner == s {
				score = 1
			} else if winner == s.Other() {
				score = 0
			}
			k := KEstablished
			if me.Provisional() {
				k = KProvisional
			}
			me.Delta = EloDelta(me.EffectiveRating(), them.EffectiveRating(), score, k)
		}
		for _, s := range []Symbol{X, O} {
			p := r.Player(s)
			p.Rating = Rerated(p.EffectiveRating(), rec.Side(s).Delta)
			p.Rated++
		}
		r.RatedGames++
	}
	r.Ended = rec
}

// Clone is a deep copy of rec.
func (rec *Record) Clone() *Record {
	if rec == nil {
		return nil
	}
	c := *rec
	c.Moves = append([]int(nil), rec.Moves...)
	return &c
}
