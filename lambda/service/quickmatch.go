package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

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
//
// A burst of arrivals contends for the one item: a matcher whose queue write loses reads the
// queue again and goes on from there (the entries it already found waiting or gone are not
// checked again), after a wait drawn with full jitter from a window that doubles each time,
// within queueBudget. Past that, it answers queued with retryIn (queueRetryIn) and holds no
// place: the client asks again, so a burst spreads over seconds of clients' timers instead of
// holding the game function's invocations. One attempt checks at most queueChecks entries it
// has not seen (one record read each): a queue full of entries whose connections are gone
// costs a matcher a bounded number of reads, the rest left for the next.
//
// A connection that leaves an unfinished quick-match game soon after the pairing (quickLeave)
// waits out a cooldown, growing with each such leave, before it can be paired again: it has
// no place in the queue meanwhile (it is answered queued with retryIn, and asks again then),
// so a bot that re-queues the instant it is paired cannot be the partner of every honest
// player, nor fill the queue item with entries nobody can take.

const (
	// queueBudget bounds the time one frame spends retrying the queue writes it loses (the
	// game function's reserved concurrency is sized for invocations of about 100 ms), and
	// queueAttempts their number. A quick match that runs out of it answers queued with
	// retryIn: queueRetryIn, to which the client adds up to a second at random.
	queueBudget   = 300 * time.Millisecond
	queueAttempts = 16
	queueRetryIn  = time.Second
	// The wait before retry n is uniform in [0, min(queueBackoffMax, queueBackoff·2^n)).
	queueBackoff    = 4 * time.Millisecond
	queueBackoffMax = 100 * time.Millisecond
	// queueChecks bounds the entries one attempt checks that it has not seen before.
	queueChecks = 20
)

const (
	// quickFresh: leaving the room quick match made, with both seats taken and its first game
	// unfinished, within quickFresh of the pairing, is a quick leave (moves made or not),
	// unless the partner has idled on their own turn for quickIdle.
	quickFresh = 60 * time.Second
	quickIdle  = 8 * time.Second
	// quickCooldown is the cooldown after a quick leave, doubled for each quick leave before
	// it, at most quickCooldownMax; a quick leave quickForgive after the previous one counts
	// as the first again.
	quickCooldown    = 10 * time.Second
	quickCooldownMax = 5 * time.Minute
	quickForgive     = 10 * time.Minute
)

// errPartnerGone: the entry taken off the queue no longer waits (its record changed).
var errPartnerGone = errors.New("the waiting player is gone")

// errContended: the queue kept changing for the whole of queueBudget.
var errContended = errors.New("the quick-match queue kept changing")

// retrier paces the retries of writes to the queue item that lost to another writer.
type retrier struct {
	attempt int
	start   time.Time
}

func newRetrier() *retrier { return &retrier{start: time.Now()} }

