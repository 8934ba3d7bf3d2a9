package main

import (
	"strings"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/bench/load"
	"github.com/serverless-tictactoe/tictactoe/bench/sysload"
)

// TestP99TargetCountsEveryMove: the Targets line judges every move's p99, first moves
// included, shows the first moves and the rest beside it, and blames a busy machine only when
// other work took a real share of it.
func TestP99TargetCountsEveryMove(t *testing.T) {
	msd := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
	quiet := sysload.Usage{Measured: true, Cores: 2, Busy: 0.6, Own: 0.58}
	busy := sysload.Usage{Measured: true, Cores: 2, Busy: 0.95, Own: 0.5}
	run := func(all, first, rest int, u sysload.Usage) load.Result {
		return load.Result{Games: 200, Think: time.Second, Stagger: time.Second, P99: msd(all),
			First: load.Latencies{P99: msd(first)}, Rest: load.Latencies{P99: msd(rest)}, Machine: u}
	}
	cases := []struct {
		name    string
		run     load.Result
		met     bool
		want    []string
		notWant []string
	}{
		{"met", run(30, 45, 28, quiet), true, []string{"30.0 ms (first moves 45.0 ms, the rest 28.0 ms)", "games starting at random over 1s", "every move counted"}, nil},
		{"the first moves miss it for all", run(60, 300, 20, quiet), false, []string{"10.0 ms over: the 2-core machine"}, []string{"other than this bench"}},
		{"a busy machine is named", run(60, 300, 20, busy), false, []string{"10.0 ms over, on a machine 95% busy of 2 cores, 45% of it work other than this bench's"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := report{loads: []load.Result{c.run}}
			var got string
			met := false
			r.p99Target(func(name, measured string, ok bool, why string) {
				got, met = name+" | "+measured+" | "+why, ok
			})
			if met != c.met {
				t.Errorf("met %v, want %v: %s", met, c.met, got)
			}
			for _, s := range c.want {
				if !strings.Contains(got, s) {
					t.Errorf("%q does not say %q", got, s)
				}
			}
			for _, s := range c.notWant {
				if strings.Contains(got, s) {
					t.Errorf("%q says %q", got, s)
				}
			}
		})
	}
}

// TestKneeSentence: the report names the last point within the target and the first past
// it, or says the knee lies outside the sweep.
func TestKneeSentence(t *testing.T) {
	pt := func(offered, rate float64, p99ms int) load.SweepPoint {
		return load.SweepPoint{Offered: offered, Result: load.Result{Moves: 900, MovesPerSecond: rate, P99: time.Duration(p99ms) * time.Millisecond}}
	}
	target := 50 * time.Millisecond
	cases := []struct {
		name         string
		points       []load.SweepPoint
		below, above int
		want         string
	}{
		{"crossed", []load.SweepPoint{pt(100, 95, 10), pt(200, 185, 30), pt(300, 260, 90)}, 1, 2,
			"The knee: the p99 stays within 50.0 ms up to 185 moves/s (200 offered, p99 30.0 ms) and passes it at 260 moves/s (300 offered, p99 90.0 ms)"},
		{"never crossed", []load.SweepPoint{pt(100, 95, 10)}, 0, -1, "The knee: past the sweep, the p99 stayed within 50.0 ms at every point, up to 95 moves/s"},
		{"crossed at once", []load.SweepPoint{pt(50, 48, 70), pt(100, 90, 80)}, -1, 0, "The knee: below the sweep, the p99 missed 50.0 ms already at its first point, 48 moves/s"},
		{"no points", nil, -1, -1, "The knee: not measured"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := kneeSentence(load.SweepResult{Target: target, Points: c.points, Below: c.below, Above: c.above})
			if !strings.HasPrefix(got, c.want) {
				t.Errorf("kneeSentence = %q, want it to start %q", got, c.want)
			}
		})
	}
}
