package guard_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newGuard(t *testing.T, l guard.Limits) (*guard.Guard, *store.DynamoStore, *clock) {
	t.Helper()
	c := &clock{}
	c.ns.Store(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC).UnixNano())
	tb := dynalitetest.New(t)
	st := store.NewDynamoStore(tb.Client, tb.Name, c.now, store.Expiry{Room: config.DefaultRoomTTL})
	return guard.New(st, c.now, l), st, c
}

// One address holds at most its share of connections, however many containers admit them at
// once; a closed connection frees its place, and so does one whose $disconnect never came,
// once API Gateway would have closed it.
func TestConnectionsPerSource(t *testing.T) {
	ctx := context.Background()
	g, st, c := newGuard(t, guard.Limits{ConnectionsPerSource: 5})
	src := guard.SourceKey("203.0.113.7")
	var admitted, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := g.Admit(ctx, src, fmt.Sprintf("c%d", i)); {
			case err == nil:
				admitted.Add(1)
			case errors.Is(err, guard.ErrTooManyConnections):
				refused.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if admitted.Load() != 5 || refused.Load() != 7 {
		t.Fatalf("%d admitted, %d refused; want 5 and 7", admitted.Load(), refused.Load())
	}
	var open []string
	for i := range 12 {
		if rec, err := st.GetConnection(ctx, fmt.Sprintf("c%d", i)); err == nil {
			if rec.Source != src {
				t.Errorf("c%d recorded with source %q, want %q", i, rec.Source, src)
			}
			open = append(open, rec.ID)
		}
	}
	if len(open) != 5 {
		t.Fatalf("%d connections recorded, want the 5 admitted: %v", len(open), open)
	}
	if err := g.Admit(ctx, guard.SourceKey("198.51.100.1"), "other"); err != nil {
		t.Fatalf("another address is refused: %v", err)
	}
	if err := g.Release(ctx, src, open[0]); err != nil {
		t.Fatal(err)
	}
	if err := g.Admit(ctx, src, "again"); err != nil {
		t.Fatalf("a released place is not free: %v", err)
	}
	if err := g.Admit(ctx, src, "one more"); !errors.Is(err, guard.ErrTooManyConnections) {
		t.Fatalf("the sixth: %v, want ErrTooManyConnections", err)
	}
	c.advance(2*time.Hour + time.Second) // every connection lapsed; their $disconnects were lost
	if err := g.Admit(ctx, src, "next day"); err != nil {
		t.Fatalf("lapsed connections still hold their places: %v", err)
	}
}

// An address that asked for too many unknown rooms this hour is refused new connections
// until the hour is out.
func TestMissesPerSourceHour(t *testing.T) {
	ctx := context.Background()
	g, _, c := newGuard(t, guard.Limits{MissesPerSourceHour: 3})
	src := guard.SourceKey("2001:db8:1:2:aaaa::1")
	for i := 1; i <= 3; i++ {
		exhausted, err := g.Miss(ctx, src)
		if err != nil || exhausted != (i == 3) {
			t.Fatalf("miss %d: exhausted %v, %v", i, exhausted, err)
		}
	}
	// Another address of the same /64 is the same source.
	if err := g.Admit(ctx, guard.SourceKey("2001:db8:1:2:bbbb::9"), "c1"); !errors.Is(err, guard.ErrProbing) {
		t.Fatalf("after the budget: %v, want ErrProbing", err)
	}
	c.advance(time.Hour)
	if err := g.Admit(ctx, src, "c1"); err != nil {
		t.Fatalf("the next hour: %v", err)
	}
}

// Many connections from one address at once (a class behind one NAT) are all admitted while
// the address has room: the racing writes to its item back off and retry.
func TestManyConnectsFromOneAddressAtOnce(t *testing.T) {
	ctx := context.Background()
	g, _, _ := newGuard(t, guard.Limits{ConnectionsPerSource: 60})
	src := guard.SourceKey("203.0.113.50")
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.Admit(ctx, src, fmt.Sprintf("c%d", i)); err != nil {
				failed.Add(1)
				t.Log(err)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of 40 simultaneous connects from one address failed", failed.Load())
	}
}

// With the per-source ceilings off, nothing is kept per source: a load generator's thousand
// players on one machine do not contend for one item.
func TestNoPerSourceCeilings(t *testing.T) {
	ctx := context.Background()
	g, st, _ := newGuard(t, guard.Limits{ConnectionsPerSource: -1})
	if err := g.Admit(ctx, guard.SourceKey("127.0.0.1"), "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetSource(ctx, guard.SourceKey("127.0.0.1")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a source item was kept: %v", err)
	}
	if rec, err := st.GetConnection(ctx, "c1"); err != nil || rec.Source != "" {
		t.Fatalf("record %+v, %v: want the connection recorded with no source", rec, err)
	}
}

func TestSourceKey(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"203.0.113.7", "203.0.113.7", true},
		{"203.0.113.7", "::ffff:203.0.113.7", true},
		{"203.0.113.7", "203.0.113.8", false},
		{"2001:db8::1", "2001:db8::ffff:1", true},
		{"2001:db8:0:1::1", "2001:db8:0:2::1", false},
		{"not an address", "not an address", true},
	}
	for _, tt := range tests {
		if got := guard.SourceKey(tt.a) == guard.SourceKey(tt.b); got != tt.same {
			t.Errorf("SourceKey(%q) == SourceKey(%q): %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
	if k := guard.SourceKey("203.0.113.7"); len(k) != 32 || k == "203.0.113.7" {
		t.Errorf("key %q: want 32 hex digits, not the address", k)
	}
}
