package presence_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence/eventtype"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence/snspub"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

var update = flag.Bool("update", false, "rewrite testdata/stream-events.json from the store's real items")

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

const fixture = "testdata/stream-events.json"

// TestFixturesMatchTheStore rebuilds the stream fixtures from items the store really writes to
// dynalite and compares them with the committed ones: a change to the item layout that the
// presence pipeline would misread fails here (go test -update rewrites them on purpose).
func TestFixturesMatchTheStore(t *testing.T) {
	got := buildFixtures(t)
	if *update {
		if err := os.WriteFile(fixture, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatalf("%v (run go test ./lambda/presence -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the store's items no longer match %s: if the change is intended, run go test ./lambda/presence -run Fixtures -update and review the diff", fixture)
	}
}

// buildFixtures plays a room through its life with the real store and records, for each write,
// the stream record DynamoDB would emit (NEW_AND_OLD_IMAGES).
func buildFixtures(t *testing.T) []byte {
	tb := dynalitetest.New(t)
	now := t0
	s := store.NewDynamoStore(tb.Client, tb.Name, func() time.Time { return now }, store.Expiry{Room: config.DefaultRoomTTL})
	ctx := context.Background()
	var recs []events.DynamoDBEventRecord
	var prev map[string]ddbtypes.AttributeValue
	seq := 100
	record := func(name string, removedByTTL bool) {
		t.Helper()
		out, err := tb.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &tb.Name, ConsistentRead: aws.Bool(true),
			Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "ROOM#K7M2QX"}}})
		if err != nil {
			t.Fatal(err)
		}
		seq++
		rec := events.DynamoDBEventRecord{
			AWSRegion: "eu-west-1", EventID: fmt.Sprintf("ev-%d", seq), EventName: name, EventSource: "aws:dynamodb", EventVersion: "1.1",
			EventSourceArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/game/stream/2026-11-22T00:00:00.000",
			Change: events.DynamoDBStreamRecord{
				ApproximateCreationDateTime: events.SecondsEpochTime{Time: now},
				Keys:                        map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute("ROOM#K7M2QX")},
				SequenceNumber:              fmt.Sprintf("%021d", seq), SizeBytes: 512, StreamViewType: "NEW_AND_OLD_IMAGES",
				OldImage: streamImage(t, prev), NewImage: streamImage(t, out.Item),
			},
		}
		if removedByTTL {
			rec.UserIdentity = &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}
		}
		recs = append(recs, rec)
		prev = out.Item
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	r := game.NewRoom("K7M2QX", game.Seat{Name: "Ann", TokenHash: game.HashToken("tx"), ConnID: "cx"}, now)
	must(s.CreateRoom(ctx, r))
	record("INSERT", false)
	steps := []func(r *game.Room){
		func(r *game.Room) {
			must(r.Join(game.Seat{Name: "Bob", TokenHash: game.HashToken("to"), ConnID: "co"}, now))
		},
		func(r *game.Room) { must(r.Move("cx", 4, now)) },
		func(r *game.Room) { r.Disconnect("co", now) },
		func(r *game.Room) { _, _, err := r.Rejoin(game.HashToken("to"), "co2", now); must(err) },
		func(r *game.Room) { must(r.Leave("cx", now)) },
	}
	for _, step := range steps {
		now = now.Add(time.Second)
		r, err := s.GetRoom(ctx, "K7M2QX")
		must(err)
		step(r)
		must(s.SaveRoom(ctx, r))
		record("MODIFY", false)
	}
	// Deleted by the players (both gone), then the same room deleted by TTL.
	del := recs[len(recs)-1]
	del.EventID, del.EventName = "ev-remove", "REMOVE"
	del.Change.OldImage, del.Change.NewImage = del.Change.NewImage, nil
	del.Change.SequenceNumber = fmt.Sprintf("%021d", 200)
	ttl := del
	ttl.EventID, ttl.Change.SequenceNumber = "ev-ttl", fmt.Sprintf("%021d", 201)
	ttl.UserIdentity = &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}
	recs = append(recs, del, ttl)
	b, err := json.MarshalIndent(events.DynamoDBEvent{Records: recs}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// streamImage turns an item into a stream image, via DynamoDB JSON as the stream delivers it.
func streamImage(t *testing.T, item map[string]ddbtypes.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if item == nil {
		return nil
	}
	b, err := json.Marshal(ddbJSON(item))
	if err != nil {
		t.Fatal(err)
	}
	var img map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(b, &img); err != nil {
		t.Fatal(err)
	}
	return img
}

func ddbJSON(item map[string]ddbtypes.AttributeValue) map[string]any {
	out := map[string]any{}
	for k, v := range item {
		out[k] = ddbValue(v)
	}
	return out
}

func ddbValue(v ddbtypes.AttributeValue) any {
	switch v := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *ddbtypes.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *ddbtypes.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *ddbtypes.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}
	case *ddbtypes.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(v.Value)}
	case *ddbtypes.AttributeValueMemberL:
		l := []any{}
		for _, e := range v.Value {
			l = append(l, ddbValue(e))
		}
		return map[string]any{"L": l}
	case *ddbtypes.AttributeValueMemberM:
		return map[string]any{"M": ddbJSON(v.Value)}
	}
	panic(fmt.Sprintf("unhandled attribute type %T", v))
}

