package store

import (
	"context"
	"fmt"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

const markerPrefix = "DONE#"

type markerItem struct {
	PK        string `dynamodbav:"pk"`
	Kind      string `dynamodbav:"kind"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// Done reports whether MarkDone was called for id and has not expired. Stream records are
// delivered at least once; a handler checks Done before acting and calls MarkDone after, so a
// redelivered record is not acted on twice.
func (s *DynamoStore) Done(ctx context.Context, id string) (bool, error) {
	item, err := s.get(ctx, markerPrefix+id)
	if err != nil {
		return false, err
	}
	return item != nil, nil
}

// MarkDone records that the work identified by id was done; the record lives for keep.
func (s *DynamoStore) MarkDone(ctx context.Context, id string, keep time.Duration) error {
	it := markerItem{PK: markerPrefix + id, Kind: schema.KindMarker, ExpiresAt: s.now().Add(keep).Unix()}
	if err := s.put(ctx, it, "", nil); err != nil {
		return fmt.Errorf("marking %s done: %w", id, err)
	}
	return nil
}
