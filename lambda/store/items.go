package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

const (
	roomPrefix = "ROOM#"
	connPrefix = "CONN#"
	// emptyCell marks a free cell in the stored board string.
	emptyCell = '-'
)

// roomItem is a room as stored: one item, readable in the console and the stream, with
// timestamps in epoch milliseconds and expiresAt in epoch seconds (DynamoDB TTL's unit).
type roomItem struct {
	PK       string      `dynamodbav:"pk"`
	Kind     string      `dynamodbav:"kind"`
	Code     string      `dynamodbav:"code"`
	Status   string      `dynamodbav:"status"`
	Board    string      `dynamodbav:"board"` // 9 characters: X, O or '-'
	Turn     string      `dynamodbav:"turn,omitempty"`
	Winner   string      `dynamodbav:"winner,omitempty"`
	WinLine  []int       `dynamodbav:"winLine,omitempty"`
	Starter  string      `dynamodbav:"starter,omitempty"`
	PlayerX  *playerItem `dynamodbav:"playerX,omitempty"`
	PlayerO  *playerItem `dynamodbav:"playerO,omitempty"`
	Score    scoreItem   `dynamodbav:"score"`
	Watchers []string    `dynamodbav:"watchers,omitempty"`
	// SeriesAt is when the current series began, epoch ms (absent in rooms stored before).
	SeriesAt int64 `dynamodbav:"seriesAt,omitempty"`
	// Forfeit is who forfeited the last game (its seat, then its name); absent otherwise.
	Forfeit []string `dynamodbav:"forfeit,omitempty"`
	// Timeout is who ran out of time in the last game, as Forfeit; absent otherwise.
	Timeout []string `dynamodbav:"timeout,omitempty"`
	// TurnAt and ResumedAt are the move clock's facts, epoch ms (game.Room.TurnEnds); absent
	// when zero.
	TurnAt    int64 `dynamodbav:"turnAt,omitempty"`
	ResumedAt int64 `dynamodbav:"resumedAt,omitempty"`
	// Quick marks a room quick match opened; RatedPair, its two players from two addresses.
	Quick      bool `dynamodbav:"quick,omitempty"`
	RatedPair  bool `dynamodbav:"ratedPair,omitempty"`
	RatedGames int  `dynamodbav:"ratedGames,omitempty"`
	// GameAt is when the current game began, epoch ms, and Moves its cells in order, one digit
	// each; Ended the last game that ended (game.Record). Absent in rooms stored before.
	GameAt    int64       `dynamodbav:"gameAt,omitempty"`
	Games     int         `dynamodbav:"games,omitempty"`
	Moves     string      `dynamodbav:"moves,omitempty"`
	Ended     *recordItem `dynamodbav:"ended,omitempty"`
	Version   int64       `dynamodbav:"version"`
	CreatedAt int64       `dynamodbav:"createdAt"`
	UpdatedAt int64       `dynamodbav:"updatedAt"`
	ExpiresAt int64       `dynamodbav:"expiresAt"`
	// PresenceChanged marks the writes the presence pipeline cares about (its stream filter
	// matches on it); it describes this write only and is not read back.
	PresenceChanged bool `dynamodbav:"presenceChanged"`
	// Home is the Region whose replica takes every write of the room (docs/regions.md); absent
	// in one Region. Every write is made there, so it also says where this write was made.
	Home string `dynamodbav:"home,omitempty"`
}

type playerItem struct {
	Name         string `dynamodbav:"name"`
	TokenHash    string `dynamodbav:"tokenHash"`
	ConnID       string `dynamodbav:"connectionId,omitempty"`
	Online       bool   `dynamodbav:"online"` // derived, stored for stream filters and people
	OfflineSince int64  `dynamodbav:"offlineSince,omitempty"`
	Rematch      bool   `dynamodbav:"rematch"`
	Computer     string `dynamodbav:"computer,omitempty"` // the computer's level; absent for a person
	Timeouts     int    `dynamodbav:"timeouts,omitempty"` // games in a row lost by the move clock
	// The seat's player identity and rating snapshot (game.Identity); absent for anonymous.
	PlayerID string `dynamodbav:"playerId,omitempty"`
	Rating   int    `dynamodbav:"rating,omitempty"`
	Rated    int    `dynamodbav:"rated,omitempty"`
}

// recordItem is a game.Record as the room keeps it.
type recordItem struct {
	ID        string   `dynamodbav:"id"`
	StartedAt int64    `dynamodbav:"startedAt"`
	EndedAt   int64    `dynamodbav:"endedAt"`
	Moves     string   `dynamodbav:"moves"`
	Starter   string   `dynamodbav:"starter"`
	Winner    string   `dynamodbav:"winner,omitempty"`
	How       string   `dynamodbav:"how"`
	Rated     bool     `dynamodbav:"rated,omitempty"`
	X         sideItem `dynamodbav:"X"`
	O         sideItem `dynamodbav:"O"`
}

