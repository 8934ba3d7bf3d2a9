package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// ChatKeep is how many of a room's chat messages are kept for whoever rejoins, watches or
// reloads: the last ones, in a ring of that many items of their own, so a room's chat never
// occupies more (docs/benchmarks.md).
const ChatKeep = 50

// ChatMessage is one kept chat message.
type ChatMessage struct {
	Seq    int64 // its number in the series (set by the store)
	From   string
	Symbol string
	Text   string
	At     time.Time
}

// The chat of room code lives outside the room item (a move never reads or writes it):
// CHAT#<code> counts the room's messages, and CHAT#<code>#<n mod ChatKeep> holds message n.
// Each names the room's creation time, so a later room with the same code never shows an
// earlier one's chat. Both expire as the room does after its last change.
func chatCounterKey(code string) string { return "CHAT#" + code }
func chatSlotKey(code string, n int64) string {
	return "CHAT#" + code + "#" + strconv.FormatInt(n%ChatKeep, 10)
}

type chatItem struct {
	PK        string `dynamodbav:"pk"`
	Kind      string `dynamodbav:"kind"`
	Born      int64  `dynamodbav:"born"` // the room's CreatedAt, epoch ms
	Seq       int64  `dynamodbav:"seq"`
	From      string `dynamodbav:"from"`
	Symbol    string `dynamodbav:"symbol"`
	Text      string `dynamodbav:"text"`
	At        int64  `dynamodbav:"at"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// AppendChat keeps m as the latest message of the series that began at born (the room's
// Series) and returns its number: one counter update and one write, whatever the number of
// messages before it.
func (s *DynamoStore) AppendChat(ctx context.Context, code string, born time.Time, m ChatMessage) (int64, error) {
	expires := epoch(s.now().Add(s.expiry.Room))
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &s.table,
		Key:              keyOf(chatCounterKey(code)),
		UpdateExpression: aws.String("SET #kind = :kind, #exp = :exp ADD seq :one"),
		ExpressionAttributeNames: map[string]string{
			"#kind": schema.KindAttribute, "#exp": schema.TTLAttribute,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":  &types.AttributeValueMemberN{Value: "1"},
			":kind": &types.AttributeValueMemberS{Value: schema.KindChat},
			":exp":  expires,
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, fmt.Errorf("counting a chat message of room %s: %w", code, err)
	}
	var counted struct {
		Seq int64 `dynamodbav:"seq"`
	}
	if err := attributevalue.UnmarshalMap(out.Attributes, &counted); err != nil || counted.Seq < 1 {
		return 0, fmt.Errorf("counting a chat message of room %s: the counter reads %v (%v)", code, out.Attributes["seq"], err)
	}
	it := chatItem{
		PK: chatSlotKey(code, counted.Seq), Kind: schema.KindChat, Born: born.UnixMilli(), Seq: counted.Seq,
		From: m.From, Symbol: m.Symbol, Text: m.Text, At: m.At.UnixMilli(),
		ExpiresAt: s.now().Add(s.expiry.Room).Unix(),
	}
	// A write delayed past a newer one of the same slot must not replace it.
	err = s.put(ctx, it, "attribute_not_exists(pk) OR seq < :seq OR born <> :born", map[string]types.AttributeValue{
		":seq": &types.AttributeValueMemberN{Value: strconv.FormatInt(counted.Seq, 10)}, ":born": &types.AttributeValueMemberN{Value: strconv.FormatInt(it.Born, 10)},
	})
	switch {
	case isConditionFailed(err):
		return counted.Seq, nil // a newer message holds the slot: this one has left the kept 50 already
	case err != nil:
		return 0, fmt.Errorf("keeping chat message %d of room %s: %w", counted.Seq, code, err)
	}
	return counted.Seq, nil
}

// ChatHistory is the room's kept messages, oldest first: the counter, then the slots it
// names in one batch read.
func (s *DynamoStore) ChatHistory(ctx context.Context, code string, born time.Time) ([]ChatMessage, error) {
	// Strongly consistent, both: a reload right after a message must find it.
	counter, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: keyOf(chatCounterKey(code)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("reading the chat counter of room %s: %w", code, err)
	}
	var c struct {
		Seq       int64 `dynamodbav:"seq"`
		ExpiresAt int64 `dynamodbav:"expiresAt"`
	}
	if err := attributevalue.UnmarshalMap(counter.Item, &c); err != nil {
		return nil, fmt.Errorf("decoding the chat counter of room %s: %w", code, err)
	}
	if c.Seq == 0 || time.Unix(c.ExpiresAt, 0).Before(s.now()) {
		return nil, nil
	}
	first := max(1, c.Seq-ChatKeep+1)
	var keys []map[string]types.AttributeValue
	for n := first; n <= c.Seq; n++ {
		keys = append(keys, keyOf(chatSlotKey(code, n)))
	}
	items, err := s.batchGet(ctx, keys, true)
	if err != nil {
		return nil, fmt.Errorf("reading the chat of room %s: %w", code, err)
	}
	var msgs []chatItem
	for _, raw := range items {
		var it chatItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, fmt.Errorf("decoding a chat message of room %s: %w", code, err)
		}
		// A slot may hold an older room's message, or one a later write is about to replace.
		if it.Born != born.UnixMilli() || it.Seq < first || it.Seq > c.Seq || time.Unix(it.ExpiresAt, 0).Before(s.now()) {
			continue
		}
		msgs = append(msgs, it)
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].Seq < msgs[j].Seq })
	out := make([]ChatMessage, len(msgs))
	for i, it := range msgs {
		out[i] = ChatMessage{Seq: it.Seq, From: it.From, Symbol: it.Symbol, Text: it.Text, At: time.UnixMilli(it.At)}
	}
	return out, nil
}

// batchGet reads keys with BatchGetItem, 100 a call, asking again (after a growing pause) for
// what DynamoDB leaves unprocessed, at most maxBatchAttempts times a call; consistent asks for
// strongly consistent reads. Absent items are left out; expired ones are not (the callers know
// their items' expiry).
func (s *DynamoStore) batchGet(ctx context.Context, keys []map[string]types.AttributeValue, consistent bool) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for start := 0; start < len(keys); start += 100 {
		request := map[string]types.KeysAndAttributes{s.table: {Keys: keys[start:min(start+100, len(keys))], ConsistentRead: aws.Bool(consistent)}}
		for attempt := 1; len(request) > 0; attempt++ {
			if attempt > maxBatchAttempts {
				return nil, fmt.Errorf("keys still unprocessed after %d attempts", maxBatchAttempts)
			}
			out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: request})
			if err != nil {
				return nil, err
			}
			items = append(items, out.Responses[s.table]...)
			request = out.UnprocessedKeys
			if len(request) > 0 {
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-time.After(time.Duration(attempt*10) * time.Millisecond):
				}
			}
		}
	}
	return items, nil
}

// maxBatchAttempts bounds the retries of keys DynamoDB leaves unprocessed.
const maxBatchAttempts = 5
