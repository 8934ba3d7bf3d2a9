// Command bench is `make bench`: Go benchmarks of the rules and of a move's own work, the load
// generator over real WebSockets against the local stack (counting DynamoDB requests and
// @connections messages at their endpoints), Lambda package sizes, and the cost model from
// those counts. It writes docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/serverless-tictactoe/tictactoe/bench/coldstart"
	"github.com/serverless-tictactoe/tictactoe/bench/cost"
	"github.com/serverless-tictactoe/tictactoe/bench/deployment"
	"github.com/serverless-tictactoe/tictactoe/bench/load"
	"github.com/serverless-tictactoe/tictactoe/bench/pkgsize"
	"github.com/serverless-tictactoe/tictactoe/e2e/smoke"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// phaseGames are the games of the per-phase count; coldRuns the starts of each function;
// playerPhaseGames the rated games of the players' phases (paired one at a time).
const (
	phaseGames       = 100
	playerPhaseGames = 20
	coldRuns         = 20
)

func main() {
	games := flag.Int("games", 200, "concurrent games for the latency run (each two WebSocket clients)")
	think := flag.Duration("think", time.Second, "pause between moves in the latency run: a player's pace")
	stagger := flag.Duration("stagger", 0, "window the latency run's games start over, each at a random moment in it (0: the pause between moves; negative: every game at once)")
	stress := flag.Int("stress-games", 500, "concurrent games for the stress run, played without pauses (0 skips it)")
	rounds := flag.Int("rounds", 2, "full games each pair plays per run")
	sweepGames := flag.Int("sweep-games", 200, "concurrent games of the knee sweep, paced runs at rising moves/s (0 skips it)")
	sweepFrom := flag.Float64("sweep-from", 200, "moves/s offered by the sweep's first point (the latency run's pace: 200 games, a move a second)")
	sweepStep := flag.Float64("sweep-step", 100, "moves/s added by each next point of the sweep")
	timeout := flag.Duration("timeout", 3*time.Minute, "bound on each load run")
	floodGames := flag.Int("flood-games", 20, "honest games of the flood runs, played while hostile clients flood (0 skips them)")
	computerGames := flag.Int("computer-games", 50, "games against the computer, played at once, whose moves are counted (0 skips them)")
	out := flag.String("out", "docs/benchmarks.md", "report file ('-' for stdout)")
	cdkOut := flag.String("cdk-out", "cdk.out", "synthesized templates, for the idle cost")
	flag.Parse()
	sweep := load.SweepOptions{Target: targetP99, Games: *sweepGames, From: *sweepFrom, Step: *sweepStep}
	if err := run(*games, *think, *stagger, *stress, *rounds, sweep, *floodGames, *computerGames, *timeout, *out, *cdkOut); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(games int, think, stagger time.Duration, stress, rounds int, sweep load.SweepOptions, floodGames, computerGames int, timeout time.Duration, out, cdkOut string) error {
	var r report
	r.command = strings.TrimSpace("make bench (go run ./cmd/bench "+strings.Join(os.Args[1:], " ")) + ")"
	r.started = time.Now().UTC()
	r.machine = machine()
	ctx := context.Background()
	loads := []load.Options{
		{Games: games, Rounds: rounds, Timeout: timeout, Think: think, Stagger: stagger},
		{Games: stress, Rounds: rounds, Timeout: timeout}, // no pause: capacity
	}
	// Each measurement fills its part of the report; the first that fails ends the bench.
	for _, measure := range []func() error{
		r.goBenchmarks,
		func() error { return r.measureLoads(ctx, loads) },
		func() error { return r.measureSweep(ctx, sweep) },
		func() error { return r.measureFloods(ctx, floodGames, timeout) },
		func() error { return r.measureComputer(ctx, computerGames) },
		func() error { return r.measurePhases(ctx) },
		func() error { return r.measureColdStarts(ctx) },
		func() error { return r.measureSmoke(ctx) },
		r.measureSizes,
		func() error { return r.costModel(cdkOut) },
	} {
		if err := measure(); err != nil {
			return err
		}
	}
	r.took = time.Since(r.started)
	return r.write(out)
}

func (r *report) goBenchmarks() error {
	step("Go benchmarks")
	gb, err := exec.Command("go", "test", "-run=^$", "-bench=.", "-benchmem", "-count=1", "./lambda/game", "./lambda/handler").CombinedOutput()
	if err != nil {
		return fmt.Errorf("go test -bench: %v\n%s", err, gb)
	}
	r.goBench = benchLines(string(gb))
	return nil
}

// measureLoads runs each load that has games, each on a fresh local stack.
func (r *report) measureLoads(ctx context.Context, loads []load.Options) error {
	for _, o := range loads {
		if o.Games <= 0 {
			continue
		}
		step(fmt.Sprintf("load: %d concurrent games, %v between moves", o.Games, o.Think))
		res, err := loadRun(ctx, o)
		if err != nil {
			return err
		}
		r.loads = append(r.loads, res)
	}
	return nil
}

func (r *report) measureSweep(ctx context.Context, sweep load.SweepOptions) error {
	if sweep.Games <= 0 {
		return nil
	}
	step(fmt.Sprintf("knee: %d games at %.0f, %.0f… moves/s offered until the p99 passes %v", sweep.Games, sweep.From, sweep.From+sweep.Step, sweep.Target))
	res, err := sweepRun(ctx, sweep)
	if err != nil {
		return err
	}
	r.sweep = &res
	return nil
}

// measureFloods runs each kind of flood without the ceilings, then with them.
func (r *report) measureFloods(ctx context.Context, floodGames int, timeout time.Duration) error {
	if floodGames <= 0 {
		return nil
	}
	for _, kind := range floodKinds {
		for _, ceilings := range []bool{false, true} {
			step(fmt.Sprintf("flood: %d honest games, %s, ceilings %v", floodGames, kind.name, ceilings))
			o := kind.opts
			o.Games, o.Timeout = floodGames, timeout
			res, err := floodRun(ctx, ceilings, o)
			if err != nil {
				return err
			}
			r.floods = append(r.floods, floodOf{kind: kind, ceilings: ceilings, FloodResult: res})
		}
	}
	return nil
}

func (r *report) measureComputer(ctx context.Context, computerGames int) error {
	if computerGames <= 0 {
		return nil
	}
	step(fmt.Sprintf("computer: %d games against the perfect computer at once", computerGames))
	return onLocal(ctx, load.StartLocal, func(l *load.Local) error {
		res, err := load.Computer(ctx, l.Stack.WebSocketURL, l.Counters, computerGames)
		r.computer = &res
		fmt.Fprintf(os.Stderr, "  %d moves, %.2f DynamoDB requests and %.2f messages each\n", res.Moves, res.DynamoPerMove(), res.MessagesPerMove())
		return err
	})
}

func (r *report) measurePhases(ctx context.Context) error {
	step(fmt.Sprintf("phases: %d games, each phase counted apart", phaseGames))
	return onLocal(ctx, load.StartLocal, func(l *load.Local) error {
		var err error
		if r.phases, err = load.Phases(ctx, l.Stack.WebSocketURL, l.Counters, phaseGames); err != nil {
			return err
		}
		r.playerPhases, err = load.PlayerPhases(ctx, l.Stack.WebSocketURL, l.Counters, playerPhaseGames)
		for _, p := range append(r.phases, r.playerPhases...) {
			fmt.Fprintf(os.Stderr, "  %s: %.2f DynamoDB requests a game (floor %g)\n", p.Name, p.PerGame(), p.Floor)
		}
		return err
	})
}

func (r *report) measureColdStarts(ctx context.Context) error {
	step(fmt.Sprintf("cold starts: each function %d times under a Runtime API of our own", coldRuns))
	fns, err := coldstart.Functions(".")
	if err != nil {
		return err
	}
	if r.cold, err = coldstart.Measure(ctx, ".", append(fns, coldstart.Floor()), coldRuns); err != nil {
		return err
	}
	for _, c := range r.cold {
		fmt.Fprintf(os.Stderr, "  %s: init median %v max %v, first invoke median %v\n", c.Function, c.InitMedian, c.InitMax, c.FirstMedian)
	}
	return nil
}

func (r *report) measureSizes() error {
	step("Lambda package sizes")
	var err error
	r.sizes, err = pkgsize.Measure(".")
	return err
}

// costModel reads the prices, a typical room item's size and what the templates in cdkOut
// deploy; a deployment that cannot be read is said in the report, not an error.
func (r *report) costModel(cdkOut string) error {
	step("cost model")
	var err error
	if r.prices, err = cost.LoadPrices(); err != nil {
		return err
	}
	room, err := typicalRoom()
	if err != nil {
		return err
	}
	item, err := store.EncodeRoom(room, time.Now())
	if err != nil {
		return err
	}
	r.itemBytes = cost.ItemBytes(item)
	r.deploy, r.deployNotes, r.deployErr = deployment.Read(cdkOut)
	// Not in any template: VPC flow log records of the ALB's health checks (a new flow per
	// check, from each ALB node to each instance) and the instances' own logs come to about
	// 0.1 GB a month.
	r.deploy.IdleLogsGBPerMonth = 0.1
	return nil
}

// write puts the report in out ("-": stdout) and, written to a file, says which targets it
// missed.
func (r *report) write(out string) error {
	text := r.markdown()
	if out == "-" {
		fmt.Print(text)
		return nil
	}
	if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
		return err
	}
	step("wrote " + out)
	return r.verdict()
}

