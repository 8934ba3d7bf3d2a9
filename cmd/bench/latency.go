package main

import (
	"fmt"
	"time"

	"github.com/serverless-tictactoe/tictactoe/bench/load"
	"github.com/serverless-tictactoe/tictactoe/bench/sysload"
)

// The report's latency sections: each game's first move apart from the rest, how busy the
// machine was during each run, and the knee sweep. Kept apart from report.go's cost sections.

// p99Target is the Targets table's latency line: every move of the latency run, its first
// moves included, with the first moves and the rest shown beside it.
func (r *report) p99Target(check func(name, measured string, ok bool, why string)) {
	if len(r.loads) == 0 {
		return
	}
	l := r.loads[0]
	why := fmt.Sprintf("%s over: the 2-core machine runs the clients, the gateway, the handlers and dynalite at once", ms(l.P99-targetP99))
	if u := l.Machine; u.Measured && u.Others() >= 0.1 {
		why = fmt.Sprintf("%s over, on a machine %.0f%% busy of %d cores, %.0f%% of it work other than this bench's (see The machine during the runs)",
			ms(l.P99-targetP99), 100*u.Busy, u.Cores, 100*u.Others())
	}
	check(fmt.Sprintf("p99 move round trip < 50 ms at %d games (%v between moves, %s), every move counted", l.Games, l.Think, starts(l)),
		fmt.Sprintf("%s (first moves %s, the rest %s)", ms(l.P99), ms(l.First.P99), ms(l.Rest.P99)), l.P99 < targetP99, why)
}

// starts says how a run's games started.
func starts(l load.Result) string {
	if l.Stagger > 0 {
		return fmt.Sprintf("games starting at random over %v", l.Stagger)
	}
	return "every game starting at once"
}

// latencySection splits each run's round trips into each game's first move and the rest.
func (r *report) latencySection(w func(string, ...any)) {
	if len(r.loads) == 0 {
		return
	}
	w("\n## The first move and the rest\n\nThe first move of a game (of each round: a rematch starts a new game) is where a synchronized start shows: with every game set up at the same instant, every first move would be sent within one pause of the others, a burst no population of players makes. So the latency run starts each game at its own moment: its first move after a random pause in [0, the pause between moves), after which the players' own pace (the pause ±20%%) keeps the games spread. The stress run starts every game at once, on purpose: it measures capacity. The target's p99 (Targets) counts every move, first moves included; the first moves are also shown apart here, and the rest without them.\n\n")
	w("| concurrent games | pause between moves | games start | every move: p50 | p99 | max | first moves: n | p50 | p99 | max | the rest: n | p50 | p99 | max |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, l := range r.loads {
		w("| %d | %v | %s | %s | %s | %s | %d | %s | %s | %s | %d | %s | %s | %s |\n", l.Games, l.Think, startsShort(l),
			ms(l.P50), ms(l.P99), ms(l.Max), l.First.Moves, ms(l.First.P50), ms(l.First.P99), ms(l.First.Max),
			l.Rest.Moves, ms(l.Rest.P50), ms(l.Rest.P99), ms(l.Rest.Max))
	}
}

func startsShort(l load.Result) string {
	if l.Stagger > 0 {
		return "over " + l.Stagger.String()
	}
	return "at once"
}

// machineSection states how busy the machine was during each run: the numbers above are this
// machine's under that load, and a busy machine's tail is not the stack's.
func (r *report) machineSection(w func(string, ...any)) {
	if len(r.loads) == 0 && r.sweep == nil {
		return
	}
	w("\n## The machine during the runs\n\nThe whole machine's CPU from /proc/stat over each run's rounds (busy: all but idle and I/O wait, as a share of all %s), the share of it this bench's processes used (the load clients, the gateway emulator, the handlers and dynalite, from /proc/<pid>/stat), the rest being other work on the machine, and the 1-minute load average at the start and end of the rounds.", r.cores())
	if r.took > 0 {
		w(" The whole bench took %s.", r.took.Round(time.Second))
	}
	w("\n\n| run | wall | machine busy | this bench | other work | load average |\n|---|---|---|---|---|---|\n")
	row := func(name string, u sysload.Usage) {
		if !u.Measured {
			w("| %s | | not measured: %s | | | |\n", name, u.NotMeasured)
			return
		}
		w("| %s | %s | %.0f%% | %.0f%% | %.0f%% | %.2f → %.2f |\n", name, u.Wall.Round(100*time.Millisecond), 100*u.Busy, 100*u.Own, 100*u.Others(), u.Load1Start, u.Load1End)
	}
	for _, l := range r.loads {
		row(fmt.Sprintf("%d games, %v between moves", l.Games, l.Think), l.Machine)
	}
	if r.sweep != nil {
		for _, p := range r.sweep.Points {
			row(fmt.Sprintf("knee sweep, %.0f moves/s offered", p.Offered), p.Machine)
		}
	}
}

