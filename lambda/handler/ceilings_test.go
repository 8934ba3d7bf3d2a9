package handler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/ratelimit"
)

// connectFrom opens connID from ip as API Gateway would ($connect), with extra headers.
func (e *env) connectFrom(connID, ip string, headers map[string]string) int {
	e.t.Helper()
	ev := golden(e.t, catalog.Connect)
	ev.RequestContext.ConnectionID = connID
	ev.RequestContext.Identity.SourceIP = ip
	if _, ok := headers["Origin"]; ok {
		delete(ev.Headers, "Origin")
	}
	for k, v := range headers {
		ev.Headers[strings.ToLower(k)] = v
	}
	resp, err := e.h.Connect(context.Background(), ev)
	if err != nil {
		e.t.Fatalf("$connect: %v", err)
	}
	return resp.StatusCode
}

// One address holds at most its share of open connections; a closed one frees its place, and
// other addresses are not affected.
func TestConnectionsPerSourceAreCapped(t *testing.T) {
	e := newEnv(t, envOptions{guard: &guard.Limits{ConnectionsPerSource: 3}})
	for i := range 3 {
		if code := e.connectFrom(fmt.Sprintf("c%d", i), "203.0.113.7", nil); code != 200 {
			t.Fatalf("connection %d: %d, want 200", i, code)
		}
	}
	if code := e.connectFrom("c3", "203.0.113.7", nil); code != 429 {
		t.Fatalf("the fourth connection from one address: %d, want 429", code)
	}
	if !strings.Contains(e.logs.String(), `"errorCode":"too_many_connections"`) {
		t.Errorf("the refusal is not logged with its code:\n%s", e.logs.String())
	}
	if code := e.connectFrom("d0", "198.51.100.1", nil); code != 200 {
		t.Fatalf("another address: %d, want 200", code)
	}
	e.disconnect("c0")
	if code := e.connectFrom("c4", "203.0.113.7", nil); code != 200 {
		t.Fatalf("after a $disconnect: %d, want 200", code)
	}
}

// Behind the distribution every connection comes from CloudFront's addresses: the player's
// address is the one the distribution's function wrote, and only a connection with the edge
// secret is believed.
func TestConnectionsPerSourceBehindTheEdge(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	e := newEnv(t, envOptions{edge: secret, guard: &guard.Limits{ConnectionsPerSource: 2}})
	through := func(player string) map[string]string {
		return map[string]string{config.EdgeSecretHeader: secret, config.ViewerHostHeader: "d111.cloudfront.net",
			"Origin": "https://d111.cloudfront.net", config.ViewerAddressHeader: player}
	}
	const edgeIP = "130.176.0.10" // one CloudFront address for every player
	for i, player := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.1"} {
		if code := e.connectFrom(fmt.Sprintf("p%d", i), edgeIP, through(player)); code != 200 {
			t.Fatalf("player %s through the edge: %d, want 200 (counted by the player's address)", player, code)
		}
	}
	if code := e.connectFrom("p4", edgeIP, through("203.0.113.1")); code != 429 {
		t.Fatalf("a third connection of 203.0.113.1: %d, want 429", code)
	}
	// A distribution that does not say the player's address yet (mid-deploy): CloudFront's
	// address is no player's, so nothing is counted by it.
	noAddress := through("")
	delete(noAddress, config.ViewerAddressHeader)
	for i := range 3 {
		if code := e.connectFrom(fmt.Sprintf("n%d", i), edgeIP, noAddress); code != 200 {
			t.Fatalf("connection %d without a viewer address: %d, want 200", i, code)
		}
	}
}

