package game

import (
	"crypto/subtle"
	"slices"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
)

// Status is where a room is in its life:
//
//	waiting ──join──> playing ──> won | draw ──rematch──> playing
//	   ^                  │                         │
//	   └── guest leaves ──┴─────────────────────────┘      host leaves ──> abandoned
//
// A room whose seats are both empty is deleted rather than given a status.
type Status string

const (
	Waiting   Status = "waiting"
	Playing   Status = "playing"
	Won       Status = "won"
	Draw      Status = "draw"
	Abandoned Status = "abandoned"
)

// Finished reports whether a game ended and a rematch may be asked for.
func (s Status) Finished() bool { return s == Won || s == Draw }

// Player is a seat's holder.
type Player struct {
	Name      string
	TokenHash string // HashToken of the seat token; the token itself is never stored
	ConnID    string // the connection that holds the seat now; "" while offline
	// OfflineSince is when the player's connection dropped; zero while online. The seat is
	// held for a grace period from then (ExpireGrace).
	OfflineSince time.Time
	Rematch      bool // asked for a rematch of the finished game
	// Timeouts counts the games in a row this player lost by the move clock (ExpireTurn); a game
	// played to its end, or lost by the other's timeout, resets it.
	Timeouts int
	// Computer is the level of the computer that holds the seat; "" for a person.
	Computer Level
	// Identity is the anonymous player who sat down, if they identified (lambda/players).
	Identity
}

// Online reports whether the player has a live connection.
func (p *Player) Online() bool { return p.OfflineSince.IsZero() }

// Score is the series score between the current two players.
type Score struct {
	X, O, Draws int
}

// MaxWatchers bounds the spectators that receive live updates: a room item stays small, and
// one frame costs at most 2 + MaxWatchers frames out (lambda/capacity, docs/capacity.md).
const MaxWatchers = 6

// Room is a room's whole state. The store keeps it as one item and writes it back only if
// Version is unchanged, so every method here can assume it sees the latest state.
type Room struct {
	Code    string
	Status  Status
	Board   Board
	Turn    Symbol // whose move it is while Playing; None otherwise
	Winner  Symbol
	WinLine []int  // the winning cells while Won
	Starter Symbol // who moved first in the current game; alternates on rematch
	// TurnAt is when the player to move got the turn, and ResumedAt when they came back to it
	// (Resume; zero if not): the move clock's facts (TurnEnds). Zero in rooms stored before.
	TurnAt, ResumedAt time.Time
	// Quick marks a room quick match opened: a player who keeps timing out loses its seat.
	Quick bool
	// RatedPair marks a room whose two players quick match paired from two addresses: only
	// their games are rated (ratedBetween). A guest who joins later by the code was chosen, not
	// paired, and one address may be one person in two tabs; Join clears it.
	RatedPair bool
	// RatedGames counts the rated games of the pair in this room: past RatedPerPairing their
	// rematches are not rated (one pairing cannot be farmed by endless rematches).
	RatedGames int
	// GameAt is when the current (or last) game began, and Moves its cells in the order played.
	GameAt time.Time
	Moves  []int
	// Games counts the games begun in the room: with its creation, a game's id (RecordID).
	Games int
	// Ended is the last game that ended, as it ended (Record); nil before the first. It stays
	// until the next game ends, so the write that ends a game carries it once and for all.
	Ended *Record
	X, O  *Player
	Score Score
	// Watchers are spectators' connection ids, sent every update.
	Watchers  []string
	Version   int64 // the store's optimistic-concurrency counter
	CreatedAt time.Time
	// SeriesAt is when the current two players' series began (the room's creation, then each
	// new guest): the chat kept for the room is this series' (a new guest never reads an
	// earlier guest's conversation).
	SeriesAt  time.Time
	UpdatedAt time.Time
	// Forfeit says the last game ended because a player's grace period ran out; nil
	// otherwise. A new game clears it.
	Forfeit *Forfeit
	// Timeout says the last game ended because the player to move ran out of time (ExpireTurn);
	// nil otherwise. A new game clears it.
	Timeout *Forfeit
	// PresenceChanged is set by every change to who holds a seat, who is online, or whether the
	// room was abandoned, since the room was loaded. The store writes it with the item so that
	// the presence pipeline's stream filter can skip the writes that are only moves or chat.
	PresenceChanged bool
}

// Forfeit is who forfeited the last game: the seat and the player's name.
type Forfeit struct {
	Symbol Symbol
	Name   string
}