// measureSmoke runs make smoke's scenario against a local stack with a deployment's ceilings
// on: its timed moves are the reference line of the report's "On AWS" table.
func (r *report) measureSmoke(ctx context.Context) error {
	step(fmt.Sprintf("smoke: a whole game, then %d moves timed from the players' side", smoke.DefaultMoves))
	return onLocal(ctx, load.StartLocalWithCeilings, func(l *load.Local) error {
		var log strings.Builder
		t := smoke.Target{Site: l.Stack.URL, Latency: func(m smoke.Latency) { r.smoke = &m }}
		if err := smoke.Run(ctx, t, &log); err != nil {
			return fmt.Errorf("make smoke against the local stack: %w\n%s", err, log.String())
		}
		fmt.Fprint(os.Stderr, log.String())
		return nil
	})
}

func loadRun(ctx context.Context, o load.Options) (load.Result, error) {
	var res load.Result
	err := onLocal(ctx, load.StartLocal, func(l *load.Local) error {
		var err error
		res, err = load.Run(ctx, l.Stack.WebSocketURL, l.Counters, o)
		if err != nil && res.Moves == 0 {
			return err
		}
		fmt.Fprintf(os.Stderr, "  %d moves, %.0f/s, p50 %v p99 %v (first moves p99 %v, the rest %v), errors %d, lost %d\n  %v\n",
			res.Moves, res.MovesPerSecond, ms(res.P50), ms(res.P99), ms(res.First.P99), ms(res.Rest.P99), res.Errors, res.Lost, res.Machine)
		return nil
	})
	return res, err
}

