package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
	"github.com/serverless-tictactoe/tictactoe/lambda/protocol"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// CreateRoom opens a room with connID's player as X and sends them the room with their seat
// token. A connection is in one room at a time: one it was in before is left first.
func (s *Service) CreateRoom(ctx context.Context, connID, name string, id game.Identity) (string, error) {
	return s.openRoom(ctx, connID, name, id, func(code string, seat game.Seat, now time.Time) *game.Room {
		return game.NewRoom(code, seat, now)
	})
}

// PlayComputer opens a room where connID's player holds X and opens against the computer at
// level, which holds O and answers each move within the same write.
func (s *Service) PlayComputer(ctx context.Context, connID, name string, id game.Identity, level game.Level) (string, error) {
	code, err := s.openRoom(ctx, connID, name, id, func(code string, seat game.Seat, now time.Time) *game.Room {
		return game.NewComputerRoom(code, seat, level, now)
	})
	if err == nil {
		s.count.Count(ctx, metrics.GamesStarted, code)
		s.count.Count(ctx, metrics.ComputerGames(string(level)), code)
	}
	return code, err
}

// openRoom opens a room (made by open) under a fresh code with connID's player as X: one
// write for the room and one for the connection's record (takeSeat), which leaves a room the
// connection was in before.
func (s *Service) openRoom(ctx context.Context, connID, name string, id game.Identity, open func(code string, seat game.Seat, now time.Time) *game.Room) (string, error) {
	token, err := game.NewToken(s.rand)
	if err != nil {
		return "", err
	}
	seat := game.Seat{Name: name, TokenHash: game.HashToken(token), ConnID: connID, Identity: id}
	var r *game.Room
	for attempt := 1; ; attempt++ {
		code, err := s.newCode()
		if err != nil {
			return "", err
		}
		r = open(code, seat, s.now())
		err = s.store.CreateRoom(ctx, r)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrExists) || attempt == maxCodeAttempts {
			return "", fmt.Errorf("creating a room: %w", err)
		}
	}
	if err := s.takeSeat(ctx, connID, r.Code, store.RoleX, giveUp(connID)); err != nil {
		return r.Code, err
	}
	s.count.Count(ctx, metrics.RoomsCreated, r.Code)
	s.broadcast(ctx, r, map[string]string{connID: token})
	s.satIn(ctx, id, r.Code)
	return r.Code, nil
}

// JoinRoom seats connID's player as O in room code and starts the game: the room's read and
// write, and the connection's record (takeSeat, which leaves a room the connection was in
// before). Joining a room the connection already plays in answers with its state and changes
// nothing.
func (s *Service) JoinRoom(ctx context.Context, connID, code, name string, id game.Identity) error {
	token, err := game.NewToken(s.rand)
	if err != nil {
		return err
	}
	seat := game.Seat{Name: name, TokenHash: game.HashToken(token), ConnID: connID, Identity: id}
	var joined bool
	out, err := s.update(ctx, code, func(r *game.Room, now time.Time) error {
		joined = false
		if r.SymbolOf(connID) != game.None {
			return errNoChange
		}
		joined = true
		return r.Join(seat, now)
	})
	if err != nil || !joined {
		// Refused, or already seated here: no new token. A clock that ran out on the way was
		// written all the same, and the room hears of it.
		s.announce(ctx, out)
		if err != nil {
			return err
		}
		return s.reply(ctx, connID, out.room)
	}
	if err := s.takeSeat(ctx, connID, code, store.RoleO, giveUp(connID)); err != nil {
		return err
	}
	s.count.Count(ctx, metrics.GamesStarted, code)
	s.tellDropped(ctx, out)
	s.broadcast(ctx, out.room, map[string]string{connID: token})
	s.satIn(ctx, id, code)
	return nil
}

// GetRoom answers connID with room code's state. A connection that follows no other room also
// becomes a watcher and receives every update (spectating), up to game.MaxWatchers.
func (s *Service) GetRoom(ctx context.Context, connID, code string) error {
	return s.serialized(ctx, connID, func(current store.Connection) error { return s.getRoom(ctx, current, code) })
}

