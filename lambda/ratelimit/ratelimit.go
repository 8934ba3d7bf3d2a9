// Package ratelimit bounds how fast each connection may send frames: a token bucket per key.
//
// It lives in a Lambda container's memory, so on AWS it limits what one container sees of a
// connection, a per-connection guard against a runaway or abusive client that costs no
// DynamoDB write per frame; the stage's throttling (burst and rate in the CDK stack) is the
// hard limit for the whole API.
package ratelimit

import (
	"sync"
	"time"
)

// maxKeys bounds memory: past it, buckets that have refilled completely (idle keys) are dropped.
// That is also how a closed connection's bucket goes: $disconnect runs in another function
// (another container on AWS), so there is no one here to tell.
const maxKeys = 10000

// Limiter is a set of token buckets, safe for concurrent use.
type Limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter allowing rate frames per second with bursts of burst per key. A rate of
// 0 or less disables limiting (Allow always answers true).
func New(rate float64, burst int, now func() time.Time) *Limiter {
	return &Limiter{rate: rate, burst: float64(max(burst, 1)), now: now, buckets: map[string]*bucket{}}
}

// Allow takes one token from key's bucket, reporting false when there is none.
func (l *Limiter) Allow(key string) bool {
	if l == nil || l.rate <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxKeys {
			l.evictIdle(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *Limiter) evictIdle(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
