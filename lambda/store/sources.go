package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// Source is what one source address holds across its connections (lambda/guard keeps its
// ceilings): the connections it has open and the room misses it had this hour. It is kept
// under a pseudonymous key, never the address, and written only if unchanged since read.
type Source struct {
	Key string
	// Conns are its open connections: connection id → when it lapses on its own (API
	// Gateway's maximum connection duration after it opened), so a $disconnect that never
	// came frees its place anyway.
	Conns map[string]time.Time
	// Misses counts the room_not_found answers of the hour that starts at Hour.
	Misses int
	Hour   time.Time
	// Version of the stored item, 0 when there is none.
	Version int64
}

type sourceItem struct {
	PK        string           `dynamodbav:"pk"`
	Kind      string           `dynamodbav:"kind"`
	Conns     map[string]int64 `dynamodbav:"conns,omitempty"`
	Misses    int              `dynamodbav:"misses"`
	Hour      int64            `dynamodbav:"hour"`
	Version   int64            `dynamodbav:"version"`
	ExpiresAt int64            `dynamodbav:"expiresAt"`
}

// sourceKey is the source's item in this replica's Region: counts are per Region, and an item
// written in two Regions of a global table would lose one Region's writes.
func (s *DynamoStore) sourceKey(key string) string {
	if s.region != "" {
		return sourcePrefix + s.region + "#" + key
	}
	return sourcePrefix + key
}

const sourcePrefix = "SRC#"

// GetSource returns the source's item, or ErrNotFound.
func (s *DynamoStore) GetSource(ctx context.Context, key string) (Source, error) {
	item, err := s.get(ctx, s.sourceKey(key))
	if err != nil {
		return Source{}, err
	}
	if item == nil {
		return Source{}, ErrNotFound
	}
	var it sourceItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return Source{}, fmt.Errorf("decoding source %s: %w", key, err)
	}
	src := Source{Key: key, Conns: map[string]time.Time{}, Misses: it.Misses, Hour: time.Unix(it.Hour, 0).UTC(), Version: it.Version}
	for id, at := range it.Conns {
		src.Conns[id] = time.Unix(at, 0).UTC()
	}
	return src, nil
}

// PutSource writes src if the stored item is still at src.Version (0: there is none), else
// ErrConflict, and then advances src.Version. The item expires when its last connection lapses
// and its hour of misses is over, whichever is later.
func (s *DynamoStore) PutSource(ctx context.Context, src *Source) error {
	now := s.now()
	expires := src.Hour.Add(time.Hour)
	it := sourceItem{PK: s.sourceKey(src.Key), Kind: schema.KindSource, Misses: src.Misses, Hour: src.Hour.Unix(), Version: src.Version + 1}
	if len(src.Conns) > 0 {
		it.Conns = map[string]int64{}
	}
	for id, at := range src.Conns {
		it.Conns[id] = at.Unix()
		if at.After(expires) {
			expires = at
		}
	}
	it.ExpiresAt = expires.Unix()
	switch err := s.putVersioned(ctx, it, src.Version, now); {
	case errors.Is(err, ErrConflict):
		return err
	case err != nil:
		return fmt.Errorf("recording source %s: %w", src.Key, err)
	}
	src.Version++
	return nil
}
