package presence

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// Observed wraps a store so that every room write also derives its presence events and hands
// them to a publisher, as the stream pipeline would. It is for servers without streams
// (dynalite under `make dev`): the functions turn it on with PRESENCE_LOG=true. It adds no
// request to the store: the state before a write is the copy kept from the read before it.
type Observed struct {
	store.Store
	pub Publisher
	now func() time.Time
	log *slog.Logger

	mu   sync.Mutex
	read map[string]*game.Room // code#version → the room as read
}

// maxKept bounds the copies kept; past it they are dropped (a later write then reports
// without the state before it, which only affects the log).
const maxKept = 10000

// Observe wraps s; publishing failures go to log, never to the game.
func Observe(s store.Store, pub Publisher, now func() time.Time, log *slog.Logger) *Observed {
	return &Observed{Store: s, pub: pub, now: now, log: log, read: map[string]*game.Room{}}
}

func key(code string, version int64) string { return fmt.Sprintf("%s#%d", code, version) }

func (o *Observed) GetRoom(ctx context.Context, code string) (*game.Room, error) {
	r, err := o.Store.GetRoom(ctx, code)
	if err == nil {
		o.keep(r)
	}
	return r, err
}

// keep holds a copy of r as stored, for the write that follows it.
func (o *Observed) keep(r *game.Room) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.read) >= maxKept {
		clear(o.read)
	}
	o.read[key(r.Code, r.Version)] = r.Clone()
}

func (o *Observed) CreateRoom(ctx context.Context, r *game.Room) error {
	if err := o.Store.CreateRoom(ctx, r); err != nil {
		return err
	}
	o.emit(ctx, nil, r)
	return nil
}

func (o *Observed) SaveRoom(ctx context.Context, r *game.Room) error {
	old := o.take(r.Code, r.Version)
	if err := o.Store.SaveRoom(ctx, r); err != nil {
		return err
	}
	o.emit(ctx, old, r)
	return nil
}

func (o *Observed) DeleteRoom(ctx context.Context, r *game.Room) error {
	old := o.take(r.Code, r.Version)
	if err := o.Store.DeleteRoom(ctx, r); err != nil {
		return err
	}
	if old == nil {
		old = r
	}
	o.emit(ctx, old, nil)
	return nil
}

func (o *Observed) take(code string, version int64) *game.Room {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := key(code, version)
	r := o.read[k]
	delete(o.read, k)
	return r
}

func (o *Observed) emit(ctx context.Context, old, new *game.Room) {
	for _, e := range Derive(old, new, false, o.now()) {
		if err := o.pub.Publish(ctx, e); err != nil {
			o.log.WarnContext(ctx, "publishing a presence event", "type", string(e.Type), "room", e.Room, "error", err.Error())
		}
	}
}

// SetOffline reports the seat going offline: the state before is the one after with the seat
// back online on id (the write's condition was that id held it).
func (o *Observed) SetOffline(ctx context.Context, code string, seat game.Symbol, id string, at time.Time) (*game.Room, error) {
	r, err := o.Store.SetOffline(ctx, code, seat, id, at)
	if err != nil {
		return r, err
	}
	old := r.Clone()
	if p := old.Player(seat); p != nil {
		p.ConnID, p.OfflineSince = id, time.Time{}
	}
	old.Version--
	o.emit(ctx, old, r)
	o.keep(r)
	return r, nil
}

// RecordRematch keeps the room as written, as GetRoom keeps a read: the write that starts the
// game from it then reports against it.
func (o *Observed) RecordRematch(ctx context.Context, code string, seat game.Symbol, id string, at time.Time) (*game.Room, error) {
	r, err := o.Store.RecordRematch(ctx, code, seat, id, at)
	if err == nil {
		o.keep(r)
	}
	return r, err
}
