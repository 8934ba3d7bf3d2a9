// Package store keeps rooms and connections in DynamoDB. A room's whole state is one item,
// written back only if its version is unchanged, so racing writers can never both succeed and
// no update is lost; a few changes that commute (narrow.go) are written in place under a
// condition on what they depend on instead, with no read first. It uses no transactions and no streams (dynalite, the local server, has
// neither), and because DynamoDB deletes expired items up to days late, every read treats an
// item past its expiry as absent.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
)

var (
	// ErrNotFound: no such item, or it has expired.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the item changed since it was read; read it again and retry.
	ErrConflict = errors.New("changed since read")
	// ErrExists: a live room already has that code.
	ErrExists = errors.New("already exists")
)

// Role is what a connection is in its room: a seat (X, O) or a watcher.
type Role string

const (
	RoleX       Role = "X"
	RoleO       Role = "O"
	RoleWatcher Role = "watcher"
)

// RoleOf is the role of the holder of seat s.
func RoleOf(s game.Symbol) Role { return Role(s) }

// Connection records which room a WebSocket connection follows, so that $disconnect, which
// carries no frame, knows which room to tell. It is written only if unchanged since it was
// read (Version), so two frames of one connection racing to take seats serialize: the one
// that records second finds the record changed, gives its seat back and starts again. A record
// is never deleted, only replaced (and expired), so a version is never reused.
type Connection struct {
	ID       string
	RoomCode string // "": it follows no room
	Role     Role
	// Closed: its $disconnect has come, and no seat may be recorded for it any more.
	Closed bool
	// Source is the key of the address it came from (lambda/guard), set at $connect.
	Source string
	// Misses counts its room_not_found answers, against its probing budget.
	Misses int
	// Queued: it waits in the quick-match queue. Taking a seat, cancelling or closing ends it;
	// a matcher pairs it only while this is set.
	Queued bool
	// QuickRoom is the room quick match last paired it into; QuickLeaves counts the
	// quick-match games it left unfinished soon after the pairing (the last at QuickLeftAt),
	// for the cooldown that keeps such a connection from being everyone's partner
	// (lambda/service).
	QuickRoom   string
	QuickLeaves int
	QuickLeftAt time.Time
	// FrameWindow and Frames are its frame count in the window that starts at FrameWindow
	// (epoch seconds), shared by every container (ChargeFrame), and PrevWindow and PrevFrames
	// the count of the window it counted in before; carried by whole-record writes so that a
	// seat change does not reset them (a count advances Version, so such a write made from an
	// older read fails instead).
	FrameWindow int64
	Frames      int
	PrevWindow  int64
	PrevFrames  int
	// Version of the stored record, 0 when there is none.
	Version int64
}

// Store is what the game service needs of persistence.
type Store interface {
	// GetRoom reads the latest state of a room, or ErrNotFound.
	GetRoom(ctx context.Context, code string) (*game.Room, error)
	// CreateRoom stores a new room, or returns ErrExists when a live room has its code.
	CreateRoom(ctx context.Context, r *game.Room) error
	// SaveRoom writes r back if the stored version is still r.Version (else ErrConflict), and
	// then advances r.Version.
	SaveRoom(ctx context.Context, r *game.Room) error
	// DeleteRoom deletes r if the stored version is still r.Version, else ErrConflict.
	DeleteRoom(ctx context.Context, r *game.Room) error

	// PutConnection writes c if the stored record is still at c.Version (0: there is none),
	// else ErrConflict, and then advances c.Version.
	PutConnection(ctx context.Context, c *Connection) error
	// GetConnection returns the connection's record, or ErrNotFound.
	GetConnection(ctx context.Context, id string) (Connection, error)

	// GetQueue reads the quick-match queue (empty, version 0, when there is none).
	GetQueue(ctx context.Context) (Queue, error)
	// PutQueue writes q if the stored queue is still at q.Version, else ErrConflict, and then
	// advances q.Version.
	PutQueue(ctx context.Context, q *Queue) error

	// AppendChat keeps a chat message of the room's series that began at born and returns its
	// number; ChatHistory returns the series' last ChatKeep messages, oldest first.
	AppendChat(ctx context.Context, code string, born time.Time, m ChatMessage) (int64, error)
	ChatHistory(ctx context.Context, code string, born time.Time) ([]ChatMessage, error)

	// Narrow: the writes that need no read first (narrow.go).
	Narrow
}

// Expiry is how long items live after their last write.
type Expiry struct {
	// Room is how long a room lives after its last change (lambda/config's ROOM_TTL, which
	// owns its default). Required.
	Room time.Duration
	// Connection is how long a connection record lives. Default: ConnectionTTL.
	Connection time.Duration
}

// ConnectionTTL is a connection record's life: past API Gateway's 2-hour maximum connection
// duration, so a record whose $disconnect was missed still goes.
const ConnectionTTL = 3 * time.Hour

func (e Expiry) withDefaults() Expiry {
	if e.Room <= 0 {
		panic("store: Expiry.Room is required (ROOM_TTL, lambda/config)")
	}
	if e.Connection <= 0 {
		e.Connection = ConnectionTTL
	}
	return e
}
