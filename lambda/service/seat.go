package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// undoTimeout bounds the compensating write of recordSeat. It runs even when the request's own
// context has ended (a timeout is a common reason for the first write to fail).
const undoTimeout = 5 * time.Second

// ErrClosed: the connection's $disconnect came while one of its frames was taking a seat. The
// seat is given back; there is no one to answer.
var ErrClosed = errors.New("the connection closed")

// errRaced: another frame of the same connection recorded a seat first.
var errRaced = errors.New("another frame of this connection recorded a seat first")

// serialized runs a seat-taking action from connID's current record and runs it again, from the
// newer record, when another frame of the same connection recorded a seat in between (the
// action gave its own back): racing frames of one connection act one after the other, and the
// connection ends with one seat.
func (s *Service) serialized(ctx context.Context, connID string, action func(current store.Connection) error) error {
	return s.fromRecord(ctx, connID, func(err error) bool { return errors.Is(err, errRaced) }, action)
}

// fromRecord runs step from connID's current record, and again from a fresh read while step
// fails with an error again accepts (another frame of the connection changed the record
// first), at most maxAttempts times. A closed connection is ErrClosed, without a step.
func (s *Service) fromRecord(ctx context.Context, connID string, again func(error) bool, step func(current store.Connection) error) error {
	for attempt := 1; ; attempt++ {
		current, err := s.currentRoom(ctx, connID)
		if err != nil {
			return err
		}
		if current.Closed {
			return ErrClosed
		}
		err = step(current)
		if err == nil || !again(err) {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("connection %s: its record still changing after %d attempts: %w", connID, attempt, err)
		}
	}
}

// recordSeat replaces current, the connection record the action started from, with one that
// ties the connection to the seat (or watch) it has just taken in room code. Without that
// record $disconnect cannot find the room, so the seat would show online forever and, for a new
// seat, belong to a token its client never received. When the write fails, undo is applied to
// the room to take the change back, and the write's error is returned: errRaced when another
// frame of the connection recorded first (serialized starts again), else the client hears
// internal_error and can simply try again.
func (s *Service) recordSeat(ctx context.Context, current store.Connection, code string, role store.Role, undo func(r *game.Room, now time.Time) error) error {
	c := current
	c.RoomCode, c.Role, c.Queued = code, role, false // a seat ends a wait for a quick match
	err := s.store.PutConnection(ctx, &c)
	if err == nil {
		if current.Queued {
			s.leaveQueue(ctx, c.ID)
		}
		return nil
	}
	if errors.Is(err, store.ErrConflict) {
		err = errRaced
	}
	err = fmt.Errorf("recording connection %s in room %s: %w", c.ID, code, err)
	s.undoSeat(ctx, code, c.ID, undo)
	return err
}

// takeSeat records that connID now follows room code as role, once the action has taken the
// seat (or watch) there. A new connection follows nothing: one conditional write records it,
// with no read. Otherwise (the connection follows another room, waits in the queue, or has
// closed) its record is read and settled by moveSeat. If the seat cannot be recorded, undo
// takes it back and the error is returned (ErrClosed when the connection has closed).
func (s *Service) takeSeat(ctx context.Context, connID, code string, role store.Role, undo func(r *game.Room, now time.Time) error) error {
	err := s.store.ClaimConnection(ctx, connID, code, role)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNeedsRead) {
		s.log.WarnContext(ctx, "claiming a connection's record", "room", code, "connectionId", connID, "error", err)
	}
	if err = s.moveSeat(ctx, connID, code, role); err != nil {
		s.undoSeat(ctx, code, connID, undo)
	}
	return err
}

// moveSeat records connID in room code as role from its current record: the room it followed
// before is left first (one room per connection), and a record changed meanwhile by another
// frame of the connection is read again, so racing frames end with the connection in one room.
func (s *Service) moveSeat(ctx context.Context, connID, code string, role store.Role) error {
	return s.fromRecord(ctx, connID, changedFirst, func(current store.Connection) error {
		if err := s.leaveCurrent(ctx, &current, code); err != nil {
			return err
		}
		c := current
		c.RoomCode, c.Role, c.Queued = code, role, false // a seat ends a wait for a quick match
		if err := s.store.PutConnection(ctx, &c); err != nil {
			return fmt.Errorf("recording connection %s in room %s: %w", connID, code, recordChanged(err))
		}
		if current.Queued {
			s.leaveQueue(ctx, connID)
		}
		return nil
	})
}

// errRecordChanged: a conditional write of a connection's record found it changed since it
// was read (by another frame of the connection): fromRecord reads it again.
var errRecordChanged = errors.New("the connection's record changed since it was read")

// recordChanged marks a record write's conflict as errRecordChanged. Only that write's
// conflict is read again: another step's error (leaving the room before) is returned as it is.
func recordChanged(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %w", errRecordChanged, err)
	}
	return err
}

func changedFirst(err error) bool { return errors.Is(err, errRecordChanged) }

// undoSeat applies undo to room code: a seat or watch whose connection could not be recorded
// is given back. It runs even when the request's own context has ended.
func (s *Service) undoSeat(ctx context.Context, code, connID string, undo func(r *game.Room, now time.Time) error) {
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	out, err := s.update(uctx, code, undo)
	if err != nil && apperr.CodeOf(err) != apperr.RoomNotFound {
		// Left as it is, the seat shows online until a frame to the connection answers 410 Gone
		// (marking it offline) and the grace period then passes.
		s.log.ErrorContext(ctx, "undoing a seat whose connection was not recorded",
			"room", code, "connectionId", connID, "error", err)
		return
	}
	s.announce(uctx, out)
}

// giveUp leaves connID's seat or watch (an emptied room is deleted), or changes nothing when it
// holds none: leaving a room for another, and the undo of a seat whose client never got its
// token.
func giveUp(connID string) func(r *game.Room, now time.Time) error {
	return func(r *game.Room, now time.Time) error {
		if r.Leave(connID, now) != nil {
			return errNoChange
		}
		return nil
	}
}

// goOffline marks connID offline in the room (its seat is held for the grace period, a watch
// ends), or changes nothing when it is not there: a dropped connection, and the undo of a rejoin,
// whose client holds the token and may rejoin again.
func goOffline(connID string) func(r *game.Room, now time.Time) error {
	return func(r *game.Room, now time.Time) error {
		if !r.Disconnect(connID, now) {
			return errNoChange
		}
		return nil
	}
}
