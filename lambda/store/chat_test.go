package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// counting counts the store's calls by operation.
type counting struct {
	store.DynamoAPI
	mu    sync.Mutex
	calls map[string]int
}

func (c *counting) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
}

func (c *counting) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = map[string]int{}
	return out
}

func (c *counting) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.count("GetItem")
	return c.DynamoAPI.GetItem(ctx, in, o...)
}

func (c *counting) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.count("PutItem")
	return c.DynamoAPI.PutItem(ctx, in, o...)
}

func (c *counting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.count("UpdateItem")
	return c.DynamoAPI.UpdateItem(ctx, in, o...)
}

func (c *counting) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.count("BatchGetItem")
	return c.DynamoAPI.BatchGetItem(ctx, in, o...)
}

// A room's chat is a ring of store.ChatKeep items beside a counter: a message costs one counter
// update and one write, a history one counter read and one batch read, whatever the room has
// said before; a room made later under the same code sees none of an earlier one's.
func TestChatRingCostAndBound(t *testing.T) {
	tb := dynalitetest.New(t)
	db := &counting{DynamoAPI: tb.Client, calls: map[string]int{}}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	s := store.NewDynamoStore(db, tb.Name, func() time.Time { return now }, store.Expiry{Room: config.DefaultRoomTTL})
	ctx := context.Background()
	born := now.Add(-time.Minute)
	const sent = store.ChatKeep*2 + 3
	for i := 1; i <= sent; i++ {
		if seq, err := s.AppendChat(ctx, "K7M2QX", born, store.ChatMessage{From: "Ann", Symbol: "X", Text: fmt.Sprintf("m%d", i), At: now}); err != nil || seq != int64(i) {
			t.Fatal(err)
		}
		if got := db.take(); got["UpdateItem"] != 1 || got["PutItem"] != 1 || len(got) != 2 {
			t.Fatalf("message %d cost %v, want one UpdateItem and one PutItem", i, got)
		}
	}
	msgs, err := s.ChatHistory(ctx, "K7M2QX", born)
	if err != nil {
		t.Fatal(err)
	}
	if got := db.take(); got["GetItem"] != 1 || got["BatchGetItem"] != 1 || len(got) != 2 {
		t.Errorf("a history cost %v, want one GetItem and one BatchGetItem", got)
	}
	if len(msgs) != store.ChatKeep || msgs[0].Text != fmt.Sprintf("m%d", sent-store.ChatKeep+1) || msgs[len(msgs)-1].Text != fmt.Sprintf("m%d", sent) {
		t.Fatalf("history of %d from %v to %v", len(msgs), msgs[0], msgs[len(msgs)-1])
	}
	// The bound: the counter and ChatKeep slots, however much was said.
	out, err := tb.Client.Scan(ctx, &dynamodb.ScanInput{TableName: &tb.Name})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.Items); n != store.ChatKeep+1 {
		t.Errorf("%d items after %d messages, want %d", n, sent, store.ChatKeep+1)
	}
	if later, err := s.ChatHistory(ctx, "K7M2QX", born.Add(time.Hour)); err != nil || len(later) != 0 {
		t.Errorf("a later room with the code: %d messages (%v)", len(later), err)
	}
	if none, err := s.ChatHistory(ctx, "ZZZZZZ", born); err != nil || len(none) != 0 {
		t.Errorf("a room with no chat: %v (%v)", none, err)
	}
}
