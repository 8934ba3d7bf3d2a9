package handler_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/ratelimit"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
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

// A class, an office or a carrier's NAT: every connection from one address is admitted, and a
// lost $disconnect leaves nothing behind that could refuse the next one.
func TestSharedAddressConnects(t *testing.T) {
	e := newEnv(t, envOptions{guard: &guard.Limits{}})
	for i := range 200 {
		if code := e.connectFrom(fmt.Sprintf("c%d", i), "203.0.113.7", nil); code != 200 {
			t.Fatalf("connection %d from one address: %d, want 200", i, code)
		}
	}
	// None of them ever disconnected (every $disconnect lost): the address still gets in.
	if code := e.connectFrom("late", "203.0.113.7", nil); code != 200 {
		t.Fatalf("after 200 connections whose $disconnect never came: %d, want 200", code)
	}
}

// Behind the distribution every connection comes from CloudFront's addresses: the player's
// address is the one the distribution's function wrote, and only a connection with the edge
// secret is believed. One player's offences refuse that player's address, never the others
// behind the same edge address.
func TestAddressBehindTheEdge(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	e := newEnv(t, envOptions{edge: secret, guard: &guard.Limits{Strikes: 2 * capacity.MissesPerConnection}})
	through := func(player string) map[string]string {
		return map[string]string{config.EdgeSecretHeader: secret, config.ViewerHostHeader: "d111.cloudfront.net",
			"Origin": "https://d111.cloudfront.net", config.ViewerAddressHeader: player}
	}
	const edgeIP = "130.176.0.10" // one CloudFront address for every player
	if code := e.connectFrom("p", edgeIP, through("203.0.113.1")); code != 200 {
		t.Fatalf("a player through the edge: %d", code)
	}
	e.probe("p", capacity.MissesPerConnection) // 10 misses and a close: 20 strikes
	if !e.conns.Closed("p") {
		t.Fatal("the prober's connection is still open")
	}
	if code := e.connectFrom("p2", edgeIP, through("203.0.113.1")); code != 200 {
		t.Fatalf("the prober's address: %d, want 200 (on probation, never refused)", code)
	}
	if n := e.guesses("p2"); n != capacity.ProbationMisses {
		t.Fatalf("the prober's next connection guessed %d codes, want %d (probation)", n, capacity.ProbationMisses)
	}
	if code := e.connectFrom("q", edgeIP, through("203.0.113.2")); code != 200 {
		t.Fatalf("another player behind the same edge address: %d, want 200", code)
	}
	if n := e.guesses("q"); n != capacity.MissesPerConnection {
		t.Fatalf("another player behind the same edge address guessed %d codes, want %d", n, capacity.MissesPerConnection)
	}
	// A distribution that does not say the player's address yet (mid-deploy): CloudFront's
	// address is no player's, so nothing is counted by it.
	noAddress := through("")
	delete(noAddress, config.ViewerAddressHeader)
	if code := e.connectFrom("n", edgeIP, noAddress); code != 200 {
		t.Fatalf("a connection without a viewer address: %d, want 200", code)
	}
}

// guesses sends getRoom frames for codes no room has from connID until the server closes it,
// and returns how many it was answered.
func (e *env) guesses(connID string) int {
	e.t.Helper()
	for i := range capacity.MissesPerConnection + 1 {
		e.send(connID, map[string]any{"action": "getRoom", "roomCode": unknownCode(connID, 100+i)})
		if e.conns.Closed(connID) {
			return i + 1
		}
	}
	e.t.Fatalf("%s guessed %d codes and is still open", connID, capacity.MissesPerConnection+1)
	return 0
}

// A miss the table cannot count is not answered as a miss: a prober must not get free guesses
// while the database fails.
func TestUncountedMissIsNoMiss(t *testing.T) {
	e := newEnv(t, envOptions{guard: &guard.Limits{}})
	if code := e.connectFrom("p", "203.0.113.10", nil); code != 200 {
		t.Fatal(code)
	}
	e.store.failConnPuts.Store(true)
	e.probe("p", 1)
	e.wantError("p", "internal_error", "getRoom")
	e.store.failConnPuts.Store(false)
	e.probe("p", 1)
	e.wantError("p", "room_not_found", "getRoom")
}

// probeConnections opens connections p<from> to p<to-1> from addr, one after the other, each
// spending its whole budget of misses and closed for it.
func (e *env) probeConnections(addr string, from, to int) {
	e.t.Helper()
	for i := from; i < to; i++ {
		id := fmt.Sprintf("p%d", i)
		if code := e.connectFrom(id, addr, nil); code != 200 {
			e.t.Fatalf("connection %s from %s: %d, want 200", id, addr, code)
		}
		e.probe(id, capacity.MissesPerConnection)
		e.disconnect(id)
	}
}

// probe sends n getRoom frames for codes no room has from connID.
func (e *env) probe(connID string, n int) {
	e.t.Helper()
	for i := range n {
		e.send(connID, map[string]any{"action": "getRoom", "roomCode": unknownCode(connID, i)})
	}
}

