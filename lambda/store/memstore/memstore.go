// Package memstore is store.Store in memory, for benchmarks of the game's own work per action
// (no network I/O). Rooms go through the same item encoding as the DynamoDB store, so the
// benchmark pays for that too. Tests of behaviour use the DynamoDB store against dynalite.
package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// Store keeps items in a map, with the DynamoDB store's version conditions.
type Store struct {
	mu      sync.Mutex
	rooms   map[string]map[string]types.AttributeValue
	vers    map[string]int64
	conns   map[string]store.Connection
	queue   store.Queue
	chat    map[string][]store.ChatMessage // code#born → the kept messages
	chatSeq map[string]int64
}

var _ store.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{rooms: map[string]map[string]types.AttributeValue{}, vers: map[string]int64{}, conns: map[string]store.Connection{}, chat: map[string][]store.ChatMessage{}, chatSeq: map[string]int64{}}
}

func (s *Store) GetRoom(_ context.Context, code string) (*game.Room, error) {
	s.mu.Lock()
	item, ok := s.rooms[code]
	s.mu.Unlock()
	if !ok {
		return nil, store.ErrNotFound
	}
	return store.DecodeRoom(item)
}

func (s *Store) write(r *game.Room, expect int64, exists bool) error {
	item, err := store.EncodeRoom(r, time.Now().Add(24*time.Hour))
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, present := s.vers[r.Code]
	switch {
	case !exists && present:
		return store.ErrExists
	case exists && (!present || v != expect):
		return store.ErrConflict
	}
	s.rooms[r.Code], s.vers[r.Code] = item, r.Version
	return nil
}

func (s *Store) CreateRoom(_ context.Context, r *game.Room) error {
	r.Version = 1
	return s.write(r, 0, false)
}

func (s *Store) SaveRoom(_ context.Context, r *game.Room) error {
	r.Version++
	if err := s.write(r, r.Version-1, true); err != nil {
		r.Version--
		return err
	}
	return nil
}

func (s *Store) DeleteRoom(_ context.Context, r *game.Room) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vers[r.Code] != r.Version {
		return store.ErrConflict
	}
	delete(s.rooms, r.Code)
	delete(s.vers, r.Code)
	return nil
}

func (s *Store) PutConnection(_ context.Context, c *store.Connection) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[c.ID].Version != c.Version {
		return store.ErrConflict
	}
	c.Version++
	s.conns[c.ID] = *c
	return nil
}

func (s *Store) GetConnection(_ context.Context, id string) (store.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[id]
	if !ok {
		return store.Connection{}, store.ErrNotFound
	}
	return c, nil
}

func (s *Store) GetQueue(context.Context) (store.Queue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	q.Entries = append([]store.QueueEntry(nil), q.Entries...)
	return q, nil
}

func (s *Store) PutQueue(_ context.Context, q *store.Queue) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queue.Version != q.Version {
		return store.ErrConflict
	}
	q.Version++
	s.queue = store.Queue{Entries: append([]store.QueueEntry(nil), q.Entries...), Version: q.Version}
	return nil
}

func chatKey(code string, born time.Time) string { return code + "#" + born.String() }

func (s *Store) AppendChat(_ context.Context, code string, born time.Time, m store.ChatMessage) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := chatKey(code, born)
	s.chatSeq[k]++
	m.Seq = s.chatSeq[k]
	s.chat[k] = append(s.chat[k], m)
	if n := len(s.chat[k]); n > store.ChatKeep {
		s.chat[k] = s.chat[k][n-store.ChatKeep:]
	}
	return m.Seq, nil
}

func (s *Store) ChatHistory(_ context.Context, code string, born time.Time) ([]store.ChatMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]store.ChatMessage(nil), s.chat[chatKey(code, born)]...), nil
}

var _ store.Narrow = (*Store)(nil)

func (s *Store) ClaimConnection(_ context.Context, id, code string, role store.Role) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[id]
	if !ok || c.RoomCode != "" || c.Closed || c.Queued {
		return store.ErrConflict
	}
	c.RoomCode, c.Role = code, role
	c.Version++
	s.conns[id] = c
	return nil
}

func (s *Store) ChargeFrame(_ context.Context, id string, window, previous int64) (store.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[id]
	if !ok {
		return store.Connection{ID: id}, store.ErrConflict
	}
	if c.FrameWindow != window {
		c.PrevWindow, c.PrevFrames, c.FrameWindow, c.Frames = c.FrameWindow, c.Frames, window, 0
	}
	c.Frames++
	c.Version++
	s.conns[id] = c
	if c.PrevWindow != previous {
		c.PrevFrames = 0
	}
	return c, nil
}

func (s *Store) CountMiss(_ context.Context, id string) (store.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[id]
	if !ok || c.Closed {
		return store.Connection{ID: id}, store.ErrConflict
	}
	c.Misses++
	c.Version++
	s.conns[id] = c
	return c, nil
}

func (s *Store) CloseConnection(_ context.Context, id string) (store.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.conns[id]
	c := old
	c.ID, c.Closed, c.Queued = id, true, false
	c.Version++
	s.conns[id] = c
	if !ok {
		return store.Connection{ID: id}, nil
	}
	return old, nil
}

// SetOffline and RecordRematch send the service to its read path: the benchmarks measure a
// move, which makes neither.
func (s *Store) SetOffline(context.Context, string, game.Symbol, string, time.Time) (*game.Room, error) {
	return nil, store.ErrNeedsRead
}

func (s *Store) RecordRematch(context.Context, string, game.Symbol, string, time.Time) (*game.Room, error) {
	return nil, store.ErrNeedsRead
}
