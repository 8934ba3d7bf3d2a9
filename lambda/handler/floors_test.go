package handler_test

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"

	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// requestCounter is the DynamoDB client with every request counted by operation, as the
// benchmark counts them at the endpoint.
type requestCounter struct {
	next store.DynamoAPI
	mu   sync.Mutex
	ops  map[string]int
}

func (c *requestCounter) add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops == nil {
		c.ops = map[string]int{}
	}
	c.ops[op]++
}

// take returns the counts since the last take.
func (c *requestCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.ops
	c.ops = nil
	if out == nil {
		out = map[string]int{}
	}
	return out
}

func (c *requestCounter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.add("GetItem")
	return c.next.GetItem(ctx, in, o...)
}

func (c *requestCounter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.add("PutItem")
	return c.next.PutItem(ctx, in, o...)
}

func (c *requestCounter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.add("DeleteItem")
	return c.next.DeleteItem(ctx, in, o...)
}

func (c *requestCounter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.add("UpdateItem")
	return c.next.UpdateItem(ctx, in, o...)
}

func (c *requestCounter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.add("BatchGetItem")
	return c.next.BatchGetItem(ctx, in, o...)
}

type ops = map[string]int

// storedRoom reads room code from the table (uncounted) and says which seats show online.
func (e *env) storedRoom(code string) map[string]bool {
	e.t.Helper()
	out, err := e.table.Client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &e.table.Name,
		Key: map[string]types.AttributeValue{schema.PartitionKey: &types.AttributeValueMemberS{Value: "ROOM#" + code}}})
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := store.DecodeRoom(out.Item)
	if err != nil {
		e.t.Fatal(err)
	}
	online := map[string]bool{}
	for _, sym := range []game.Symbol{game.X, game.O} {
		if p := r.Player(sym); p != nil {
			online[string(sym)] = p.Online()
		}
	}
	return online
}

// floorEnv is two players connected as deployed behind the load generator's stack ($connect
// records each connection; no per-address counts), with DynamoDB requests counted.
func floorEnv(t *testing.T) (*env, *requestCounter) {
	t.Helper()
	c := &requestCounter{}
	e := newEnv(t, envOptions{requests: c, guard: &guard.Limits{Strikes: -1}})
	for _, id := range []string{"x", "o"} {
		if got := e.connectFrom(id, "203.0.113.9", nil); got != 200 {
			t.Fatalf("$connect %s: %d", id, got)
		}
	}
	if got := c.take(); !maps.Equal(got, ops{"PutItem": 2}) {
		t.Fatalf("two $connects made %v, want a PutItem each", got)
	}
	return e, c
}

// wantOps checks the requests since the last check, and that function (lambda/catalog) is
// granted each of them: a call the grant lacks fails only in a real account.
func wantOps(t *testing.T, phase, function string, c *requestCounter, want ops) {
	t.Helper()
	got := c.take()
	if !maps.Equal(got, want) {
		t.Errorf("%s made DynamoDB requests %v, want %v", phase, got, want)
	}
	wantGranted(t, phase, function, got)
}

func wantGranted(t *testing.T, phase, function string, got ops) {
	t.Helper()
	fn, _ := catalog.Lookup(function)
	for op := range got {
		if !slices.Contains(fn.Needs.TableActions, "dynamodb:"+op) {
			t.Errorf("%s calls %s, which the %s function is not granted (lambda/catalog)", phase, op, function)
		}
	}
}

var drawnGame = []int{0, 1, 2, 4, 7, 3, 5, 8, 6}

