package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestBurstThenRefill(t *testing.T) {
	c := &fakeClock{t: time.Unix(0, 0)}
	l := New(2, 3, c.now) // 2 per second, bursts of 3
	for i := 0; i < 3; i++ {
		if !l.Allow("a") {
			t.Fatalf("burst frame %d refused", i)
		}
	}
	if l.Allow("a") {
		t.Fatal("4th frame in the same instant allowed")
	}
	if !l.Allow("b") {
		t.Fatal("keys must not share a bucket")
	}
	c.t = c.t.Add(500 * time.Millisecond) // one token back
	if !l.Allow("a") || l.Allow("a") {
		t.Fatal("refill must give back exactly rate × elapsed")
	}
	c.t = c.t.Add(time.Hour)
	for i := 0; i < 3; i++ {
		if !l.Allow("a") {
			t.Fatal("a long idle must refill to the burst")
		}
	}
	if l.Allow("a") {
		t.Fatal("refill must cap at the burst")
	}
}

func TestDisabled(t *testing.T) {
	c := &fakeClock{t: time.Unix(0, 0)}
	for _, l := range []*Limiter{nil, New(0, 1, c.now)} {
		for i := 0; i < 100; i++ {
			if !l.Allow("a") {
				t.Fatal("a disabled limiter refused")
			}
		}
	}
}

func TestMemoryIsBounded(t *testing.T) {
	c := &fakeClock{t: time.Unix(0, 0)}
	l := New(10, 1, c.now)
	for i := 0; i < maxKeys; i++ {
		l.Allow(fmt.Sprint(i))
	}
	c.t = c.t.Add(time.Second) // every bucket refilled: idle
	l.Allow("new")
	if len(l.buckets) != 1 {
		t.Fatalf("%d buckets kept, want idle ones evicted", len(l.buckets))
	}
}
