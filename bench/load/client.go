package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// player is one WebSocket client. A reader goroutine decodes every frame and wakes whoever
// waits for a room version.
type player struct {
	ws *websocket.Conn

	mu      sync.Mutex
	version int64
	frames  int64 // room frames received, in any order: posts can overtake each other
	room    roomState
	symbol  string
	errs    []string
	changed chan struct{} // closed and replaced on every room frame
	readErr error
	// throttled counts API Gateway's "Too Many Requests" answers: the frame reached no
	// function, and a client sends it again.
	throttled int64
	// others counts the frames of other types (queued, games, leaderboard…) by type.
	others map[string]int64
}

type roomState struct {
	Code    string   `json:"code"`
	Status  string   `json:"status"`
	Board   []string `json:"board"`
	Turn    string   `json:"turn"`
	Version int64    `json:"version"`
}

type frame struct {
	Type    string    `json:"type"`
	Room    roomState `json:"room"`
	You     *struct{ Symbol string }
	Code    string `json:"code"`
	Message string `json:"message"`
	Action  string `json:"action"`
}

// throttledMessage is what API Gateway answers a throttled frame with.
const throttledMessage = "Too Many Requests"

// dial connects from the loopback address from (nil: the system's choice), so that the
// gateway sees many players on one machine as many addresses.
func dial(ctx context.Context, url string, from net.IP) (*player, error) {
	ws, err := dialFrom(ctx, url, from)
	// Throttled ($connect's limit): try again after a growing pause, as the site does.
	for wait := connectRetry; isThrottled(err) && wait <= maxConnectRetry; wait *= 2 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		ws, err = dialFrom(ctx, url, from)
	}
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(128 << 10)
	p := &player{ws: ws, changed: make(chan struct{})}
	go p.read()
	return p, nil
}

func (p *player) read() {
	ctx := context.Background()
	for {
		_, b, err := p.ws.Read(ctx)
		if err != nil {
			p.mu.Lock()
			p.readErr = err
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
			return
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			p.fail(fmt.Sprintf("undecodable frame %q", b))
			continue
		}
		switch f.Type {
		case "":
			if f.Message == throttledMessage {
				p.mu.Lock()
				p.throttled++
				close(p.changed)
				p.changed = make(chan struct{})
				p.mu.Unlock()
				continue
			}
			p.fail(fmt.Sprintf("gateway: %s", f.Message))
		case "room":
			p.mu.Lock()
			p.frames++
			if f.Room.Version > p.version {
				p.version, p.room = f.Room.Version, f.Room
			}
			if f.You != nil {
				p.symbol = f.You.Symbol
			}
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		case "error":
			p.fail(fmt.Sprintf("%s on %s: %s", f.Code, f.Action, f.Message))
		default:
			p.mu.Lock()
			if p.others == nil {
				p.others = map[string]int64{}
			}
			p.others[f.Type]++
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
	}
}

// waitType waits until the player has received n frames of type typ (not room frames).
func (p *player) waitType(ctx context.Context, typ string, n int64) error {
	for {
		p.mu.Lock()
		got, changed, errs, readErr := p.others[typ], p.changed, p.errs, p.readErr
		p.mu.Unlock()
		switch {
		case got >= n:
			return nil
		case len(errs) > 0:
			return fmt.Errorf("waiting for %s: %s", typ, errs[0])
		case readErr != nil:
			return fmt.Errorf("waiting for %s: %w", typ, readErr)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s frame %d: %w", typ, n, ctx.Err())
		}
	}
}

func (p *player) fail(msg string) {
	p.mu.Lock()
	p.errs = append(p.errs, msg)
	p.mu.Unlock()
}

// waitVersion waits until the player has seen room version v or later.
func (p *player) waitVersion(ctx context.Context, v int64) (roomState, error) {
	for {
		p.mu.Lock()
		room, ver, ch, rerr, nerr := p.room, p.version, p.changed, p.readErr, len(p.errs)
		p.mu.Unlock()
		switch {
		case ver >= v:
			return room, nil
		case rerr != nil:
			return room, fmt.Errorf("connection closed: %w", rerr)
		case nerr > 0:
			return room, errors.New("the server answered with an error")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return room, fmt.Errorf("waiting for version %d (have %d): %w", v, ver, ctx.Err())
		}
	}
}

// roomFrames returns the room frames received so far.
func (p *player) roomFrames() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.frames
}

