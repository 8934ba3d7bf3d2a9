package players

import (
	"cmp"
	"slices"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
)

// BoardSize is how many players the leaderboard lists.
const BoardSize = 50

// Standing is a rated player's place on the leaderboard.
type Standing struct {
	ID     string
	Name   string
	Rating int
	Rated  int
	// Expires is when the player is forgotten if they play no more (Profile.Expires): a
	// standing past it is left out.
	Expires time.Time
	// Version is the profile's version it was taken from: an older one never replaces a newer
	// (two of a player's games recorded at once place them in either order).
	Version int64
}

// Provisional reports whether the standing's rating is still provisional.
func (s Standing) Provisional() bool { return s.Rated < game.ProvisionalGames }

// StandingOf is p's standing.
func StandingOf(p Profile) Standing {
	return Standing{ID: p.ID, Name: p.Name, Rating: p.Rating, Rated: p.Rated, Expires: p.Expires(), Version: p.Version}
}

// Board is the leaderboard: the top BoardSize rated players, best first, kept as one item
// that every rated game's players are placed in (Place), so that reading it reads no table.
type Board struct {
	Top     []Standing
	Version int64 // the store's optimistic-concurrency counter; 0: not stored yet
}

// order sorts by rating, best first; ties by more rated games, then by id, so every reader
// agrees.
func order(a, b Standing) int {
	if c := cmp.Compare(b.Rating, a.Rating); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Rated, a.Rated); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// Place puts st where its rating ranks it, or takes the player off when it no longer ranks in
// the top BoardSize; standings past their expiry at now are dropped. A standing older than
// the player's on the board changes nothing. It reports whether the board changed.
func (b *Board) Place(st Standing, now time.Time) bool {
	for _, s := range b.Top {
		if s.ID == st.ID && s.Version > st.Version {
			return false // a newer standing of theirs is on the board already
		}
	}
	before := slices.Clone(b.Top)
	b.Top = slices.DeleteFunc(b.Top, func(s Standing) bool { return s.ID == st.ID || !now.Before(s.Expires) })
	if st.Rated > 0 {
		b.Top = append(b.Top, st)
	}
	slices.SortFunc(b.Top, order)
	if len(b.Top) > BoardSize {
		b.Top = b.Top[:BoardSize]
	}
	return !slices.Equal(before, b.Top)
}

// Remove takes player id off the board, reporting whether they were on it.
func (b *Board) Remove(id string) bool {
	n := len(b.Top)
	b.Top = slices.DeleteFunc(b.Top, func(s Standing) bool { return s.ID == id })
	return len(b.Top) != n
}

// Live is the board as of now: expired standings left out.
func (b Board) Live(now time.Time) []Standing {
	return slices.DeleteFunc(slices.Clone(b.Top), func(s Standing) bool { return !now.Before(s.Expires) })
}

// BandWidth is the width of a rating band: a player's rank past the board is counted by bands
// (Ranks), one number per band kept, so that no read walks the players.
const BandWidth = 10

// Band is the band of rating r.
func Band(r int) int {
	if r < 0 {
		return -((-r + BandWidth - 1) / BandWidth)
	}
	return r / BandWidth
}

// Counted is where a rated player is counted for ranks past the board: their rating's band,
// in the week of their last rated game. Counts are kept per week, so that a player who stops
// playing leaves the counts of the last Retention within a week of their profile's expiry,
// with no deletion to miss.
type Counted struct {
	Band int
	Week int64 // weeks since the epoch (WeekOf)
}

// WeekOf is the week t falls in.
func WeekOf(t time.Time) int64 { return t.Unix() / int64(7*24*time.Hour/time.Second) }

// CountedOf is where p is counted; false for a player not rated.
func CountedOf(p Profile) (Counted, bool) {
	if p.Rated == 0 {
		return Counted{}, false
	}
	at := p.RatedAt
	if at.IsZero() {
		at = p.UpdatedAt
	}
	return Counted{Band: Band(p.Rating), Week: WeekOf(at)}, true
}

// CountedWeeks are the weeks whose counts make a rank at now: those a live profile's last rated
// game can fall in (Retention, and the week it ends in).
func CountedWeeks(now time.Time) []int64 {
	var out []int64
	for w := WeekOf(now.Add(-Retention)); w <= WeekOf(now); w++ {
		out = append(out, w)
	}
	return out
}

// RankAbove is the rank of a player whose rating is in band, from every band's count of rated
// players: one more than the players in higher bands. Exact on the board (Board.Live gives the
// place); past it, the rank of the band's best, which the page shows as "about".
func RankAbove(band int, counts map[int]int) int {
	rank := 1
	for b, n := range counts {
		if b > band && n > 0 {
			rank += n
		}
	}
	return rank
}