// again waits before the next attempt, or returns errContended when the wait would end past
// queueBudget, or past queueBudget before ctx's deadline (the last attempt and the answer
// need time too), or ctx's error when it ends first.
func (r *retrier) again(ctx context.Context) error {
	r.attempt++
	wait := rand.N(min(queueBackoffMax, queueBackoff<<min(r.attempt, 16)))
	end := r.start.Add(queueBudget)
	if d, ok := ctx.Deadline(); ok && d.Add(-queueBudget).Before(end) {
		end = d.Add(-queueBudget)
	}
	if r.attempt >= queueAttempts || time.Now().Add(wait).After(end) {
		return fmt.Errorf("%w over %d attempts in %v", errContended, r.attempt, time.Since(r.start).Round(time.Millisecond))
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// QuickMatch pairs connID's player (name) with the longest-waiting stranger in a new room
// (the stranger holds X and opens; both get the room with their seat), or queues them and
// answers queued. A connection in a room leaves it first.
func (s *Service) QuickMatch(ctx context.Context, connID, name string, id game.Identity) (string, error) {
	var code string
	err := s.serialized(ctx, connID, func(current store.Connection) (err error) {
		code, err = s.quickMatch(ctx, current, name, id)
		return err
	})
	return code, err
}

func (s *Service) quickMatch(ctx context.Context, current store.Connection, name string, id game.Identity) (string, error) {
	wasQueued, inRoom := current.Queued, current.RoomCode != ""
	if err := s.leaveCurrent(ctx, &current, ""); err != nil {
		return "", err
	}
	current.RoomCode, current.Role = "", "" // as the seat it takes will record
	if until := cooldownEnd(current); s.now().Before(until) {
		return "", s.coolDown(ctx, current, inRoom, until)
	}
	seen := checks{waiting: map[string]store.Connection{}, gone: map[string]bool{}}
	retry := newRetrier()
	for {
		code, again, err := s.quickAttempt(ctx, &current, name, id, seen)
		if !again {
			return code, err
		}
		if err := retry.again(ctx); errors.Is(err, errContended) {
			return "", s.askAgainLater(ctx, current, inRoom, wasQueued)
		} else if err != nil {
			return "", fmt.Errorf("quick match for connection %s: %w", current.ID, err)
		}
	}
}

// coolDown answers a connection in its cooldown queued with retryIn, the cooldown left, and
// gives it no place in the queue: it asks again then. Its record is written only when the
// leave changed it (the seat given up, the quick leave noted), and says it does not wait.
func (s *Service) coolDown(ctx context.Context, current store.Connection, left bool, until time.Time) error {
	if wasQueued := current.Queued; left || wasQueued {
		current.Queued = false
		if err := s.store.PutConnection(ctx, &current); errors.Is(err, store.ErrConflict) {
			return errRaced
		} else if err != nil {
			return fmt.Errorf("recording connection %s's cooldown: %w", current.ID, err)
		}
		if wasQueued {
			s.leaveQueue(ctx, current.ID)
		}
	}
	return s.sendQueueFrame(ctx, current.ID, func() ([]byte, error) { return protocol.QueuedRetry(until.Sub(s.now())) })
}

// askAgainLater answers a quick match that kept losing the queue to others queued with
// retryIn (queueRetryIn). Its record is written if this frame changed it: the room it left
// (and a quick leave noted), and a mark of queued whose entry never landed, taken back so
// that nothing says it waits; a connection that waited before this frame keeps its place.
func (s *Service) askAgainLater(ctx context.Context, current store.Connection, left, wasQueued bool) error {
	if left || current.Queued != wasQueued {
		current.Queued = wasQueued
		if err := s.store.PutConnection(ctx, &current); errors.Is(err, store.ErrConflict) {
			return errRaced
		} else if err != nil {
			return fmt.Errorf("recording connection %s: %w", current.ID, err)
		}
	}
	s.log.InfoContext(ctx, "quick match asked to retry: the queue kept changing", "connectionId", current.ID)
	return s.sendQueueFrame(ctx, current.ID, func() ([]byte, error) { return protocol.QueuedRetry(queueRetryIn) })
}

// checks is what one quick match learned, across its attempts, of the entries it checked:
// the records of those found waiting, and the connections found gone for good (closed).
type checks struct {
	waiting map[string]store.Connection
	gone    map[string]bool
}

// quickAttempt pairs current with the first waiting entry of a fresh read of the queue, or
// queues it; again: the queue changed before its write landed, or the partner it took was
// gone, and it should try again. seen keeps what earlier attempts found, so a retry checks
// only the entries it has not seen, at most queueChecks of them: the entries past those wait
// for the next matcher.
func (s *Service) quickAttempt(ctx context.Context, current *store.Connection, name string, id game.Identity, seen checks) (code string, again bool, err error) {
	q, err := s.store.GetQueue(ctx)
	if err != nil {
		return "", false, err
	}
	now := s.now()
	// The entries found gone, or found no longer waiting in this read, are dropped with
	// whichever write this attempt makes.
	drop := maps.Clone(seen.gone)
	live := slices.DeleteFunc(q.Live(now), func(e store.QueueEntry) bool { return e.ConnID == current.ID || drop[e.ConnID] })
	checked := 0
	for _, e := range live {
		rec, ok := seen.waiting[e.ConnID]
		if !ok {
			if checked == queueChecks {
				break
			}
			checked++
			var state entryState
			if rec, state, err = s.checkEntry(ctx, e); err != nil {
				return "", false, err
			}
			if state != entryWaiting {
				drop[e.ConnID] = true
				if state == entryGone {
					seen.gone[e.ConnID] = true
				}
				continue
			}
			seen.waiting[e.ConnID] = rec
		}
		q.Entries = without(live, drop, e.ConnID)
		if err := s.store.PutQueue(ctx, &q); errors.Is(err, store.ErrConflict) {
			return "", true, nil // another matcher or a new arrival changed the queue
		} else if err != nil {
			return "", false, err
		}
		code, err := s.pair(ctx, *current, name, id, e, rec)
		if errors.Is(err, errPartnerGone) {
			delete(seen.waiting, e.ConnID)
			return "", true, nil // taken off the queue, but gone: try the next
		}
		return code, false, err
	}
	live = without(live, drop, "")
	// Nobody to pair with: wait. The record says so first, so that a matcher finding the entry
	// finds it waiting.
	if !current.Queued {
		current.Queued = true
		if err := s.store.PutConnection(ctx, current); errors.Is(err, store.ErrConflict) {
			return "", false, errRaced
		} else if err != nil {
			return "", false, fmt.Errorf("queueing connection %s: %w", current.ID, err)
		}
	}
	if len(live) >= store.MaxQueueEntries {
		return "", false, apperr.New(apperr.RateLimited, "Too many players are waiting for a match; try again in a moment, or play the computer.")
	}
	q.Entries = append(live, store.QueueEntry{ConnID: current.ID, Name: name, Identity: id, At: now})
	if err := s.store.PutQueue(ctx, &q); errors.Is(err, store.ErrConflict) {
		return "", true, nil // someone may have arrived to pair with
	} else if err != nil {
		return "", false, err
	}
	return "", false, s.sendQueueFrame(ctx, current.ID, protocol.Queued)
}

// without is entries less those of the connections in gone, and of connection id.
func without(entries []store.QueueEntry, gone map[string]bool, id string) []store.QueueEntry {
	return slices.DeleteFunc(slices.Clone(entries), func(e store.QueueEntry) bool { return gone[e.ConnID] || e.ConnID == id })
}

// quickLeave reports whether c leaving r (as it is before the leave) at now is a quick leave:
// r is the room quick match paired c into, both seats are still taken, its first game is
// still being played (moves made or not), and it was made less than quickFresh ago, unless the
// partner has idled on their own turn for quickIdle (giving up on them costs nothing). Leaving
// after the partner left, after the first game ended, or later, is not.
func quickLeave(c store.Connection, r *game.Room, now time.Time) bool {
	if c.QuickRoom == "" || c.QuickRoom != r.Code || r.Status != game.Playing || r.X == nil || r.O == nil ||
		r.Score != (game.Score{}) || now.Sub(r.CreatedAt) >= quickFresh {
		return false
	}
	partnerIdle := r.Turn != game.Symbol(c.Role) && now.Sub(r.UpdatedAt) >= quickIdle
	return !partnerIdle
}

// penalize notes a quick leave at now in c, for the record write that follows the leave.
func penalize(c *store.Connection, now time.Time) {
	if now.Sub(c.QuickLeftAt) >= quickForgive {
		c.QuickLeaves = 0
	}
	c.QuickLeaves++
	c.QuickLeftAt, c.QuickRoom = now, ""
}

// cooldownEnd is when c may be paired again after its quick leaves: quickCooldown after the
// last, doubled for each one before it, at most quickCooldownMax (the zero time: none).
func cooldownEnd(c store.Connection) time.Time {
	if c.QuickLeaves <= 0 {
		return time.Time{}
	}
	d := quickCooldownMax
	if n := c.QuickLeaves - 1; n < 16 {
		d = min(d, quickCooldown<<n)
	}
	return c.QuickLeftAt.Add(d)
}

// entryState is what checking a queue entry found of its connection.
type entryState int

const (
	entryWaiting entryState = iota
	// entryLeft: open, but no longer waiting (it cancelled or took a seat): it may ask again,
	// with a new entry, so this is true only of the queue as read.
	entryLeft
	// entryGone: closed, its record expired, or gone from API Gateway (a lost $disconnect):
	// for good.
	entryGone
)

// checkEntry reports whether e's connection still waits: its record queued and open, and the
// connection itself still there (a lost $disconnect leaves the record open).
func (s *Service) checkEntry(ctx context.Context, e store.QueueEntry) (store.Connection, entryState, error) {
	rec, err := s.store.GetConnection(ctx, e.ConnID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return rec, entryGone, nil
	case err != nil:
		return rec, entryGone, err
	case rec.Closed:
		return rec, entryGone, nil
	case !rec.Queued:
		return rec, entryLeft, nil
	}
	alive, err := s.send.Alive(ctx, e.ConnID)
	switch {
	case err != nil:
		return rec, entryGone, fmt.Errorf("checking waiting connection %s: %w", e.ConnID, err)
	case !alive:
		return rec, entryGone, nil
	}
	return rec, entryWaiting, nil
}

// pair opens a room for the waiting player (X, who waited, opens) and current (O), and records
// both seats. The waiting player's record is replaced only if unchanged since checkEntry
// read it; if it changed they are gone (errPartnerGone) and the room is deleted. If current's
// own record cannot be written, the room is deleted and the waiting player is put back at the
// head of the queue.
func (s *Service) pair(ctx context.Context, current store.Connection, name string, id game.Identity, waiting store.QueueEntry, rec store.Connection) (string, error) {
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
		r = game.NewRoom(code, game.Seat{Name: waiting.Name, TokenHash: game.HashToken(tokX), ConnID: waiting.ConnID, Identity: waiting.Identity}, now)
		r.Quick = true
		if err := r.Join(game.Seat{Name: name, TokenHash: game.HashToken(tokO), ConnID: current.ID, Identity: id}, now); err != nil {
			return "", err
		}
		// Two seats from one address may be one person playing both: their games are not
		// rated (a class on one network plays unrated among itself, rated against others).
		r.RatedPair = rec.Source == "" || rec.Source != current.Source
		err = s.store.CreateRoom(ctx, r)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrExists) || attempt == maxCodeAttempts {
			if !errors.Is(err, store.ErrExists) {
				// The write may have landed all the same (a timeout): delete it if it did.
				r.Version = 1
				s.deleteRoom(ctx, r)
			}
			s.requeue(ctx, waiting, rec)
			return "", fmt.Errorf("creating a quick-match room: %w", err)
		}
	}
	claimed := rec
	claimed.RoomCode, claimed.Role, claimed.Queued, claimed.QuickRoom = r.Code, store.RoleX, false, r.Code
	if err := s.store.PutConnection(ctx, &claimed); err != nil {
		s.deleteRoom(ctx, r)
		if errors.Is(err, store.ErrConflict) {
			s.requeueIfWaiting(ctx, waiting)
			return "", errPartnerGone
		}
		s.requeue(ctx, waiting, rec)
		return "", fmt.Errorf("seating waiting connection %s: %w", waiting.ConnID, err)
	}
	mine := current
	mine.RoomCode, mine.Role, mine.Queued, mine.QuickRoom = r.Code, store.RoleO, false, r.Code
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
	s.satIn(ctx, waiting.Identity, r.Code)
	s.satIn(ctx, id, r.Code)
	return r.Code, nil
}

