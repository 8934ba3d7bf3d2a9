// Package guard keeps the per-address ceiling that must hold across connections and Lambda
// containers, so it keeps it in the game table: an address is charged for its connections'
// probing (room_not_found answers, connections closed for them), on a sliding window, and past
// its budget its connections are on probation until enough charges age out: each gets
// capacity.ProbationMisses room_not_found answers instead of capacity.MissesPerConnection.
//
// It never refuses an address and never counts what it holds: a class, an office or a
// carrier's NAT behind an address one device spent still connects, creates, joins by a right
// code, rejoins and plays; only guessing codes is cut short. A lost $disconnect leaves nothing
// behind.
//
// It also keeps each address's share of the stage (Share): what its connections send
// together in a short window, past which each keeps its fair part and the connections past
// theirs are refused and closed, not the address. lambda/capacity owns the numbers;
// docs/capacity.md explains them.
package guard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// Store is what the guard keeps in the game table: a source's item, and the connection
// record it opens with the source's key.
type Store interface {
	GetSource(ctx context.Context, key string) (store.Source, error)
	PutSource(ctx context.Context, src *store.Source, keep time.Duration) error
	ChargeSourceFrame(ctx context.Context, key string, window int64, first bool, keep time.Duration) (store.SourceFrames, error)
	PutConnection(ctx context.Context, c *store.Connection) error
}

// Limits are the ceilings; zero values take lambda/capacity's.
type Limits struct {
	// Strikes an address may collect in Window before its new connections are refused; below
	// 0, no per-address ceiling at all (nothing is kept per address), for a load generator
	// that is every player at once.
	Strikes int
	// Window is how long a strike counts, sliding by the minute.
	Window time.Duration
	// MissCost and CloseCost are what a room_not_found answer and a connection closed for
	// probing cost the address.
	MissCost, CloseCost int
	// MissesPerConnection and ProbationMisses are the room_not_found answers a connection
	// gets before it is closed, normally and on probation (Done says; lambda/handler closes).
	MissesPerConnection, ProbationMisses int
	// Share is the frames an address's connections may send together in a FrameWindow
	// (Share says which of them pass); below 0, none is counted.
	Share int
	// FrameWindow is the window Share counts in (a connection's own frame window).
	FrameWindow time.Duration
	// Paced is the frames in a window's length a connection may always send, whatever its
	// address's others do (a player's pace), and RefusalsToClose how far past its fair part a
	// connection refused for its address's share is closed.
	Paced, RefusalsToClose int
}

// Guard keeps the ceiling.
type Guard struct {
	store  Store
	now    func() time.Time
	limits Limits
	key    []byte
}

// New returns a Guard over st that keys addresses with secret (a per-deployment value: the
// table then holds no address, nor a hash anyone can invert by trying every address).
func New(st Store, now func() time.Time, secret []byte, l Limits) *Guard {
	orDefault(&l.Strikes, capacity.AddressStrikes)
	orDefault(&l.Window, capacity.AddressWindowMinutes*time.Minute)
	orDefault(&l.MissCost, capacity.MissCost)
	orDefault(&l.CloseCost, capacity.CloseCost)
	orDefault(&l.MissesPerConnection, capacity.MissesPerConnection)
	orDefault(&l.ProbationMisses, capacity.ProbationMisses)
	orDefault(&l.Share, capacity.AddressFramesPerWindow)
	orDefault(&l.FrameWindow, capacity.FrameWindowSeconds*time.Second)
	orDefault(&l.Paced, capacity.PacedFramesPerWindow)
	orDefault(&l.RefusalsToClose, capacity.ShareRefusalsToClose)
	return &Guard{store: st, now: now, limits: l, key: secret}
}

// orDefault sets a limit left at zero to lambda/capacity's value.
func orDefault[T comparable](v *T, capacityValue T) {
	var zero T
	if *v == zero {
		*v = capacityValue
	}
}

// SourceKey is what a client address is counted under: an IPv4 address, or the /64 of an IPv6
// one (what one household or phone is given) followed by its /48 (a site's, whose budget is
// capacity.NetworkStrikesFactor times an address's), each as an HMAC with the deployment's
// secret, separated by a space. An address that does not parse is counted as itself.
func (g *Guard) SourceKey(ip string) string {
	var subjects []string
	switch a, err := netip.ParseAddr(ip); {
	case err != nil:
		subjects = []string{"raw:" + ip}
	case a.Is4() || a.Is4In6():
		subjects = []string{a.Unmap().String()}
	default:
		p64, _ := a.Prefix(64)
		p48, _ := a.Prefix(48)
		subjects = []string{p64.String(), p48.String()}
	}
	keys := make([]string, len(subjects))
	for i, s := range subjects {
		mac := hmac.New(sha256.New, g.key)
		mac.Write([]byte("tictactoe-source:" + s))
		keys[i] = hex.EncodeToString(mac.Sum(nil)[:16])
	}
	return strings.Join(keys, " ")
}

