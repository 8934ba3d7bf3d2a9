package load

import (
	"fmt"
	"testing"
	"time"
)

// TestKnee: the knee is the last point within the target before the first point past it,
// whatever comes after; a point with a failed move is past it whatever its p99.
func TestKnee(t *testing.T) {
	const target = 50 * time.Millisecond
	pt := func(offered float64, p99ms int, errors int) SweepPoint {
		return SweepPoint{Offered: offered, Result: Result{Moves: 900, P99: time.Duration(p99ms) * time.Millisecond, Errors: errors}}
	}
	cases := []struct {
		name         string
		points       []SweepPoint
		below, above int
	}{
		{"crosses", []SweepPoint{pt(100, 10, 0), pt(200, 20, 0), pt(250, 45, 0), pt(300, 80, 0)}, 2, 3},
		{"at the target is within it", []SweepPoint{pt(100, 50, 0), pt(200, 51, 0)}, 0, 1},
		{"a lucky point after the miss does not move the knee", []SweepPoint{pt(100, 10, 0), pt(200, 60, 0), pt(300, 40, 0)}, 0, 1},
		{"errors miss the target", []SweepPoint{pt(100, 10, 0), pt(200, 20, 1)}, 0, 1},
		{"the first point misses", []SweepPoint{pt(100, 70, 0)}, -1, 0},
		{"never crosses", []SweepPoint{pt(100, 10, 0), pt(200, 20, 0)}, 1, -1},
		{"no points", nil, -1, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			below, above := knee(c.points, target)
			if below != c.below || above != c.above {
				t.Errorf("knee = %d, %d; want %d, %d", below, above, c.below, c.above)
			}
		})
	}
}

// TestSweepSteps runs a small sweep on the local stack: it steps up the offered load while
// the target holds, and once a point misses it goes back half a step.
func TestSweepSteps(t *testing.T) {
	ctx, l := startForTest(t, StartLocal)
	cases := []struct {
		name         string
		target       time.Duration
		offered      []float64
		below, above int
	}{
		{"the target holds", time.Hour, []float64{150, 250}, 1, -1},
		{"the first point misses", time.Nanosecond, []float64{100, 150}, -1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Sweep(ctx, l.Stack.WebSocketURL, l.Counters, SweepOptions{Target: c.target, Games: 4, From: 150, Step: 100, Points: 2})
			if err != nil {
				t.Fatal(err)
			}
			var offered []float64
			for _, p := range res.Points {
				offered = append(offered, p.Offered)
				if p.Moves != 4*9 || p.Errors != 0 {
					t.Errorf("at %.0f moves/s: %d moves, %d errors", p.Offered, p.Moves, p.Errors)
				}
			}
			if fmt.Sprint(offered) != fmt.Sprint(c.offered) || res.Below != c.below || res.Above != c.above {
				t.Errorf("points at %v, knee %d-%d; want %v, %d-%d", offered, res.Below, res.Above, c.offered, c.below, c.above)
			}
		})
	}
}