// Seat is what a player brings to a room.
type Seat struct {
	Name      string
	TokenHash string
	ConnID    string
	Identity  Identity
}

// NewRoom opens a room with its creator as X, waiting for an opponent.
func NewRoom(code string, host Seat, now time.Time) *Room {
	return &Room{
		Code:      code,
		Status:    Waiting,
		X:         &Player{Name: host.Name, TokenHash: host.TokenHash, ConnID: host.ConnID, Identity: host.Identity},
		CreatedAt: now,
		UpdatedAt: now,
		SeriesAt:  now,

		PresenceChanged: true,
	}
}

// Series is when the current series began: SeriesAt, or for a room stored before it was kept,
// its creation.
func (r *Room) Series() time.Time {
	if r.SeriesAt.IsZero() {
		return r.CreatedAt
	}
	return r.SeriesAt
}

// Player returns the holder of seat s, or nil.
func (r *Room) Player(s Symbol) *Player {
	switch s {
	case X:
		return r.X
	case O:
		return r.O
	}
	return nil
}

func (r *Room) setPlayer(s Symbol, p *Player) {
	if s == X {
		r.X = p
	} else {
		r.O = p
	}
}

// SymbolOf returns the seat that connection connID holds, or None.
func (r *Room) SymbolOf(connID string) Symbol {
	if connID == "" {
		return None
	}
	for _, s := range []Symbol{X, O} {
		if p := r.Player(s); p != nil && p.ConnID == connID {
			return s
		}
	}
	return None
}

// Empty reports whether no person holds a seat: such a room is deleted (a computer does not
// keep a room alive on its own).
func (r *Room) Empty() bool { return !r.X.person() && !r.O.person() }

func (p *Player) person() bool { return p != nil && p.Computer == "" }

// NewComputerRoom opens a room where the host holds X and opens the first game against the
// computer at level, which holds O.
func NewComputerRoom(code string, host Seat, level Level, now time.Time) *Room {
	r := NewRoom(code, host, now)
	r.O = &Player{Name: ComputerName(level), Computer: level}
	r.newGame(X, now)
	return r
}

// ComputerName is the computer's name at level, as players see it.
func ComputerName(level Level) string { return "Computer (" + string(level) + ")" }

// AgainstComputer reports whether the computer holds a seat.
func (r *Room) AgainstComputer() bool {
	return (r.X != nil && r.X.Computer != "") || (r.O != nil && r.O.Computer != "")
}

// PlayComputer makes the computer's move when it is the computer's turn; pick is the
// randomness (see ComputerMove). It reports whether it moved.
func (r *Room) PlayComputer(pick func(n int) int, now time.Time) bool {
	if r.Status != Playing {
		return false
	}
	p := r.Player(r.Turn)
	if p == nil || p.Computer == "" {
		return false
	}
	r.place(r.Turn, ComputerMove(r.Board, r.Turn, p.Computer, pick), now)
	return true
}

// Connections lists every connection that receives the room's updates: online players first,
// then watchers.
func (r *Room) Connections() []string {
	var out []string
	for _, s := range []Symbol{X, O} {
		if p := r.Player(s); p != nil && p.ConnID != "" {
			out = append(out, p.ConnID)
		}
	}
	return append(out, r.Watchers...)
}

// Join seats a second player as O and starts the game, X moving first.
func (r *Room) Join(seat Seat, now time.Time) error {
	switch {
	case r.Status == Abandoned:
		return apperr.New(apperr.GameNotActive, "The host has left room %s; it is closed.", r.Code)
	case r.O != nil || r.X == nil:
		return apperr.New(apperr.RoomFull, "Room %s already has two players.", r.Code)
	}
	r.O = &Player{Name: seat.Name, TokenHash: seat.TokenHash, ConnID: seat.ConnID, Identity: seat.Identity}
	r.RatedPair, r.RatedGames = false, 0
	r.removeWatcher(seat.ConnID)
	r.Score = Score{}
	r.SeriesAt = now
	r.newGame(X, now)
	r.UpdatedAt = now
	r.PresenceChanged = true
	return nil
}

// newGame clears the board for a game that starter opens at now.
func (r *Room) newGame(starter Symbol, now time.Time) {
	r.Status = Playing
	r.Board = Board{}
	r.Starter = starter
	r.Turn = starter
	r.Winner = None
	r.WinLine = nil
	r.Forfeit, r.Timeout = nil, nil
	r.GameAt, r.Moves = now, nil
	r.Games++
	r.startTurn(now)
	for _, p := range []*Player{r.X, r.O} {
		if p != nil {
			p.Rematch = false
		}
	}
}

