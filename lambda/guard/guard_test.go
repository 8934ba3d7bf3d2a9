package guard_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

var secret = []byte("a deployment's own source key secret")

func newGuard(t *testing.T, l guard.Limits) (*guard.Guard, *store.DynamoStore, *clock) {
	t.Helper()
	c := &clock{}
	c.ns.Store(time.Date(2026, 12, 1, 10, 0, 30, 0, time.UTC).UnixNano())
	tb := dynalitetest.New(t)
	st := store.NewDynamoStore(tb.Client, tb.Name, c.now, store.Expiry{Room: config.DefaultRoomTTL})
	return guard.New(st, c.now, secret, l), st, c
}

// A class, an office or a carrier's NAT: hundreds of connections from one address are all
// admitted, at once, whatever they hold open.
func TestSharedAddressIsNotCapped(t *testing.T) {
	ctx := context.Background()
	g, _, _ := newGuard(t, guard.Limits{})
	src := g.SourceKey("203.0.113.50")
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 250 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if probation, err := g.Admit(ctx, src, fmt.Sprintf("c%d", i)); err != nil || probation {
				failed.Add(1)
				t.Log(probation, err)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of 250 simultaneous connects from one address failed", failed.Load())
	}
}

// One device's mistakes cost the address little: 60 typos over the 6 connections they get
// closed on leave the address's other users as they were. It takes many connections closed for
// probing to put the address on probation, and probation ends as the window slides.
func TestProbationOnlyForManyProbingConnections(t *testing.T) {
	tests := []struct {
		name string
		// connections, each with this many misses, closed for them by the server or not
		connections, missesEach int
		closed                  bool
		probation               bool
	}{
		{"one typo", 1, 1, false, false},
		{"one device's 60 typos", 6, capacity.MissesPerConnection, true, false},
		{"a class's typos, 40 children with 5 each", 40, 5, false, false},
		{"a prober's 14 closed connections", 14, capacity.MissesPerConnection, true, false},
		{"a prober's 15 closed connections", 15, capacity.MissesPerConnection, true, true},
		{"306 misses by connections that leave before their own budget", 34, capacity.MissesPerConnection - 1, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			g, st, c := newGuard(t, guard.Limits{})
			src := g.SourceKey("198.51.100.9")
			for i := range tt.connections {
				for range tt.missesEach {
					if _, err := g.Miss(ctx, src); err != nil {
						t.Fatal(err)
					}
				}
				if tt.closed {
					if err := g.Closed(ctx, src, fmt.Sprintf("bad%d", i)); err != nil {
						t.Fatal(err)
					}
				}
				c.advance(10 * time.Second)
			}
			probation, err := g.Admit(ctx, src, "honest")
			if err != nil || probation != tt.probation {
				t.Fatalf("Admit: probation %v, %v; want probation %v", probation, err, tt.probation)
			}
			if !tt.probation {
				return
			}
			// On probation, a connection is recorded with all but one of its misses used:
			// it plays, and guesses one code at most.
			rec, err := st.GetConnection(ctx, "honest")
			if err != nil || rec.Misses != capacity.MissesPerConnection-capacity.ProbationMisses {
				t.Fatalf("the probation record %+v, %v: want %d misses used", rec, err, capacity.MissesPerConnection-capacity.ProbationMisses)
			}
			// Another address is not touched; this one is out once the window slides by.
			if probation, err := g.Admit(ctx, g.SourceKey("198.51.100.10"), "neighbour"); err != nil || probation {
				t.Fatalf("another address: probation %v, %v", probation, err)
			}
			c.advance(capacity.AddressWindowMinutes * time.Minute)
			if probation, err := g.Admit(ctx, src, "later"); err != nil || probation {
				t.Fatalf("after the window: probation %v, %v", probation, err)
			}
		})
	}
}

