package load

import (
	"context"
	"fmt"
	"time"
)

// Phase is what one phase of a game cost, per game, counted at the endpoints with the stack
// otherwise quiet: every game runs the phase at once, then the counters settle.
type Phase struct {
	Name string
	// Floor is the phase's DynamoDB requests per game at this design's floor: a read and a
	// conditional write per room change, a connection's record written once (issue: floors).
	Floor float64
	// Why says where the requests go, and why any above the floor are needed.
	Why    string
	Games  int
	Counts Counts
}

// PerGame is the phase's DynamoDB requests per game.
func (p Phase) PerGame() float64 { return float64(p.Counts.DynamoTotal()) / float64(max(p.Games, 1)) }

// PostsPerGame is the phase's @connections posts per game.
func (p Phase) PostsPerGame() float64 { return float64(p.Counts.Posts) / float64(max(p.Games, 1)) }

// phaseDef is a phase's name, its floor (DynamoDB requests per game) and where they go.
type phaseDef struct {
	name  string
	floor float64
	why   string
}

// The phases, in the order a game goes through them. Their floors and reasons are the report's
// (docs/benchmarks.md); lambda/handler's TestEachPhaseCostsItsFloor holds the code to them.
var phaseDefs = []phaseDef{
	{"connect (both players)", 2, "$connect records each connection (1 PutItem each); with the per-address ceiling on (a deployment's default), 1 GetItem more each, of the address's item"},
	{"createRoom", 2, "the room's conditional put and the connection's record, claimed with no read"},
	{"joinRoom", 3, "the room's read and write, and the connection's record"},
	{"9 moves", 18, "a read and a conditional write per move"},
	{"rematch (both ask at once)", 4, "each wish reads the room and is recorded by a narrow write that cannot conflict with the other's; the second to land then starts the game with one more write: 5. Starting the game inside the second wish's write would need DynamoDB to choose between two updates by a condition, which one request cannot"},
	{"both players leave at once", 6, "each $disconnect closes its record and marks its seat offline (2 narrow writes, no read); the post that finds the other player gone marks it offline (1), and that player's own mark then finds nothing to change (1)"},
	{"both leave one after the other", 6, "2 narrow writes each; the second player's post finds no one online to tell"},
}

// Phases plays games games phase by phase against url and counts each phase apart. Half the
// games end with both players leaving at once, the other half one after the other.
func Phases(ctx context.Context, url string, c *Counters, games int) ([]Phase, error) {
	if games < 2 {
		games = 2
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	pairs := make([]*pair, games)
	defer func() {
		for _, p := range pairs {
			if p != nil {
				p.x.close()
				p.o.close()
			}
		}
	}()
	codes := make([]string, games)
	var out []Phase
	phase := func(i int, g int, run func(i int) error) error {
		before := c.Snapshot()
		if errs := parallel(g, run); len(errs) > 0 {
			return fmt.Errorf("phase %s: %d of %d games failed, first: %v", phaseDefs[i].name, len(errs), g, errs[0])
		}
		d := phaseDefs[i]
		out = append(out, Phase{Name: d.name, Floor: d.floor, Why: d.why, Games: g, Counts: settle(ctx, c).Sub(before)})
		return nil
	}
	steps := []func(i int) error{
		func(i int) error { // connect
			x, err := dial(ctx, url, nil)
			if err != nil {
				return err
			}
			o, err := dial(ctx, url, nil)
			if err != nil {
				x.close()
				return err
			}
			pairs[i] = &pair{x: x, o: o}
			return nil
		},
		func(i int) error { // createRoom
			x := pairs[i].x
			if err := x.sendUntilServed(ctx, map[string]any{"action": "createRoom", "name": fmt.Sprintf("x%d", i)}, 1); err != nil {
				return err
			}
			room, err := x.waitVersion(ctx, 1)
			codes[i] = room.Code
			return err
		},
		func(i int) error { // joinRoom
			p := pairs[i]
			if err := p.o.sendUntilServed(ctx, map[string]any{"action": "joinRoom", "roomCode": codes[i], "name": fmt.Sprintf("o%d", i)}, 2); err != nil {
				return err
			}
			if _, err := p.x.waitVersion(ctx, 2); err != nil {
				return err
			}
			return p.x.waitFrames(ctx, 2)
		},
		func(i int) error { // moves
			_, err := playGame(ctx, pairs[i], codes[i], 0, 10*time.Second, pace{})
			return err
		},
		func(i int) error { return rematch(ctx, pairs[i], codes[i]) },
	}
	for i, run := range steps {
		if err := phase(i, games, run); err != nil {
			return out, err
		}
	}
	half := games / 2
	if err := phase(len(steps), half, func(i int) error {
		pairs[i].x.close()
		pairs[i].o.close()
		return nil
	}); err != nil {
		return out, err
	}
	err := phase(len(steps)+1, games-half, func(i int) error {
		p := pairs[half+i]
		v := p.o.seen()
		p.x.close()
		if _, err := p.o.waitVersion(ctx, v+1); err != nil { // told the host went offline
			return err
		}
		p.o.close()
		return nil
	})
	return out, err
}

// seen is the latest room version the player holds.
func (p *player) seen() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version
}

// waitNewGame waits until the player holds a game started after version since, and frames
// room frames in all: each of the two rematch requests posts once to each player (the second
// may post the start only, having written its wish and the start in a row), concurrently.
func (p *player) waitNewGame(ctx context.Context, since, frames int64) error {
	v := since + 1
	for {
		room, err := p.waitVersion(ctx, v)
		if err != nil {
			return err
		}
		if room.Status == "playing" {
			return p.waitFrames(ctx, frames)
		}
		v = room.Version + 1
	}
}