// A connection that keeps asking for rooms that do not exist is closed after its budget, and
// an address that spends its hour's budget over several connections gets no new one until the
// hour is out.
func TestProbingIsBounded(t *testing.T) {
	e := newEnv(t, envOptions{guard: &guard.Limits{MissesPerSourceHour: 15}})
	probe := func(connID string, n int) {
		for i := range n {
			e.send(connID, map[string]any{"action": "getRoom", "roomCode": unknownCode(connID, i)})
		}
	}
	if code := e.connectFrom("p1", "203.0.113.9", nil); code != 200 {
		t.Fatal(code)
	}
	probe("p1", capacity.MissesPerConnection-1)
	if e.conns.Closed("p1") {
		t.Fatalf("closed before its budget of %d", capacity.MissesPerConnection)
	}
	e.wantError("p1", "room_not_found", "getRoom")
	probe("p1", 1)
	if !e.conns.Closed("p1") {
		t.Fatalf("a connection with %d misses is still open", capacity.MissesPerConnection)
	}
	e.disconnect("p1") // API Gateway's answer to the close
	if code := e.connectFrom("p2", "203.0.113.9", nil); code != 200 {
		t.Fatalf("a new connection under the hour's budget: %d", code)
	}
	probe("p2", 5) // 15 misses from the address this hour
	if !e.conns.Closed("p2") {
		t.Fatal("the connection that spent its address's budget is still open")
	}
	if code := e.connectFrom("p3", "203.0.113.9", nil); code != 429 {
		t.Fatalf("a prober's new connection: %d, want 429", code)
	}
	if code := e.connectFrom("p4", "198.51.100.2", nil); code != 200 {
		t.Fatalf("another address: %d", code)
	}
	e.advance(time.Hour)
	if code := e.connectFrom("p5", "203.0.113.9", nil); code != 200 {
		t.Fatalf("the next hour: %d, want 200", code)
	}
	// A player who mistypes a code once keeps playing.
	code := e.create("p5", "Ann")
	e.send("p4", map[string]any{"action": "joinRoom", "roomCode": "QQQQQQ", "name": "Bob"})
	e.wantError("p4", "room_not_found", "joinRoom")
	e.send("p4", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Bob"})
	if e.room("p4")["status"] != "playing" || e.conns.Closed("p4") {
		t.Fatal("one mistyped code must not cost a player the game")
	}
}

// A connection that keeps sending past its rate limit is closed instead of answered forever.
func TestFloodingConnectionIsClosed(t *testing.T) {
	var now time.Time
	clock := func() time.Time { return now }
	e := newEnv(t, envOptions{
		limiter: ratelimit.New(1, 2, clock),
		strikes: ratelimit.New(0.1, 3, clock),
	})
	now = time.Unix(0, e.now.Load())
	frame := map[string]any{"action": "getRoom", "roomCode": "ABCDEF"}
	for i := 1; i <= 5; i++ { // 2 within the limit, 3 strikes answered rate_limited
		e.send("f", frame)
		if e.conns.Closed("f") {
			t.Fatalf("closed at frame %d", i)
		}
	}
	e.wantError("f", "rate_limited", "getRoom")
	sent := e.count("f")
	e.send("f", frame)
	if !e.conns.Closed("f") {
		t.Fatal("a connection past its strikes is still open")
	}
	if e.count("f") != sent {
		t.Errorf("the closed flood was answered: %d frames, had %d", e.count("f"), sent)
	}
	if !strings.Contains(e.logs.String(), `"outcome":"closed"`) {
		t.Errorf("the close is not logged:\n%s", e.logs.String())
	}
}

// unknownCode is a well-formed room code no room has: ZZ and four of the code alphabet's
// digits, different for each (connection, i).
func unknownCode(connID string, i int) string {
	const digits = "23456789"
	n := i + 64*len(connID) + int(connID[len(connID)-1])*8
	b := []byte("ZZ")
	for range 4 {
		b = append(b, digits[n%len(digits)])
		n /= len(digits)
	}
	return string(b)
}

// A seat left online by a lost $disconnect is healed the next time the room is read: the
// player sees the truth, the opponent offline and its grace period running.
func TestGhostSeatIsHealedOnRead(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	e.send("x", map[string]any{"action": "getRoom", "roomCode": code})
	if o := e.room("x")["players"].(map[string]any)["O"].(map[string]any); o["online"] != true {
		t.Fatalf("a live opponent shows %v", o)
	}
	e.conns.SetGone("o") // its connection is gone, and its $disconnect never came
	e.send("x", map[string]any{"action": "getRoom", "roomCode": code})
	if o := e.room("x")["players"].(map[string]any)["O"].(map[string]any); o["online"] != false {
		t.Fatalf("the ghost still shows %v to its opponent", o)
	}
	r, err := e.store.GetRoom(context.Background(), code)
	if err != nil || r.O.Online() {
		t.Fatalf("the stored seat is still online: %+v, %v", r.O, err)
	}
}

// An address whose connections are closed for flooding three times in an hour gets no new one:
// reconnecting to flood again stops.
func TestFloodingAddressIsRefused(t *testing.T) {
	var now time.Time
	clock := func() time.Time { return now }
	e := newEnv(t, envOptions{
		limiter: ratelimit.New(1, 1, clock),
		strikes: ratelimit.New(0.0001, 1, clock),
		guard:   &guard.Limits{},
	})
	now = time.Unix(0, e.now.Load())
	frame := map[string]any{"action": "getRoom", "roomCode": "ABCDEF"}
	for i := range capacity.MissesPerSourceHour / capacity.FloodCloseMisses {
		id := fmt.Sprintf("f%d", i)
		if code := e.connectFrom(id, "203.0.113.66", nil); code != 200 {
			t.Fatalf("flood connection %d: %d, want 200", i, code)
		}
		for !e.conns.Closed(id) {
			e.send(id, frame)
		}
		e.disconnect(id)
	}
	if code := e.connectFrom("again", "203.0.113.66", nil); code != 429 {
		t.Fatalf("the flooder's next connection: %d, want 429", code)
	}
	if code := e.connectFrom("player", "198.51.100.3", nil); code != 200 {
		t.Fatalf("another address: %d", code)
	}
}

// The worst fan-out: a full room (two players, every spectator it takes) turns one chat line
// into capacity.FramesOutPerFrameIn frames, and a spectator past the cap only gets an answer.
func TestFanOutIsBounded(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	for i := range capacity.MaxWatchers + 1 {
		e.send(fmt.Sprintf("w%d", i), map[string]any{"action": "getRoom", "roomCode": code})
	}
	r, err := e.store.GetRoom(context.Background(), code)
	if err != nil || len(r.Watchers) != capacity.MaxWatchers {
		t.Fatalf("watchers %v (%v), want the cap of %d", r.Watchers, err, capacity.MaxWatchers)
	}
	before := e.conns.Posts()
	e.send("x", map[string]any{"action": "sendMessage", "roomCode": code, "text": "hello all"})
	if out := e.conns.Posts() - before; out != capacity.FramesOutPerFrameIn {
		t.Fatalf("one chat line made %d frames out, want %d", out, capacity.FramesOutPerFrameIn)
	}
	before = e.conns.Posts()
	e.move("x", code, 4)
	if out := e.conns.Posts() - before; out != capacity.FramesOutPerFrameIn {
		t.Fatalf("one move made %d frames out, want %d", out, capacity.FramesOutPerFrameIn)
	}
}
