package devstack_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/serverless-tictactoe/tictactoe/localgw/devstack/devstacktest"
)

// await returns the next frame within d, and false when none came (or the connection closed).
func (c *client) await(d time.Duration) (frame, bool) {
	select {
	case f, ok := <-c.frames:
		return f, ok
	case <-time.After(d):
		return frame{}, false
	}
}

type answer struct {
	room, symbol string // the room it was paired into, and its seat
	queued       bool
	retryIn      int // queued with no place: ask again in this many seconds
	err          string
}

// answerOf waits up to d for c's answer to a quick match: its room and seat, queued (with
// retryIn when it has no place in the queue), or an error.
func answerOf(c *client, d time.Duration) answer {
	for {
		f, ok := c.await(d)
		switch {
		case !ok:
			return answer{}
		case f.Type == "error":
			return answer{err: f.Code + ": " + f.Message}
		case f.Type == "queued":
			return answer{queued: true, retryIn: f.RetryIn}
		case f.Type == "room" && f.You != nil:
			return answer{room: f.Room.Code, symbol: f.You.Symbol}
		}
	}
}

// burst is how many browsers press Quick match at the same instant through the local stack.
const burst = 50

// A burst of players pressing Quick match at once, each on its own WebSocket through the local
// gateway and the real handlers on dynalite, asking again when told to (retryIn), as the site
// does: nobody is answered with an error, everyone but the odd one out is paired, each room has
// two different players with one seat each, and the one left waiting can cancel. Every browser
// here shares one address, with a default deployment's settings.
func TestQuickMatchBurstThroughTheStack(t *testing.T) {
	st := devstacktest.Start(t, devstacktest.Options{})
	clients := make([]*client, burst)
	for i := range clients {
		clients[i] = connect(t, st, fmt.Sprintf("p%02d", i))
	}
	answers := make([]answer, burst)
	var asked atomic.Int32 // answers that said to ask again
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range 20 { // asking again when told to, as the site does
				if err := c.ws.Write(t.Context(), websocket.MessageText, fmt.Appendf(nil, `{"action":"quickMatch","name":%q}`, c.name)); err != nil {
					answers[i].err = err.Error()
					return
				}
				answers[i] = answerOf(c, 10*time.Second)
				if answers[i].retryIn == 0 {
					return
				}
				asked.Add(1)
				time.Sleep(time.Duration(answers[i].retryIn)*time.Second + rand.N(time.Second))
			}
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(began)
	// One who waits is paired by a later arrival, whose own answer came with the room frame.
	for i, a := range answers {
		if a.queued {
			if b := answerOf(clients[i], 2*time.Second); b.room != "" || b.err != "" {
				answers[i] = b
			}
		}
	}
	rooms := map[string][]string{} // room → its seats
	var waiting []int
	failed := 0
	for i, a := range answers {
		switch {
		case a.err != "":
			failed++
			t.Errorf("%s: %s", clients[i].name, a.err)
		case a.room != "":
			rooms[a.room] = append(rooms[a.room], a.symbol)
		case a.queued && a.retryIn == 0:
			waiting = append(waiting, i)
		default:
			t.Errorf("%s: no answer", clients[i].name)
		}
	}
	t.Logf("%d at once through the stack: %d rooms, %d waiting, %d errors, %d told to ask again (answers within %v)", burst, len(rooms), len(waiting), failed, asked.Load(), took.Round(time.Millisecond))
	if len(rooms) != burst/2 || len(waiting) != burst%2 {
		t.Errorf("%d rooms and %d waiting of %d players; want all paired but the odd one out", len(rooms), len(waiting), burst)
	}
	for code, seats := range rooms {
		if len(seats) != 2 || seats[0] == seats[1] {
			t.Errorf("room %s has seats %v, want X and O", code, seats)
		}
	}
	for _, i := range waiting {
		c := clients[i]
		c.send(map[string]any{"action": "cancelQuickMatch"})
		if f := c.next(false); f.Type != "unqueued" {
			t.Errorf("%s cancelled: %+v", c.name, f)
		}
	}
}
