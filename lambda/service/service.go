// Package service runs the game: each method is one client action, carried out as read the
// room → apply the rules → one version-conditioned write → tell the room. It holds no state of
// its own; the store and the sender are injected, as are the clock and the randomness.
package service

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/connections"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// Options configures a Service. Store, Sender and Grace are required.
type Options struct {
	Store  store.Store
	Sender connections.Sender
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Rand is the source of room codes and seat tokens. Default: crypto/rand.Reader.
	Rand io.Reader
	// Grace is how long a dropped player's seat is held (lambda/config's GRACE_PERIOD, which
	// owns its default). Required.
	Grace time.Duration
	// MoveTimeout is how long a player has to move in a game between two people (lambda/config's
	// MOVE_TIMEOUT, which owns its default); 0: no move clock.
	MoveTimeout time.Duration
	// Logger receives warnings about undeliverable frames. Default: slog.Default().
	Logger *slog.Logger
	// Metrics counts game events (rooms, games, moves…). Default: none.
	Metrics metrics.Recorder
	// Homed reports whether a room code is homed in this function's Region (region.HomeOf):
	// new rooms take such codes, so that any Region finds them with no lookup. Default: any
	// code (one Region).
	Homed func(code string) bool
	// Players keeps players' identities, stats, history and the leaderboard (lambda/players).
	// Default: none; credentials are then ignored and nothing is recorded.
	Players store.Players
}

// Service carries out client actions.
type Service struct {
	store  store.Store
	send   connections.Sender
	now    func() time.Time
	rand   io.Reader
	clocks game.Clocks
	log    *slog.Logger
	count  metrics.Recorder
	homed  func(code string) bool
	// players is Options.Players; nil: no identities.
	players store.Players
}

// New returns a Service; it panics only on a programming error (a missing store, sender or
// grace period).
func New(o Options) *Service {
	if o.Store == nil || o.Sender == nil || o.Grace <= 0 || o.MoveTimeout < 0 {
		panic("service.New: Store, Sender and a positive Grace are required, and MoveTimeout must not be negative")
	}
	s := &Service{store: o.Store, send: o.Sender, now: o.Now, rand: o.Rand, log: o.Logger, count: o.Metrics, homed: o.Homed, players: o.Players,
		clocks: game.Clocks{Grace: o.Grace, Move: o.MoveTimeout}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = crand.Reader
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.count == nil {
		s.count = metrics.Nop{}
	}
	if s.homed == nil {
		s.homed = func(string) bool { return true }
	}
	return s
}

// maxAttempts bounds the read-modify-write retries of one action. A conflict means another
// write landed in between; each retry starts from that newer state.
const maxAttempts = 8

// maxCodeAttempts bounds the draws of a fresh room code (a collision is about one in 887
// million per live room).
const maxCodeAttempts = 5

// newCode draws a fresh room code homed in this Region (with N Regions, one draw in N fits).
func (s *Service) newCode() (string, error) {
	for range 64 {
		code, err := game.NewCode(s.rand)
		if err != nil || s.homed(code) {
			return code, err
		}
	}
	return "", errors.New("no room code homed in this Region in 64 draws")
}

// errNoChange tells update that fn left the room as it was: nothing to write.
var errNoChange = errors.New("no change")

// outcome is what update did.
type outcome struct {
	room    *game.Room // the room as written (or as read, when nothing was written)
	wrote   bool       // a write landed: the room's connections should hear about it
	deleted bool       // the room was deleted: both seats are empty
	// dropped are connections the room's clocks took a seat from (timeouts in a row): no longer
	// in the room, they are told with a left frame.
	dropped []string
}

// update applies fn to the latest state of room code and writes the result with a
// version-conditioned write, starting again from a fresh read whenever another writer got there
// first: racing actions never both succeed and none is lost. Before fn, the room's clocks are
// applied (seats held past the grace period are given up, a player out of time loses the game:
// game.Room.Expire), and that is written even when fn then fails.
func (s *Service) update(ctx context.Context, code string, fn func(r *game.Room, now time.Time) error) (outcome, error) {
	for attempt := 1; ; attempt++ {
		r, err := s.store.GetRoom(ctx, code)
		if errors.Is(err, store.ErrNotFound) {
			return outcome{}, roomNotFound(code)
		}
		if err != nil {
			return outcome{}, err
		}
		now := s.now()
		endedBefore := r.Ended
		before := r.Connections()
		expired := r.Expire(now, s.clocks)
		dropped := gone(before, r.Connections())
		var opErr error
		if r.Empty() {
			opErr = roomNotFound(code)
		} else {
			opErr = fn(r, now)
		}
		if errors.Is(opErr, errNoChange) {
			opErr = nil
			if !expired {
				return outcome{room: r}, nil
			}
		} else if opErr != nil && !expired {
			return outcome{room: r}, opErr
		}
		if r.Empty() {
			err = s.store.DeleteRoom(ctx, r)
		} else {
			err = s.store.SaveRoom(ctx, r)
		}
		switch {
		case err == nil:
			if r.Ended != nil && (endedBefore == nil || endedBefore.ID != r.Ended.ID) {
				s.gameEnded(ctx, r.Ended.Clone())
			}
			return outcome{room: r, wrote: true, deleted: r.Empty(), dropped: dropped}, opErr
		case !errors.Is(err, store.ErrConflict):
			return outcome{}, err
		case attempt == maxAttempts:
			return outcome{}, fmt.Errorf("room %s: still contended after %d attempts: %w", code, attempt, err)
		}
		if err := backOff(ctx, attempt); err != nil {
			return outcome{}, err
		}
	}
}

// backOff waits a little before attempt+1, with jitter, so that contending writers spread out.
func backOff(ctx context.Context, attempt int) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(rand.IntN(attempt*5)+1) * time.Millisecond):
		return nil
	}
}

// gone lists the connections of before that are not in after.
func gone(before, after []string) []string {
	var out []string
	for _, id := range before {
		if !slices.Contains(after, id) {
			out = append(out, id)
		}
	}
	return out
}

// pick is a uniform number in [0, n) from the service's randomness (the computer's choices);
// 0 when the source fails, which only makes the computer predictable.
func (s *Service) pick(n int) int {
	if n <= 1 {
		return 0
	}
	limit := 256 - 256%n // a byte below it maps uniformly
	var b [1]byte
	for range 16 {
		if _, err := io.ReadFull(s.rand, b[:]); err != nil {
			return 0
		}
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
	return 0
}

func roomNotFound(code string) error {
	return apperr.New(apperr.RoomNotFound, "There is no room %s. Check the code; the room may have closed.", code)
}
