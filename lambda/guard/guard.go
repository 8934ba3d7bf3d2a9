// Package guard keeps the per-client ceilings that must hold across connections and Lambda
// containers, so it keeps them in the game table: how many connections one source address
// may hold open, and how many unknown rooms it may ask for in an hour before its new
// connections are refused. lambda/capacity owns the numbers; docs/capacity.md explains them.
package guard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

var (
	// ErrTooManyConnections: the source already holds its share of open connections.
	ErrTooManyConnections = errors.New("too many connections from one address")
	// ErrProbing: the source asked for too many rooms that do not exist this hour.
	ErrProbing = errors.New("too many unknown rooms asked for from one address")
)

// Store is what the guard keeps in the game table: a source's item, and the connection
// record it opens with the source's key.
type Store interface {
	GetSource(ctx context.Context, key string) (store.Source, error)
	PutSource(ctx context.Context, src *store.Source) error
	PutConnection(ctx context.Context, c *store.Connection) error
}

// Limits are the ceilings; zero values take lambda/capacity's.
type Limits struct {
	// ConnectionsPerSource: open connections of one source; below 0, no per-source ceilings
	// at all (no connection limit and no probing budget per address: nothing is kept per
	// source), for a load generator that is every player at once.
	ConnectionsPerSource int
	// MissesPerSourceHour: room_not_found answers to one source in an hour.
	MissesPerSourceHour int
	// ConnectionLife is when a connection lapses on its own: API Gateway closes every
	// connection after 2 hours, so a lost $disconnect frees its place after that at most.
	ConnectionLife time.Duration
}

// Guard keeps the ceilings.
type Guard struct {
	store  Store
	now    func() time.Time
	limits Limits
}

// New returns a Guard over st.
func New(st Store, now func() time.Time, l Limits) *Guard {
	if l.ConnectionsPerSource == 0 {
		l.ConnectionsPerSource = capacity.ConnectionsPerSource
	}
	if l.MissesPerSourceHour == 0 {
		l.MissesPerSourceHour = capacity.MissesPerSourceHour
	}
	if l.ConnectionLife == 0 {
		l.ConnectionLife = 2 * time.Hour
	}
	return &Guard{store: st, now: now, limits: l}
}

// SourceKey is the key a client address is counted under: an IPv4 address, or the /64 of an
// IPv6 one (what one household or phone is given), hashed so the table holds no address.
// An address that does not parse is counted as itself, hashed.
func SourceKey(ip string) string {
	var subject string
	switch a, err := netip.ParseAddr(ip); {
	case err != nil:
		subject = "raw:" + ip
	case a.Is4() || a.Is4In6():
		subject = a.Unmap().String()
	default:
		p, _ := a.Prefix(64)
		subject = p.String()
	}
	sum := sha256.Sum256([]byte("tictactoe-source:" + subject))
	return hex.EncodeToString(sum[:16])
}

// maxAttempts bounds the retries when connections of one source race: about 3 s in all at
// worst.
const maxAttempts = 12

// Admit counts connection connID against its source and records the connection with the
// source's key (for $disconnect to release it, and for the probing budget), or refuses it:
// ErrTooManyConnections, ErrProbing. With no source ("": its address is unknown) it only
// records the connection.
func (g *Guard) Admit(ctx context.Context, source, connID string) error {
	if g.limits.ConnectionsPerSource < 0 {
		source = ""
	}
	if source == "" {
		if err := g.store.PutConnection(ctx, &store.Connection{ID: connID}); err != nil {
			return fmt.Errorf("recording connection %s: %w", connID, err)
		}
		return nil
	}
	err := g.change(ctx, source, func(src *store.Source, now time.Time) error {
		if src.Misses >= g.limits.MissesPerSourceHour {
			return ErrProbing
		}
		if g.limits.ConnectionsPerSource > 0 && len(src.Conns) >= g.limits.ConnectionsPerSource {
			return ErrTooManyConnections
		}
		src.Conns[connID] = now.Add(g.limits.ConnectionLife)
		return nil
	})
	if err != nil {
		return err
	}
	if err := g.store.PutConnection(ctx, &store.Connection{ID: connID, Source: source}); err != nil {
		// Give the place back: the connection is refused.
		if rerr := g.Release(context.WithoutCancel(ctx), source, connID); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return fmt.Errorf("recording connection %s: %w", connID, err)
	}
	return nil
}

// Release gives connID's place back (its $disconnect).
func (g *Guard) Release(ctx context.Context, source, connID string) error {
	if source == "" {
		return nil
	}
	err := g.change(ctx, source, func(src *store.Source, _ time.Time) error {
		if _, ok := src.Conns[connID]; !ok {
			return errUnchanged
		}
		delete(src.Conns, connID)
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

// Miss counts one room_not_found answer to the source and reports whether that used up the
// hour's budget (the caller closes the connection; the source's next ones are refused).
func (g *Guard) Miss(ctx context.Context, source string) (exhausted bool, err error) {
	return g.Penalize(ctx, source, 1)
}

// Penalize counts n misses against the source's hour (a connection closed for flooding is
// capacity.FloodCloseMisses) and reports whether the budget is spent.
func (g *Guard) Penalize(ctx context.Context, source string, n int) (exhausted bool, err error) {
	if source == "" {
		return false, nil
	}
	err = g.change(ctx, source, func(src *store.Source, _ time.Time) error {
		src.Misses += n
		exhausted = src.Misses >= g.limits.MissesPerSourceHour
		return nil
	})
	return exhausted, err
}

var errUnchanged = errors.New("unchanged")

// change applies fn to the source's latest item and writes it back if nothing else did in
// between, else starts again. Lapsed connections and a past hour's misses are dropped first.
func (g *Guard) change(ctx context.Context, source string, fn func(src *store.Source, now time.Time) error) error {
	for attempt := 1; ; attempt++ {
		src, err := g.store.GetSource(ctx, source)
		if errors.Is(err, store.ErrNotFound) {
			src, err = store.Source{Key: source}, nil
		}
		if err != nil {
			return fmt.Errorf("reading source %s: %w", source, err)
		}
		now := g.now()
		if src.Conns == nil {
			src.Conns = map[string]time.Time{}
		}
		for id, lapses := range src.Conns {
			if !lapses.After(now) {
				delete(src.Conns, id)
			}
		}
		if hour := now.Truncate(time.Hour); !src.Hour.Equal(hour) {
			src.Hour, src.Misses = hour, 0
		}
		if err := fn(&src, now); err != nil {
			return err
		}
		err = g.store.PutSource(ctx, &src)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, store.ErrConflict):
			return err
		case attempt == maxAttempts:
			return fmt.Errorf("source %s: still contended after %d attempts: %w", source, attempt, err)
		}
		// A class behind one NAT address connects at once: spread the retries out, more and
		// more (full jitter, up to 2^attempt × 5 ms, capped at 400 ms).
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(rand.Int64N(int64(min(5*time.Millisecond<<attempt, 400*time.Millisecond)))) + time.Millisecond):
		}
	}
}
