package load

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/serverless-tictactoe/tictactoe/bench/sysload"
)

// Options bound a run.
type Options struct {
	// Games is the number of concurrent games (two clients each). Default: 200.
	Games int
	// Rounds is the number of full games each pair plays in the measured phase. Default: 2.
	Rounds int
	// Timeout bounds the whole run. Default: 3 minutes.
	Timeout time.Duration
	// MoveTimeout is how long a move may take to reach both players before it counts as lost.
	// Default: 10 seconds.
	MoveTimeout time.Duration
	// Think is the pause between a move arriving and the next one being sent (±20%, so games
	// do not march in step): people take a second or more. 0 plays as fast as the stack
	// answers, which measures capacity rather than the latency a player sees.
	Think time.Duration
	// Stagger spreads the start of each game (each round): its first move is sent after a
	// uniformly random pause in [0, Stagger) instead of Think, as players arrive at their own
	// moments; a population of players who each move every Think is at any instant spread
	// evenly over that pause. Default: Think (none with Think 0: the stress run measures
	// capacity with every game starting at once). Negative: no stagger, every game's first
	// move after one pause of Think from the same instant, a synchronized burst.
	Stagger time.Duration
	// From is the local address player n (0, 1 for the first game…) connects from. Default:
	// the system's choice, one address for every player.
	From func(n int) net.IP
	// AfterPlay runs once the games are played, before the players leave (the flood run
	// stops its flood there, so the teardown is counted on a quiet stack). Default: nothing.
	AfterPlay func()
}

func (o *Options) fill() {
	if o.Games <= 0 {
		o.Games = 200
	}
	if o.Rounds <= 0 {
		o.Rounds = 2
	}
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Minute
	}
	if o.MoveTimeout <= 0 {
		o.MoveTimeout = 10 * time.Second
	}
	if o.Stagger == 0 {
		o.Stagger = o.Think
	}
	if o.From == nil {
		o.From = func(int) net.IP { return nil }
	}
}

// Result is what a run measured.
type Result struct {
	Games, Rounds, Moves int
	// Errors counts error frames, timeouts and wrong states; Lost counts moves that did not
	// reach both players. Both must be zero.
	Errors, Lost int
	ErrorSamples []string
	Think        time.Duration
	// Stagger is the window the games' first moves were spread over (0: none).
	Stagger time.Duration
	// Play is the wall time of the measured phase (moves only).
	Play time.Duration
	// P50…Max are every move's round trips; First and Rest split them into each game's first
	// move and its other moves.
	P50, P95, P99     time.Duration
	Max               time.Duration
	First, Rest       Latencies
	MovesPerSecond    float64
	MoveCounts        Counts // at the endpoints, during the moves
	SetupCounts       Counts // for creating and joining every room
	MessagesInMoves   int64  // frames the clients sent during the moves
	Throttled         int64  // moves the gateway throttled (each sent again)
	MessagesInSetup   int64
	ConnectionsOpened int
	// TeardownCounts are what closing every connection cost ($disconnect of each player).
	TeardownCounts Counts
	// Machine is how busy the machine was over the rounds (moves and rematches), and how much
	// of that was this process and the local stack.
	Machine sysload.Usage
}

// throttleRetry is how long a player waits before sending a throttled move again.
const throttleRetry = 250 * time.Millisecond

// draw is a full game that ends in a draw: nine moves, the longest game there is.
var draw = []int{0, 1, 2, 4, 7, 3, 5, 8, 6}

type pair struct{ x, o *player }

// Run plays o.Games games against the WebSocket endpoint url, counting with c.
func Run(ctx context.Context, url string, c *Counters, o Options) (Result, error) {
	o.fill()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	res := Result{Games: o.Games, Rounds: o.Rounds, Think: o.Think, Stagger: max(o.Stagger, 0)}

	// Setup: every pair creates and joins its room.
	before := c.Snapshot()
	pairs := make([]*pair, o.Games)
	codes := make([]string, o.Games)
	errs := parallel(o.Games, func(i int) error {
		var err error
		pairs[i], codes[i], err = setUp(ctx, url, o.From, i)
		return err
	})
	// Once only: the teardown closes every pair, and the deferred call finds them closed.
	closeAll := sync.OnceFunc(func() { closePairs(pairs) })
	defer closeAll()
	res.ConnectionsOpened = 2 * o.Games
	res.SetupCounts = c.Snapshot().Sub(before)
	res.MessagesInSetup = int64(2 * o.Games)
	if len(errs) > 0 {
		res.Errors = len(errs)
		res.ErrorSamples = sample(errs)
		return res, fmt.Errorf("setting up %d games: %d failed, first: %v", o.Games, len(errs), errs[0])
	}

	machineStart := sysload.Take()
	games := playRounds(ctx, c, pairs, codes, o, &res)
	res.Machine = sysload.Between(machineStart, sysload.Take())
	if o.AfterPlay != nil {
		o.AfterPlay()
	}
	// Teardown: every client closes; $disconnect runs for each. Counted until quiet.
	before = c.Snapshot()
	closeAll()
	res.TeardownCounts = settle(ctx, c).Sub(before)
	res.tally(games, pairs, o)
	return res, nil
}