// Each phase of a game costs its floor in DynamoDB requests: the room's read and one write per
// change, and the connection's record written once with no read (docs/benchmarks.md).
func TestEachPhaseCostsItsFloor(t *testing.T) {
	e, c := floorEnv(t)
	code := e.create("x", "Ann")
	wantOps(t, "createRoom", catalog.FnGame, c, ops{"PutItem": 1, "UpdateItem": 1})
	e.send("o", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Bob"})
	wantOps(t, "joinRoom", catalog.FnGame, c, ops{"GetItem": 1, "PutItem": 1, "UpdateItem": 1})
	for i, cell := range drawnGame {
		e.move([]string{"x", "o"}[i%2], code, cell)
		wantOps(t, "a move", catalog.FnGame, c, ops{"GetItem": 1, "PutItem": 1})
	}
	if st := e.room("o")["status"]; st != "draw" {
		t.Fatalf("status %v after the drawn game", st)
	}
	e.send("x", map[string]any{"action": "rematch", "roomCode": code})
	wantOps(t, "the first rematch wish", catalog.FnGame, c, ops{"GetItem": 1, "UpdateItem": 1})
	e.send("o", map[string]any{"action": "rematch", "roomCode": code})
	wantOps(t, "the second rematch wish", catalog.FnGame, c, ops{"GetItem": 1, "PutItem": 1})
	if r := e.room("x"); r["status"] != "playing" || board(r) != "........." {
		t.Fatalf("after both wishes the room is %v %s, want a new game", r["status"], board(r))
	}
	e.disconnect("x")
	wantOps(t, "the first player leaving", catalog.FnDisconnect, c, ops{"UpdateItem": 2})
	if x := e.room("o")["players"].(map[string]any)["X"].(map[string]any); x["online"] != false {
		t.Fatalf("the opponent was not told the host went offline: %v", x)
	}
	e.disconnect("o")
	wantOps(t, "the second player leaving", catalog.FnDisconnect, c, ops{"UpdateItem": 2})
	for _, sym := range []string{"X", "O"} {
		if r := e.storedRoom(code); r[sym] {
			t.Errorf("seat %s still shows online after both left", sym)
		}
	}
}

// Both players leaving at once cost 3 requests each: the post that finds the other gone marks
// it offline with one conditional write, and that player's own $disconnect then finds nothing
// to do, with no read of the room and no retry.
func TestBothLeavingAtOnceCostsThreeEach(t *testing.T) {
	e, c := floorEnv(t)
	code := e.startGame()
	c.take()
	e.conns.SetGone("x")
	e.conns.SetGone("o")
	var wg sync.WaitGroup
	for _, id := range []string{"x", "o"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.disconnect(id)
		}()
	}
	wg.Wait()
	got := c.take()
	wantGranted(t, "both leaving at once", catalog.FnDisconnect, got)
	if n := got["UpdateItem"]; n > 6 || len(got) != 1 {
		t.Errorf("both leaving at once made %v, want at most 3 UpdateItems a player and nothing else", got)
	}
	for _, sym := range []string{"X", "O"} {
		if r := e.storedRoom(code); r[sym] {
			t.Errorf("seat %s still shows online after both left", sym)
		}
	}
}

// Both asking for a rematch at once (both read the room before either writes) costs 5: the
// two wishes commute, so neither is retried; the second to land starts the game.
func TestBothRematchingAtOnce(t *testing.T) {
	e, c := floorEnv(t)
	code := e.startGame()
	for i, cell := range drawnGame {
		e.move([]string{"x", "o"}[i%2], code, cell)
	}
	c.take()
	var mu sync.Mutex
	arrived, both := 0, make(chan struct{})
	gate := func(ctx context.Context, op string) {
		if op != "SaveRoom" {
			return
		}
		mu.Lock()
		arrived++
		n := arrived
		mu.Unlock()
		switch {
		case n == 2:
			close(both)
		case n == 1:
			<-both // the first write waits until the second request has read the room too
		}
	}
	e.store.gate.Store(&gate)
	var wg sync.WaitGroup
	for _, id := range []string{"x", "o"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.deliver(id, map[string]any{"action": "rematch", "roomCode": code}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	e.store.gate.Store(nil)
	wantOps(t, "both rematching at once", catalog.FnGame, c, ops{"GetItem": 2, "UpdateItem": 2, "PutItem": 1})
	r := e.newestRoom("x") // the two requests' posts race: the last frame may be the older one
	if r["status"] != "playing" || board(r) != "........." || r["version"].(float64) != 14 {
		t.Fatalf("after both wishes the room is %v %s version %v, want one new game (version 14: two wishes, one start)", r["status"], board(r), r["version"])
	}
	if n := e.metricCounts()["GamesStarted"]; n != 2 {
		t.Errorf("GamesStarted counted %d times, want 2 (the first game and the rematch)", n)
	}
}
