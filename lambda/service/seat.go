package service

import (
	"context"
	"fmt"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// undoTimeout bounds the compensating write of recordSeat. It runs even when the request's own
// context has ended (a timeout is a common reason for the first write to fail).
const undoTimeout = 5 * time.Second

// recordSeat writes the connection item that ties c.ID to the seat (or watch) it has just taken
// in room c.RoomCode. Without that item $disconnect cannot find the room, so the seat would
// show online forever and, for a new seat, belong to a token its client never received. When
// the write fails, undo is applied to the room to take the change back, and the write's error is
// returned: the client hears internal_error and can simply try again.
func (s *Service) recordSeat(ctx context.Context, c store.Connection, undo func(r *game.Room, now time.Time) error) error {
	err := s.store.PutConnection(ctx, c)
	if err == nil {
		return nil
	}
	err = fmt.Errorf("recording connection %s in room %s: %w", c.ID, c.RoomCode, err)
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	out, uerr := s.update(uctx, c.RoomCode, undo)
	if uerr != nil && apperr.CodeOf(uerr) != apperr.RoomNotFound {
		// Left as it is, the seat shows online until a frame to the connection answers 410 Gone
		// (marking it offline) and the grace period then passes.
		s.log.ErrorContext(ctx, "undoing a seat whose connection was not recorded",
			"room", c.RoomCode, "connectionId", c.ID, "error", uerr)
		return err
	}
	s.announce(uctx, out)
	return err
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