// setUp connects game i's two players, and X creates a room that O joins. The pair is
// returned once both are connected, to be closed whatever happens next; the room's code once
// it is created.
func setUp(ctx context.Context, url string, from func(int) net.IP, i int) (*pair, string, error) {
	x, err := dial(ctx, url, from(2*i))
	if err != nil {
		return nil, "", err
	}
	op, err := dial(ctx, url, from(2*i+1))
	if err != nil {
		x.close()
		return nil, "", err
	}
	p := &pair{x: x, o: op}
	if err := x.sendUntilServed(ctx, map[string]any{"action": "createRoom", "name": fmt.Sprintf("x%d", i)}, 1); err != nil {
		return p, "", err
	}
	room, err := x.waitVersion(ctx, 1)
	if err != nil {
		return p, "", err
	}
	if err := op.sendUntilServed(ctx, map[string]any{"action": "joinRoom", "roomCode": room.Code, "name": fmt.Sprintf("o%d", i)}, 2); err != nil {
		return p, room.Code, err
	}
	for _, pl := range []*player{x, op} {
		if _, err := pl.waitVersion(ctx, 2); err != nil {
			return p, room.Code, err
		}
	}
	// X holds versions 1 and 2, O version 2: every setup post has landed.
	if err := x.waitFrames(ctx, 2); err != nil {
		return p, room.Code, err
	}
	return p, room.Code, op.waitFrames(ctx, 1)
}

// closePairs closes every player that was connected.
func closePairs(pairs []*pair) {
	for _, p := range pairs {
		if p != nil {
			p.x.close()
			p.o.close()
		}
	}
}

// playRounds plays o.Rounds games on every pair, with a rematch between rounds, until one
// fails; it counts the moves' requests and errors in res and returns each game's round trips.
func playRounds(ctx context.Context, c *Counters, pairs []*pair, codes []string, o Options, res *Result) [][]time.Duration {
	var mu sync.Mutex
	var games [][]time.Duration // each game's round trips, in order
	pace := pace{think: o.Think, stagger: max(o.Stagger, 0)}
	for round := 0; round < o.Rounds; round++ {
		start := time.Now()
		before := c.Snapshot()
		errs := parallel(o.Games, func(i int) error {
			d, err := playGame(ctx, pairs[i], codes[i], round, o.MoveTimeout, pace)
			mu.Lock()
			games = append(games, d)
			mu.Unlock()
			return err
		})
		res.Play += time.Since(start)
		res.MoveCounts = add(res.MoveCounts, c.Snapshot().Sub(before))
		if len(errs) > 0 {
			res.Errors += len(errs)
			res.ErrorSamples = append(res.ErrorSamples, sample(errs)...)
			break
		}
		if round < o.Rounds-1 { // rematch: not counted as move cost
			errs := parallel(o.Games, func(i int) error { return rematch(ctx, pairs[i], codes[i]) })
			if len(errs) > 0 {
				res.Errors += len(errs)
				res.ErrorSamples = append(res.ErrorSamples, sample(errs)...)
				break
			}
		}
	}
	return games
}

// tally adds up the played games: moves, the moves lost, round trips, and what the players
// saw (throttles, error frames), keeping the first few error samples.
func (res *Result) tally(games [][]time.Duration, pairs []*pair, o Options) {
	all, first, rest := splitFirst(games)
	res.Moves = all.Moves
	res.Lost = o.Games*o.Rounds*len(draw) - res.Moves
	res.MessagesInMoves = int64(res.Moves)
	for _, p := range pairs {
		for _, pl := range []*player{p.x, p.o} {
			res.Throttled += pl.throttles()
			if e := pl.errors(); len(e) > 0 {
				res.Errors += len(e)
				res.ErrorSamples = append(res.ErrorSamples, sample(e)...)
			}
		}
	}
	if res.Moves > 0 {
		res.P50, res.P95, res.P99, res.Max = all.P50, all.P95, all.P99, all.Max
		res.First, res.Rest = first, rest
		res.MovesPerSecond = float64(res.Moves) / res.Play.Seconds()
	}
	if len(res.ErrorSamples) > 5 {
		res.ErrorSamples = res.ErrorSamples[:5]
	}
}

