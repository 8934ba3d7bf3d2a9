// Package connections sends frames to WebSocket clients and closes connections: the Sender
// the game uses, its Region-aware form (Regional), and what a gone connection looks like.
// Package apigw is the Sender over API Gateway's @connections API.
package connections

import (
	"context"
	"errors"
)

// ErrGone means the connection no longer exists (HTTP 410): the client went away, maybe
// without API Gateway having invoked $disconnect yet.
var ErrGone = errors.New("connection gone")

// Sender delivers one frame to one connection, and closes a connection the server is done
// with (a flood, a prober).
type Sender interface {
	Send(ctx context.Context, connectionID string, frame []byte) error
	Close(ctx context.Context, connectionID string) error
	// Alive reports whether the connection is still open (GetConnection): a seat can show
	// online for a connection whose $disconnect was lost.
	Alive(ctx context.Context, connectionID string) (bool, error)
}
