package load

import (
	"testing"
	"time"
)

// TestSplitFirst: the report's first-move figures are each game's first move only, the rest's
// every other move, and every move's figures count both.
func TestSplitFirst(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, n := range v {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	// 100 games whose first move took 40-139 ms (a burst) and whose eight others took 1-8 ms.
	var burst [][]time.Duration
	for i := 0; i < 100; i++ {
		burst = append(burst, ms(40+i, 1, 2, 3, 4, 5, 6, 7, 8))
	}
	cases := []struct {
		name             string
		games            [][]time.Duration
		all, first, rest Latencies
	}{
		{"none", nil, Latencies{}, Latencies{}, Latencies{}},
		{"one game of one move", [][]time.Duration{ms(7)}, lat(1, 7, 7, 7, 7), lat(1, 7, 7, 7, 7), Latencies{}},
		{"two games", [][]time.Duration{ms(30, 1, 2), ms(20, 3, 4)}, lat(6, 3, 30, 30, 30), lat(2, 20, 30, 30, 30), lat(4, 2, 4, 4, 4)},
		// 900 moves: the 100 slow first moves are the top 11%, so they are every move's p99
		// though the rest never took more than 8 ms.
		{"a slow first move", burst, lat(900, 5, 94, 130, 139), lat(100, 89, 134, 138, 139), lat(800, 4, 8, 8, 8)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			all, first, rest := splitFirst(c.games)
			if all != c.all || first != c.first || rest != c.rest {
				t.Errorf("splitFirst = all %+v, first %+v, rest %+v; want %+v, %+v, %+v", all, first, rest, c.all, c.first, c.rest)
			}
		})
	}
}

func lat(n, p50, p95, p99, maxMs int) Latencies {
	d := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
	return Latencies{Moves: n, P50: d(p50), P95: d(p95), P99: d(p99), Max: d(maxMs)}
}

// TestStagger: at a player's pace the games' first moves are spread over a pause by default,
// not sent at once; the stress run (no pause) and a negative Stagger start every game together.
func TestStagger(t *testing.T) {
	cases := []struct {
		name           string
		o              Options
		first, later   [2]time.Duration // the range of the pause before the first move, and before the others
		wantStaggerSet time.Duration
	}{
		{"a player's pace", Options{Think: time.Second}, [2]time.Duration{0, time.Second}, [2]time.Duration{800 * time.Millisecond, 1200 * time.Millisecond}, time.Second},
		{"a shorter window", Options{Think: time.Second, Stagger: 100 * time.Millisecond}, [2]time.Duration{0, 100 * time.Millisecond}, [2]time.Duration{800 * time.Millisecond, 1200 * time.Millisecond}, 100 * time.Millisecond},
		{"synchronized", Options{Think: time.Second, Stagger: -1}, [2]time.Duration{800 * time.Millisecond, 1200 * time.Millisecond}, [2]time.Duration{800 * time.Millisecond, 1200 * time.Millisecond}, 0},
		{"the stress run", Options{}, [2]time.Duration{0, 0}, [2]time.Duration{0, 0}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.o.fill()
			p := pace{think: c.o.Think, stagger: max(c.o.Stagger, 0)}
			if p.stagger != c.wantStaggerSet {
				t.Errorf("stagger %v, want %v", p.stagger, c.wantStaggerSet)
			}
			lo, hi := time.Hour, time.Duration(0)
			for i := 0; i < 2000; i++ {
				d := p.before(0)
				lo, hi = min(lo, d), max(hi, d)
				if d < c.first[0] || d > c.first[1] {
					t.Fatalf("first pause %v, want it in [%v, %v]", d, c.first[0], c.first[1])
				}
				if d := p.before(1 + i%8); d < c.later[0] || d > c.later[1] {
					t.Fatalf("later pause %v, want it in [%v, %v]", d, c.later[0], c.later[1])
				}
			}
			// Spread over the window, not bunched at one end of it.
			if span := c.first[1] - c.first[0]; hi-lo < span*9/10 {
				t.Errorf("first pauses span %v-%v of a %v window", lo, hi, span)
			}
		})
	}
}