// PeekRoom answers connID with room code's state and follows nothing: a page shows what a link
// leads to (an open seat, a full room) before its visitor chooses to join or watch. The room's
// clocks are applied, as on any request.
func (s *Service) PeekRoom(ctx context.Context, connID, code string) error {
	out, err := s.update(ctx, code, func(*game.Room, time.Time) error { return errNoChange })
	s.announce(ctx, out)
	if err != nil {
		return err
	}
	return s.reply(ctx, connID, out.room)
}

func (s *Service) getRoom(ctx context.Context, current store.Connection, code string) error {
	connID := current.ID
	mayWatch := current.RoomCode == "" || current.RoomCode == code || current.Role == store.RoleWatcher
	var added bool
	out, err := s.update(ctx, code, func(r *game.Room, now time.Time) error {
		healed := s.healGhosts(ctx, r, connID, now)
		added = mayWatch && r.AddWatcher(connID)
		if added || healed {
			return nil
		}
		return errNoChange
	})
	if err != nil {
		s.announce(ctx, out)
		return err
	}
	if added && out.wrote {
		if current.RoomCode != "" && current.RoomCode != code {
			s.dropFrom(ctx, current.RoomCode, connID, current.Role) // stop following the room watched before
		}
		if err := s.recordSeat(ctx, current, code, store.RoleWatcher, giveUp(connID)); err != nil {
			return err
		}
		s.tellDropped(ctx, out)
		s.broadcast(ctx, out.room, nil) // the watcher is now among the room's connections
		s.sendHistory(ctx, connID, out.room)
		return nil
	}
	s.announce(ctx, out)
	return s.reply(ctx, connID, out.room)
}

// Move plays cell for connID's player in room code and sends the new state to the room: one
// read, one conditional write and one frame to each connection. It reports whether the move
// played must be counted like any other frame: one against the computer (which answers in the
// same write), or one made sooner than capacity.InstantMoveSeconds after the room last changed
// (a bot answering a bot); turns bound a person's moves otherwise.
func (s *Service) Move(ctx context.Context, connID, code string, cell int) (counted bool, err error) {
	var moved bool
	out, err := s.update(ctx, code, func(r *game.Room, now time.Time) error {
		instant := now.Sub(r.UpdatedAt) < capacity.InstantMoveSeconds*time.Second
		err := r.Move(connID, cell, now)
		moved = err == nil
		if moved {
			r.PlayComputer(s.pick, now) // its answer goes in the same write
			counted = instant || r.AgainstComputer()
		}
		return err
	})
	s.announce(ctx, out)
	if moved && out.wrote {
		s.count.Count(ctx, metrics.Moves, code)
		if out.room.Status.Finished() {
			s.count.Count(ctx, metrics.GamesFinished, code)
		}
	}
	return counted && moved && out.wrote, err
}

// SendMessage relays chat from connID's player to everyone following room code.
func (s *Service) SendMessage(ctx context.Context, connID, code, text string) error {
	var from game.Symbol
	out, err := s.update(ctx, code, func(r *game.Room, _ time.Time) error {
		if from = r.SymbolOf(connID); from == game.None {
			return apperr.New(apperr.NotInRoom, "Only the players of room %s can chat.", code)
		}
		return errNoChange
	})
	s.announce(ctx, out)
	if err != nil {
		return err
	}
	name, at := out.room.Player(from).Name, s.now()
	var frame []byte
	// Kept for whoever rejoins, watches or reloads; a failure to keep it costs the history a
	// line, never the message its live readers get.
	seq, err := s.store.AppendChat(ctx, code, out.room.Series(), store.ChatMessage{From: name, Symbol: string(from), Text: text, At: at})
	if err != nil {
		s.log.ErrorContext(ctx, "keeping a chat message", "room", code, "error", err.Error())
	}
	frame, err = protocol.Chat(code, name, from, text, at, seq)
	if err != nil {
		return err
	}
	s.sendAll(ctx, out.room, out.room.Connections(), func(string) []byte { return frame })
	s.count.Count(ctx, metrics.ChatMessages, code)
	return nil
}

