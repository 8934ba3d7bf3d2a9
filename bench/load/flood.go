package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// FloodOptions bound a flood run: honest games at a player's pace while hostile clients send
// as fast as their sockets allow and reconnect whenever they are closed.
type FloodOptions struct {
	// Games is the honest games (two players each, each player from its own address).
	// Default: 20.
	Games int
	// Think is the honest players' pause between moves. Default: 1 s.
	Think time.Duration
	// Addresses and PerAddress are the hostile clients: that many connections from each of
	// that many addresses. Default: 4 and 5.
	Addresses, PerAddress int
	// Rate is the frames per second each hostile connection sends, ignoring every answer.
	// Default: DefaultFloodRate (with the defaults, 10× a default stage's throttle and about
	// twice what this machine's stack serves: a backlog that grows, bounded by the run).
	Rate int
	// Timeout bounds the run. Default: 3 minutes.
	Timeout time.Duration
}

func (o *FloodOptions) fill() {
	if o.Games <= 0 {
		o.Games = 20
	}
	if o.Think <= 0 {
		o.Think = time.Second
	}
	if o.Addresses <= 0 {
		o.Addresses = DefaultFloodAddresses
	}
	if o.PerAddress <= 0 {
		o.PerAddress = DefaultFloodPerAddress
	}
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Minute
	}
	if o.Rate <= 0 {
		o.Rate = DefaultFloodRate
	}
}

// The hostile clients of a flood run by default.
const (
	DefaultFloodAddresses  = 4
	DefaultFloodPerAddress = 5
	DefaultFloodRate       = 50
)

// FloodResult is what a flood run measured.
type FloodResult struct {
	Honest Result
	// HonestThrottled counts honest moves the gateway throttled (each sent again).
	HonestThrottled int64
	// Hostile is what the hostile clients did and were answered.
	Hostile HostileCounts
	// Posts are the @connections posts of the whole run; HostilePosts those not to honest
	// players (every honest move is one post to each player).
	Posts, HostilePosts int64
	// Dynamo is the DynamoDB requests of the whole run.
	Dynamo int64
	// HostileInvocations are the hostile frames that reached a function; HostileThrottled the
	// ones the gateway answered "Too Many Requests" (counted at the gateway).
	HostileInvocations, HostileThrottled int64
}

// HostileCounts are the hostile clients' tallies.
type HostileCounts struct {
	Frames          int64 // frames written
	Connects        int64 // connections opened
	ConnectsRefused int64 // upgrades refused (429: throttled)
	Throttled       int64 // "Too Many Requests" from the gateway
	RateLimited     int64 // rate_limited from the game function
	Answered        int64 // any other frame received
	Closed          int64 // connections the server closed
}

// MessagesPerFrame is what one hostile frame the gateway received cost in API Gateway
// messages: the frame itself when it reached a function (billed in; a throttled one is
// assumed unbilled) and the posts to hostile clients (billed out).
func (r FloodResult) MessagesPerFrame() float64 {
	received := r.HostileInvocations + r.HostileThrottled
	if received == 0 {
		return 0
	}
	return float64(r.HostileInvocations+r.HostilePosts) / float64(received)
}

// Flood plays o.Games honest games against url while the hostile clients flood it.
func Flood(ctx context.Context, url string, c *Counters, o FloodOptions) (FloodResult, error) {
	o.fill()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	before := c.Snapshot()
	routed, throttled := c.Gateway("route"), c.Gateway("route throttled")

	// The flood's own context: ending it also unblocks a write the gateway stopped reading.
	fctx, stopFlood := context.WithCancel(ctx)
	defer stopFlood()
	var h hostile
	var wg sync.WaitGroup
	for a := range o.Addresses {
		for range o.PerAddress {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.flood(fctx, url, net.IPv4(127, 0, 2, byte(1+a)), time.Second/time.Duration(o.Rate))
			}()
		}
	}
	time.Sleep(500 * time.Millisecond) // the flood is on before the first honest move

	honest, err := Run(ctx, url, c, Options{
		Games: o.Games, Rounds: 1, Think: o.Think, Timeout: o.Timeout,
		From: func(n int) net.IP { return net.IPv4(127, 0, 1+byte(n/250), byte(1+n%250)) },
		AfterPlay: func() {
			stopFlood()
			wg.Wait()
		},
	})
	stopFlood()
	wg.Wait()
	after := settle(ctx, c).Sub(before)
	res := FloodResult{Honest: honest, Hostile: h.counts(), Posts: after.Posts, Dynamo: after.DynamoTotal()}
	res.HonestThrottled = honest.Throttled
	honestPosts := int64(2*honest.Moves) + honest.SetupCounts.Posts + honest.TeardownCounts.Posts
	res.HostilePosts = max(0, after.Posts-honestPosts)
	// Honest frames: a create and a join per game, every move, and their throttled resends.
	honestFrames := int64(2*honest.Games + honest.Moves)
	res.HostileInvocations = max(0, c.Gateway("route")-routed-honestFrames)
	res.HostileThrottled = max(0, c.Gateway("route throttled")-throttled-honest.Throttled)
	return res, err
}