// Move plays cell for the player on connID.
func (r *Room) Move(connID string, cell int, now time.Time) error {
	s := r.SymbolOf(connID)
	switch {
	case s == None:
		return apperr.New(apperr.NotInRoom, "You are not a player in room %s.", r.Code)
	case r.Status != Playing:
		return apperr.New(apperr.GameNotActive, "The game in room %s is %s, not in progress.", r.Code, r.Status)
	case cell < 0 || cell >= Cells:
		return apperr.New(apperr.BadRequest, "cell must be a whole number from 0 to 8.").On("cell")
	case r.Turn != s:
		return apperr.New(apperr.NotYourTurn, "It is %s's turn.", r.Turn)
	case r.Board[cell] != None:
		return apperr.New(apperr.CellTaken, "Cell %d is already taken.", cell)
	}
	r.place(s, cell, now)
	return nil
}

// place puts s on cell and ends the game or passes the turn.
func (r *Room) place(s Symbol, cell int, now time.Time) {
	r.Board[cell] = s
	r.Moves = append(r.Moves, cell)
	r.UpdatedAt = now
	w, line := r.Board.Winner()
	if w != None || r.Board.Full() {
		r.endRuns() // a game played to its end breaks both players' runs of timeouts
	}
	switch {
	case w != None:
		r.end(w, EndLine, now)
	case r.Board.Full():
		r.end(None, EndDraw, now)
	}
	if w != None {
		r.Status, r.Winner, r.WinLine, r.Turn = Won, w, line, None
		if w == X {
			r.Score.X++
		} else {
			r.Score.O++
		}
		return
	}
	if r.Board.Full() {
		r.Status, r.Turn = Draw, None
		r.Score.Draws++
		return
	}
	r.Turn = s.Other()
	r.startTurn(now)
}

// endRuns resets both players' counts of timeouts in a row.
func (r *Room) endRuns() {
	for _, p := range []*Player{r.X, r.O} {
		if p != nil {
			p.Timeouts = 0
		}
	}
}

// RequestRematch records that the player on connID wants another game; once both have asked,
// the next game starts, opened by whoever did not open the last one. It reports whether a game
// started.
func (r *Room) RequestRematch(connID string, now time.Time) (bool, error) {
	s := r.SymbolOf(connID)
	switch {
	case s == None:
		return false, apperr.New(apperr.NotInRoom, "You are not a player in room %s.", r.Code)
	case !r.Status.Finished() || r.X == nil || r.O == nil:
		return false, apperr.New(apperr.GameNotActive, "A rematch needs a finished game and both players.")
	}
	r.Player(s).Rematch = true
	if c := r.Player(s.Other()); c.Computer != "" {
		c.Rematch = true // the computer is always up for another game
	}
	r.UpdatedAt = now
	if r.X.Rematch && r.O.Rematch {
		r.newGame(r.Starter.Other(), now)
		return true, nil
	}
	return false, nil
}

// Leave applies the leave rule for the player or watcher on connID.
//   - the host (X) leaves: the game ends for everyone (abandoned);
//   - the guest (O) leaves: the room waits for a new guest, series score reset;
//   - when both seats are then empty, the room is Empty and is to be deleted.
func (r *Room) Leave(connID string, now time.Time) error {
	s := r.SymbolOf(connID)
	if s == None {
		if r.removeWatcher(connID) {
			return nil
		}
		return apperr.New(apperr.NotInRoom, "You are not in room %s.", r.Code)
	}
	if other := r.Player(s.Other()); r.Status == Playing && other.person() && other.Online() {
		r.end(s.Other(), EndLeft, now) // leaving a game under way loses it (end: once it has begun)
	} // an opponent offline, or the computer: nobody is waiting on the game, which goes unrecorded
	r.vacate(s, now, false)
	return nil
}

// vacate empties seat s under the leave rule. ended says the seat was lost to a rule (a
// forfeit, timeouts): the room then keeps the score that ended it, and why, on show until a
// new guest joins.
func (r *Room) vacate(s Symbol, now time.Time, ended bool) {
	if !ended {
		r.Timeout = nil // a later leave is not the timeout's doing
	}
	r.setPlayer(s, nil)
	r.UpdatedAt = now
	r.PresenceChanged = true
	r.Turn, r.Winner, r.WinLine = None, None, nil
	switch {
	case r.Empty():
		return // deleted by the caller; the status no longer matters
	case s == X:
		r.Status = Abandoned
	case r.Status != Abandoned: // the guest left a room that still has its host
		r.Status = Waiting
		r.Board = Board{}
		if !ended {
			r.Score = Score{}
		}
		r.X.Rematch = false
	}
}