// pace is how long a player pauses before a move.
type pace struct{ think, stagger time.Duration }

// before is the pause before move k: the first in [0, stagger) where the games are
// staggered, every other one think ±20%, so games do not march in step.
func (p pace) before(k int) time.Duration {
	if k == 0 && p.stagger > 0 {
		return time.Duration(rand.Int64N(int64(p.stagger)))
	}
	if p.think <= 0 {
		return 0
	}
	return p.think + time.Duration(rand.Int64N(int64(p.think)*2/5)) - p.think/5
}

// playGame plays the drawn game; round decides who opens (the opener alternates on rematch).
// Each move's round trip is from sending it to both players holding the new state.
func playGame(ctx context.Context, p *pair, code string, round int, moveTimeout time.Duration, pace pace) ([]time.Duration, error) {
	var rtts []time.Duration
	p.x.mu.Lock()
	v := p.x.version
	p.x.mu.Unlock()
	movers := [2]*player{p.x, p.o}
	if round%2 == 1 {
		movers = [2]*player{p.o, p.x}
	}
	for k, cell := range draw {
		if pause := pace.before(k); pause > 0 {
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return rtts, ctx.Err()
			}
		}
		mover := movers[k%2]
		mctx, cancel := context.WithTimeout(ctx, moveTimeout)
		t0 := time.Now()
		err := mover.sendUntilServed(mctx, map[string]any{"action": "move", "roomCode": code, "cell": cell}, v+1)
		if err == nil {
			_, err = movers[(k+1)%2].waitVersion(mctx, v+1)
		}
		cancel()
		if err != nil {
			return rtts, fmt.Errorf("room %s move %d: %w", code, k, err)
		}
		rtts = append(rtts, time.Since(t0))
		v++
	}
	room, _ := p.o.waitVersion(ctx, v)
	if room.Status != "draw" {
		return rtts, fmt.Errorf("room %s ended %s, want draw (board %v)", code, room.Status, room.Board)
	}
	return rtts, nil
}

func rematch(ctx context.Context, p *pair, code string) error {
	p.x.mu.Lock()
	v := p.x.version
	p.x.mu.Unlock()
	frames := [2]int64{p.x.roomFrames(), p.o.roomFrames()}
	for _, pl := range []*player{p.x, p.o} {
		if err := pl.send(ctx, map[string]any{"action": "rematch", "roomCode": code}); err != nil {
			return err
		}
	}
	for i, pl := range []*player{p.x, p.o} {
		// Both rematch requests post to both players; wait for all four posts so none of them
		// is counted as the cost of the next round's moves.
		if err := pl.waitNewGame(ctx, v, frames[i]+2); err != nil {
			return fmt.Errorf("room %s rematch: %w", code, err)
		}
	}
	return nil
}

// parallel runs f(0..n-1) concurrently and returns the errors.
func parallel(n int, f func(i int) error) []error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(i); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}

func add(a, b Counts) Counts {
	out := Counts{Dynamo: map[string]int64{}, Posts: a.Posts + b.Posts, Gone: a.Gone + b.Gone}
	for k, v := range a.Dynamo {
		out.Dynamo[k] += v
	}
	for k, v := range b.Dynamo {
		out.Dynamo[k] += v
	}
	return out
}

func sample[T any](errs []T) []string {
	var out []string
	for i, e := range errs {
		if i == 3 {
			break
		}
		out = append(out, fmt.Sprint(e))
	}
	return out
}

// settle waits until the counters stop moving (for half a second) and returns them.
func settle(ctx context.Context, c *Counters) Counts {
	last := c.Snapshot()
	quiet := time.Now()
	for time.Since(quiet) < 500*time.Millisecond {
		select {
		case <-ctx.Done():
			return last
		case <-time.After(50 * time.Millisecond):
		}
		now := c.Snapshot()
		if now.DynamoTotal() != last.DynamoTotal() || now.Posts != last.Posts {
			last, quiet = now, time.Now()
		}
	}
	return last
}