// sweepRun runs the knee sweep on one fresh local stack and prints each point and the knee.
func sweepRun(ctx context.Context, o load.SweepOptions) (load.SweepResult, error) {
	o.Progress = func(p load.SweepPoint) {
		fmt.Fprintf(os.Stderr, "  offered %.0f/s: %.0f moves/s, p50 %v p99 %v, errors %d, lost %d; %v\n",
			p.Offered, p.MovesPerSecond, ms(p.P50), ms(p.P99), p.Errors, p.Lost, p.Machine)
	}
	var res load.SweepResult
	err := onLocal(ctx, load.StartLocal, func(l *load.Local) error {
		var err error
		res, err = load.Sweep(ctx, l.Stack.WebSocketURL, l.Counters, o)
		return err
	})
	if err == nil {
		fmt.Fprintln(os.Stderr, " ", kneeSentence(res))
	}
	return res, err
}

func floodRun(ctx context.Context, ceilings bool, o load.FloodOptions) (load.FloodResult, error) {
	start := load.StartLocal
	if ceilings {
		start = load.StartLocalWithCeilings
	}
	var res load.FloodResult
	err := onLocal(ctx, start, func(l *load.Local) error {
		var err error
		res, err = load.Flood(ctx, l.Stack.WebSocketURL, l.Counters, o)
		fmt.Fprintln(os.Stderr, " ", res)
		if err != nil && res.Honest.Moves == 0 && !ceilingsBroke(ceilings, err) {
			return err
		}
		return nil
	})
	return res, err
}

// onLocal runs fn on a fresh local stack, which it stops afterwards.
func onLocal(ctx context.Context, start func(context.Context) (*load.Local, error), fn func(*load.Local) error) error {
	l, err := start(ctx)
	if err != nil {
		return fmt.Errorf("starting the local stack: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := l.Stop(stopCtx); err != nil {
			fmt.Fprintln(os.Stderr, "bench: stopping the local stack:", err)
		}
	}()
	return fn(l)
}

// ceilingsBroke: without the ceilings the honest games are expected to suffer; a failed run
// is then a result to report, not an error of the benchmark.
func ceilingsBroke(ceilings bool, err error) bool { return !ceilings && err != nil }

// typicalRoom is a game in progress between two players with ordinary names: the item a move
// reads and writes.
func typicalRoom() (*game.Room, error) {
	now := time.Now()
	r := game.NewRoom("K7M2QX", game.Seat{Name: "Alexandra", TokenHash: game.HashToken("x"), ConnID: "GXLKAe7jFiACGgQ="}, now)
	if err := r.Join(game.Seat{Name: "Bartholomew", TokenHash: game.HashToken("o"), ConnID: "GXLKJfX4FiACG1w="}, now); err != nil {
		return nil, fmt.Errorf("the typical room: %w", err)
	}
	for _, m := range []struct {
		c    string
		cell int
	}{{"GXLKAe7jFiACGgQ=", 4}, {"GXLKJfX4FiACG1w=", 0}, {"GXLKAe7jFiACGgQ=", 8}} {
		if err := r.Move(m.c, m.cell, now); err != nil {
			return nil, fmt.Errorf("the typical room: %w", err)
		}
	}
	r.Score = game.Score{X: 3, O: 2, Draws: 1}
	return r, nil
}

func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				model = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	return fmt.Sprintf("%d cores (%s), %s %s/%s", runtime.NumCPU(), model, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func benchLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "Benchmark") {
			lines = append(lines, strings.Join(strings.Fields(l), " "))
		}
	}
	return lines
}

func step(s string) { fmt.Fprintln(os.Stderr, "bench:", s) }
