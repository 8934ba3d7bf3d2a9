package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// Source is what one source address has been charged for what its connections did wrong
// (lambda/guard keeps the ceilings): strikes by the minute they were charged in, and the
// connections already charged for being closed. It holds no connection list, so a lost
// $disconnect leaves nothing behind; it is kept under a keyed hash of the address, never the
// address, and written only if unchanged since read.
type Source struct {
	Key string
	// Strikes: the start of a minute → the strikes charged in it.
	Strikes map[time.Time]int
	// Closed: a connection charged for being closed → the minute of the charge, so a close is
	// charged once however many of its frames arrive before it lands.
	Closed map[string]time.Time
	// Version of the stored item, 0 when there is none.
	Version int64
}

type sourceItem struct {
	PK        string           `dynamodbav:"pk"`
	Kind      string           `dynamodbav:"kind"`
	Strikes   map[string]int   `dynamodbav:"strikes,omitempty"`
	Closed    map[string]int64 `dynamodbav:"closed,omitempty"`
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
	src := Source{Key: key, Strikes: map[time.Time]int{}, Closed: map[string]time.Time{}, Version: it.Version}
	for m, n := range it.Strikes {
		sec, err := strconv.ParseInt(m, 10, 64)
		if err != nil {
			return Source{}, fmt.Errorf("decoding source %s: minute %q: %w", key, m, err)
		}
		src.Strikes[time.Unix(sec, 0).UTC()] = n
	}
	for id, at := range it.Closed {
		src.Closed[id] = time.Unix(at, 0).UTC()
	}
	return src, nil
}

// PutSource writes src if the stored item is still at src.Version (0: there is none), else
// ErrConflict, and then advances src.Version. The item expires keep after its last charge.
func (s *DynamoStore) PutSource(ctx context.Context, src *Source, keep time.Duration) error {
	now := s.now()
	it := sourceItem{PK: s.sourceKey(src.Key), Kind: schema.KindSource, Version: src.Version + 1}
	last := now
	if len(src.Strikes) > 0 {
		it.Strikes = map[string]int{}
	}
	for m, n := range src.Strikes {
		it.Strikes[strconv.FormatInt(m.Unix(), 10)] = n
		if m.After(last) {
			last = m
		}
	}
	if len(src.Closed) > 0 {
		it.Closed = map[string]int64{}
	}
	for id, at := range src.Closed {
		it.Closed[id] = at.Unix()
	}
	it.ExpiresAt = last.Add(keep).Unix()
	switch err := s.putVersioned(ctx, it, src.Version, now); {
	case errors.Is(err, ErrConflict):
		return err
	case err != nil:
		return fmt.Errorf("recording source %s: %w", src.Key, err)
	}
	src.Version++
	return nil
}

// SourceFrames is what one source's connections sent together in one window: Frames, from
// Conns of its connections.
type SourceFrames struct {
	Frames, Conns int
}

// ChargeSourceFrame counts one frame of the source key in the window that starts at window
// (epoch seconds), first when it is its connection's first there, and returns the window's
// counts so far, across every container: one atomic write to an item of the window's own,
// which expires keep after the window starts (no read, and nothing to drop: a later window is
// another item).
func (s *DynamoStore) ChargeSourceFrame(ctx context.Context, key string, window int64, first bool, keep time.Duration) (SourceFrames, error) {
	conns := int64(0)
	if first {
		conns = 1
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: keyOf(s.sourceKey(key) + "#" + strconv.FormatInt(window, 10)),
		UpdateExpression:         aws.String("ADD #n :one, #c :conns SET #kind = :kind, #exp = :exp"),
		ExpressionAttributeNames: map[string]string{"#n": "frames", "#c": "conns", "#kind": schema.KindAttribute, "#exp": schema.TTLAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": num(1), ":conns": num(conns), ":kind": &types.AttributeValueMemberS{Value: schema.KindSourceFrames},
			":exp": num(time.Unix(window, 0).Add(keep).Unix()),
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return SourceFrames{}, fmt.Errorf("counting a frame of source %s: %w", key, err)
	}
	var got struct {
		Frames int `dynamodbav:"frames"`
		Conns  int `dynamodbav:"conns"`
	}
	if err := attributevalue.UnmarshalMap(out.Attributes, &got); err != nil {
		return SourceFrames{}, fmt.Errorf("decoding source %s's frame count: %w", key, err)
	}
	return SourceFrames{Frames: got.Frames, Conns: got.Conns}, nil
}