// requeue puts an entry back at the head of the queue, where it was: the pairing it was taken
// for failed on the other side. Failing that, the player is answered queued with retryIn, and
// asks again.
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
		// The player's record says it waits, with no entry: told to ask again, it takes one.
		s.log.ErrorContext(ctx, "putting a waiting player back in the queue", "connectionId", e.ConnID, "error", err)
		if err := s.sendQueueFrame(ctx, e.ConnID, func() ([]byte, error) { return protocol.QueuedRetry(queueRetryIn) }); err != nil && !isGone(err) {
			s.log.WarnContext(ctx, "asking a waiting player to ask again", "connectionId", e.ConnID, "error", err)
		}
	}
}

// requeueIfWaiting puts e back at the head of the queue if its connection's record, which
// changed since it was taken, still says it waits (another of its frames changed the record
// without ending the wait).
func (s *Service) requeueIfWaiting(ctx context.Context, e store.QueueEntry) {
	rec, err := s.store.GetConnection(ctx, e.ConnID)
	if err == nil && rec.Queued && !rec.Closed {
		s.requeue(ctx, e, rec)
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
	retry := newRetrier()
	for {
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
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		if err := retry.again(ctx); err != nil {
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

// deleteRoom deletes r, the room made for a pairing that failed, before anyone was told of it.
// Once the waiting player's record names it, that player's own frames and $disconnect may
// change it (its version) meanwhile: then it is read again and, while it is still the room this
// pairing made (a seat holds one of its tokens), deleted at the version read.
func (s *Service) deleteRoom(ctx context.Context, r *game.Room) {
	made := r
	for attempt := 1; ; attempt++ {
		err := s.store.DeleteRoom(ctx, r)
		if errors.Is(err, store.ErrConflict) && attempt < maxAttempts {
			r, err = s.store.GetRoom(ctx, made.Code)
			switch {
			case errors.Is(err, store.ErrNotFound):
				return // gone already (both seats left)
			case err == nil && !sameSeats(r, made):
				return // never written (a create that failed), and the code taken since
			case err == nil:
				continue
			}
		}
		if err != nil {
			s.log.ErrorContext(ctx, "deleting the room of a failed pairing", "room", made.Code, "error", err)
		}
		return
	}
}

// sameSeats reports whether a seat of r holds the token of the same seat of made.
func sameSeats(r, made *game.Room) bool {
	for _, sym := range []game.Symbol{game.X, game.O} {
		if p, q := r.Player(sym), made.Player(sym); p != nil && q != nil && p.TokenHash == q.TokenHash {
			return true
		}
	}
	return false
}

// CancelQuickMatch takes connID out of the queue and answers unqueued (also when it was not
// queued). Once it is answered, connID is never paired from that wait: a matcher that read its
// record before the cancel finds it changed.
func (s *Service) CancelQuickMatch(ctx context.Context, connID string) error {
	err := s.fromRecord(ctx, connID, changedFirst, func(current store.Connection) error {
		if !current.Queued {
			return nil
		}
		current.Queued = false
		if err := s.store.PutConnection(ctx, &current); err != nil {
			return fmt.Errorf("unqueueing connection %s: %w", connID, recordChanged(err))
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.leaveQueue(ctx, connID) // failing that, matchers find the record not queued, and drop the entry
	return s.sendQueueFrame(ctx, connID, protocol.Unqueued)
}

func (s *Service) sendQueueFrame(ctx context.Context, connID string, frame func() ([]byte, error)) error {
	b, err := frame()
	if err != nil {
		return err
	}
	return s.send.Send(ctx, connID, b)
}
