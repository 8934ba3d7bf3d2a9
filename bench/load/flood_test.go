package load

import (
	"testing"
	"time"
)

// Under a flood from a few addresses, with a default deployment's ceilings on, every honest
// move still lands, and the flooders are throttled and closed. (No address is refused:
// docs/capacity.md.)
func TestFloodWithCeilings(t *testing.T) {
	ctx, l := startForTest(t, StartLocalWithCeilings)
	res, err := Flood(ctx, l.Stack.WebSocketURL, l.Counters, FloodOptions{Games: 4, Think: 500 * time.Millisecond, Addresses: 2, PerAddress: 2})
	t.Log(res)
	if err != nil {
		t.Fatal(err)
	}
	if res.Honest.Errors != 0 || res.Honest.Lost != 0 || res.Honest.Moves != 4*9 {
		t.Fatalf("honest games: errors %d (%v), lost %d, moves %d", res.Honest.Errors, res.Honest.ErrorSamples, res.Honest.Lost, res.Honest.Moves)
	}
	if res.Hostile.Closed == 0 || res.Hostile.RateLimited == 0 {
		t.Fatalf("the flood met no ceiling: %+v", res.Hostile)
	}
}