// Rematch records connID's player's wish for another game; the game starts once both have
// asked, and the series score carries on. A wish that does not start the game is recorded by a
// narrow write that cannot conflict with the other player's: when both ask at once, neither
// is retried, and the one whose write shows both wishes starts the game.
func (s *Service) Rematch(ctx context.Context, connID, code string) error {
	var started, narrow bool
	var seat game.Symbol
	out, err := s.update(ctx, code, func(r *game.Room, now time.Time) error {
		var err error
		narrow, seat = false, r.SymbolOf(connID)
		started, err = r.RequestRematch(connID, now)
		switch {
		case started:
			r.PlayComputer(s.pick, now) // the computer opens at once when it is its turn
		case err == nil:
			narrow = true
			return errNarrow
		}
		return err
	})
	if narrow && errors.Is(err, errNarrow) {
		if out.wrote { // seats past their grace period were given up in a write that holds the wish too
			err = nil
		} else {
			out, started, err = s.recordRematch(ctx, code, seat, connID)
		}
	}
	s.announce(ctx, out)
	if started && out.wrote && err == nil {
		s.count.Count(ctx, metrics.GamesStarted, code)
		if c := out.room.O; c != nil && c.Computer != "" {
			s.count.Count(ctx, metrics.ComputerGames(string(c.Computer)), code)
		}
	}
	return err
}

// errNarrow: the change fn made is one a narrow write records; update writes nothing and hands
// it back to its caller.
var errNarrow = errors.New("a narrow write records this change")

// recordRematch records seat's wish with the store's narrow write and, when the room as written
// shows both wishes (the other's landed in between), starts the game with one versioned write.
// A wish the narrow write cannot record (the room changed in a way that matters) is made again
// on the read path.
func (s *Service) recordRematch(ctx context.Context, code string, seat game.Symbol, connID string) (outcome, bool, error) {
	var started bool
	apply := func(r *game.Room, now time.Time) error {
		var err error
		if started, err = r.RequestRematch(connID, now); started {
			r.PlayComputer(s.pick, now)
		}
		return err
	}
	r, err := s.store.RecordRematch(ctx, code, seat, connID, s.now())
	if err != nil {
		out, err := s.update(ctx, code, apply)
		return out, started, err
	}
	out := s.settleGrace(ctx, r)
	if out.room != r || !r.X.Rematch || !r.O.Rematch {
		return out, false, nil // the other has not asked yet (or the grace period changed the room)
	}
	if err := apply(r, s.now()); err != nil || !started {
		return out, false, err
	}
	if err := s.store.SaveRoom(ctx, r); err == nil {
		return outcome{room: r, wrote: true}, true, nil
	}
	// Changed since (ErrConflict), or the write failed: start it from a fresh read, so that a
	// room is not left with both wishes and no game.
	out, err = s.update(ctx, code, apply)
	return out, started, err
}