// The window slides by the minute: charges age out one minute at a time, not at the top of
// an hour.
func TestWindowSlides(t *testing.T) {
	ctx := context.Background()
	g, _, c := newGuard(t, guard.Limits{Strikes: 20, CloseCost: 10, Window: 10 * time.Minute})
	src := g.SourceKey("192.0.2.1")
	if err := g.Closed(ctx, src, "a"); err != nil {
		t.Fatal(err)
	}
	c.advance(5 * time.Minute)
	if err := g.Closed(ctx, src, "b"); err != nil {
		t.Fatal(err)
	}
	if probation, err := g.Admit(ctx, src, "c1"); err != nil || !probation {
		t.Fatalf("two closes within the window: probation %v, %v", probation, err)
	}
	c.advance(5 * time.Minute) // the first close is 10 minutes old: out
	if probation, err := g.Admit(ctx, src, "c2"); err != nil || probation {
		t.Fatalf("the first close aged out: probation %v, %v", probation, err)
	}
}

// A flooding connection's frames keep arriving until its close lands, each in any container:
// the close is charged once however many of them report it.
func TestCloseChargedOnce(t *testing.T) {
	ctx := context.Background()
	g, st, c := newGuard(t, guard.Limits{})
	other := guard.New(st, c.now, secret, guard.Limits{}) // another container
	src := g.SourceKey("192.0.2.77")
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gi := g
			if i%2 == 1 {
				gi = other
			}
			if err := gi.Closed(ctx, src, "flooder"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	item, err := st.GetSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range item.Strikes {
		total += n
	}
	if total != capacity.CloseCost {
		t.Fatalf("40 reports of one close charged %d, want %d", total, capacity.CloseCost)
	}
}

// failingStore fails every read of a source item: a database fault.
type failingStore struct{ guard.Store }

func (failingStore) GetSource(context.Context, string) (store.Source, error) {
	return store.Source{}, errors.New("throttled")
}

func (failingStore) ChargeSourceFrame(context.Context, string, int64, bool, time.Duration) (store.SourceFrames, error) {
	return store.SourceFrames{}, errors.New("throttled")
}

// A fault reading the address's item admits the connection (reported, not refused): players
// are never locked out by the database.
func TestAdmitThroughAFault(t *testing.T) {
	ctx := context.Background()
	_, st, c := newGuard(t, guard.Limits{})
	g := guard.New(failingStore{st}, c.now, secret, guard.Limits{})
	_, err := g.Admit(ctx, g.SourceKey("192.0.2.5"), "c1")
	var admitted *guard.AdmittedError
	if !errors.As(err, &admitted) {
		t.Fatalf("Admit: %v, want an AdmittedError", err)
	}
	if rec, err := st.GetConnection(ctx, "c1"); err != nil || rec.Source == "" {
		t.Fatalf("record %+v, %v: want the connection recorded with its source", rec, err)
	}
}

// With the per-address ceilings off, nothing is kept per address: a load generator's thousand
// players on one machine do not contend for one item.
func TestNoPerAddressCeiling(t *testing.T) {
	ctx := context.Background()
	g, st, _ := newGuard(t, guard.Limits{Strikes: -1, Share: -1})
	src := g.SourceKey("127.0.0.1")
	if _, err := g.Admit(ctx, src, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := g.Closed(ctx, src, "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetSource(ctx, src); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a source item was kept: %v", err)
	}
	if rec, err := st.GetConnection(ctx, "c1"); err != nil || rec.Source != "" {
		t.Fatalf("record %+v, %v: want the connection recorded with no source", rec, err)
	}
}

func TestSourceKey(t *testing.T) {
	g := guard.New(nil, time.Now, secret, guard.Limits{})
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
		if got := g.SourceKey(tt.a) == g.SourceKey(tt.b); got != tt.same {
			t.Errorf("SourceKey(%q) == SourceKey(%q): %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
	k := g.SourceKey("203.0.113.7")
	if len(k) != 32 || k == "203.0.113.7" {
		t.Errorf("key %q: want 32 hex digits, not the address", k)
	}
	// Keyed: another deployment's secret gives another key, and trying every address with the
	// unkeyed hash (what the table held before) finds nothing.
	if other := guard.New(nil, time.Now, []byte("another deployment's secret"), guard.Limits{}); other.SourceKey("203.0.113.7") == k {
		t.Error("two secrets give the same key")
	}
	unkeyed := sha256.Sum256([]byte("tictactoe-source:203.0.113.7"))
	if hex.EncodeToString(unkeyed[:16]) == k {
		t.Error("the key is the unkeyed hash of the address")
	}
}

// An IPv6 holder of a /48 cannot keep a fresh budget by rotating through its /64s: the /48 is
// charged too, and past capacity.NetworkStrikesFactor addresses' budgets its /64s are on
// probation, a fresh one included; one /64's probing, or another /48, is untouched by it.
func TestIPv6NetworkIsChargedToo(t *testing.T) {
	ctx := context.Background()
	g, _, _ := newGuard(t, guard.Limits{Strikes: 5}) // a /48 budget of 5 × 16 = 80
	probe := func(ip string, misses int) bool {
		t.Helper()
		spent := false
		for range misses {
			s, err := g.Miss(ctx, g.SourceKey(ip))
			if err != nil {
				t.Fatal(err)
			}
			spent = s
		}
		return spent
	}
	admit := func(ip, conn string) bool {
		t.Helper()
		probation, err := g.Admit(ctx, g.SourceKey(ip), conn)
		if err != nil {
			t.Fatal(err)
		}
		return probation
	}
	if keys := strings.Fields(g.SourceKey("2001:db8:1:1::7")); len(keys) != 2 || len(strings.Fields(g.SourceKey("203.0.113.7"))) != 1 {
		t.Fatalf("IPv6 keys %v: want the /64's and the /48's; IPv4 one", keys)
	}
	// 19 /64s of one /48, each below its own budget (4 of 5): 76 of the /48's 80.
	for i := range 19 {
		if probe(fmt.Sprintf("2001:db8:1:%x::1", i+1), 4) {
			t.Fatalf("/64 %d spent the budget with 4 misses", i+1)
		}
	}
	if admit("2001:db8:1:ff::1", "fresh") {
		t.Fatal("a fresh /64 on probation before the /48 spent its budget")
	}
	if !probe("2001:db8:1:14::1", 4) { // the 20th /64: 80
		t.Fatal("the /48's budget spent, not reported")
	}
	if !admit("2001:db8:1:ff::1", "fresh2") {
		t.Fatal("a fresh /64 of the spent /48 is not on probation")
	}
	if admit("2001:db8:2:1::1", "other") {
		t.Fatal("another /48 is on probation")
	}
}

// A frame of one connection: the connection and its address.
type sent struct {
	ip, conn string
}

// An address's share of the stage charges its fastest connections, never one within its fair
// part: a class plays within it; a flood beside players is refused and closed while the
// players' frames pass; a swarm at a player's pace is never refused (how many connections it
// opens is what bounds it); past the share, connections get an equal part when that is more
// than a player's pace; each window starts over; an IPv6 /48 is counted too; and with the
// share off nothing is refused.
func TestShare(t *testing.T) {
	const paced, toClose = capacity.PacedFramesPerWindow, capacity.ShareRefusalsToClose
	type conns struct {
		ip     func(i int) string
		n      int
		frames int // each connection's frames in the window
		honest bool
	}
	tests := []struct {
		name   string
		limits guard.Limits
		groups []conns
		// fair: the flooding connections' fair part; each is refused past it and closed by
		// toClose past it (0: nothing but honest connections).
		fair int
	}{
		{name: "a class of 40, 2 frames each", groups: []conns{{ip: same("203.0.113.9"), n: 40, frames: 2, honest: true}}},
		{name: "a class of 30 joining by link and chatting: 5 frames each",
			groups: []conns{{ip: same("203.0.113.9"), n: 30, frames: 5, honest: true}}},
		{name: "a class of 40 at a player's pace beside 120 flooding connections at 20 frames each",
			groups: []conns{
				{ip: same("203.0.113.9"), n: 40, frames: paced, honest: true},
				{ip: same("203.0.113.9"), n: 120, frames: 20},
			}, fair: paced},
		{name: "a child beside 34 connections that spend the share at 3 frames each",
			groups: []conns{
				{ip: same("203.0.113.9"), n: 34, frames: 3, honest: true},
				{ip: same("203.0.113.9"), n: 1, frames: 5, honest: true},
			}},
		{name: "an equal part past a player's pace", limits: guard.Limits{Share: 40},
			groups: []conns{
				{ip: same("203.0.113.9"), n: 2, frames: 10, honest: true},
				{ip: same("203.0.113.9"), n: 2, frames: 20},
			}, fair: 10}, // 40 frames over 4 connections
		{name: "fast connections within the share", groups: []conns{{ip: same("203.0.113.9"), n: 5, frames: 20, honest: true}}},
		{name: "a flood from another address costs this one nothing",
			groups: []conns{
				{ip: same("203.0.113.9"), n: 10, frames: 10, honest: true},
				{ip: same("198.51.100.4"), n: 120, frames: 20},
			}, fair: paced},
		{name: "a swarm of 300 connections at a player's pace", groups: []conns{{ip: same("203.0.113.9"), n: 300, frames: paced, honest: true}}},
		{name: "a /48's flood spread over its /64s",
			groups: []conns{{ip: func(i int) string { return fmt.Sprintf("2001:db8:1:%x::1", i+1) }, n: 200, frames: 20}},
			fair:   paced},
		{name: "the share off", limits: guard.Limits{Share: -1},
			groups: []conns{{ip: same("203.0.113.9"), n: 300, frames: 20, honest: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			g, _, c := newGuard(t, tt.limits)
			window := c.now().Truncate(capacity.FrameWindowSeconds * time.Second)
			honestRefused := 0
			// Round after round, one frame of every connection that has one left.
			for round := 1; ; round++ {
				sentAny := false
				for _, grp := range tt.groups {
					for i := range grp.n {
						if round > grp.frames {
							continue
						}
						sentAny = true
						v, err := g.Share(ctx, g.SourceKey(grp.ip(i)), window, float64(round), round == 1)
						switch {
						case err != nil:
							t.Fatal(err)
						case grp.honest:
							if v != guard.Pass {
								honestRefused++
							}
						case round <= tt.fair && v != guard.Pass:
							t.Fatalf("flooding connection %d: frame %d %v, within its fair part %d", i, round, v, tt.fair)
						case round >= tt.fair+toClose && v != guard.Close:
							t.Fatalf("flooding connection %d: frame %d %v, want it closed by frame %d", i, round, v, tt.fair+toClose)
						case round > tt.fair && round < tt.fair+toClose && v != guard.Refuse:
							t.Fatalf("flooding connection %d: frame %d %v, want it refused", i, round, v)
						}
					}
				}
				if !sentAny {
					break
				}
			}
			if honestRefused != 0 {
				t.Errorf("%d honest frames refused", honestRefused)
			}
			// A new window starts over: the address plays again.
			if v, err := g.Share(ctx, g.SourceKey(tt.groups[0].ip(0)), window.Add(capacity.FrameWindowSeconds*time.Second), paced+1, true); err != nil || v != guard.Pass {
				t.Errorf("a fast frame in the next window: %v, %v; want it passed", v, err)
			}
		})
	}
}

// same is an address for every connection.
func same(ip string) func(int) string { return func(int) string { return ip } }

// A count that cannot be made passes the frame: a database fault costs nobody a frame.
func TestShareThroughAFault(t *testing.T) {
	_, st, c := newGuard(t, guard.Limits{})
	g := guard.New(failingStore{st}, c.now, secret, guard.Limits{Share: 1})
	for n := 1; n <= 10; n++ {
		v, err := g.Share(context.Background(), g.SourceKey("192.0.2.5"), c.now(), float64(n), n == 1)
		if err == nil || v != guard.Pass {
			t.Fatalf("frame %d through a fault: %v, %v; want it passed, with the error", n, v, err)
		}
	}
}