type hostile struct {
	frames, connects, refused, throttled, rateLimited, answered, closed atomic.Int64
}

func (h *hostile) counts() HostileCounts {
	return HostileCounts{Frames: h.frames.Load(), Connects: h.connects.Load(), ConnectsRefused: h.refused.Load(),
		Throttled: h.throttled.Load(), RateLimited: h.rateLimited.Load(), Answered: h.answered.Load(), Closed: h.closed.Load()}
}

// flood connects from from and sends chat to a room of its own, a frame every interval,
// ignoring every answer; closed, it connects again, until ctx ends.
func (h *hostile) flood(ctx context.Context, url string, from net.IP, interval time.Duration) {
	chat, _ := json.Marshal(map[string]any{"action": "sendMessage", "roomCode": "ZZ2222", "text": "spam spam spam"})
	create, _ := json.Marshal(map[string]any{"action": "createRoom", "name": "Flood"})
	for ctx.Err() == nil {
		ws, err := dialFrom(ctx, url, from)
		var de *dialError
		switch {
		case errors.As(err, &de) && de.status == http.StatusTooManyRequests:
			h.refused.Add(1)
			time.Sleep(100 * time.Millisecond)
			continue
		case err != nil:
			time.Sleep(100 * time.Millisecond)
			continue
		}
		h.connects.Add(1)
		done := make(chan struct{})
		code := make(chan string, 1)
		go h.read(ws, done, code)
		if ws.Write(ctx, websocket.MessageText, create) == nil {
			h.frames.Add(1)
		}
		select { // its own room's code, so its chat is served (1 read, posts)
		case c := <-code:
			chat, _ = json.Marshal(map[string]any{"action": "sendMessage", "roomCode": c, "text": "spam spam spam"})
		case <-time.After(2 * time.Second):
		case <-done:
		}
		tick := time.NewTicker(interval)
	writing:
		for {
			select {
			case <-ctx.Done():
				tick.Stop()
				ws.CloseNow()
				<-done
				return
			case <-done:
				break writing
			case <-tick.C:
			}
			if err := ws.Write(ctx, websocket.MessageText, chat); err != nil {
				break
			}
			h.frames.Add(1)
		}
		tick.Stop()
		ws.CloseNow() // the server's close, or the end of the run
		<-done
	}
}

// read counts what the server answers until the connection ends.
func (h *hostile) read(ws *websocket.Conn, done chan<- struct{}, code chan<- string) {
	defer close(done)
	for {
		_, b, err := ws.Read(context.Background())
		if err != nil {
			if websocket.CloseStatus(err) != -1 {
				h.closed.Add(1)
			}
			ws.CloseNow()
			return
		}
		var f frame
		_ = json.Unmarshal(b, &f)
		switch {
		case f.Type == "" && f.Message == throttledMessage:
			h.throttled.Add(1)
		case f.Type == "error" && f.Code == "rate_limited":
			h.rateLimited.Add(1)
		case f.Type == "room" && f.Room.Code != "":
			select {
			case code <- f.Room.Code:
			default:
			}
			h.answered.Add(1)
		default:
			h.answered.Add(1)
		}
	}
}

// String is a one-line summary.
func (r FloodResult) String() string {
	return fmt.Sprintf("honest p50 %v p99 %v (errors %d, lost %d, throttled %d), hostile: %d frames written, %d reached the gateway (%d invoked a function, %d throttled), %d connects (%d refused), %d rate-limited, %d closed, %.2f messages/frame",
		r.Honest.P50, r.Honest.P99, r.Honest.Errors, r.Honest.Lost, r.HonestThrottled, r.Hostile.Frames,
		r.HostileInvocations+r.HostileThrottled, r.HostileInvocations, r.HostileThrottled, r.Hostile.Connects,
		r.Hostile.ConnectsRefused, r.Hostile.RateLimited, r.Hostile.Closed, r.MessagesPerFrame())
}
