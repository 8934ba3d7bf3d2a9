package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// Queue is the quick-match queue: the players waiting for a stranger, longest-waiting first.
// It is one item, written only if unchanged since read, so two matchers can never both take
// an entry. An entry is a hint, not a promise: the waiting connection's record (Queued, not
// Closed) is what says it still waits, and a matcher checks it before pairing.
type Queue struct {
	Entries []QueueEntry
	// Version of the stored item, 0 when there is none.
	Version int64
}

// QueueEntry is one waiting player.
type QueueEntry struct {
	ConnID string
	Name   string
	// Identity is the waiting player's, if they identified: their seat's, once paired.
	Identity game.Identity
	At       time.Time // when they asked
}

// QueueEntryTTL is how long an entry may wait: API Gateway's maximum connection duration, so
// an entry whose $disconnect was lost goes even if no matcher reaches it.
const QueueEntryTTL = 2 * time.Hour

// MaxQueueEntries bounds the queue's item (about 100 bytes an entry, against DynamoDB's 400 KB).
const MaxQueueEntries = 1000

const queuePK = "QUEUE#quick"

type queueItem struct {
	PK        string           `dynamodbav:"pk"`
	Kind      string           `dynamodbav:"kind"`
	Entries   []queueEntryItem `dynamodbav:"entries"`
	Version   int64            `dynamodbav:"version"`
	ExpiresAt int64            `dynamodbav:"expiresAt"`
}

type queueEntryItem struct {
	ConnID   string `dynamodbav:"connectionId"`
	Name     string `dynamodbav:"name"`
	PlayerID string `dynamodbav:"playerId,omitempty"`
	Rating   int    `dynamodbav:"rating,omitempty"`
	Rated    int    `dynamodbav:"rated,omitempty"`
	At       int64  `dynamodbav:"at"` // epoch milliseconds
}

// Live is the queue without the entries that waited past QueueEntryTTL at now.
func (q Queue) Live(now time.Time) []QueueEntry {
	var out []QueueEntry
	for _, e := range q.Entries {
		if now.Sub(e.At) < QueueEntryTTL {
			out = append(out, e)
		}
	}
	return out
}

// GetQueue reads the queue; a missing (or expired) item is an empty queue at version 0.
func (s *DynamoStore) GetQueue(ctx context.Context) (Queue, error) {
	item, err := s.get(ctx, queuePK)
	if err != nil || item == nil {
		return Queue{}, err
	}
	var it queueItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return Queue{}, fmt.Errorf("decoding the quick-match queue: %w", err)
	}
	q := Queue{Version: it.Version}
	for _, e := range it.Entries {
		q.Entries = append(q.Entries, QueueEntry{ConnID: e.ConnID, Name: e.Name, At: time.UnixMilli(e.At).UTC(),
			Identity: game.Identity{ID: e.PlayerID, Rating: e.Rating, Rated: e.Rated}})
	}
	return q, nil
}

// PutQueue writes q if the stored queue is still at q.Version (0: none), else ErrConflict,
// and then advances q.Version. The item expires with its newest entry.
func (s *DynamoStore) PutQueue(ctx context.Context, q *Queue) error {
	now := s.now()
	it := queueItem{PK: queuePK, Kind: schema.KindQueue, Entries: []queueEntryItem{}, Version: q.Version + 1, ExpiresAt: now.Add(QueueEntryTTL).Unix()}
	for _, e := range q.Entries {
		it.Entries = append(it.Entries, queueEntryItem{ConnID: e.ConnID, Name: e.Name, At: e.At.UnixMilli(),
			PlayerID: e.Identity.ID, Rating: e.Identity.Rating, Rated: e.Identity.Rated})
	}
	switch err := s.putVersioned(ctx, it, q.Version, now); {
	case errors.Is(err, ErrConflict):
		return err
	case err != nil:
		return fmt.Errorf("writing the quick-match queue: %w", err)
	}
	q.Version++
	return nil
}
