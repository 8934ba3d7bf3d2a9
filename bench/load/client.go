package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

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

func dial(ctx context.Context, url string) (*player, error) {
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"User-Agent": {"tictactoe-loadgen"}}})
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", url, err)
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
