package stream_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence/mapping"
	"github.com/serverless-tictactoe/tictactoe/localgw/stream"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// Every write that changes an item is one record with the images before and after it; a
// refused conditional write and a write that changes nothing are none, and calls writing
// several items are refused rather than left out of the stream.
func TestRecorderRecordsEachChange(t *testing.T) {
	tb := dynalitetest.New(t)
	rec, err := stream.NewRecorder(tb.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	db := dynalitetest.Client(srv.URL)
	ctx := context.Background()
	key := map[string]types.AttributeValue{"pk": s("ROOM#ABC123")}
	put := func(item map[string]types.AttributeValue, cond string) error {
		in := &dynamodb.PutItemInput{TableName: &tb.Name, Item: item}
		if cond != "" {
			in.ConditionExpression = aws.String(cond)
		}
		_, err := db.PutItem(ctx, in)
		return err
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(put(map[string]types.AttributeValue{"pk": s("ROOM#ABC123"), "kind": s("room"), "status": s("waiting")}, ""))
	must(put(map[string]types.AttributeValue{"pk": s("ROOM#ABC123"), "kind": s("room"), "status": s("waiting")}, "")) // unchanged
	var ccf *types.ConditionalCheckFailedException
	if err := put(map[string]types.AttributeValue{"pk": s("ROOM#ABC123"), "kind": s("room")}, "attribute_not_exists(pk)"); !errors.As(err, &ccf) {
		t.Fatalf("a refused write: %v", err)
	}
	_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &tb.Name, Key: key,
		UpdateExpression: aws.String("SET #s = :p"), ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("playing")}})
	must(err)
	_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &tb.Name, Key: key})
	must(err)
	_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &tb.Name, Key: key}) // nothing to delete
	must(err)
	_, err = db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		tb.Name: {{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"pk": s("X")}}}},
	}})
	if err == nil || !strings.Contains(err.Error(), "not supported by the local stream recorder") {
		t.Errorf("BatchWriteItem: %v, want a refusal naming the recorder", err)
	}

	records := rec.Records("local-2")
	var got []string
	for _, r := range records {
		old, new := r.Change.OldImage["status"], r.Change.NewImage["status"]
		got = append(got, fmt.Sprintf("%s %s %s>%s", r.EventID, r.EventName, str(old), str(new)))
		if r.AWSRegion != "local-2" || r.Change.Keys["pk"].String() != "ROOM#ABC123" || r.Change.StreamViewType != "NEW_AND_OLD_IMAGES" {
			t.Errorf("record %+v", r)
		}
	}
	want := []string{"local-2-1 INSERT >waiting", "local-2-2 MODIFY waiting>playing", "local-2-3 REMOVE playing>"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("records\n got %q\nwant %q", got, want)
	}
	if other := rec.Records("local-1"); len(other) != 3 || other[0].EventID != "local-1-1" {
		t.Errorf("another Region's copy: %+v, want the same changes under its own event IDs", other)
	}
}

func str(v events.DynamoDBAttributeValue) string {
	if v.DataType() != events.DataTypeString {
		return ""
	}
	return v.String()
}

// room is a stream record of a room change for the filter tests.
func room(id, name string, old, new map[string]events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{EventID: id, EventName: name, Change: events.DynamoDBStreamRecord{
		OldImage: old, NewImage: new, SequenceNumber: id,
	}}
}

func img(home string, presence bool) map[string]events.DynamoDBAttributeValue {
	m := map[string]events.DynamoDBAttributeValue{"kind": events.NewStringAttribute("room"), "presenceChanged": events.NewBooleanAttribute(presence)}
	if home != "" {
		m["home"] = events.NewStringAttribute(home)
	}
	return m
}