// waitFrames waits until the player has received n room frames in all. Waiting for a version
// is not enough where two invocations post concurrently (rematch): the newer state can arrive
// first while the older post is still on its way, and would then be counted in the next phase.
func (p *player) waitFrames(ctx context.Context, n int64) error {
	for {
		p.mu.Lock()
		got, ch, rerr := p.frames, p.changed, p.readErr
		p.mu.Unlock()
		switch {
		case got >= n:
			return nil
		case rerr != nil:
			return fmt.Errorf("connection closed: %w", rerr)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d room frames (have %d): %w", n, got, ctx.Err())
		}
	}
}

func (p *player) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return p.ws.Write(ctx, websocket.MessageText, b)
}

func (p *player) errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

func (p *player) close() { _ = p.ws.Close(websocket.StatusNormalClosure, "done") }

func (p *player) throttles() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.throttled
}

// sendUntilServed sends v until the player holds room version want, sending it again a moment
// after each time the gateway throttles it, as a client should.
func (p *player) sendUntilServed(ctx context.Context, v any, want int64) error {
	for {
		throttled := p.throttles()
		err := p.send(ctx, v)
		if err == nil {
			err = p.waitVersionOrThrottle(ctx, want, throttled)
		}
		if !errors.Is(err, errThrottled) {
			return err
		}
		select {
		case <-time.After(throttleRetry):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// errThrottled: the gateway refused the frame; send it again.
var errThrottled = errors.New("throttled")

// waitVersionOrThrottle is waitVersion that gives up with errThrottled once the gateway has
// throttled more of the player's frames than before.
func (p *player) waitVersionOrThrottle(ctx context.Context, v, throttledBefore int64) error {
	for {
		p.mu.Lock()
		ver, ch, rerr, nerr, th := p.version, p.changed, p.readErr, len(p.errs), p.throttled
		p.mu.Unlock()
		switch {
		case ver >= v:
			return nil
		case th > throttledBefore:
			return errThrottled
		case rerr != nil:
			return fmt.Errorf("connection closed: %w", rerr)
		case nerr > 0:
			return errors.New("the server answered with an error")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for version %d (have %d): %w", v, ver, ctx.Err())
		}
	}
}

// dialFrom opens a WebSocket from the local address from, or the system's when nil.
func dialFrom(ctx context.Context, url string, from net.IP) (*websocket.Conn, error) {
	opts := &websocket.DialOptions{HTTPHeader: http.Header{"User-Agent": {"tictactoe-loadgen"}}}
	if from != nil {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: from}}
		// No keep-alive: a refused upgrade's connection is closed, not pooled (a flood of
		// refused connects would otherwise hold a file per attempt).
		opts.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	}
	ws, resp, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		if resp != nil {
			return nil, &dialError{status: resp.StatusCode, err: err}
		}
		return nil, fmt.Errorf("connecting to %s: %w", url, err)
	}
	return ws, nil
}

// The pauses of a player whose connect was throttled: 250 ms, doubling, 8 s at most.
const (
	connectRetry    = 250 * time.Millisecond
	maxConnectRetry = 8 * time.Second
)

func isThrottled(err error) bool {
	var de *dialError
	return errors.As(err, &de) && de.status == http.StatusTooManyRequests
}

// dialError is a refused upgrade, with the HTTP status.
type dialError struct {
	status int
	err    error
}

func (e *dialError) Error() string {
	return fmt.Sprintf("connect refused with %d: %v", e.status, e.err)
}
