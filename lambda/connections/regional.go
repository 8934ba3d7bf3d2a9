package connections

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/region"
)

// Regional sends to a connection through the @connections API of the Region that holds it
// (its id says which: region.Qualify): in a multi-Region deployment the two players of a room
// may be connected to different Regions. Ids of no Region are the primary's.
type Regional struct {
	// Local is this function's Region; Primary the deployment's first.
	Local, Primary string
	// Timeout bounds a call to another Region's API, so that a Region that stopped answering
	// holds no invocation up. Default: RemoteTimeout.
	Timeout time.Duration
	// Refresh, when set, returns the Regions' senders anew (their URLs re-read): it is asked,
	// at most once every RefreshEvery, when a Region has no sender yet (added after this
	// function started).
	Refresh func(ctx context.Context) (map[string]Sender, error)

	mu        sync.Mutex
	by        map[string]Sender
	refreshed time.Time
}

// RemoteTimeout bounds a call to another Region's @connections API by default.
const RemoteTimeout = 2 * time.Second

// RefreshEvery spaces the re-reads of the Regions' URLs.
const RefreshEvery = 30 * time.Second

var _ Sender = (*Regional)(nil)

// NewRegional sends through by (Region → sender).
func NewRegional(r *Regional, by map[string]Sender) *Regional {
	if r.Timeout <= 0 {
		r.Timeout = RemoteTimeout
	}
	r.by = by
	return r
}

func (s *Regional) route(ctx context.Context, id string) (Sender, string, string, error) {
	r, raw := region.Split(id)
	if r == "" {
		r = s.Primary
	}
	s.mu.Lock()
	to, ok := s.by[r]
	stale := !ok && s.Refresh != nil && time.Since(s.refreshed) >= RefreshEvery
	if stale {
		s.refreshed = time.Now()
	}
	s.mu.Unlock()
	if stale {
		if by, err := s.Refresh(ctx); err == nil {
			s.mu.Lock()
			s.by = by
			to, ok = by[r]
			s.mu.Unlock()
		}
	}
	if !ok {
		return nil, "", "", fmt.Errorf("connection %s: no @connections endpoint known for Region %s", id, r)
	}
	return to, raw, r, nil
}

// bound is ctx bounded for a call to Region r.
func (s *Regional) bound(ctx context.Context, r string) (context.Context, context.CancelFunc) {
	if r == s.Local {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.Timeout)
}

func (s *Regional) Send(ctx context.Context, id string, frame []byte) error {
	to, raw, r, err := s.route(ctx, id)
	if err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx, r)
	defer cancel()
	return to.Send(ctx, raw, frame)
}

func (s *Regional) Close(ctx context.Context, id string) error {
	to, raw, r, err := s.route(ctx, id)
	if err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx, r)
	defer cancel()
	return to.Close(ctx, raw)
}

func (s *Regional) Alive(ctx context.Context, id string) (bool, error) {
	to, raw, r, err := s.route(ctx, id)
	if err != nil {
		return false, err
	}
	ctx, cancel := s.bound(ctx, r)
	defer cancel()
	return to.Alive(ctx, raw)
}