// Each Region's filters take the rooms homed in it; the primary's also those homed nowhere.
func TestPresenceFiltersPartitionByHome(t *testing.T) {
	records := []events.DynamoDBEventRecord{
		room("a-create", "INSERT", nil, img("local-1", true)),
		room("b-create", "INSERT", nil, img("local-2", true)),
		room("a-move", "MODIFY", img("local-1", true), img("local-1", false)),
		room("b-leave", "MODIFY", img("local-2", false), img("local-2", true)),
		room("b-taken-over", "MODIFY", img("local-2", false), img("local-1", true)),
		room("old-leave", "MODIFY", img("", false), img("", true)),
		room("old-expired", "REMOVE", img("", false), nil),
		room("a-deleted", "REMOVE", img("local-1", false), nil),
		room("b-deleted", "REMOVE", img("local-2", false), nil),
		{EventID: "conn", EventName: "INSERT", Change: events.DynamoDBStreamRecord{NewImage: map[string]events.DynamoDBAttributeValue{"kind": events.NewStringAttribute("connection")}}},
	}
	want := map[string]string{
		"local-1": "a-create b-taken-over old-leave old-expired a-deleted",
		"local-2": "b-create b-leave b-deleted",
	}
	for region, w := range want {
		var got []string
		for _, r := range records {
			for _, f := range mapping.Filters(region, region == "local-1") {
				ok, err := stream.Match(f, r)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					got = append(got, r.EventID)
					break
				}
			}
		}
		if strings.Join(got, " ") != w {
			t.Errorf("%s takes %q, want %q", region, got, w)
		}
	}
	if _, err := stream.Match(map[string]any{"eventName": []any{map[string]any{"prefix": "IN"}}}, records[0]); err == nil {
		t.Error("an operator the matcher does not know matched silently")
	}
	// exists on an object (an image's attribute is {"S": …}) is not matched by Lambda as it
	// reads: refused, so a filter written that way fails here rather than doubling events on AWS.
	onObject := map[string]any{"dynamodb": map[string]any{"NewImage": map[string]any{"home": []any{map[string]any{"exists": false}}}}}
	if _, err := stream.Match(onObject, records[1]); err == nil || !strings.Contains(err.Error(), "not a leaf") {
		t.Errorf("exists on an object: %v, want a refusal", err)
	}
}

// Batches of BatchSize; a failed record is retried from where it failed, with nothing before
// it redone; a record that keeps failing goes to the dead letters after RetryAttempts retries
// (with the records bisection left beside it), and delivery goes on after it.
func TestMappingBatchesRetriesAndDeadLetters(t *testing.T) {
	var records []events.DynamoDBEventRecord
	for i := 1; i <= 45; i++ {
		id := fmt.Sprintf("%03d", i)
		records = append(records, events.DynamoDBEventRecord{EventID: id, Change: events.DynamoDBStreamRecord{SequenceNumber: id}})
	}
	seen := map[string]int{}
	flaky := map[string]int{"007": 1, "030": 2} // fails this many times, then succeeds
	const poison = "041"
	var sizes []int
	m := stream.Mapping{BatchSize: mapping.BatchSize, RetryAttempts: mapping.RetryAttempts,
		Invoke: func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			sizes = append(sizes, len(ev.Records))
			for _, r := range ev.Records {
				id := r.EventID
				if id == poison || flaky[id] > 0 {
					flaky[id]--
					return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: r.Change.SequenceNumber}}}, nil
				}
				seen[id]++
			}
			return events.DynamoDBEventResponse{}, nil
		}}
	res, err := m.Run(context.Background(), records)
	if err != nil {
		t.Fatal(err)
	}
	var dead []string
	for _, r := range res.DeadLetters {
		dead = append(dead, r.EventID)
	}
	if len(dead) == 0 || dead[0] != poison {
		t.Fatalf("dead letters %v, want %s first", dead, poison)
	}
	for _, r := range records {
		id := r.EventID
		isDead := false
		for _, d := range dead {
			isDead = isDead || d == id
		}
		if isDead != (seen[id] == 0) || seen[id] > 1 {
			t.Errorf("record %s delivered %d times (dead-lettered %v)", id, seen[id], isDead)
		}
	}
	if sizes[0] != mapping.BatchSize || res.Delivered != 45 {
		t.Errorf("first batch %d records, %d delivered; want %d and 45", sizes[0], res.Delivered, mapping.BatchSize)
	}
	t.Logf("batches %v, dead letters %v", sizes, dead)
}