// keys are source's keys, the address's first, then its network's.
func keys(source string) []string { return strings.Fields(source) }

// budget is the strikes the i-th key of a source may collect: an address's, then its network's.
func (g *Guard) budget(i int) int {
	if i == 0 {
		return g.limits.Strikes
	}
	return g.limits.Strikes * capacity.NetworkStrikesFactor
}

// Admit records connection connID with its source's key (so that its probing is charged to
// the source). A source that spent its budget gets the connection on probation: its record
// starts with all but ProbationMisses of its room_not_found answers used. With no source ("":
// its address is unknown) it only records the connection. A source item that cannot be read
// admits the connection in full, reported as an AdmittedError: a database fault must not cost
// players anything.
func (g *Guard) Admit(ctx context.Context, source, connID string) (probation bool, err error) {
	if g.limits.Strikes < 0 && g.limits.Share < 0 {
		source = ""
	}
	for i, key := range keys(source) {
		if g.limits.Strikes < 0 {
			break
		}
		src, gerr := g.store.GetSource(ctx, key)
		switch {
		case errors.Is(gerr, store.ErrNotFound):
		case gerr != nil:
			err = errors.Join(err, fmt.Errorf("reading source %s (admitted): %w", key, gerr))
		default:
			probation = probation || g.spent(src, g.now(), g.budget(i))
		}
	}
	rec := &store.Connection{ID: connID, Source: source}
	if probation {
		rec.Misses = max(0, g.limits.MissesPerConnection-g.limits.ProbationMisses)
	}
	if perr := g.store.PutConnection(ctx, rec); perr != nil {
		return false, errors.Join(err, fmt.Errorf("recording connection %s: %w", connID, perr))
	}
	if err != nil {
		return false, &AdmittedError{err}
	}
	return probation, nil
}

// Verdict is what an address's share allows a frame.
type Verdict int

const (
	// Pass: serve it.
	Pass Verdict = iota
	// Refuse: answer it rate_limited.
	Refuse
	// Close: close its connection, which keeps sending past its address's share.
	Close
)

// Share counts a frame against its source's share of the stage in the window that starts at
// window (first: its connection's first there) and says what the share allows, its
// connection having sent pace frames in the last window's length, this one included.
//
// While the address's frames together stay within the share, every frame passes. Past it, a
// connection's fair part is the larger of a player's pace (Paced) and an equal part of the
// share among the address's connections in the window: within it, a frame passes, whatever
// the others send; past it, the frame is refused; RefusalsToClose past it, the connection is
// closed. So a flood pays for itself, and the players beside it play on. An IPv6 address is
// counted on its /48 too, with capacity.NetworkShareFactor times the share. A count that
// cannot be made passes the frame (unless a count already made refused it), reported as the
// error: a database fault must not cost players.
func (g *Guard) Share(ctx context.Context, source string, window time.Time, pace float64, first bool) (Verdict, error) {
	if g.limits.Share < 0 || source == "" {
		return Pass, nil
	}
	verdict := Pass
	for i, key := range keys(source) {
		share := g.limits.Share
		if i > 0 {
			share *= capacity.NetworkShareFactor
		}
		n, err := g.store.ChargeSourceFrame(ctx, key, window.Unix(), first, g.limits.FrameWindow+time.Minute)
		if err != nil {
			return verdict, err // what the counts made so far decided
		}
		fair := max(float64(g.limits.Paced), float64(share)/float64(max(1, n.Conns)))
		switch {
		case n.Frames <= share || pace <= fair:
		case pace >= fair+float64(g.limits.RefusalsToClose):
			verdict = Close
		default:
			verdict = max(verdict, Refuse)
		}
	}
	return verdict, nil
}

// AdmittedError is a fault Admit met and let the connection in despite: worth a log line, not
// a refusal.
type AdmittedError struct{ Err error }

func (e *AdmittedError) Error() string { return e.Err.Error() }
func (e *AdmittedError) Unwrap() error { return e.Err }