// cores is "2 cores" from the first measured run, or "the cores".
func (r *report) cores() string {
	for _, l := range r.loads {
		if l.Machine.Measured {
			return fmt.Sprintf("%d cores", l.Machine.Cores)
		}
	}
	return "the cores"
}

// kneeSection is the sweep's table and its knee.
func (r *report) kneeSection(w func(string, ...any)) {
	s := r.sweep
	if s == nil {
		return
	}
	g := 0
	if len(s.Points) > 0 {
		g = s.Points[0].Games
	}
	w("\n## The knee\n\nWhere the p99 crosses %s: short paced runs on one fresh local stack, %d games each playing one full game, at rising offered load (moves/s if every move took no time: the games over their pause, shortened from point to point), each game starting at a random moment within its first pause. Each game waits for its move to land before the next pause, so what the stack is sent (moves/s) falls behind what is offered as it slows. The sweep steps up until a point misses the target (p99 over it, or any move failed), then measures half a step back. One run per point on a shared machine: a point near the knee can land on either side of it.\n\n", ms(s.Target), g)
	w("| offered moves/s | pause between moves | moves | moves/s | p50 | p99 | first moves p99 | max | errors | lost | machine busy (other work) | p99 ≤ %s |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n", ms(s.Target))
	for i, p := range s.Points {
		within := "yes"
		if !p.Within(s.Target) {
			within = "**no**"
		}
		if i == s.Below {
			within += " (knee)"
		}
		busy := "not measured"
		if u := p.Machine; u.Measured {
			busy = fmt.Sprintf("%.0f%% (%.0f%%)", 100*u.Busy, 100*u.Others())
		}
		w("| %.0f | %v | %d | %.0f | %s | %s | %s | %s | %d | %d | %s | %s |\n", p.Offered, p.Think.Round(time.Millisecond), p.Moves, p.MovesPerSecond,
			ms(p.P50), ms(p.P99), ms(p.First.P99), ms(p.Max), p.Errors, p.Lost, busy, within)
	}
	w("\n%s.", kneeSentence(*s))
	if len(r.loads) > 1 {
		st := r.loads[len(r.loads)-1]
		w(" For comparison, the stress run's capacity, every game moving without a pause: %.0f moves/s at a p99 of %s.", st.MovesPerSecond, ms(st.P99))
	}
	w("\n")
}

// kneeSentence states the knee of a sweep in one sentence.
func kneeSentence(s load.SweepResult) string {
	at := func(i int) string {
		p := s.Points[i]
		return fmt.Sprintf("%.0f moves/s (%.0f offered, p99 %s)", p.MovesPerSecond, p.Offered, ms(p.P99))
	}
	switch {
	case len(s.Points) == 0:
		return "The knee: not measured, the sweep ran no point"
	case s.Below < 0:
		return fmt.Sprintf("The knee: below the sweep, the p99 missed %s already at its first point, %s", ms(s.Target), at(s.Above))
	case s.Above < 0:
		return fmt.Sprintf("The knee: past the sweep, the p99 stayed within %s at every point, up to %s", ms(s.Target), at(s.Below))
	}
	return fmt.Sprintf("The knee: the p99 stays within %s up to %s and passes it at %s", ms(s.Target), at(s.Below), at(s.Above))
}
