package devstack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite"
	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/localgw/devstack"
	"github.com/serverless-tictactoe/tictactoe/localgw/devstack/devstacktest"
)

// Every browser of these tests comes from 127.0.0.1: one address, as a class behind a school's
// NAT or a carrier's subscribers are. They run with default settings: the ceilings and the
// throttles `make dev` and a default deployment have.

// browser is one browser, for tests that run many at once: its errors are returned, not fatal.
type browser struct {
	name   string
	ws     *websocket.Conn
	frames chan frame
}

// dial connects a browser from the site's origin.
func dial(ctx context.Context, st *devstack.Stack, name string) (*browser, error) {
	ws, resp, err := websocket.Dial(ctx, st.WebSocketURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {strings.TrimSuffix(st.URL, "/")}}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return nil, fmt.Errorf("%s connecting: %w (HTTP %d)", name, err, status)
	}
	return watch(name, ws), nil
}

// watch reads every frame of ws into the browser's channel, closed with the connection.
func watch(name string, ws *websocket.Conn) *browser {
	p := &browser{name: name, ws: ws, frames: make(chan frame, 256)}
	go func() {
		defer close(p.frames)
		for {
			_, b, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			var f frame
			if err := json.Unmarshal(b, &f); err != nil {
				f = frame{Type: "undecodable: " + string(b)}
			}
			p.frames <- f
		}
	}()
	return p
}

func (p *browser) send(ctx context.Context, v map[string]any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := p.ws.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("%s sending %s: %w", p.name, b, err)
	}
	return nil
}

// await returns the first frame for which ok holds; an error frame ends the wait with its code.
func (p *browser) await(ctx context.Context, what string, ok func(frame) bool) (frame, error) {
	for {
		select {
		case f, open := <-p.frames:
			if !open {
				return frame{}, fmt.Errorf("%s waiting for %s: connection closed", p.name, what)
			}
			if f.Type == "error" {
				return f, fmt.Errorf("%s waiting for %s: error %s: %s", p.name, what, f.Code, f.Message)
			}
			if f.Type == "" && f.Message == "Too Many Requests" { // the stage's throttle dropped a frame
				return f, fmt.Errorf("%s waiting for %s: a frame throttled by the stage", p.name, what)
			}
			if ok(f) {
				return f, nil
			}
		case <-ctx.Done():
			return frame{}, fmt.Errorf("%s waiting for %s: %w", p.name, what, ctx.Err())
		}
	}
}

func isRoom(ok func(*room) bool) func(frame) bool {
	return func(f frame) bool { return f.Type == "room" && f.Room != nil && ok(f.Room) }
}

// playGame plays one whole game between x and o, X winning on the top row, each player
// thinking for think before a move, and returns the longest time one move took to reach the
// opponent.
func playGame(ctx context.Context, x, o *browser, think time.Duration) (time.Duration, error) {
	if err := x.send(ctx, map[string]any{"action": "createRoom", "name": x.name}); err != nil {
		return 0, err
	}
	created, err := x.await(ctx, "its room", isRoom(func(r *room) bool { return r.Status == "waiting" }))
	if err != nil {
		return 0, err
	}
	code := created.Room.Code
	if err := o.send(ctx, map[string]any{"action": "joinRoom", "roomCode": code, "name": o.name}); err != nil {
		return 0, err
	}
	for _, p := range []*browser{x, o} {
		if _, err := p.await(ctx, "the game", isRoom(func(r *room) bool { return r.Code == code && r.Status == "playing" })); err != nil {
			return 0, err
		}
	}
	var slowest time.Duration
	var last frame
	for _, m := range []struct {
		cell          int
		mover, seenBy *browser
	}{{0, x, o}, {3, o, x}, {1, x, o}, {4, o, x}, {2, x, o}} {
		time.Sleep(think)
		sent := time.Now()
		if err := m.mover.send(ctx, map[string]any{"action": "move", "roomCode": code, "cell": m.cell}); err != nil {
			return 0, err
		}
		seen, err := m.seenBy.await(ctx, fmt.Sprintf("the move on %d", m.cell), isRoom(func(r *room) bool { return r.Code == code && r.Board[m.cell] != "" }))
		if err != nil {
			return 0, err
		}
		last = seen
		slowest = max(slowest, time.Since(sent))
		if _, err := m.mover.await(ctx, fmt.Sprintf("its move on %d", m.cell), isRoom(func(r *room) bool { return r.Code == code && r.Board[m.cell] != "" })); err != nil {
			return 0, err
		}
	}
	if last.Room.Status != "won" || last.Room.Winner != "X" {
		return 0, fmt.Errorf("game %s ended %s, winner %q", code, last.Room.Status, last.Room.Winner)
	}
	return slowest, nil
}

