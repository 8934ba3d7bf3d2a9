package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/region"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

var twoRegions = []string{"local-1", "local-2"}

// replicas are two "replicas" as separate tables with no replication between them: whatever a
// Region writes outside the item's home shows up where it should not be.
type replicas struct {
	tables map[string]dynalitetest.Table
	clock  *clock
}

func newReplicas(t *testing.T) replicas {
	return replicas{tables: map[string]dynalitetest.Table{"local-1": dynalitetest.New(t), "local-2": dynalitetest.New(t)}, clock: newClock(t0)}
}

// regional is the store of the functions of Region local; down lists Regions whose replica
// does not answer.
func (rs replicas) regional(t *testing.T, local string, down ...string) *store.Regional {
	t.Helper()
	reps := map[string]*store.DynamoStore{}
	for _, r := range twoRegions {
		tb := rs.tables[r]
		var db store.DynamoAPI = tb.Client
		for _, d := range down {
			if d == r {
				db = dynalitetest.Client("http://127.0.0.1:1") // nothing listens there
			}
		}
		reps[r] = store.NewDynamoStore(db, tb.Name, rs.clock.now, store.Expiry{Room: config.DefaultRoomTTL})
	}
	s, err := store.NewRegional(&store.Regional{Local: local, Regions: twoRegions, Replicas: reps, Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// codeHomedIn is a room code region.HomeOf puts in r.
func codeHomedIn(r string) string {
	for i := 0; ; i++ {
		if code := fmt.Sprintf("R%05d", i); region.HomeOf(code, twoRegions) == r {
			return code
		}
	}
}

func (rs replicas) has(t *testing.T, r, code string) (int64, string, bool) {
	t.Helper()
	tb := rs.tables[r]
	out, err := tb.Client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &tb.Name, Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ROOM#" + code}}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return 0, "", false
	}
	var v struct {
		Version int64  `dynamodbav:"version"`
		Home    string `dynamodbav:"home"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &v); err != nil {
		t.Fatal(err)
	}
	return v.Version, v.Home, true
}

// A room lives at its home: created in Region 1, it is read and written there by Region 2's
// functions too, and Region 2's replica is never written.
func TestRegionalRoomsAreWrittenAtHome(t *testing.T) {
	rs := newReplicas(t)
	one, two := rs.regional(t, "local-1"), rs.regional(t, "local-2")
	code := codeHomedIn("local-1")
	r := game.NewRoom(code, game.Seat{Name: "Ann", TokenHash: "h", ConnID: "local-1~a"}, t0)
	if err := one.CreateRoom(ctx(t), r); err != nil {
		t.Fatal(err)
	}
	got, err := two.GetRoom(ctx(t), code)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Join(game.Seat{Name: "Bob", TokenHash: "h2", ConnID: "local-2~b"}, t0); err != nil {
		t.Fatal(err)
	}
	if err := two.SaveRoom(ctx(t), got); err != nil {
		t.Fatalf("Region 2 saving a room homed in Region 1: %v", err)
	}
	if v, home, ok := rs.has(t, "local-1", code); !ok || v != 2 || home != "local-1" {
		t.Fatalf("Region 1's replica: version %d home %q present %v, want 2 at local-1", v, home, ok)
	}
	if _, _, ok := rs.has(t, "local-2", code); ok {
		t.Fatal("Region 2 wrote the room on its own replica")
	}
	// A stale writer loses, whichever Region it writes from.
	stale, _ := one.GetRoom(ctx(t), code)
	stale.Version = 1
	if err := one.SaveRoom(ctx(t), stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a stale write: %v, want ErrConflict", err)
	}
}

// Region 1 stops answering. Until it is marked failed, Region 2 does not touch its rooms (a
// request that cannot reach the home fails, and is retried): one slow call must not put a
// room in two Regions. Once marked, Region 2 reads the room from its own replica (as
// replication left it) and its next write takes the room over, conditioned on the old home;
// from then on the room is homed in Region 2 for everyone who can reach it.
func TestRegionalTakeoverWhenTheHomeFails(t *testing.T) {
	rs := newReplicas(t)
	code := codeHomedIn("local-1")
	r := game.NewRoom(code, game.Seat{Name: "Ann", TokenHash: "h", ConnID: "local-1~a"}, t0)
	if err := rs.regional(t, "local-1").CreateRoom(ctx(t), r); err != nil {
		t.Fatal(err)
	}
	// What replication had copied to Region 2 before the outage.
	copyItem(t, rs, "local-1", "local-2", code)

	if _, err := rs.regional(t, "local-2", "local-1").GetRoom(ctx(t), code); err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Fatalf("an unreachable home not marked failed: %v, want the request to fail", err)
	}
	if v, home, _ := rs.has(t, "local-2", code); v != 1 || home != "local-1" {
		t.Fatalf("Region 2's copy changed without a mark: version %d home %q", v, home)
	}
	local2 := store.NewDynamoStore(rs.tables["local-2"].Client, rs.tables["local-2"].Name, rs.clock.now, store.Expiry{Room: config.DefaultRoomTTL})
	if err := local2.MarkRegion(ctx(t), "local-1", true); err != nil {
		t.Fatal(err)
	}

	two := rs.regional(t, "local-2", "local-1")
	got, err := two.GetRoom(ctx(t), code)
	if err != nil {
		t.Fatalf("reading a room whose home is down: %v", err)
	}
	if err := got.Join(game.Seat{Name: "Bob", TokenHash: "h2", ConnID: "local-2~b"}, t0); err != nil {
		t.Fatal(err)
	}
	if err := two.SaveRoom(ctx(t), got); err != nil {
		t.Fatalf("taking over: %v", err)
	}
	if v, home, _ := rs.has(t, "local-2", code); v != 2 || home != "local-2" {
		t.Fatalf("Region 2's replica after the takeover: version %d home %q", v, home)
	}
	// A fresh function of Region 2 (no memory of the takeover) finds it at home there.
	again, err := rs.regional(t, "local-2", "local-1").GetRoom(ctx(t), code)
	if err != nil || again.O == nil {
		t.Fatalf("after the takeover: %+v, %v", again, err)
	}
}

// Racing writers in both Regions on one room: exactly one wins each version, as in one Region.
func TestRegionalRacingWritersOneWins(t *testing.T) {
	rs := newReplicas(t)
	stores := []*store.Regional{rs.regional(t, "local-1"), rs.regional(t, "local-2")}
	code := codeHomedIn("local-2")
	if err := stores[1].CreateRoom(ctx(t), game.NewRoom(code, game.Seat{Name: "Ann", TokenHash: "h", ConnID: "local-2~a"}, t0)); err != nil {
		t.Fatal(err)
	}
	const rounds = 50
	for round := range rounds {
		var wg sync.WaitGroup
		wins := make(chan int, 2)
		for i, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := s.GetRoom(ctx(t), code)
				if err != nil {
					t.Error(err)
					return
				}
				r.Score.Draws++
				if err := s.SaveRoom(ctx(t), r); err == nil {
					wins <- i
				} else if !errors.Is(err, store.ErrConflict) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		close(wins)
		if n := len(wins); n == 0 || n > 2 {
			t.Fatalf("round %d: %d writers won", round, n)
		}
	}
	r, err := stores[0].GetRoom(ctx(t), code)
	if err != nil {
		t.Fatal(err)
	}
	if int64(r.Score.Draws)+1 != r.Version {
		t.Fatalf("%d increments landed over %d versions: an update was lost", r.Score.Draws, r.Version-1)
	}
	if _, _, ok := rs.has(t, "local-1", code); ok {
		t.Fatal("Region 1 wrote a room homed in Region 2 on its own replica")
	}
}

// copyItem copies a room item between replicas, as replication would.
func copyItem(t *testing.T, rs replicas, from, to, code string) {
	t.Helper()
	src, dst := rs.tables[from], rs.tables[to]
	out, err := src.Client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &src.Name, Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ROOM#" + code}}})
	if err != nil || out.Item == nil {
		t.Fatalf("reading %s from %s: %v", code, from, err)
	}
	if _, err := dst.Client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &dst.Name, Item: out.Item}); err != nil {
		t.Fatal(err)
	}
}