// LeaveRoom applies the leave rule for connID in room code (see game.Room.Leave) and tells the
// leaver with a left frame.
func (s *Service) LeaveRoom(ctx context.Context, connID, code string) error {
	current, err := s.currentRoom(ctx, connID)
	if err != nil {
		return err
	}
	var quick bool
	out, err := s.update(ctx, code, func(r *game.Room, now time.Time) error {
		quick = quickLeave(current, r, now)
		return r.Leave(connID, now)
	})
	s.announce(ctx, out)
	if apperr.CodeOf(err) == apperr.NotInRoom && slices.Contains(out.dropped, connID) {
		return nil // the clock took the seat first: told so by its left frame, record forgotten
	}
	if err != nil {
		return err
	}
	if current.RoomCode == code && !current.Closed {
		// Follows nothing now. A conflict means another frame of this connection recorded a
		// seat elsewhere since: that record stands.
		current.RoomCode, current.Role = "", ""
		if quick {
			penalize(&current, s.now())
		}
		if err := s.store.PutConnection(ctx, &current); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return s.sendLeft(ctx, connID, code, "")
}

// Rejoin gives the seat that token holds in room code to connID (a reload, a new network).
// The connection that held it before, if still open, is told it left.
// It reads the connection's record first (unlike joining): a late frame of a closed connection
// must not take the seat from the connection that holds it, since undoing that could not
// give it back.
func (s *Service) Rejoin(ctx context.Context, connID, code, token string) error {
	return s.serialized(ctx, connID, func(current store.Connection) error { return s.rejoin(ctx, current, code, token) })
}

func (s *Service) rejoin(ctx context.Context, current store.Connection, code, token string) error {
	connID := current.ID
	if err := s.leaveCurrent(ctx, &current, code); err != nil {
		return err
	}
	var symbol game.Symbol
	var previous string
	out, err := s.update(ctx, code, func(r *game.Room, now time.Time) error {
		var err error
		symbol, previous, err = r.Rejoin(game.HashToken(token), connID, now)
		if err == nil && previous == "" { // back from offline, not a reload
			r.Resume(symbol, now, s.clocks.Move)
		}
		return err
	})
	if err != nil {
		s.announce(ctx, out)
		return err
	}
	if err := s.recordSeat(ctx, current, code, store.RoleOf(symbol), goOffline(connID)); err != nil {
		return err
	}
	s.count.Count(ctx, metrics.Rejoins, code)
	if previous != "" && previous != connID {
		if err := s.sendLeft(ctx, previous, code, protocol.LeftElsewhere); err != nil && !isGone(err) {
			s.log.WarnContext(ctx, "telling the replaced connection", "room", code, "connectionId", previous, "error", err)
		}
		s.forget(ctx, previous, code)
	}
	s.tellDropped(ctx, out)
	s.broadcast(ctx, out.room, map[string]string{connID: token})
	s.sendHistory(ctx, connID, out.room)
	return nil
}

// Disconnected handles $disconnect: the player shows offline at once and the opponent is told;
// the seat is held for the grace period. It returns the connection's record (the room it was
// in, the source it came from).
// The record is closed, not deleted, in one write that also returns it as it was: a frame of
// the connection still running then fails to record a seat, gives it back and stops, so no seat
// shows online for a closed connection. The closed record expires by itself.
func (s *Service) Disconnected(ctx context.Context, connID string) (store.Connection, error) {
	current, err := s.store.CloseConnection(ctx, connID)
	if err != nil {
		// The seat must still go offline: find the room from the record as it stands.
		if rec, rerr := s.currentRoom(ctx, connID); rerr == nil && rec.RoomCode != "" && !rec.Closed {
			s.dropFrom(ctx, rec.RoomCode, connID, rec.Role)
		}
		return current, err
	}
	if current.Closed {
		return current, nil
	}
	if current.RoomCode != "" {
		s.dropFrom(ctx, current.RoomCode, connID, current.Role)
		if current.Role != store.RoleWatcher {
			s.count.Count(ctx, metrics.Disconnects, current.RoomCode)
		}
	}
	if current.Queued {
		s.leaveQueue(ctx, connID)
	}
	return current, nil
}

// Missed counts a room_not_found answer against connID's probing budget and returns its record
// (with the count so far, and its source), in one atomic write: misses racing each other in
// several containers are each counted. A closed connection (or one with no record) counts
// nothing and comes back Closed.
func (s *Service) Missed(ctx context.Context, connID string) (store.Connection, error) {
	rec, err := s.store.CountMiss(ctx, connID)
	if errors.Is(err, store.ErrConflict) {
		return store.Connection{ID: connID, Closed: true}, nil
	}
	return rec, err
}

// ChargeFrame counts one frame of connID in the window starting at window (epoch seconds),
// the one before starting at previous, across every container, and returns its record: the
// window's count so far, the last window's, and its source (store.Narrow).
func (s *Service) ChargeFrame(ctx context.Context, connID string, window, previous int64) (store.Connection, error) {
	return s.store.ChargeFrame(ctx, connID, window, previous)
}

// Record is connID's record: the room it follows, the source it came from.
func (s *Service) Record(ctx context.Context, connID string) (store.Connection, error) {
	return s.currentRoom(ctx, connID)
}

// Close closes connID: the server is done with it (a flood, a prober). API Gateway then
// invokes $disconnect, which gives up its seat as for any closed connection.
func (s *Service) Close(ctx context.Context, connID string) error {
	if err := s.send.Close(ctx, connID); err != nil && !isGone(err) {
		return err
	}
	return nil
}

// SendError tells connID that its action failed; server faults get a generic message.
func (s *Service) SendError(ctx context.Context, connID string, cause error, action string) error {
	frame, err := protocol.Error(cause, action)
	if err != nil {
		return err
	}
	return s.send.Send(ctx, connID, frame)
}

// leaveCurrent leaves the room current follows, unless it is keep: one room per connection.
// The record is not written: the seat taken next replaces it, if unchanged, with a quick leave
// (see quickLeave) noted in current for that write.
func (s *Service) leaveCurrent(ctx context.Context, current *store.Connection, keep string) error {
	if current.RoomCode == "" || current.RoomCode == keep {
		return nil
	}
	var quick bool
	leave := giveUp(current.ID) // no longer in it: nothing to leave
	out, err := s.update(ctx, current.RoomCode, func(r *game.Room, now time.Time) error {
		quick = quickLeave(*current, r, now)
		return leave(r, now)
	})
	if err == nil && out.wrote && quick {
		penalize(current, s.now())
	}
	if apperr.CodeOf(err) == apperr.RoomNotFound {
		err = nil
	}
	if err != nil {
		return err
	}
	s.announce(ctx, out)
	return nil
}

// healGhosts marks offline, in r as getRoom read it, the players other than asker who show
// online on a connection that is gone: their $disconnect was lost (a database outage, a failed
// invocation). A getRoom (a page load, a spectator, the site's heartbeat) is the check: one
// @connections call per online player, in the write getRoom makes anyway, and getRoom is rare.
// A failed check leaves the seat as it is. It reports whether it changed r.
func (s *Service) healGhosts(ctx context.Context, r *game.Room, asker string, now time.Time) bool {
	code, healed := r.Code, false
	for _, sym := range []game.Symbol{game.X, game.O} {
		p := r.Player(sym)
		if p == nil || !p.Online() || p.ConnID == "" || p.ConnID == asker {
			continue
		}
		alive, err := s.send.Alive(ctx, p.ConnID)
		if err != nil {
			s.log.WarnContext(ctx, "checking a seat's connection", "room", code, "connectionId", p.ConnID, "error", err)
			continue
		}
		if !alive {
			s.log.InfoContext(ctx, "a seat showed online for a gone connection", "room", code, "connectionId", p.ConnID)
			healed = r.Disconnect(p.ConnID, now) || healed
		}
	}
	return healed
}

// currentRoom is connID's record: the room it follows, and the version a seat's record must
// replace. A connection with no record gets one with its ID, version 0.
func (s *Service) currentRoom(ctx context.Context, connID string) (store.Connection, error) {
	c, err := s.store.GetConnection(ctx, connID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{ID: connID}, nil
	}
	return c, err
}

// dropFrom marks connID offline in room code, where it is role (a player keeps the seat for
// the grace period; a watcher is removed), and tells the rest of the room. Failures are
// logged: the caller's own request must not fail because another connection went away.
func (s *Service) dropFrom(ctx context.Context, code, connID string, role store.Role) {
	if seat := game.Symbol(role); seat == game.X || seat == game.O {
		r, err := s.store.SetOffline(ctx, code, seat, connID, s.now())
		switch {
		case err == nil:
			s.announce(ctx, s.settleGrace(ctx, r))
			return
		case errors.Is(err, store.ErrNeedsRead):
		case errors.Is(err, store.ErrConflict):
			return // the seat is no longer connID's (offline already, or rejoined elsewhere)
		}
		// The store needs the room read first (ErrNeedsRead), or failed: the read path decides.
	}
	out, err := s.update(ctx, code, goOffline(connID))
	if err != nil && apperr.CodeOf(err) != apperr.RoomNotFound {
		s.log.WarnContext(ctx, "marking a connection offline", "room", code, "connectionId", connID, "error", err)
		return
	}
	s.announce(ctx, out)
}

// settleGrace is the outcome of a narrow write that left r: when one of r's clocks has run out
// (a seat past its grace period, a player out of time), what update applies before any change
// is applied now too, in one more versioned write (from a fresh read if r has changed since).
func (s *Service) settleGrace(ctx context.Context, r *game.Room) outcome {
	if !r.Clone().Expire(s.now(), s.clocks) {
		return outcome{room: r, wrote: true}
	}
	out, err := s.update(ctx, r.Code, func(*game.Room, time.Time) error { return errNoChange })
	if err != nil {
		s.log.WarnContext(ctx, "applying the room's clocks", "room", r.Code, "error", err)
		return outcome{room: r, wrote: true}
	}
	return out
}
