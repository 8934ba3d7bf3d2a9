package smoke

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/coder/websocket"

	"github.com/serverless-tictactoe/tictactoe/lambda/protocol"
)

// frame is any server frame, decoded into the fields of every type (docs/protocol.md), plus
// Message alone for what API Gateway itself answers ({"message": "Forbidden", ...}).
type frame struct {
	Type string             `json:"type"`
	Room protocol.RoomState `json:"room"`
	You  *protocol.You      `json:"you"`
	// chat and left
	RoomCode string `json:"roomCode"`
	From     string `json:"from"`
	Symbol   string `json:"symbol"`
	Text     string `json:"text"`
	// error
	Code    string `json:"code"`
	Message string `json:"message"`
	Action  string `json:"action"`

	raw string
}

// player is one connection. Frames are read in order; room frames keep only the newest state
// (posts to one connection can overtake each other), other frames wait to be asked for.
type player struct {
	name    string
	ws      *websocket.Conn
	in      chan *frame
	readErr error

	latest  *frame   // the room frame of the highest version so far
	pending []*frame // chat, left and error frames not yet awaited
	you     string   // the seat, from the last frame with you
	recent  []string // the last frames, for a failure's message
}

func dial(ctx context.Context, socket, origin, name string) (*player, error) {
	ws, resp, err := websocket.Dial(ctx, socket, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (HTTP %s)", err, resp.Status)
		}
		return nil, err
	}
	ws.SetReadLimit(64 << 10)
	p := &player{name: name, ws: ws, in: make(chan *frame, 64)}
	go p.read()
	return p, nil
}

func (p *player) read() {
	defer close(p.in)
	for {
		_, b, err := p.ws.Read(context.Background())
		if err != nil {
			p.readErr = err // read by the waiter only after in is closed
			return
		}
		f := &frame{raw: string(b)}
		if err := json.Unmarshal(b, f); err != nil {
			f.Type = "undecodable"
		}
		p.in <- f
	}
}

func (p *player) send(ctx context.Context, v map[string]any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := p.ws.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("%s sending %s: %w", p.name, v["action"], err)
	}
	return nil
}

func (p *player) symbol() string { return p.you }

// await waits until the newest room state satisfies ok and returns it.
func (p *player) await(ctx context.Context, want string, ok func(*frame) bool) (*frame, error) {
	return p.wait(ctx, want, func() *frame {
		if p.latest != nil && ok(p.latest) {
			return p.latest
		}
		return nil
	})
}

// awaitType waits for a frame of type typ that satisfies ok, and consumes it.
func (p *player) awaitType(ctx context.Context, typ, want string, ok func(*frame) bool) (*frame, error) {
	return p.wait(ctx, want, func() *frame {
		for i, f := range p.pending {
			if f.Type == typ && ok(f) {
				p.pending = append(p.pending[:i], p.pending[i+1:]...)
				return f
			}
		}
		return nil
	})
}

// wait reads frames until found returns one. An error frame fails the wait unless it is what
// is awaited; so does anything that is not a frame of the protocol.
func (p *player) wait(ctx context.Context, want string, found func() *frame) (*frame, error) {
	fail := func(format string, args ...any) error {
		return &StepError{Want: p.name + ": " + want, Got: fmt.Sprintf(format, args...)}
	}
	for {
		if f := found(); f != nil {
			return f, nil
		}
		for _, f := range p.pending {
			if f.Type == protocol.TypeError && !strings.Contains(want, f.Code) {
				return nil, fail("the error frame %s", f.raw)
			}
		}
		select {
		case f, open := <-p.in:
			if !open {
				return nil, fail("the connection closed (%v) after %s", p.readErr, p.history())
			}
			p.recent = append(p.recent, f.raw)
			if len(p.recent) > 3 {
				p.recent = p.recent[1:]
			}
			switch f.Type {
			case protocol.TypeRoom:
				if f.You != nil {
					p.you = f.You.Symbol
				}
				if p.latest == nil || f.Room.Version > p.latest.Room.Version || f.Room.Code != p.latest.Room.Code {
					p.latest = f
				}
			case protocol.TypeChat, protocol.TypeLeft, protocol.TypeError:
				p.pending = append(p.pending, f)
			case "":
				return nil, fail("the gateway's answer %s", f.raw)
			case "undecodable":
				return nil, fail("a frame that is not JSON: %s", f.raw)
			}
			// Other types are ignored, as the protocol asks of clients (types may be added).
		case <-ctx.Done():
			return nil, fail("nothing of the kind in time (%v); last frames: %s", ctx.Err(), p.history())
		}
	}
}

func (p *player) history() string {
	if len(p.recent) == 0 {
		return "none"
	}
	return strings.Join(p.recent, " | ")
}

func (p *player) close() { _ = p.ws.Close(websocket.StatusNormalClosure, "smoke test done") }