type sideItem struct {
	Name     string `dynamodbav:"name"`
	Computer string `dynamodbav:"computer,omitempty"`
	PlayerID string `dynamodbav:"playerId,omitempty"`
	Rating   int    `dynamodbav:"rating,omitempty"`
	Rated    int    `dynamodbav:"rated,omitempty"`
	Delta    int    `dynamodbav:"delta,omitempty"`
}

type scoreItem struct {
	X     int `dynamodbav:"X"`
	O     int `dynamodbav:"O"`
	Draws int `dynamodbav:"draws"`
}

type connItem struct {
	PK        string `dynamodbav:"pk"`
	Kind      string `dynamodbav:"kind"`
	ID        string `dynamodbav:"connectionId"`
	RoomCode  string `dynamodbav:"roomCode"`
	Role      string `dynamodbav:"role"`
	Closed    bool   `dynamodbav:"closed,omitempty"`
	Source    string `dynamodbav:"source,omitempty"`
	Misses    int    `dynamodbav:"misses,omitempty"`
	Queued    bool   `dynamodbav:"queued,omitempty"`
	Version   int64  `dynamodbav:"version"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
	// The quick-match cooldown's facts (Connection.QuickRoom…); quickLeftAt in epoch ms.
	QuickRoom   string `dynamodbav:"quickRoom,omitempty"`
	QuickLeaves int    `dynamodbav:"quickLeaves,omitempty"`
	QuickLeftAt int64  `dynamodbav:"quickLeftAt,omitempty"`
	// The shared frame count (Connection.FrameWindow, Frames, PrevWindow, PrevFrames).
	FrameWindow int64 `dynamodbav:"frameWindow,omitempty"`
	Frames      int   `dynamodbav:"frames,omitempty"`
	PrevWindow  int64 `dynamodbav:"prevWindow,omitempty"`
	PrevFrames  int   `dynamodbav:"prevFrames,omitempty"`
}

func roomKey(code string) string { return roomPrefix + code }
func connKey(id string) string   { return connPrefix + id }

func toRoomItem(r *game.Room, expires time.Time) roomItem {
	var board [game.Cells]byte
	for i, s := range r.Board {
		board[i] = emptyCell
		if s != game.None {
			board[i] = string(s)[0]
		}
	}
	return roomItem{
		PK: roomKey(r.Code), Kind: schema.KindRoom, Code: r.Code, Status: string(r.Status),
		Board: string(board[:]), Turn: string(r.Turn), Winner: string(r.Winner), WinLine: r.WinLine,
		Starter: string(r.Starter), PlayerX: toPlayerItem(r.X), PlayerO: toPlayerItem(r.O),
		Score:    scoreItem{X: r.Score.X, O: r.Score.O, Draws: r.Score.Draws},
		Watchers: r.Watchers, Version: r.Version,
		CreatedAt: r.CreatedAt.UnixMilli(), UpdatedAt: r.UpdatedAt.UnixMilli(), ExpiresAt: expires.Unix(),
		PresenceChanged: r.PresenceChanged, Forfeit: forfeitItem(r.Forfeit), SeriesAt: millis(r.SeriesAt),
		Timeout: forfeitItem(r.Timeout), TurnAt: millis(r.TurnAt), ResumedAt: millis(r.ResumedAt), Quick: r.Quick, RatedPair: r.RatedPair, RatedGames: r.RatedGames,
		GameAt: millis(r.GameAt), Games: r.Games, Moves: cellsString(r.Moves), Ended: toRecordItem(r.Ended),
	}
}

// cellsString is cells as digits, in order.
func cellsString(cells []int) string {
	b := make([]byte, len(cells))
	for i, c := range cells {
		b[i] = byte('0' + c)
	}
	return string(b)
}

// cellsOf reads cellsString's form.
func cellsOf(s string) ([]int, error) {
	if len(s) > game.Cells {
		return nil, fmt.Errorf("%d moves in a game of %d cells", len(s), game.Cells)
	}
	var out []int
	for _, c := range []byte(s) {
		if c < '0' || c >= '0'+game.Cells {
			return nil, fmt.Errorf("moves %q: %q is not a cell", s, c)
		}
		out = append(out, int(c-'0'))
	}
	return out, nil
}

func toRecordItem(rec *game.Record) *recordItem {
	if rec == nil {
		return nil
	}
	side := func(sd game.Side) sideItem {
		return sideItem{Name: sd.Name, Computer: string(sd.Computer), PlayerID: sd.ID, Rating: sd.Rating, Rated: sd.Rated, Delta: sd.Delta}
	}
	return &recordItem{ID: rec.ID, StartedAt: millis(rec.StartedAt), EndedAt: millis(rec.EndedAt), Moves: cellsString(rec.Moves),
		Starter: string(rec.Starter), Winner: string(rec.Winner), How: rec.How, Rated: rec.Rated, X: side(rec.X), O: side(rec.O)}
}

func (it *recordItem) toRecord(code string) (*game.Record, error) {
	if it == nil {
		return nil, nil
	}
	moves, err := cellsOf(it.Moves)
	if err != nil {
		return nil, err
	}
	side := func(sd sideItem) game.Side {
		return game.Side{Name: sd.Name, Computer: game.Level(sd.Computer), Identity: game.Identity{ID: sd.PlayerID, Rating: sd.Rating, Rated: sd.Rated}, Delta: sd.Delta}
	}
	return &game.Record{ID: it.ID, Code: code, StartedAt: fromMillis(it.StartedAt), EndedAt: fromMillis(it.EndedAt), Moves: moves,
		Starter: game.Symbol(it.Starter), Winner: game.Symbol(it.Winner), How: it.How, Rated: it.Rated, X: side(it.X), O: side(it.O)}, nil
}

// millis is t in epoch ms; 0 (absent) for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func forfeitItem(f *game.Forfeit) []string {
	if f == nil {
		return nil
	}
	return []string{string(f.Symbol), f.Name}
}

func toPlayerItem(p *game.Player) *playerItem {
	if p == nil {
		return nil
	}
	it := &playerItem{Name: p.Name, TokenHash: p.TokenHash, ConnID: p.ConnID, Online: p.Online(), Rematch: p.Rematch, Computer: string(p.Computer), Timeouts: p.Timeouts,
		PlayerID: p.ID, Rating: p.Rating, Rated: p.Rated}
	if !p.Online() {
		it.OfflineSince = p.OfflineSince.UnixMilli()
	}
	return it
}

// toRoom rebuilds a room, refusing an item that is not one (a corrupted or foreign item must
// not be played on).
func (it roomItem) toRoom() (*game.Room, error) {
	if it.Kind != schema.KindRoom || len(it.Board) != game.Cells || !strings.HasPrefix(it.PK, roomPrefix) {
		return nil, fmt.Errorf("item %q is not a well-formed room", it.PK)
	}
	r := &game.Room{
		Code: it.Code, Status: game.Status(it.Status), Turn: game.Symbol(it.Turn),
		Winner: game.Symbol(it.Winner), WinLine: it.WinLine, Starter: game.Symbol(it.Starter),
		X: it.PlayerX.toPlayer(), O: it.PlayerO.toPlayer(),
		Score:    game.Score{X: it.Score.X, O: it.Score.O, Draws: it.Score.Draws},
		Watchers: it.Watchers, Version: it.Version,
		CreatedAt: time.UnixMilli(it.CreatedAt), UpdatedAt: time.UnixMilli(it.UpdatedAt),
		SeriesAt: fromMillis(it.SeriesAt), TurnAt: fromMillis(it.TurnAt), ResumedAt: fromMillis(it.ResumedAt),
		Quick: it.Quick, RatedPair: it.RatedPair, RatedGames: it.RatedGames, GameAt: fromMillis(it.GameAt), Games: it.Games,
	}
	var err error
	if r.Moves, err = cellsOf(it.Moves); err != nil {
		return nil, fmt.Errorf("room %s has invalid moves: %w", it.Code, err)
	}
	if r.Ended, err = it.Ended.toRecord(it.Code); err != nil {
		return nil, fmt.Errorf("room %s has an invalid last game: %w", it.Code, err)
	}
	if r.Forfeit, err = forfeitOf(it.Forfeit); err != nil {
		return nil, fmt.Errorf("room %s has an invalid forfeit: %w", it.Code, err)
	}
	if r.Timeout, err = forfeitOf(it.Timeout); err != nil {
		return nil, fmt.Errorf("room %s has an invalid timeout: %w", it.Code, err)
	}
	for i := 0; i < game.Cells; i++ {
		switch c := it.Board[i]; c {
		case 'X', 'O':
			r.Board[i] = game.Symbol(c)
		case emptyCell:
		default:
			return nil, fmt.Errorf("room %s has an invalid board %q", it.Code, it.Board)
		}
	}
	return r, nil
}

// fromMillis is the time of epoch ms; the zero time for 0.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// forfeitOf reads forfeitItem's form: nil for none.
func forfeitOf(f []string) (*game.Forfeit, error) {
	switch {
	case len(f) == 0:
		return nil, nil
	case len(f) == 2 && (f[0] == string(game.X) || f[0] == string(game.O)):
		return &game.Forfeit{Symbol: game.Symbol(f[0]), Name: f[1]}, nil
	}
	return nil, fmt.Errorf("%q is not a seat and a name", f)
}

func (it *playerItem) toPlayer() *game.Player {
	if it == nil {
		return nil
	}
	p := &game.Player{Name: it.Name, TokenHash: it.TokenHash, ConnID: it.ConnID, Rematch: it.Rematch, Computer: game.Level(it.Computer), Timeouts: it.Timeouts,
		Identity: game.Identity{ID: it.PlayerID, Rating: it.Rating, Rated: it.Rated}}
	if it.OfflineSince != 0 {
		p.OfflineSince = time.UnixMilli(it.OfflineSince)
	}
	return p
}
