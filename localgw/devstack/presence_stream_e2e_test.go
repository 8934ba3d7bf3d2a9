package devstack_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence/mapping"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
	"github.com/serverless-tictactoe/tictactoe/localgw/devstack/devstacktest"
	"github.com/serverless-tictactoe/tictactoe/localgw/stream"
)

// flakyPublisher records what each Region publishes and fails every third first attempt, so
// that the mapping's retries are part of the run.
type flakyPublisher struct {
	mu       sync.Mutex
	region   string
	attempts map[string]int
	calls    int
	out      *[]published
}

type published struct {
	region string
	event  presence.Event
}

func (p *flakyPublisher) Publish(_ context.Context, e presence.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	k := e.Source + "#" + string(e.Type) + "#" + e.Symbol
	p.attempts[k]++
	if p.calls%3 == 0 && p.attempts[k] == 1 {
		return fmt.Errorf("%s: SNS is slow today", p.region)
	}
	*p.out = append(*p.out, published{p.region, e})
	return nil
}

// homeOf is the Region whose stream publishes a record: its room's home, the primary for a
// room homed nowhere.
func homeOf(rec events.DynamoDBEventRecord, primary string) string {
	img := rec.Change.NewImage
	if rec.EventName == "REMOVE" {
		img = rec.Change.OldImage
	}
	if h, ok := img[schema.HomeAttribute]; ok {
		return h.String()
	}
	return primary
}

// Presence through the stream, in two Regions: the local table's changes are recorded as a
// global table's replicas would stream them (each Region its copy, with event IDs of its own),
// and each Region's presence function is driven through the event source mapping's filter,
// batching and retry rules, with a publisher that fails now and then. Rooms are homed in both
// Regions and played across them; one Region fails and its room is taken over. Every event of
// every change is published exactly once, by the room's home at the time, none twice (a
// doubled event would be a second Region publishing it) and none lost, the failed Region's
// last ones included.
func TestTwoRegionsPresenceThroughTheStream(t *testing.T) {
	st := devstacktest.Start(t, devstacktest.Options{Regions: 2, RecordStream: true, Env: map[string]string{"GRACE_PERIOD": "30s"}})
	one, two := st.Regions[0], st.Regions[1]

	// A room homed in local-1, its guest in local-2: join, a move, a drop, a rejoin, the
	// host leaving.
	ann := connectTo(t, st, one.WebSocketURL, "Ann")
	ann.send(map[string]any{"action": "createRoom", "name": "Ann"})
	code1 := ann.room("Ann's room", func(f frame) bool { return f.Room.Status == "waiting" }).Room.Code
	bob := connectTo(t, st, two.WebSocketURL, "Bob")
	bob.send(map[string]any{"action": "joinRoom", "roomCode": code1, "name": "Bob"})
	bobToken := bob.room("the game", func(f frame) bool { return f.Room.Status == "playing" && f.You != nil }).You.Token
	ann.room("Bob in", func(f frame) bool { return f.Room.Status == "playing" })
	move(code1, 4, ann, ann, bob)
	bob.ws.CloseNow()
	ann.room("Bob offline", func(f frame) bool { return f.Room.Players["O"] != nil && !f.Room.Players["O"].Online })
	bob = connectTo(t, st, two.WebSocketURL, "Bob again")
	bob.send(map[string]any{"action": "rejoin", "roomCode": code1, "token": bobToken})
	bob.room("his seat back", func(f frame) bool { return f.You != nil && f.You.Symbol == "O" })
	ann.send(map[string]any{"action": "leaveRoom", "roomCode": code1})
	bob.room("the host gone", func(f frame) bool { return f.Room.Status == "abandoned" })

	// A room homed in local-2, its guest in local-1.
	cat := connectTo(t, st, two.WebSocketURL, "Cat")
	cat.send(map[string]any{"action": "createRoom", "name": "Cat"})
	code2 := cat.room("Cat's room", func(f frame) bool { return f.Room.Status == "waiting" }).Room.Code
	dan := connectTo(t, st, one.WebSocketURL, "Dan")
	dan.send(map[string]any{"action": "joinRoom", "roomCode": code2, "name": "Dan"})
	dan.room("the game", func(f frame) bool { return f.Room.Status == "playing" })

	// local-2 fails: its stream and its presence function with it. Dan leaves the room,
	// which local-1 takes over: that change is local-1's to publish.
	lastOfTwo := len(st.Stream.Changes())
	if err := st.Kill(context.Background(), "local-2"); err != nil {
		t.Fatal(err)
	}
	dan.send(map[string]any{"action": "leaveRoom", "roomCode": code2})
	for f := dan.next(false); f.Type != "left"; f = dan.next(false) { // the answer, sent after the write
	}

	primary := one.Name
	var out []published
	retried := 0 // invocations beyond one per batch
	done := store.NewDynamoStore(dynalitetest.Client(st.DynamoDBEndpoint), st.TableName, time.Now, store.Expiry{Room: time.Hour})
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	for _, r := range []string{one.Name, two.Name} {
		records := st.Stream.Records(r)
		if r == two.Name {
			records = records[:lastOfTwo] // what its function read before the Region failed
		}
		pub := &flakyPublisher{region: r, attempts: map[string]int{}, out: &out}
		m := stream.Mapping{
			Filters: mapping.Filters(r, r == primary), BatchSize: mapping.BatchSize, RetryAttempts: mapping.RetryAttempts,
			Invoke: presence.NewHandler(pub, done, log.With("region", r)).Handle,
		}
		res, err := m.Run(context.Background(), records)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.DeadLetters) > 0 || res.Delivered == 0 {
			t.Errorf("%s: %d delivered, dead letters %v: want some, none dead", r, res.Delivered, res.DeadLetters)
		}
		retried += res.Invocations - (res.Delivered+mapping.BatchSize-1)/mapping.BatchSize
		t.Logf("%s: %d records, %d delivered, %d invocations", r, len(records), res.Delivered, res.Invocations)
	}

	if retried == 0 {
		t.Error("no batch was retried: the flaky publisher did not fail, so the retries went untested")
	}

	// What every change means, derived once from the table's own history.
	want := map[string]string{} // change#type#symbol → the Region that must publish it
	for _, rec := range st.Stream.Records("any") {
		evs, err := presence.FromRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			want[strings.TrimPrefix(rec.EventID, "any-")+"#"+string(e.Type)+"#"+e.Symbol] = homeOf(rec, primary)
		}
	}
	got := map[string][]string{}
	for _, p := range out {
		change := p.event.Source[strings.LastIndex(p.event.Source, "-")+1:]
		got[change+"#"+string(p.event.Type)+"#"+p.event.Symbol] = append(got[change+"#"+string(p.event.Type)+"#"+p.event.Symbol], p.region)
	}
	types := map[string]bool{}
	for k, region := range want {
		if len(got[k]) != 1 || got[k][0] != region {
			t.Errorf("event %s: published by %v, want once by %s", k, got[k], region)
		}
		types[strings.Split(k, "#")[1]] = true
	}
	for k, regions := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("event %s published by %v, which no change means", k, regions)
		}
	}
	for _, typ := range []string{"player_online", "player_offline", "room_abandoned", "player_left"} {
		if !types[typ] {
			t.Errorf("the run had no %s event: the test plays less than it says", typ)
		}
	}
	byRegion := map[string]int{}
	for _, p := range out {
		byRegion[p.region]++
	}
	if byRegion[one.Name] == 0 || byRegion[two.Name] == 0 {
		t.Errorf("events by Region %v: both Regions' rooms should publish", byRegion)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
