package presence

import (
	"context"
	"fmt"
)

// Publisher sends events somewhere: SNS on AWS (package snspub), the log locally.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// Subject is a one-line summary (SNS subjects are ASCII, at most 100 characters).
func Subject(e Event) string {
	s := fmt.Sprintf("TicTacToe: %s in room %s", e.Type, e.Room)
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}
