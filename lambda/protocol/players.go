package protocol

import (
	"encoding/json"
	"slices"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/players"
)

// Server frame types of players' stats (lambda/players).
const (
	TypeGames       = "games"
	TypeLeaderboard = "leaderboard"
	TypeForgotten   = "forgotten"
)

// Rank is a player's place among rated players: exact, or About when counted by rating band
// (past the leaderboard); zero Place when not rated.
type Rank struct {
	Place int
	About bool
}

// Tally is a count of games and results.
type Tally struct {
	Games  int `json:"games"`
	Wins   int `json:"wins"`
	Losses int `json:"losses"`
	Draws  int `json:"draws"`
}

// Standing is a player's rating and place.
type Standing struct {
	Name        string `json:"name,omitempty"`
	Rating      int    `json:"rating"`
	RatedGames  int    `json:"ratedGames"`
	Provisional bool   `json:"provisional"`
	Rank        int    `json:"rank,omitempty"`
	// RankAbout: Rank is counted by rating band, past the leaderboard.
	RankAbout bool `json:"rankAbout,omitempty"`
	// You marks the asker's own row of the leaderboard.
	You bool `json:"you,omitempty"`
}

// StatsState is a player's counts.
type StatsState struct {
	People Tally `json:"people"`
	// Computer is by level: easy, medium, perfect.
	Computer   map[string]Tally `json:"computer"`
	Forfeits   int              `json:"forfeits"`
	Timeouts   int              `json:"timeouts"`
	Streak     int              `json:"streak"`
	BestStreak int              `json:"bestStreak"`
}

// GameEntry is one game of a player's history, from their side: enough to replay it.
type GameEntry struct {
	ID        string `json:"id"`
	Code      string `json:"code"`
	StartedAt int64  `json:"startedAt"`
	EndedAt   int64  `json:"endedAt"`
	// Seat is the player's own; Starter moved first, and Moves are the cells in order.
	Seat    string `json:"seat"`
	Starter string `json:"starter"`
	Moves   []int  `json:"moves"`
	Result  string `json:"result"` // win, loss or draw
	How     string `json:"how"`    // line, draw, forfeit, timeout or left
	// Opponent is the opponent's name; OpponentComputer the computer's level when it was.
	Opponent         string `json:"opponent"`
	OpponentComputer string `json:"opponentComputer,omitempty"`
	Rated            bool   `json:"rated"`
	RatingChange     int    `json:"ratingChange,omitempty"`
}

// GamesFrameJSON answers myGames.
type GamesFrameJSON struct {
	Type   string      `json:"type"`
	Player Standing    `json:"player"`
	Stats  StatsState  `json:"stats"`
	Games  []GameEntry `json:"games"` // newest first
}

// GamesFrame is p's games frame; p is the zero Profile for a player who has played nothing.
func GamesFrame(p players.Profile, rank Rank) ([]byte, error) {
	f := GamesFrameJSON{Type: TypeGames, Player: standing(p.Identity(), rank), Games: []GameEntry{},
		Stats: StatsState{People: Tally(p.Stats.People), Computer: map[string]Tally{}, Forfeits: p.Stats.Forfeits,
			Timeouts: p.Stats.Timeouts, Streak: p.Stats.Streak, BestStreak: p.Stats.Best}}
	f.Player.Name = p.Name
	for level, t := range p.Stats.Computer {
		f.Stats.Computer[string(level)] = Tally(t)
	}
	for _, e := range slices.Backward(p.History) {
		f.Games = append(f.Games, GameEntry{ID: e.GameID, Code: e.Code, StartedAt: e.StartedAt.UnixMilli(), EndedAt: e.EndedAt.UnixMilli(),
			Seat: string(e.Seat), Starter: string(e.Starter), Moves: append([]int{}, e.Moves...), Result: e.Result, How: e.How,
			Opponent: e.Opponent, OpponentComputer: string(e.OpponentComputer), Rated: e.Rated, RatingChange: e.Delta})
	}
	return json.Marshal(f)
}

func standing(id game.Identity, rank Rank) Standing {
	return Standing{Rating: id.EffectiveRating(), RatedGames: id.Rated, Provisional: id.Provisional(), Rank: rank.Place, RankAbout: rank.About}
}

// LeaderboardFrameJSON answers leaderboard: the top players, best first, and the asker's own
// standing when they identified (You).
type LeaderboardFrameJSON struct {
	Type string     `json:"type"`
	Top  []Standing `json:"top"`
	You  *Standing  `json:"you,omitempty"`
}

// LeaderboardFrame lists top; me is the asker's profile (zero when unknown), rank their place.
func LeaderboardFrame(top []players.Standing, me players.Profile, rank Rank) ([]byte, error) {
	f := LeaderboardFrameJSON{Type: TypeLeaderboard, Top: []Standing{}}
	for i, st := range top {
		f.Top = append(f.Top, Standing{Name: st.Name, Rating: st.Rating, RatedGames: st.Rated, Provisional: st.Provisional(),
			Rank: i + 1, You: me.ID != "" && st.ID == me.ID})
	}
	if me.ID != "" {
		you := standing(me.Identity(), rank)
		you.Name = me.Name
		f.You = &you
	}
	return json.Marshal(f)
}

// ForgottenFrame answers forgetMe: nothing is kept about the player any more.
func ForgottenFrame() ([]byte, error) {
	return json.Marshal(struct {
		Type string `json:"type"`
	}{TypeForgotten})
}