// A class of 40 on one address: every browser connects at the same moment, and all 20 games
// are played to the end at once.
func TestClassOnOneAddress(t *testing.T) {
	st := devstacktest.Start(t, devstacktest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const class = 40
	players := make([]*browser, class)
	errs := make([]error, class)
	var wg sync.WaitGroup
	for i := range class {
		wg.Go(func() { players[i], errs[i] = dial(ctx, st, fmt.Sprintf("kid%02d", i)) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("a class connecting at once:\n%v", err)
	}
	t.Cleanup(func() {
		for _, p := range players {
			p.ws.CloseNow()
		}
	})
	games := make([]error, class/2)
	for g := range class / 2 {
		wg.Go(func() { _, games[g] = playGame(ctx, players[2*g], players[2*g+1], 0) })
	}
	wg.Wait()
	if err := errors.Join(games...); err != nil {
		t.Fatalf("the class's games:\n%v", err)
	}
}

// One child mistyping 60 room codes (the page reconnecting each time its connection is
// closed for them) costs that child's connections, not the class: a classmate on the same
// address still connects and plays.
func TestSixtyTyposLockOutNobody(t *testing.T) {
	st := devstacktest.Start(t, devstacktest.Options{Log: true})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	typos, closes := 0, 0
	for typos < 60 {
		child, err := dial(ctx, st, "child")
		if err != nil {
			t.Fatalf("after %d typos and %d closes: %v", typos, closes, err)
		}
		for typos < 60 {
			if err := child.send(ctx, map[string]any{"action": "joinRoom", "roomCode": unknownRoom(typos), "name": "Kid"}); err != nil {
				break // closed under it: reconnect
			}
			f, err := child.await(ctx, "an answer", func(frame) bool { return true })
			switch {
			case f.Code == "room_not_found":
				typos++
				continue
			case f.Code == "rate_limited": // "wait a moment": the child does, then types it again
				time.Sleep(time.Second)
				continue
			case err != nil && strings.Contains(err.Error(), "connection closed"):
			default:
				t.Fatalf("typo %d: %+v, %v", typos, f, err)
			}
			break
		}
		closes++
		child.ws.CloseNow()
	}
	if closes < 60/capacity.MissesPerConnection {
		t.Fatalf("60 typos closed %d connections: the per-connection budget did not hold", closes)
	}
	neighboursPlay(ctx, t, st, "after one child's 60 typos")
}

// neighboursPlay has two more players of the address connect and play a whole game, one of
// them after mistyping two codes on the same connection: the address kept its whole budget
// (on probation the first typo would have closed the connection).
func neighboursPlay(ctx context.Context, t *testing.T, st *devstack.Stack, after string) {
	t.Helper()
	x, err := dial(ctx, st, "neighbour")
	if err != nil {
		t.Fatalf("a neighbour %s: %v", after, err)
	}
	defer x.ws.CloseNow()
	for i := range 2 {
		if err := x.send(ctx, map[string]any{"action": "joinRoom", "roomCode": unknownRoom(1000 + i), "name": "Kid"}); err != nil {
			t.Fatalf("a neighbour's typo %s: %v", after, err)
		}
		if f, _ := x.await(ctx, "an answer", func(frame) bool { return true }); f.Code != "room_not_found" {
			t.Fatalf("a neighbour's typo %d %s: %+v, want room_not_found on an open connection", i+1, after, f)
		}
	}
	o, err := dial(ctx, st, "friend")
	if err != nil {
		t.Fatalf("a friend %s: %v", after, err)
	}
	defer o.ws.CloseNow()
	if _, err := playGame(ctx, x, o, 0); err != nil {
		t.Fatalf("a game %s: %v", after, err)
	}
}

// One device flooding until the server closes it, again and again: its address pays nothing,
// and its neighbours connect and play.
func TestOneFloodCloseLocksOutNobody(t *testing.T) {
	st := devstacktest.Start(t, devstacktest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	frame := map[string]any{"action": "move", "roomCode": "ABCDEF", "cell": 99}
	for again := range 4 { // it reconnects and floods again: its address is still let in
		f, err := dial(ctx, st, "flooder")
		if err != nil {
			t.Fatalf("the flooder's connection %d: %v", again, err)
		}
		if !f.flood(ctx, frame, 15*time.Second) {
			t.Fatalf("flood %d: 15 s past the rate limit and still connected", again)
		}
	}
	neighboursPlay(ctx, t, st, "after four flood closes")
}

// faultyDynamo passes requests to a DynamoDB server, or fails every one of them while down is
// set, as an outage or throttling does.
type faultyDynamo struct {
	proxy *httputil.ReverseProxy
	down  atomic.Bool
	fails atomic.Int64
}

func (f *faultyDynamo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.down.Load() {
		f.fails.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"down on purpose"}`)
		return
	}
	f.proxy.ServeHTTP(w, r)
}

// When the database fails while players leave, their $disconnects fail: once it is back, the
// same players, from the same address, all get back in at once and play.
func TestFailedDisconnectsLeakNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dyn, err := dynalite.Start(ctx, dynalite.Options{})
	if errors.Is(err, dynalite.ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dyn.Stop)
	target, err := url.Parse(dyn.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	fault := &faultyDynamo{proxy: httputil.NewSingleHostReverseProxy(target)}
	srv := &http.Server{Handler: fault, ReadHeaderTimeout: 5 * time.Second}
	ln, err := listenLoopback()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	st := devstacktest.Start(t, devstacktest.Options{DynamoDBEndpoint: "http://" + ln.Addr().String()})

	const n = 40
	connectAll := func(round string) ([]*browser, error) {
		ps := make([]*browser, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { ps[i], errs[i] = dial(ctx, st, fmt.Sprintf("%s%02d", round, i)) })
		}
		wg.Wait()
		return ps, errors.Join(errs...)
	}
	first, err := connectAll("before")
	if err != nil {
		t.Fatal(err)
	}
	fault.down.Store(true)
	for _, p := range first {
		p.ws.Close(websocket.StatusNormalClosure, "")
	}
	deadline := time.Now().Add(10 * time.Second)
	for fault.fails.Load() < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if fault.fails.Load() < n {
		t.Fatalf("only %d DynamoDB requests failed: the $disconnects did not reach the broken database", fault.fails.Load())
	}
	fault.down.Store(false)
	back := time.Now()
	again, err := connectAll("after")
	if err != nil {
		t.Fatalf("the same players after failed $disconnects:\n%v", err)
	}
	defer func() {
		for _, p := range again {
			p.ws.CloseNow()
		}
	}()
	if _, err := playGame(ctx, again[0], again[1], 0); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(back); took > time.Minute {
		t.Fatalf("players were back in after %s, want under a minute", took)
	}
}

// unknownRoom is a well-formed room code no room has: ZZ and four digits of the code alphabet.
func unknownRoom(i int) string {
	const digits = "23456789"
	b := []byte("ZZ")
	for range 4 {
		b = append(b, digits[i%len(digits)])
		i /= len(digits)
	}
	return string(b)
}

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// flood sends v as fast as the socket takes it until the server closes the connection
// (reporting true) or for d.
func (p *browser) flood(ctx context.Context, v map[string]any, d time.Duration) bool {
	defer p.ws.CloseNow()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if err := p.send(ctx, v); err != nil {
			return true
		}
		select {
		case _, open := <-p.frames:
			if !open {
				return true
			}
		default:
		}
	}
	return false
}

// dialFrom connects a player from a loopback address of its own (127.0.0.2, …): another
// address, as the gateway and the functions see it.
func dialFrom(ctx context.Context, st *devstack.Stack, from, name string) (*browser, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	ws, resp, err := websocket.Dial(ctx, st.WebSocketURL, &websocket.DialOptions{HTTPClient: client, HTTPHeader: http.Header{"Origin": {strings.TrimSuffix(st.URL, "/")}}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return nil, fmt.Errorf("%s connecting from %s: %w (HTTP %d)", name, from, err, status)
	}
	return watch(name, ws), nil
}

// A polite flood: connections each sending chat at exactly the documented per-connection rate,
// fanned out to a room each: 40 from 2 addresses (the issue's), and 100 from one address, the
// stage's whole rate, with honest players on that address too. Honest games beside
// it play on: every move reaches the opponent within 2 s, and nothing of theirs is refused or
// throttled. The flooding connections past their address's share are closed; one address
// cannot take the stage.
func TestPoliteFloodLeavesGamesPlayable(t *testing.T) {
	tests := []struct {
		name     string
		flooders int
		from     func(i int) string // the i-th flooder's address
		// honestFrom is each honest pair's address ("": the test's own, 127.0.0.1)
		honestFrom []string
	}{
		{"40 connections from 2 addresses", 40, func(i int) string { return fmt.Sprintf("127.0.0.%d", 2+i%2) }, []string{"", "", "", ""}},
		{"100 connections from one address", 100, func(int) string { return "127.0.0.2" }, []string{"127.0.0.2", "127.0.0.2", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := devstacktest.Start(t, devstacktest.Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			fl, rooms := floodersInRooms(ctx, t, st, tt.flooders, tt.from)
			floodCtx, stopFlood := context.WithCancel(ctx)
			var wg sync.WaitGroup
			var chats, refused, closed atomic.Int64
			for i, f := range fl {
				wg.Go(func() {
					// Spread over the second, as independent devices would be.
					time.Sleep(time.Duration(i) * time.Second / time.Duration(len(fl)))
					if f.chatPolitely(floodCtx, rooms[i/2], &chats, &refused) {
						closed.Add(1)
					}
				})
			}
			time.Sleep(2 * time.Second) // the flood under way

			slowest, err := playHonestGames(ctx, t, st, tt.honestFrom)
			stopFlood()
			wg.Wait()
			t.Logf("%s: %d chat lines in, %d refused, %d of %d connections closed; slowest honest move per game: %v",
				tt.name, chats.Load(), refused.Load(), closed.Load(), tt.flooders, slowest)
			if err != nil {
				t.Fatalf("honest games under a polite flood:\n%v", err)
			}
			for g, d := range slowest {
				if d > 2*time.Second {
					t.Errorf("game %d: a move took %s to reach the opponent, want under 2 s", g, d)
				}
			}
			// Each address's connections together outran its share: the flood pays, not the stage.
			// What stays open is what fits the addresses' shares at the rate.
			fits := len(addresses(tt.flooders, tt.from)) * int(capacity.AddressShareRate()/capacity.RatePerConnection)
			if int(closed.Load()) < tt.flooders-fits {
				t.Errorf("%d of %d flooding connections closed: %d connections at the documented rate from %d addresses outrun their addresses' share, which fits %d",
					closed.Load(), tt.flooders, tt.flooders, len(addresses(tt.flooders, tt.from)), fits)
			}
		})
	}
}

// addresses are the distinct addresses of n connections.
func addresses(n int, from func(int) string) map[string]bool {
	a := map[string]bool{}
	for i := range n {
		a[from(i)] = true
	}
	return a
}

// floodersInRooms connects n browsers, the i-th from from(i), politely (20 a second), and seats
// them two by two in rooms of their own.
func floodersInRooms(ctx context.Context, t *testing.T, st *devstack.Stack, n int, from func(int) string) ([]*browser, []string) {
	t.Helper()
	var fl []*browser
	t.Cleanup(func() {
		for _, f := range fl {
			f.ws.CloseNow()
		}
	})
	for i := range n {
		f, err := dialFrom(ctx, st, from(i), fmt.Sprintf("polite%03d", i))
		if err != nil {
			t.Fatal(err)
		}
		fl = append(fl, f)
		time.Sleep(50 * time.Millisecond) // polite: connecting at 20/s
	}
	rooms := make([]string, n/2)
	for r := range rooms {
		host, guest := fl[2*r], fl[2*r+1]
		if err := host.send(ctx, map[string]any{"action": "createRoom", "name": "P"}); err != nil {
			t.Fatal(err)
		}
		f, err := host.await(ctx, "its room", isRoom(func(r *room) bool { return r.Status == "waiting" }))
		if err != nil {
			t.Fatal(err)
		}
		rooms[r] = f.Room.Code
		if err := guest.send(ctx, map[string]any{"action": "joinRoom", "roomCode": rooms[r], "name": "Q"}); err != nil {
			t.Fatal(err)
		}
		if _, err := guest.await(ctx, "the game", isRoom(func(r *room) bool { return r.Status == "playing" })); err != nil {
			t.Fatal(err)
		}
	}
	return fl, rooms
}

// chatPolitely sends a chat line to room at exactly the documented per-connection rate until
// ctx ends, counting the lines sent and the answers refusing them; it reports whether the
// server closed the connection.
func (p *browser) chatPolitely(ctx context.Context, room string, chats, refused *atomic.Int64) bool {
	tick := time.NewTicker(time.Duration(float64(time.Second) / capacity.RatePerConnection))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
		if p.send(ctx, map[string]any{"action": "sendMessage", "roomCode": room, "text": "spam"}) == nil {
			chats.Add(1)
		}
		for {
			select {
			case fr, open := <-p.frames:
				if !open {
					return true
				}
				if fr.Type == "error" || fr.Message == "Too Many Requests" {
					refused.Add(1)
				}
				continue
			default:
			}
			break
		}
	}
}

// playHonestGames has a pair of honest players for each of from (their address; "": the
// test's own) play three games each, one after the other, and returns each pair's slowest move.
func playHonestGames(ctx context.Context, t *testing.T, st *devstack.Stack, from []string) ([]time.Duration, error) {
	t.Helper()
	honest := make([]*browser, 2*len(from))
	for i := range honest {
		name := fmt.Sprintf("honest%d", i)
		var p *browser
		var err error
		if a := from[i/2]; a != "" {
			p, err = dialFrom(ctx, st, a, name)
		} else {
			p, err = dial(ctx, st, name)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.ws.CloseNow() })
		honest[i] = p
	}
	slowest := make([]time.Duration, len(from))
	errs := make([]error, len(from))
	var games sync.WaitGroup
	for g := range from {
		games.Go(func() {
			for range 3 {
				d, err := playGame(ctx, honest[2*g], honest[2*g+1], time.Second)
				if err != nil {
					errs[g] = err
					return
				}
				slowest[g] = max(slowest[g], d)
			}
		})
	}
	games.Wait()
	return slowest, errors.Join(errs...)
}
