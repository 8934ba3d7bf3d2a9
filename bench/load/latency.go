package load

import (
	"slices"
	"time"
)

// Latencies are percentiles of a set of move round trips.
type Latencies struct {
	Moves              int
	P50, P95, P99, Max time.Duration
}

// latenciesOf sorts rtts in place and reads the percentiles off them.
func latenciesOf(rtts []time.Duration) Latencies {
	if len(rtts) == 0 {
		return Latencies{}
	}
	slices.Sort(rtts)
	return Latencies{Moves: len(rtts), P50: pct(rtts, 50), P95: pct(rtts, 95), P99: pct(rtts, 99), Max: rtts[len(rtts)-1]}
}

// splitFirst reads every move's percentiles, and those of each game's first move apart from
// the rest's. games holds each game's round trips in the order its moves were played. The
// first move is where a synchronized start would show: every game sends it at once after
// setup, while the later ones are spread by the players' own pace.
func splitFirst(games [][]time.Duration) (all, first, rest Latencies) {
	var a, f, r []time.Duration
	for _, g := range games {
		a = append(a, g...)
		if len(g) > 0 {
			f = append(f, g[0])
			r = append(r, g[1:]...)
		}
	}
	return latenciesOf(a), latenciesOf(f), latenciesOf(r)
}

// pct is the p-th percentile of sorted (nearest rank).
func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	if i < 1 {
		i = 1
	}
	return sorted[i-1]
}
