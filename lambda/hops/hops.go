// Package hops measures where one client action's time goes: the DynamoDB requests it makes
// (reads and writes) and the frames it posts to @connections. The game function starts a
// collector per action (Start), the SDK clients add to it through Timing, and the handler
// writes the sums as one metrics line (lambda/metrics, EMF): no API call per action.
package hops

import (
	"context"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Kind is what an AWS operation is to a game action.
type Kind int

const (
	Other Kind = iota // not counted
	Read              // a DynamoDB read
	Write             // a DynamoDB write
	Post              // an @connections post (a frame to a player)
)

// kinds are the operations the game's functions make, by the SDK's operation name.
var kinds = map[string]Kind{
	"GetItem": Read, "BatchGetItem": Read, "Query": Read,
	"PutItem": Write, "UpdateItem": Write, "DeleteItem": Write, "TransactWriteItems": Write,
	"PostToConnection": Post,
}

// KindOf is the kind of the SDK operation op.
func KindOf(op string) Kind { return kinds[op] }

// Hops is one action's sums. Posts run concurrently, so it locks.
type Hops struct {
	mu      sync.Mutex
	read    time.Duration
	write   time.Duration
	postMax time.Duration
	reads   int
	writes  int
	posts   int
}

// Sums are a collector's totals: the time spent in reads and in writes (they run one after
// another), the slowest post (posts run side by side), and how many of each.
type Sums struct {
	Read, Write, PostMax time.Duration
	Reads, Writes, Posts int
}

type key struct{}

// Start returns ctx carrying a new collector, and the collector.
func Start(ctx context.Context) (context.Context, *Hops) {
	h := &Hops{}
	return context.WithValue(ctx, key{}, h), h
}

// From is ctx's collector, or nil.
func From(ctx context.Context) *Hops {
	h, _ := ctx.Value(key{}).(*Hops)
	return h
}

// Add records one operation of kind k that took d; a nil collector records nothing.
func (h *Hops) Add(k Kind, d time.Duration) {
	if h == nil || k == Other {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch k {
	case Read:
		h.read += d
		h.reads++
	case Write:
		h.write += d
		h.writes++
	case Post:
		h.postMax = max(h.postMax, d)
		h.posts++
	}
}

// Sums are the totals so far.
func (h *Hops) Sums() Sums {
	if h == nil {
		return Sums{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return Sums{Read: h.read, Write: h.write, PostMax: h.postMax, Reads: h.reads, Writes: h.writes, Posts: h.posts}
}

// Timing is an SDK client option (append it to the client's APIOptions) that adds each
// operation's time, retries included, to the collector in its context.
func Timing(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("HopTiming",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			h := From(ctx)
			if h == nil {
				return next.HandleInitialize(ctx, in)
			}
			start := time.Now()
			out, md, err := next.HandleInitialize(ctx, in)
			h.Add(KindOf(awsmiddleware.GetOperationName(ctx)), time.Since(start))
			return out, md, err
		}), middleware.After) // after the operation's metadata, which names it
}
