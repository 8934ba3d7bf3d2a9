package load

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// SweepOptions bound a sweep: short paced runs at increasing offered load, to find the knee,
// the rate of moves past which the p99 round trip crosses a target.
type SweepOptions struct {
	// Target is the p99 round trip the knee is found against. Required: it is the caller's
	// target, stated once there.
	Target time.Duration
	// Games is the number of concurrent games at every point; the offered load is raised by
	// shortening their pause (Think = Games / offered moves/s), so every point costs the same
	// setup. Default: 100.
	Games int
	// From is the offered load of the first point, in moves/s. Default: Step.
	From float64
	// Step is what each next point adds to the offered load, in moves/s. Default: 100.
	Step float64
	// Points bounds the stepped points (a last one halves the step at the knee). Default: 10.
	Points int
	// Rounds is the number of full games each pair plays at each point. Default: 1 (9 moves
	// a game: 900 round trips with 100 games, the p99 their ninth slowest).
	Rounds int
	// Timeout bounds each point. Default: 1 minute.
	Timeout time.Duration
	// Progress, if set, hears of each point as it is measured. Default: nothing.
	Progress func(SweepPoint)
}

func (o *SweepOptions) fill() error {
	if o.Target <= 0 {
		return fmt.Errorf("sweep: no target p99")
	}
	if o.Games <= 0 {
		o.Games = 100
	}
	if o.Step <= 0 {
		o.Step = 100
	}
	if o.From <= 0 {
		o.From = o.Step
	}
	if o.Points <= 0 {
		o.Points = 10
	}
	if o.Rounds <= 0 {
		o.Rounds = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	return nil
}

// SweepPoint is one paced run of a sweep.
type SweepPoint struct {
	// Offered is the moves/s the games would send if a move took no time: Games / Think.
	// A point's Result.MovesPerSecond is what they sent: each game waits for its move to land
	// before pausing for the next, so a slow stack is offered less.
	Offered float64
	Result
}

// Within says whether the point met the target: p99 at most target, and no move failed.
func (p SweepPoint) Within(target time.Duration) bool {
	return p.Moves > 0 && p.P99 <= target && p.Errors == 0 && p.Lost == 0
}

// SweepResult is a sweep's points, by offered load, and its knee.
type SweepResult struct {
	Target time.Duration
	Points []SweepPoint
	// Below and Above index Points: the highest load within the target before the first
	// point past it, and that first point. -1 where there is none: Below when even the first
	// point missed the target, Above when no point did.
	Below, Above int
}

// Sweep runs paced games at From, From+Step… moves/s offered until a point misses the target
// (or Points are run), then one point halfway between the last within it and the first past
// it. It stops at the first error that is not a result (a run that played no move).
func Sweep(ctx context.Context, url string, c *Counters, o SweepOptions) (SweepResult, error) {
	if err := o.fill(); err != nil {
		return SweepResult{}, err
	}
	res := SweepResult{Target: o.Target}
	point := func(offered float64) (SweepPoint, error) {
		think := time.Duration(float64(o.Games) / offered * float64(time.Second))
		r, err := Run(ctx, url, c, Options{Games: o.Games, Rounds: o.Rounds, Think: think, Timeout: o.Timeout})
		p := SweepPoint{Offered: offered, Result: r}
		if err != nil && r.Moves == 0 {
			return p, fmt.Errorf("sweep at %.0f moves/s: %w", offered, err)
		}
		res.Points = append(res.Points, p)
		if o.Progress != nil {
			o.Progress(p)
		}
		return p, nil
	}
	for i := 0; i < o.Points; i++ {
		p, err := point(o.From + float64(i)*o.Step)
		if err != nil {
			return res, err
		}
		if !p.Within(o.Target) {
			if _, err := point(p.Offered - o.Step/2); err != nil {
				return res, err
			}
			break
		}
	}
	slices.SortStableFunc(res.Points, func(a, b SweepPoint) int {
		switch {
		case a.Offered < b.Offered:
			return -1
		case a.Offered > b.Offered:
			return 1
		}
		return 0
	})
	res.Below, res.Above = knee(res.Points, o.Target)
	return res, nil
}

// knee finds, in points ordered by offered load, the first point past the target and the one
// before it. Points past a miss are not looked at: on a shared machine a later point may
// pass by luck, and the knee is where the stack first stopped keeping up.
func knee(points []SweepPoint, target time.Duration) (below, above int) {
	for i, p := range points {
		if !p.Within(target) {
			return i - 1, i
		}
	}
	return len(points) - 1, -1
}
