package devstack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/serverless-tictactoe/tictactoe/localgw/devstack"
	"github.com/serverless-tictactoe/tictactoe/localgw/devstack/devstacktest"
)

// startStack runs the local stack as `make dev` does, on a free port, its lines in the log.
func startStack(t *testing.T, getenv map[string]string) *devstack.Stack {
	t.Helper()
	return devstacktest.Start(t, devstacktest.Options{Env: getenv, Log: true})
}

func stop(t *testing.T, st *devstack.Stack) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := st.Stop(ctx); err != nil {
		t.Errorf("stopping the stack: %v", err)
	}
}

// Frames of protocol v1 (docs/protocol.md), as a client decodes them.
type frame struct {
	Type     string `json:"type"`
	Room     *room  `json:"room"`
	You      *you   `json:"you"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Action   string `json:"action"`
	RoomCode string `json:"roomCode"`
	From     string `json:"from"`
	Symbol   string `json:"symbol"`
	Text     string `json:"text"`
	RetryIn  int    `json:"retryIn"`
}

type room struct {
	Code    string             `json:"code"`
	Status  string             `json:"status"`
	Board   []string           `json:"board"`
	Turn    string             `json:"turn"`
	Winner  string             `json:"winner"`
	WinLine []int              `json:"winLine"`
	Players map[string]*player `json:"players"`
	Score   map[string]int     `json:"score"`
	Rematch map[string]bool    `json:"rematch"`
	Version int64              `json:"version"`
}

type player struct {
	Name   string `json:"name"`
	Online bool   `json:"online"`
}

type you struct {
	Symbol string `json:"symbol"`
	Token  string `json:"token"`
}

// client is a browser's part: one WebSocket connection, every frame it receives in order.
type client struct {
	t      *testing.T
	name   string
	ws     *websocket.Conn
	frames chan frame
}

func connect(t *testing.T, st *devstack.Stack, name string) *client {
	t.Helper()
	return connectTo(t, st, st.WebSocketURL, name)
}

// connectTo connects to socket (one Region's of a multi-Region stack) from the site's origin.
func connectTo(t *testing.T, st *devstack.Stack, socket, name string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, socket, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {strings.TrimSuffix(st.URL, "/")}}})
	if err != nil {
		t.Fatalf("%s connecting: %v", name, err)
	}
	c := &client{t: t, name: name, ws: ws, frames: watch(name, ws).frames}
	t.Cleanup(func() { ws.CloseNow() })
	return c
}

func (c *client) send(v map[string]any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("%s sending %s: %v", c.name, b, err)
	}
}

// next returns the next frame; an error frame fails the test unless wantError.
func (c *client) next(wantError bool) frame {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatalf("%s: connection closed", c.name)
		}
		if f.Type == "error" && !wantError {
			c.t.Fatalf("%s got error %s: %s (action %s)", c.name, f.Code, f.Message, f.Action)
		}
		return f
	case <-time.After(5 * time.Second):
		c.t.Fatalf("%s: no frame within 5s", c.name)
		return frame{}
	}
}

// room waits for a room frame for which ok holds, skipping earlier room states (the broadcasts
// of concurrent invocations may arrive in any order).
func (c *client) room(what string, ok func(f frame) bool) frame {
	c.t.Helper()
	for {
		f := c.next(false)
		if f.Type == "room" && ok(f) {
			return f
		}
		if f.Type == "chatHistory" {
			continue // a rejoin's chat, after its room frame
		}
		if f.Type != "room" {
			c.t.Fatalf("%s waiting for %s: got a %s frame %+v", c.name, what, f.Type, f)
		}
	}
}

// nothing fails if a frame arrives within d.
func (c *client) nothing(d time.Duration) {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if ok {
			c.t.Fatalf("%s got an unexpected %s frame %+v", c.name, f.Type, f)
		}
	case <-time.After(d):
	}
}

func boardIs(cells ...string) func(frame) bool {
	return func(f frame) bool { return slices.Equal(f.Room.Board, cells) }
}

// move plays cell for mover and returns the room frame each client in the room sees it in.
func move(code string, cell int, mover *client, room ...*client) []frame {
	mover.t.Helper()
	mover.send(map[string]any{"action": "move", "roomCode": code, "cell": cell})
	var seen []frame
	for _, c := range room {
		seen = append(seen, c.room(fmt.Sprintf("the move on cell %d", cell), func(f frame) bool { return f.Room.Board[cell] != "" }))
	}
	return seen
}

// The whole game through the local stack, as two (then three) browsers play it: the real
// handlers on dynalite behind the local gateway.
func TestWholeGame(t *testing.T) {
	st := startStack(t, map[string]string{})

	// The site and its settings.
	for path, want := range map[string]string{"": "<html", "config.js": `"webSocketUrl":"/dev"`} {
		resp, err := http.Get(strings.Replace(st.URL, "localhost", "127.0.0.1", 1) + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Fatalf("GET /%s: %d %s, want it to contain %s", path, resp.StatusCode, b, want)
		}
	}

	// Create, join by code.
	ann := connect(t, st, "Ann")
	ann.send(map[string]any{"action": "createRoom", "name": "Ann"})
	created := ann.room("the new room", func(f frame) bool { return f.Room.Status == "waiting" })
	code := created.Room.Code
	if created.You == nil || created.You.Symbol != "X" || created.You.Token == "" || len(code) != 6 {
		t.Fatalf("createRoom answered %+v you %+v", created.Room, created.You)
	}
	annToken := created.You.Token

	bob := connect(t, st, "Bob")
	bob.send(map[string]any{"action": "joinRoom", "roomCode": strings.ToLower(code), "name": "Bob"})
	joined := bob.room("the game", func(f frame) bool { return f.Room.Status == "playing" })
	if joined.You == nil || joined.You.Symbol != "O" || joined.You.Token == "" || joined.Room.Turn != "X" {
		t.Fatalf("joinRoom answered %+v you %+v", joined.Room, joined.You)
	}
	annSees := ann.room("Bob joining", func(f frame) bool { return f.Room.Status == "playing" })
	if annSees.You == nil || annSees.You.Symbol != "X" || annSees.You.Token != "" || annSees.Room.Players["O"].Name != "Bob" {
		t.Fatalf("Ann saw %+v you %+v: her frame must name her seat and carry no token", annSees.Room, annSees.You)
	}

	// Out of turn: the error goes to Bob only.
	bob.send(map[string]any{"action": "move", "roomCode": code, "cell": 0})
	if f := bob.next(true); f.Type != "error" || f.Code != "not_your_turn" || f.Action != "move" {
		t.Fatalf("Bob moving out of turn got %+v", f)
	}

	// Moves to a win: X takes the top row.
	var seen []frame
	for i, m := range []struct {
		cell   int
		player *client
	}{{0, ann}, {3, bob}, {1, ann}, {4, bob}, {2, ann}} {
		seen = move(code, m.cell, m.player, ann, bob)
		if i < 4 && (seen[0].Room.Status != "playing" || seen[1].Room.Status != "playing") {
			t.Fatalf("after move %d: %s", i+1, seen[0].Room.Status)
		}
	}
	for _, f := range seen {
		if f.Room.Status != "won" || f.Room.Winner != "X" || !slices.Equal(f.Room.WinLine, []int{0, 1, 2}) || f.Room.Score["X"] != 1 {
			t.Fatalf("after the winning move: %+v", f.Room)
		}
	}
	ann.nothing(100 * time.Millisecond) // Bob's error did not reach Ann

	// Chat.
	bob.send(map[string]any{"action": "sendMessage", "roomCode": code, "text": "gg"})
	for _, c := range []*client{ann, bob} {
		if f := c.next(false); f.Type != "chat" || f.From != "Bob" || f.Symbol != "O" || f.Text != "gg" || f.RoomCode != code {
			t.Fatalf("%s got %+v, want Bob's chat", c.name, f)
		}
	}

	// Rematch: a new game once both ask, opened by O, the score carried on.
	ann.send(map[string]any{"action": "rematch", "roomCode": code})
	for _, c := range []*client{ann, bob} {
		c.room("Ann's rematch request", func(f frame) bool { return f.Room.Rematch["X"] && f.Room.Status == "won" })
	}
	bob.send(map[string]any{"action": "rematch", "roomCode": code})
	for _, c := range []*client{ann, bob} {
		f := c.room("the rematch", func(f frame) bool { return f.Room.Status == "playing" })
		if f.Room.Turn != "O" || f.Room.Score["X"] != 1 || !slices.Equal(f.Room.Board, make([]string, 9)) {
			t.Fatalf("%s: rematch %+v", c.name, f.Room)
		}
	}
	move(code, 4, bob, ann, bob)

	// Ann's connection drops (no close frame): Bob sees her offline; she rejoins with her
	// token on a new connection and the game goes on.
	ann.ws.CloseNow()
	bob.room("Ann offline", func(f frame) bool { return !f.Room.Players["X"].Online })
	ann = connect(t, st, "Ann again")
	ann.send(map[string]any{"action": "rejoin", "roomCode": code, "token": annToken})
	back := ann.room("the seat back", func(f frame) bool { return f.You != nil })
	if back.You.Symbol != "X" || back.Room.Status != "playing" || back.Room.Board[4] != "O" || !back.Room.Players["X"].Online {
		t.Fatalf("rejoin answered %+v you %+v", back.Room, back.You)
	}
	bob.room("Ann online again", func(f frame) bool { return f.Room.Players["X"].Online })
	move(code, 0, ann, ann, bob)

	// The guest leaves: the room waits for the host; a new guest joins and plays.
	bob.send(map[string]any{"action": "leaveRoom", "roomCode": code})
	if f := bob.next(false); f.Type != "left" || f.RoomCode != code {
		t.Fatalf("Bob leaving got %+v", f)
	}
	waiting := ann.room("Bob gone", func(f frame) bool { return f.Room.Status == "waiting" })
	if waiting.Room.Players["O"] != nil || waiting.Room.Score["X"] != 0 {
		t.Fatalf("after the guest left: %+v", waiting.Room)
	}
	cid := connect(t, st, "Cid")
	cid.send(map[string]any{"action": "joinRoom", "roomCode": code, "name": "Cid"})
	for _, c := range []*client{ann, cid} {
		f := c.room("Cid's game", func(f frame) bool { return f.Room.Status == "playing" })
		if f.Room.Players["O"].Name != "Cid" || f.Room.Turn != "X" {
			t.Fatalf("%s: %+v", c.name, f.Room)
		}
	}
	move(code, 8, ann, ann, cid)
	bob.nothing(100 * time.Millisecond) // Bob left: he hears nothing more

	// Stopping ends everything: dynalite too.
	stop(t, st)
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(st.DynamoDBEndpoint, "http://"), time.Second); err == nil {
		c.Close()
		t.Fatalf("dynalite still listening at %s after Stop", st.DynamoDBEndpoint)
	}
}

// Seats through drops and leaves: a rejoin takes the seat from a connection still open, a seat
// held past the grace period is given up at the next action, the host leaving abandons the
// room, and a room both players left is gone.
func TestSeatsAndLeaving(t *testing.T) {
	const grace = time.Second
	st := startStack(t, map[string]string{"GRACE_PERIOD": grace.String()})

	ann := connect(t, st, "Ann")
	ann.send(map[string]any{"action": "createRoom", "name": "Ann"})
	created := ann.room("the new room", func(f frame) bool { return f.You != nil })
	code, annToken := created.Room.Code, created.You.Token
	bob := connect(t, st, "Bob")
	bob.send(map[string]any{"action": "joinRoom", "roomCode": code, "name": "Bob"})
	bobToken := bob.room("the game", func(f frame) bool { return f.You != nil && f.Room.Status == "playing" }).You.Token
	ann.room("Bob joining", func(f frame) bool { return f.Room.Status == "playing" })

	// Ann opens a second tab and rejoins there: the first tab is told it left.
	ann2 := connect(t, st, "Ann's second tab")
	ann2.send(map[string]any{"action": "rejoin", "roomCode": code, "token": annToken})
	ann2.room("the seat", func(f frame) bool { return f.You != nil && f.You.Symbol == "X" })
	for {
		f := ann.next(false)
		if f.Type == "left" && f.RoomCode == code {
			break
		}
		if f.Type != "room" {
			t.Fatalf("Ann's first tab got %+v, want left", f)
		}
	}
	ann.send(map[string]any{"action": "move", "roomCode": code, "cell": 0})
	if f := ann.next(true); f.Type != "error" || f.Code != "not_in_room" {
		t.Fatalf("the replaced tab moving got %+v, want not_in_room", f)
	}
	move(code, 0, ann2, ann2, bob)

	// Bob drops and stays away past the grace period: the next action gives his seat up.
	bob.ws.CloseNow()
	ann2.room("Bob offline", func(f frame) bool { return f.Room.Players["O"] != nil && !f.Room.Players["O"].Online })
	time.Sleep(grace + 200*time.Millisecond)
	ann2.send(map[string]any{"action": "getRoom", "roomCode": code})
	waiting := ann2.room("Bob's seat given up", func(f frame) bool { return f.Room.Status == "waiting" })
	if waiting.Room.Players["O"] != nil {
		t.Fatalf("after the grace period: %+v", waiting.Room)
	}
	bob = connect(t, st, "Bob back too late")
	bob.send(map[string]any{"action": "rejoin", "roomCode": code, "token": bobToken})
	if f := bob.next(true); f.Type != "error" || f.Code != "not_in_room" {
		t.Fatalf("rejoining after the grace period got %+v, want not_in_room", f)
	}

	// Bob joins again; the host leaves: the room is abandoned for him.
	bob.send(map[string]any{"action": "joinRoom", "roomCode": code, "name": "Bob"})
	bob.room("the new game", func(f frame) bool { return f.Room.Status == "playing" })
	ann2.room("Bob back", func(f frame) bool { return f.Room.Status == "playing" })
	ann2.send(map[string]any{"action": "leaveRoom", "roomCode": code})
	if f := ann2.next(false); f.Type != "left" {
		t.Fatalf("the host leaving got %+v", f)
	}
	bob.room("the host gone", func(f frame) bool { return f.Room.Status == "abandoned" && f.Room.Players["X"] == nil })

	// Bob leaves too: the room is deleted.
	bob.send(map[string]any{"action": "leaveRoom", "roomCode": code})
	if f := bob.next(false); f.Type != "left" {
		t.Fatalf("the last player leaving got %+v", f)
	}
	bob.send(map[string]any{"action": "getRoom", "roomCode": code})
	if f := bob.next(true); f.Type != "error" || f.Code != "room_not_found" {
		t.Fatalf("getRoom of the emptied room got %+v, want room_not_found", f)
	}
}