// Disconnect marks the player on connID offline (their seat is held for the grace period) or
// drops a watcher. It reports whether anything changed.
func (r *Room) Disconnect(connID string, now time.Time) bool {
	if s := r.SymbolOf(connID); s != None {
		p := r.Player(s)
		p.ConnID = ""
		p.OfflineSince = now
		r.UpdatedAt = now
		r.PresenceChanged = true
		return true
	}
	return r.removeWatcher(connID)
}

// Rejoin gives the seat whose token hashes to tokenHash to connection connID: a reload or a new
// network puts the player back in the game. The previous connection, if still open, loses the
// seat; its id is returned so it can be told.
func (r *Room) Rejoin(tokenHash, connID string, now time.Time) (seat Symbol, previous string, err error) {
	for _, s := range []Symbol{X, O} {
		p := r.Player(s)
		if p != nil && subtle.ConstantTimeCompare([]byte(p.TokenHash), []byte(tokenHash)) == 1 {
			previous = p.ConnID
			r.pause(s, p.OfflineSince, now) // zero while online: nothing
			p.ConnID = connID
			p.OfflineSince = time.Time{}
			r.removeWatcher(connID)
			r.UpdatedAt = now
			r.PresenceChanged = r.PresenceChanged || previous == ""
			return s, previous, nil
		}
	}
	return None, "", apperr.New(apperr.NotInRoom, "That token holds no seat in room %s; the seat may have been given up.", r.Code)
}

// GraceEnds is when the seat of an offline player is given up; zero for one online.
func (p *Player) GraceEnds(grace time.Duration) time.Time {
	if p.Online() {
		return time.Time{}
	}
	return p.OfflineSince.Add(grace)
}

// ExpireGrace gives up every seat whose player has been offline for grace or longer, so no
// timer is needed: the first action on the room after the deadline (the page asks for the room
// at it) applies it, with the server's clock. A game in progress is the absent player's
// forfeit: the present player wins it, counted in the series score, and the room says so
// (Forfeit). Then the leave rule: an absent guest's seat is freed for a new opponent (the
// room keeps the score until one joins), an absent host's room closes. It reports whether
// anything changed.
func (r *Room) ExpireGrace(now time.Time, grace time.Duration) bool {
	gone := func(p *Player) bool { return p != nil && !p.Online() && !now.Before(p.GraceEnds(grace)) }
	changed := false
	for _, s := range []Symbol{X, O} {
		p := r.Player(s)
		if !gone(p) {
			continue
		}
		if other := r.Player(s.Other()); r.Status == Playing && other != nil && !gone(other) {
			r.Status, r.Winner, r.WinLine, r.Turn = Won, s.Other(), nil, None
			if s.Other() == X {
				r.Score.X++
			} else {
				r.Score.O++
			}
			r.Forfeit = &Forfeit{Symbol: s, Name: p.Name}
			r.end(s.Other(), EndForfeit, now)
		}
		r.vacate(s, now, r.Forfeit != nil)
		changed = true
	}
	return changed
}

// AddWatcher subscribes a spectator's connection to updates. It reports whether the connection
// was added: not when it is already a player or watcher, or the room has MaxWatchers.
func (r *Room) AddWatcher(connID string) bool {
	if r.SymbolOf(connID) != None || slices.Contains(r.Watchers, connID) || len(r.Watchers) >= MaxWatchers {
		return false
	}
	r.Watchers = append(r.Watchers, connID)
	return true
}

func (r *Room) removeWatcher(connID string) bool {
	i := slices.Index(r.Watchers, connID)
	if i < 0 {
		return false
	}
	r.Watchers = slices.Delete(r.Watchers, i, i+1)
	return true
}

// Clone is a copy of r that a rule can change without changing r.
func (r *Room) Clone() *Room {
	c := *r
	for _, p := range []**Player{&c.X, &c.O} {
		if *p != nil {
			cp := **p
			*p = &cp
		}
	}
	c.WinLine = slices.Clone(r.WinLine)
	c.Moves = slices.Clone(r.Moves)
	c.Ended = r.Ended.Clone()
	c.Watchers = slices.Clone(r.Watchers)
	for _, f := range []**Forfeit{&c.Forfeit, &c.Timeout} {
		if *f != nil {
			cp := **f
			*f = &cp
		}
	}
	return &c
}