func loadFixture(t *testing.T) events.DynamoDBEvent {
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// snsServer decodes the SDK's real Publish requests (the query protocol, form-encoded).
type snsServer struct {
	URL     string
	mu      sync.Mutex
	msgs    []url.Values
	failFor string // fail publishes whose eventType attribute is this
}

func newSNS(t *testing.T) *snsServer {
	s := &snsServer{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("Action") != "Publish" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		attrs := attributes(form)
		s.mu.Lock()
		defer s.mu.Unlock()
		if attrs["eventType"] == s.failFor {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>denied</Message></Error></ErrorResponse>`))
			return
		}
		s.msgs = append(s.msgs, form)
		_, _ = fmt.Fprintf(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-%d</MessageId></PublishResult></PublishResponse>`, len(s.msgs))
	}))
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// attributes reads MessageAttributes.entry.N.{Name,Value.StringValue} from a Publish form.
func attributes(form url.Values) map[string]string {
	out := map[string]string{}
	for i := 1; ; i++ {
		name := form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Name", i))
		if name == "" {
			return out
		}
		out[name] = form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Value.StringValue", i))
	}
}

func (s *snsServer) published() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.msgs {
		a := attributes(m)
		var e presence.Event
		_ = json.Unmarshal([]byte(m.Get("Message")), &e)
		out = append(out, fmt.Sprintf("%s:%s:%s", a["eventType"], a["room"], e.Symbol))
	}
	return out
}

