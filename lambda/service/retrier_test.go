package service

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A matcher that keeps losing the queue gives up: after queueAttempts attempts, or once the
// next wait would end past queueBudget, whichever comes first; never later than queueBudget
// before its invocation's deadline, which leaves the last attempt and the answer their time.
func TestRetrierGivesUp(t *testing.T) {
	for _, c := range []struct {
		name     string
		deadline time.Duration // from now; 0: none
		maxTries int           // the most waits it may grant before giving up
	}{
		{"no deadline", 0, queueAttempts - 1},
		{"a deadline far off", time.Minute, queueAttempts - 1},
		{"a deadline nearer than the budget", queueBudget / 2, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			if c.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, c.deadline)
				defer cancel()
			}
			r := newRetrier()
			granted := 0
			for {
				err := r.again(ctx)
				if err == nil {
					granted++
					if granted > c.maxTries {
						t.Fatalf("granted %d waits, want at most %d", granted, c.maxTries)
					}
					continue
				}
				if !errors.Is(err, errContended) {
					t.Fatalf("gave up with %v, want errContended", err)
				}
				break
			}
		})
	}
}