// A connection that keeps asking for rooms that do not exist is closed after its budget; one
// device's 60 typos (six connections closed) leave its address as it was, a prober's fifteen
// closed connections put it on probation: its connections still connect, create and play, but
// guess one code each, connections already open included, until the charges age out.
func TestProbingIsBounded(t *testing.T) {
	e := newEnv(t, envOptions{guard: &guard.Limits{}})
	const addr = "203.0.113.9"
	if code := e.connectFrom("classmate", addr, nil); code != 200 { // open before it all
		t.Fatal(code)
	}
	if code := e.connectFrom("p0", addr, nil); code != 200 {
		t.Fatal(code)
	}
	e.probe("p0", capacity.MissesPerConnection-1)
	if e.conns.Closed("p0") {
		t.Fatalf("closed before its budget of %d", capacity.MissesPerConnection)
	}
	e.wantError("p0", "room_not_found", "getRoom")
	e.probe("p0", 1)
	if !e.conns.Closed("p0") {
		t.Fatalf("a connection with %d misses is still open", capacity.MissesPerConnection)
	}
	e.disconnect("p0")             // API Gateway's answer to the close
	e.probeConnections(addr, 1, 6) // one child's 60 typos in all, the page reconnecting each time
	if code := e.connectFrom("friend", addr, nil); code != 200 {
		t.Fatal(code)
	}
	if n := e.guesses("friend"); n != capacity.MissesPerConnection {
		t.Fatalf("a classmate after one child's 60 typos guessed %d codes, want %d", n, capacity.MissesPerConnection)
	}
	e.probeConnections(addr, 6, 15) // a prober: fifteen closed connections in all
	if code := e.connectFrom("again", addr, nil); code != 200 {
		t.Fatalf("after fifteen probing connections: %d, want 200 (probation, never refused)", code)
	}
	if !strings.Contains(e.logs.String(), `"probation":true`) {
		t.Errorf("probation is not logged:\n%s", e.logs.String())
	}
	if n := e.guesses("again"); n != capacity.ProbationMisses {
		t.Fatalf("a connection on probation guessed %d codes, want %d", n, capacity.ProbationMisses)
	}
	// The classmate connected before the address was spent is held to probation too; playing
	// needs no guess: a room by its right code, created on probation, is joined and played.
	if n := e.guesses("classmate"); n != capacity.ProbationMisses {
		t.Fatalf("a connection opened before probation guessed %d codes after it, want %d", n, capacity.ProbationMisses)
	}
	if code := e.connectFrom("host", addr, nil); code != 200 {
		t.Fatal(code)
	}
	if code := e.connectFrom("guest", addr, nil); code != 200 {
		t.Fatal(code)
	}
	room := e.create("host", "Ann")
	e.send("guest", map[string]any{"action": "joinRoom", "roomCode": room, "name": "Bob"})
	if e.room("guest")["status"] != "playing" || e.conns.Closed("guest") {
		t.Fatal("on probation, joining by the right code must still play")
	}
	if code := e.connectFrom("other", "198.51.100.2", nil); code != 200 {
		t.Fatalf("another address: %d", code)
	}
	if n := e.guesses("other"); n != capacity.MissesPerConnection {
		t.Fatalf("another address guessed %d codes, want %d", n, capacity.MissesPerConnection)
	}
	e.advance(capacity.AddressWindowMinutes * time.Minute)
	if code := e.connectFrom("later", addr, nil); code != 200 {
		t.Fatalf("after the window: %d, want 200", code)
	}
	if n := e.guesses("later"); n != capacity.MissesPerConnection {
		t.Fatalf("after the window a connection guessed %d codes, want %d", n, capacity.MissesPerConnection)
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

// A flooding connection is closed, and frames of it that keep arriving until the close lands
// cost nothing more. Its address is not charged: the close ends the flood, and a child
// hammering Enter in a chat box must not cost the school anything. Thirty flood closes later,
// the address's connections still guess codes in full.
func TestFloodingAddress(t *testing.T) {
	var now time.Time
	clock := func() time.Time { return now }
	e := newEnv(t, envOptions{
		limiter: ratelimit.New(1, 1, clock),
		strikes: ratelimit.New(0.0001, 1, clock),
		guard:   &guard.Limits{},
	})
	now = time.Unix(0, e.now.Load())
	const addr = "203.0.113.66"
	frame := map[string]any{"action": "move", "roomCode": "ABCDEF", "cell": 99} // refused before any read: no miss
	for i := range 30 {
		id := fmt.Sprintf("f%d", i)
		if code := e.connectFrom(id, addr, nil); code != 200 {
			t.Fatalf("flood connection %d: %d, want 200", i, code)
		}
		for !e.conns.Closed(id) {
			e.send(id, frame)
		}
		sent := e.count(id)
		for range 100 { // frames in flight before the close lands
			e.send(id, frame)
		}
		if e.count(id) != sent {
			t.Fatalf("frames of a closed flood were answered: %d, had %d", e.count(id), sent)
		}
		e.disconnect(id)
	}
	if got := e.strikes(addr); got != 0 {
		t.Fatalf("30 flood closes charged the address %d strikes, want none", got)
	}
	if code := e.connectFrom("sibling", addr, nil); code != 200 {
		t.Fatalf("the address after 30 flood closes: %d, want 200", code)
	}
	if rec, err := e.store.GetConnection(context.Background(), "sibling"); err != nil || rec.Misses != 0 {
		t.Fatalf("a sibling after 30 flood closes: record %+v, %v; want it off probation (no miss used)", rec, err)
	}
}

// strikes is what addr has been charged in the window.
func (e *env) strikes(addr string) int {
	e.t.Helper()
	src, err := e.store.Store.(*store.DynamoStore).GetSource(context.Background(), e.guard.SourceKey(addr))
	if errors.Is(err, store.ErrNotFound) {
		return 0
	}
	if err != nil {
		e.t.Fatalf("reading %s's item: %v", addr, err)
	}
	total := 0
	for _, n := range src.Strikes {
		total += n
	}
	return total
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
