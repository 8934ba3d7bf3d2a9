package service

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
	"github.com/serverless-tictactoe/tictactoe/lambda/protocol"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// Quick match pairs strangers through one queue item (store.Queue), changed only by
// version-conditioned writes, and the waiting connections' records, which say whether each
// still waits (store.Connection.Queued). A matcher takes the longest-waiting entry off the
// queue with one conditional write, so no two matchers get the same entry; it then seats that
// player by replacing their record only if it is unchanged since it was checked (still queued,
// not closed), so a player who cancelled, left or disconnected meanwhile is never paired.
// Every step that fails is undone before the matcher moves on: nobody is left seated alone.

// errPartnerGone: the entry taken off the queue no longer waits (its record changed).
var errPartnerGone = errors.New("the waiting player is gone")

// QuickMatch pairs connID's player (name) with the longest-waiting stranger in a new room
// (the stranger holds X and opens; both get the room with their seat), or queues them and
// answers queued. A connection in a room leaves it first.
func (s *Service) QuickMatch(ctx context.Context, connID, name string) (string, error) {
	var code string
	err := s.serialized(ctx, connID, func(current store.Connection) (err error) {
		code, err = s.quickMatch(ctx, current, name)
		return err
	})
	return code, err
}

func (s *Service) quickMatch(ctx context.Context, current store.Connection, name string) (string, error) {
	if err := s.leaveCurrent(ctx, current, ""); err != nil {
		return "", err
	}
	current.RoomCode, current.Role = "", "" // as the seat it takes will record
attempts:
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		q, err := s.store.GetQueue(ctx)
		if err != nil {
			return "", err
		}
		now := s.now()
		waiting := slices.DeleteFunc(q.Live(now), func(e store.QueueEntry) bool { return e.ConnID == current.ID })
		// The longest-waiting entry that still waits; those before it that do not are dropped
		// with the write that takes it.
		for len(waiting) > 0 {
			e := waiting[0]
			waiting = waiting[1:]
			rec, ok, err := s.stillWaiting(ctx, e)
			if err != nil {
				return "", err
			}
			if !ok {
				continue
			}
			q.Entries = waiting
			if err := s.store.PutQueue(ctx, &q); errors.Is(err, store.ErrConflict) {
				continue attempts // another matcher or a new arrival changed the queue
			} else if err != nil {
				return "", err
			}
			code, err := s.pair(ctx, current, name, e, rec)
			if errors.Is(err, errPartnerGone) {
				continue attempts // taken off the queue, but gone: try the next
			}
			return code, err
		}
		// Nobody to pair with: wait. The record says so first, so that a matcher finding the
		// entry finds it waiting.
		if !current.Queued {
			current.Queued = true
			if err := s.store.PutConnection(ctx, &current); errors.Is(err, store.ErrConflict) {
				return "", errRaced
			} else if err != nil {
				return "", fmt.Errorf("queueing connection %s: %w", current.ID, err)
			}
		}
		if len(waiting) >= store.MaxQueueEntries {
			return "", apperr.New(apperr.RateLimited, "Too many players are waiting for a match; try again in a moment, or play the computer.")
		}
		q.Entries = append(waiting, store.QueueEntry{ConnID: current.ID, Name: name, At: now})
		if err := s.store.PutQueue(ctx, &q); errors.Is(err, store.ErrConflict) {
			continue attempts // someone may have arrived to pair with
		} else if err != nil {
			return "", err
		}
		return "", s.sendQueueFrame(ctx, current.ID, protocol.Queued)
	}
	return "", fmt.Errorf("quick match for connection %s: the queue kept changing over %d attempts", current.ID, maxAttempts)
}

// stillWaiting reports whether e's connection still waits: its record queued and open, and
// the connection itself still there (a lost $disconnect leaves the record open).
func (s *Service) stillWaiting(ctx context.Context, e store.QueueEntry) (store.Connection, bool, error) {
	rec, err := s.store.GetConnection(ctx, e.ConnID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return rec, false, nil
	case err != nil:
		return rec, false, err
	case rec.Closed || !rec.Queued:
		return rec, false, nil
	}
	alive, err := s.send.Alive(ctx, e.ConnID)
	if err != nil {
		return rec, false, fmt.Errorf("checking waiting connection %s: %w", e.ConnID, err)
	}
	return rec, alive, nil
}