func newHandler(t *testing.T, s *snsServer) *presence.Handler {
	tb := dynalitetest.New(t)
	client := sns.New(sns.Options{Region: "eu-west-1", BaseEndpoint: aws.String(s.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	pub := snspub.New(client, "arn:aws:sns:eu-west-1:123456789012:alerts")
	done := store.NewDynamoStore(tb.Client, tb.Name, time.Now, store.Expiry{Room: config.DefaultRoomTTL})
	return presence.NewHandler(pub, done, slog.New(slog.NewJSONHandler(io.Discard, nil)))
}

func TestStreamToSNS(t *testing.T) {
	s := newSNS(t)
	h := newHandler(t, s)
	resp, err := h.Handle(context.Background(), loadFixture(t))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v err %v", resp.BatchItemFailures, err)
	}
	want := []string{
		"player_online:K7M2QX:X",                         // created
		"player_online:K7M2QX:O",                         // joined
		"player_offline:K7M2QX:O",                        // dropped (the move before it published nothing)
		"player_online:K7M2QX:O",                         // rejoined
		"player_left:K7M2QX:X", "room_abandoned:K7M2QX:", // the host left
		"room_closed:K7M2QX:",  // deleted by the players
		"room_expired:K7M2QX:", // deleted by TTL: an expiry, not a player leaving
	}
	if got := s.published(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("published\n %v\nwant\n %v", got, want)
	}
	s.mu.Lock()
	m := s.msgs[0]
	s.mu.Unlock()
	if m.Get("TopicArn") != "arn:aws:sns:eu-west-1:123456789012:alerts" || !strings.Contains(m.Get("Subject"), "player_online") {
		t.Fatalf("publish request %v", m)
	}
	var e presence.Event
	if err := json.Unmarshal([]byte(m.Get("Message")), &e); err != nil || e.Source != "ev-101" || e.Name != "Ann" || e.At != t0.UnixMilli() {
		t.Fatalf("message %s: %v", m.Get("Message"), err)
	}
	if strings.Contains(m.Get("Message"), game.HashToken("tx")) {
		t.Fatal("token hashes must not be published")
	}

	// The same batch again (a redelivery): nothing is published twice.
	if resp, err := h.Handle(context.Background(), loadFixture(t)); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatal(resp, err)
	}
	if n := len(s.published()); n != len(want) {
		t.Fatalf("redelivery published again: %d messages", n)
	}
}

func TestPublishFailureIsABatchItemFailure(t *testing.T) {
	s := newSNS(t)
	s.failFor = "player_offline"
	h := newHandler(t, s)
	ev := loadFixture(t)
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	// Records 0-3 are INSERT, join, move, drop: the drop (index 3) fails.
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != ev.Records[3].Change.SequenceNumber {
		t.Fatalf("failures %+v, want exactly the dropped-player record", resp.BatchItemFailures)
	}
	if got := s.published(); len(got) != 2 {
		t.Fatalf("published %v before the failure, want the two before it", got)
	}
	// Lambda retries from the failed record; once SNS is back, everything after it goes out
	// and nothing before it is repeated.
	s.failFor = ""
	retry := events.DynamoDBEvent{Records: ev.Records[3:]}
	if resp, err := h.Handle(context.Background(), retry); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatal(resp, err)
	}
	if got := s.published(); len(got) != 8 {
		t.Fatalf("after the retry: %v", got)
	}
}

func TestMalformedRecordIsReportedNotFatal(t *testing.T) {
	s := newSNS(t)
	h := newHandler(t, s)
	bad := []string{
		`{"eventID":"bad-1","eventName":"MODIFY","dynamodb":{"SequenceNumber":"9","NewImage":{"kind":{"S":"room"},"pk":{"S":"ROOM#K7M2QX"},"board":{"S":"??"}}}}`,
		`{"eventID":"bad-2","eventName":"MODIFY","dynamodb":{"SequenceNumber":"9","NewImage":{"kind":{"S":"room"},"version":{"N":"x1"}}}}`,
		`{"eventID":"bad-3","eventName":"EXPLODE","dynamodb":{"SequenceNumber":"9"}}`,
	}
	for _, raw := range bad {
		var rec events.DynamoDBEventRecord
		if err := json.Unmarshal([]byte(raw), &rec); err != nil {
			t.Fatal(err)
		}
		resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
		if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "9" {
			t.Fatalf("%s: failures %v err %v; want the record reported for retry and the queue", rec.EventID, resp.BatchItemFailures, err)
		}
	}
}

func TestConnectionItemsPublishNothing(t *testing.T) {
	s := newSNS(t)
	h := newHandler(t, s)
	var rec events.DynamoDBEventRecord
	_ = json.Unmarshal([]byte(`{"eventID":"c","eventName":"INSERT","dynamodb":{"SequenceNumber":"1","NewImage":{"kind":{"S":"connection"},"pk":{"S":"CONN#x"}}}}`), &rec)
	if resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}}); err != nil || len(resp.BatchItemFailures) != 0 || len(s.published()) != 0 {
		t.Fatal(resp, err, s.published())
	}
}

func TestEveryTypeIsCovered(t *testing.T) {
	seen := map[string]bool{}
	for _, rec := range loadFixture(t).Records {
		evs, err := presence.FromRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			seen[string(e.Type)] = true
		}
	}
	var missing []string
	for _, ty := range eventtype.All() {
		if !seen[string(ty)] {
			missing = append(missing, string(ty))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("no fixture produces %v", missing)
	}
}