// Miss charges one room_not_found answer to the source and reports whether the source has now
// spent its budget (its connections are then on probation: the caller holds this one to it).
func (g *Guard) Miss(ctx context.Context, source string) (spent bool, err error) {
	return g.charge(ctx, source, "", g.limits.MissCost)
}

// Closed charges the source for connection connID, which the server closed for probing: once
// per connection, however often it is called.
func (g *Guard) Closed(ctx context.Context, source, connID string) error {
	_, err := g.charge(ctx, source, connID, g.limits.CloseCost)
	return err
}

// Done reports whether a connection with misses room_not_found answers is done (the caller
// closes it): its own budget spent, or its source's (spent, from Miss), which holds a
// connection opened before then to probation too.
func (g *Guard) Done(misses int, spent bool) bool {
	return misses >= g.limits.MissesPerConnection || (spent && misses >= g.limits.ProbationMisses)
}

// spent reports whether src's strikes in the window reach budget.
func (g *Guard) spent(src store.Source, now time.Time, budget int) bool {
	total := 0
	for m, n := range src.Strikes {
		if g.inWindow(m, now) {
			total += n
		}
	}
	return total >= budget
}

// inWindow reports whether a charge made in the minute starting at m still counts at now.
func (g *Guard) inWindow(m, now time.Time) bool { return now.Sub(m) < g.limits.Window }

// maxClosed bounds the connections remembered as charged for being closed: past it the oldest
// are forgotten (a source that has that many closed in its window is on probation anyway).
const maxClosed = 64

// maxAttempts bounds the retries when charges to one source race: about 3 s in all at worst.
const maxAttempts = 12

// charge adds cost strikes to each of the source's keys (chargeKey) and reports whether any of
// them has spent its budget.
func (g *Guard) charge(ctx context.Context, source, connID string, cost int) (spent bool, err error) {
	if g.limits.Strikes < 0 {
		return false, nil
	}
	for i, key := range keys(source) {
		s, err := g.chargeKey(ctx, key, connID, cost, g.budget(i))
		if err != nil {
			return spent, err
		}
		spent = spent || s
	}
	return spent, nil
}

// chargeKey adds cost strikes to the current minute of the source item key, once per connID
// when it is set, and reports whether it has spent budget. Minutes that left the window are
// dropped first.
func (g *Guard) chargeKey(ctx context.Context, source, connID string, cost, budget int) (spent bool, err error) {
	for attempt := 1; ; attempt++ {
		src, err := g.store.GetSource(ctx, source)
		if errors.Is(err, store.ErrNotFound) {
			src, err = store.Source{Key: source}, nil
		}
		if err != nil {
			return false, fmt.Errorf("reading source %s: %w", source, err)
		}
		now := g.now()
		minute := now.UTC().Truncate(time.Minute) // a map key: one location, no monotonic reading
		if src.Strikes == nil {
			src.Strikes = map[time.Time]int{}
		}
		if src.Closed == nil {
			src.Closed = map[string]time.Time{}
		}
		for m := range src.Strikes {
			if !g.inWindow(m, now) {
				delete(src.Strikes, m)
			}
		}
		for id, m := range src.Closed {
			if !g.inWindow(m, now) {
				delete(src.Closed, id)
			}
		}
		if connID != "" {
			if _, done := src.Closed[connID]; done {
				return g.spent(src, now, budget), nil
			}
			forgetOldest(src.Closed, maxClosed-1)
			src.Closed[connID] = minute
		}
		src.Strikes[minute] += cost
		err = g.store.PutSource(ctx, &src, g.limits.Window)
		switch {
		case err == nil:
			return g.spent(src, now, budget), nil
		case !errors.Is(err, store.ErrConflict):
			return false, err
		case attempt == maxAttempts:
			return false, fmt.Errorf("source %s: still contended after %d attempts: %w", source, attempt, err)
		}
		// Many connections of one address can be charged at once: spread the retries out,
		// more and more (full jitter, up to 2^attempt × 5 ms, capped at 400 ms).
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(time.Duration(rand.Int64N(int64(min(5*time.Millisecond<<attempt, 400*time.Millisecond)))) + time.Millisecond):
		}
	}
}

// forgetOldest drops the oldest entries of closed until it holds at most n.
func forgetOldest(closed map[string]time.Time, n int) {
	for len(closed) > n {
		oldest := ""
		for id, m := range closed {
			if oldest == "" || m.Before(closed[oldest]) || (m.Equal(closed[oldest]) && id < oldest) {
				oldest = id
			}
		}
		delete(closed, oldest)
	}
}
