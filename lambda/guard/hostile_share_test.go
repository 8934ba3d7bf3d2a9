package guard_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
)

// Review (attack): one IPv6 holder spreads a flood over the 65,536 /64s of its /48, each
// /64 far below its own share. The /48 is counted too (3 addresses' share): its fast
// connections are refused and closed as one address's would be, whatever /64 they use; what
// passes is each connection's player's pace, as for any crowd (docs/capacity.md).
func TestHostileIPv6SiteTakesTheStage(t *testing.T) {
	ctx := context.Background()
	g, _, c := newGuard(t, guard.Limits{})
	window := c.now().Truncate(capacity.FrameWindowSeconds * time.Second)
	const slash64s, perSlash64, frames = 20, 10, 10 // 200 connections, 10 frames each
	passed, closed := 0, 0
	for round := 1; round <= frames; round++ {
		for n := range slash64s {
			for range perSlash64 {
				ip := fmt.Sprintf("2001:db8:77:%x::%x", n+1, round) // any address in the /64
				v, err := g.Share(ctx, g.SourceKey(ip), window, float64(round), round == 1)
				if err != nil {
					t.Fatal(err)
				}
				switch v {
				case guard.Pass:
					passed++
				case guard.Close:
					closed++
				}
			}
		}
	}
	t.Logf("one /48 over %d /64s: %d of %d flooding frames passed in one %d s window, %d closes",
		slash64s, passed, slash64s*perSlash64*frames, capacity.FrameWindowSeconds, closed)
	if most := slash64s * perSlash64 * capacity.PacedFramesPerWindow; passed > most {
		t.Errorf("one IPv6 /48, every connection flooding, passed %d frames in a window: more than its connections' pace (%d)", passed, most)
	}
	if closed == 0 {
		t.Error("no connection of the flooding /48 was closed")
	}
}

// Review (attack, weak): the address's count is a fixed window, not a sliding one (only a
// connection's pace slides). Fast connections of one address send the whole share in the
// last 100 ms of a window and again in the first 100 ms of the next. That is the share twice
// in a moment, once per window: over any two windows an address still gets at most twice
// its share, which docs/capacity.md says; the stage's burst absorbs the edge.
func TestHostileShareTwiceAtAWindowEdge(t *testing.T) {
	ctx := context.Background()
	g, _, c := newGuard(t, guard.Limits{})
	src := g.SourceKey("192.0.2.77")
	w := capacity.FrameWindowSeconds * time.Second
	window := c.now().Truncate(w)
	passed := 0
	for _, win := range []time.Time{window, window.Add(w)} {
		for n := range 2 * capacity.AddressFramesPerWindow {
			v, err := g.Share(ctx, src, win, float64(10+n%10), n < 20) // twenty connections, each past its pace
			if err != nil {
				t.Fatal(err)
			}
			if v == guard.Pass {
				passed++
			}
		}
	}
	t.Logf("one address: %d fast frames passed across one window boundary", passed)
	if passed > 2*capacity.AddressFramesPerWindow {
		t.Errorf("one address passed %d fast frames in two windows, more than twice its share (%d)", passed, capacity.AddressFramesPerWindow)
	}
}