// pair opens a room for the waiting player (X, who waited, opens) and current (O), and records
// both seats. The waiting player's record is replaced only if unchanged since stillWaiting
// read it; if it changed they are gone (errPartnerGone) and the room is deleted. If current's
// own record cannot be written, the room is deleted and the waiting player is put back at the
// head of the queue.
func (s *Service) pair(ctx context.Context, current store.Connection, name string, waiting store.QueueEntry, rec store.Connection) (string, error) {
	tokX, err := game.NewToken(s.rand)
	if err != nil {
		return "", err
	}
	tokO, err := game.NewToken(s.rand)
	if err != nil {
		return "", err
	}
	var r *game.Room
	for attempt := 1; ; attempt++ {
		code, err := s.newCode()
		if err != nil {
			return "", err
		}
		now := s.now()
		r = game.NewRoom(code, game.Seat{Name: waiting.Name, TokenHash: game.HashToken(tokX), ConnID: waiting.ConnID}, now)
		if err := r.Join(game.Seat{Name: name, TokenHash: game.HashToken(tokO), ConnID: current.ID}, now); err != nil {
			return "", err
		}
		err = s.store.CreateRoom(ctx, r)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrExists) || attempt == maxCodeAttempts {
			s.requeue(ctx, waiting, rec)
			return "", fmt.Errorf("creating a quick-match room: %w", err)
		}
	}
	claimed := rec
	claimed.RoomCode, claimed.Role, claimed.Queued = r.Code, store.RoleX, false
	if err := s.store.PutConnection(ctx, &claimed); err != nil {
		s.deleteRoom(ctx, r)
		if errors.Is(err, store.ErrConflict) {
			return "", errPartnerGone
		}
		s.requeue(ctx, waiting, rec)
		return "", fmt.Errorf("seating waiting connection %s: %w", waiting.ConnID, err)
	}
	mine := current
	mine.RoomCode, mine.Role, mine.Queued = r.Code, store.RoleO, false
	if err := s.store.PutConnection(ctx, &mine); err != nil {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
		defer cancel()
		s.deleteRoom(uctx, r)
		back := claimed
		back.RoomCode, back.Role, back.Queued = "", "", true
		if perr := s.store.PutConnection(uctx, &back); perr == nil {
			s.requeue(uctx, waiting, back)
		} // else they acted or closed meanwhile: they no longer wait
		if errors.Is(err, store.ErrConflict) {
			return "", errRaced
		}
		return "", fmt.Errorf("seating connection %s: %w", current.ID, err)
	}
	s.count.Count(ctx, metrics.RoomsCreated, r.Code)
	s.count.Count(ctx, metrics.GamesStarted, r.Code)
	s.count.Count(ctx, metrics.QuickMatches, r.Code)
	s.count.Seconds(ctx, metrics.QuickMatchWait, r.Code, s.now().Sub(waiting.At))
	s.broadcast(ctx, r, map[string]string{waiting.ConnID: tokX, current.ID: tokO})
	return r.Code, nil
}

// requeue puts an entry back at the head of the queue, where it was: the pairing it was taken
// for failed on the other side. Failing that, it is logged; the player can ask again.
func (s *Service) requeue(ctx context.Context, e store.QueueEntry, rec store.Connection) {
	if !rec.Queued {
		return
	}
	err := s.changeQueue(ctx, func(entries []store.QueueEntry) []store.QueueEntry {
		if slices.ContainsFunc(entries, func(x store.QueueEntry) bool { return x.ConnID == e.ConnID }) {
			return nil
		}
		return append([]store.QueueEntry{e}, entries...)
	})
	if err != nil {
		s.log.ErrorContext(ctx, "putting a waiting player back in the queue", "connectionId", e.ConnID, "error", err)
	}
}

// dequeue takes connID's entries off the queue.
func (s *Service) dequeue(ctx context.Context, connID string) error {
	return s.changeQueue(ctx, func(entries []store.QueueEntry) []store.QueueEntry {
		if !slices.ContainsFunc(entries, func(e store.QueueEntry) bool { return e.ConnID == connID }) {
			return nil
		}
		return slices.DeleteFunc(entries, func(e store.QueueEntry) bool { return e.ConnID == connID })
	})
}

// changeQueue writes change(entries) back with a version-conditioned write, from a fresh read
// after each conflict. change returns nil for no change.
func (s *Service) changeQueue(ctx context.Context, change func([]store.QueueEntry) []store.QueueEntry) error {
	for attempt := 1; ; attempt++ {
		q, err := s.store.GetQueue(ctx)
		if err != nil {
			return err
		}
		entries := change(slices.Clone(q.Entries))
		if entries == nil {
			return nil
		}
		q.Entries = entries
		err = s.store.PutQueue(ctx, &q)
		if !errors.Is(err, store.ErrConflict) || attempt == maxAttempts {
			return err
		}
	}
}

// leaveQueue takes the entry of a connection that no longer waits (it took a seat, or closed)
// off the queue. A failure is logged: matchers skip the entry anyway, its record saying it
// does not wait.
func (s *Service) leaveQueue(ctx context.Context, connID string) {
	if err := s.dequeue(ctx, connID); err != nil {
		s.log.WarnContext(ctx, "taking a connection that no longer waits off the queue", "connectionId", connID, "error", err)
	}
}

// deleteRoom deletes a room made for a pairing that failed, before anyone heard of it.
func (s *Service) deleteRoom(ctx context.Context, r *game.Room) {
	if err := s.store.DeleteRoom(ctx, r); err != nil {
		s.log.ErrorContext(ctx, "deleting the room of a failed pairing", "room", r.Code, "error", err)
	}
}

// CancelQuickMatch takes connID out of the queue and answers unqueued (also when it was not
// queued). Once it is answered, connID is never paired from that wait: a matcher that read its
// record before the cancel finds it changed.
func (s *Service) CancelQuickMatch(ctx context.Context, connID string) error {
	for attempt := 1; ; attempt++ {
		current, err := s.currentRoom(ctx, connID)
		if err != nil {
			return err
		}
		if current.Closed {
			return ErrClosed
		}
		if !current.Queued {
			break
		}
		current.Queued = false
		err = s.store.PutConnection(ctx, &current)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrConflict) || attempt == maxAttempts {
			return fmt.Errorf("unqueueing connection %s: %w", connID, err)
		}
	}
	if err := s.dequeue(ctx, connID); err != nil {
		return err
	}
	return s.sendQueueFrame(ctx, connID, protocol.Unqueued)
}

func (s *Service) sendQueueFrame(ctx context.Context, connID string, frame func() ([]byte, error)) error {
	b, err := frame()
	if err != nil {
		return err
	}
	return s.send.Send(ctx, connID, b)
}
