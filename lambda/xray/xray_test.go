package xray_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/serverless-tictactoe/tictactoe/lambda/xray"
	"github.com/serverless-tictactoe/tictactoe/lambda/xray/xraytest"
)

const (
	root   = "1-6760f0a0-a006649127e371903a2de979"
	parent = "53995c3f42cd8ad8"
)

func TestParseHeader(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want xray.Header
	}{
		// Active tracing: Lambda records the invocation's segment, Parent is its ID.
		{"Root=" + root + ";Parent=" + parent + ";Sampled=1;Lineage=061379e8:0", xray.Header{Root: root, Parent: parent, Sampled: true}},
		{"Root=" + root + ";Parent=" + parent + ";Sampled=0", xray.Header{Root: root, Parent: parent}},
		// PassThrough with no caller's header: a root and nothing recorded.
		{"Root=" + root + ";Lineage=061379e8:0", xray.Header{Root: root}},
		{"", xray.Header{}},
		{"Root=1-xyz;Parent=short;Sampled=1", xray.Header{Sampled: true}},
	} {
		if got := xray.ParseHeader(tc.in); got != tc.want {
			t.Errorf("ParseHeader(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	ctx := xray.WithHeader(context.Background(), "Root="+root)
	if got := xray.HeaderOf(ctx); got.Root != root {
		t.Errorf("HeaderOf = %+v", got)
	}
	if got := xray.HeaderOf(context.Background()); got != (xray.Header{}) {
		t.Errorf("HeaderOf without one = %+v", got)
	}
}

// randomTraceID is a trace ID as Lambda makes them: the time and 96 random bits.
func randomTraceID(r *rand.Rand) string {
	return fmt.Sprintf("1-%08x-%08x%016x", uint32(time.Now().Unix()), r.Uint32(), r.Uint64())
}

// The share of invocations traced is the rate asked for (within 5 standard deviations over
// 400,000 trace IDs), and a trace's decision is the same in every container.
func TestTheSampleRateHolds(t *testing.T) {
	const n = 400000
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = randomTraceID(r)
	}
	for _, rate := range []float64{0, 0.0005, 0.01, 0.1, 0.5, 1} {
		tracer, other := xray.New(xray.Options{Daemon: "127.0.0.1:2000", Rate: rate}), xray.New(xray.Options{Daemon: "127.0.0.1:2000", Rate: rate})
		picked := 0
		for _, id := range ids {
			p := tracer.Picks(id)
			if p != other.Picks(id) {
				t.Fatalf("rate %v: two tracers decide %s differently", rate, id)
			}
			if p {
				picked++
			}
		}
		sd := math.Sqrt(n * rate * (1 - rate))
		if diff := math.Abs(float64(picked) - n*rate); diff > 5*sd+0.5 {
			t.Errorf("rate %v: %d of %d traced, want %v ± %.0f", rate, picked, n, n*rate, 5*sd)
		}
	}
	if xray.New(xray.Options{Daemon: "127.0.0.1:2000", Rate: 1}).Picks("not a trace id") {
		t.Error("a malformed trace ID was picked")
	}
}

// fakeDynamoDB answers GetItem with an empty item and PutItem as a throttled table does.
func fakeDynamoDB(t *testing.T) *dynamodb.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		switch r.Header.Get("X-Amz-Target") {
		case "DynamoDB_20120810.GetItem":
			w.Header().Set("X-Amzn-Requestid", "GETREQUEST")
			fmt.Fprint(w, `{}`)
		default:
			w.Header().Set("X-Amzn-Requestid", "PUTREQUEST")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return dynamodb.New(dynamodb.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 2
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		}),
		APIOptions: []func(*middleware.Stack) error{xray.Record},
	})
}

func key() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ROOM#ABC234"}}
}

// An invocation nobody sampled, picked by the rate, is a segment of its own under Lambda's
// trace ID: the function's name, no parent, the action and room as annotations on it and on
// each call's subsegment, each call named by its service with its operation, table, request,
// status, retries and the flags X-Ray colours by.
func TestAPickedInvocationIsASegmentOfItsOwn(t *testing.T) {
	daemon := xraytest.New(t)
	tracer := xray.New(xray.Options{Name: "TicTacToe-Dev-Realtime-game", Daemon: daemon.Addr(), Rate: 1})
	ctx, tr := tracer.Start(context.Background(), xray.ParseHeader("Root="+root+";Lineage=061379e8:0"))
	if tr == nil || tr.TraceID() != root {
		t.Fatalf("trace %v: want one under Lambda's root", tr)
	}
	db := fakeDynamoDB(t)
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("games"), Key: key()}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("games"), Item: key()}); err == nil {
		t.Fatal("the throttled put succeeded")
	}
	if _, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("games"), Key: key()}); err != nil {
		t.Fatal(err) // not the invocation's: not recorded
	}
	tr.Set("move", "ABC234", xray.OK)
	tr.End()
	tr.End() // once

	segs := daemon.Segments(1)
	if len(segs) != 1 {
		t.Fatalf("%d documents, want 1", len(segs))
	}
	s := segs[0]
	if s.Name != "TicTacToe-Dev-Realtime-game" || s.TraceID != root || s.ID != tr.ID() || s.ParentID != "" || s.Type != "" || s.Origin != "AWS::Lambda::Function" || s.End < s.Start || s.Error || s.Fault {
		t.Errorf("segment %+v", s)
	}
	want := map[string]string{"action": "move", "room": "ABC234"}
	if fmt.Sprint(s.Annotations) != fmt.Sprint(want) {
		t.Errorf("annotations %v, want %v", s.Annotations, want)
	}
	if len(s.Subsegments) != 2 {
		t.Fatalf("%d subsegments, want 2: %+v", len(s.Subsegments), s.Subsegments)
	}
	get, put := s.Subsegments[0], s.Subsegments[1]
	if get.Name != "DynamoDB" || get.Namespace != "aws" || get.AWS.Operation != "GetItem" || get.AWS.TableName != "games" || get.AWS.Region != "eu-west-1" ||
		get.AWS.RequestID != "GETREQUEST" || get.HTTP.Response.Status != 200 || get.Error || get.Fault || get.Throttle || get.Start < s.Start || get.End > s.End {
		t.Errorf("GetItem's subsegment %+v", get)
	}
	if put.AWS.Operation != "PutItem" || !put.Throttle || !put.Error || put.Fault || put.AWS.Retries != 1 || put.HTTP.Response.Status != 400 ||
		put.AWS.RequestID != "PUTREQUEST" || len(put.Cause.Exceptions) != 1 || put.Cause.Exceptions[0].Type != "ProvisionedThroughputExceededException" {
		t.Errorf("PutItem's subsegment %+v", put)
	}
	for _, sub := range s.Subsegments {
		if fmt.Sprint(sub.Annotations) != fmt.Sprint(want) || sub.ID == "" || sub.ID == s.ID {
			t.Errorf("subsegment %s: annotations %v, id %q", sub.AWS.Operation, sub.Annotations, sub.ID)
		}
	}
}

// An invocation Lambda records (Active tracing, or a caller that sampled it) is traced
// whatever the rate, as a subsegment of Lambda's segment: the header's Parent.
func TestASampledInvocationHangsFromLambdasSegment(t *testing.T) {
	daemon := xraytest.New(t)
	tracer := xray.New(xray.Options{Name: "fn", Daemon: daemon.Addr(), Rate: 0})
	ctx, tr := tracer.Start(context.Background(), xray.ParseHeader("Root="+root+";Parent="+parent+";Sampled=1"))
	if tr == nil {
		t.Fatal("a sampled invocation was not traced")
	}
	if _, err := fakeDynamoDB(t).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("games"), Key: key()}); err != nil {
		t.Fatal(err)
	}
	xray.From(ctx).Set("$disconnect", "", xray.ServerError)
	tr.End()
	s := daemon.Segments(1)[0]
	if s.Type != "subsegment" || s.ParentID != parent || s.TraceID != root || s.Name != "disconnect" || s.Origin != "" || !s.Fault ||
		s.Annotations["action"] != "$disconnect" || len(s.Annotations) != 1 || len(s.Subsegments) != 1 {
		t.Errorf("document %+v", s)
	}
}

// An invocation the rate passes over costs nothing: no trace, no datagram, its calls untouched.
func TestAnInvocationPassedOverSendsNothing(t *testing.T) {
	daemon := xraytest.New(t)
	tracer := xray.New(xray.Options{Name: "fn", Daemon: daemon.Addr(), Rate: 0})
	for _, h := range []string{"Root=" + root + ";Lineage=1:0", "Root=" + root + ";Parent=" + parent + ";Sampled=0", ""} {
		ctx, tr := tracer.Start(context.Background(), xray.ParseHeader(h))
		if tr != nil || xray.From(ctx) != nil {
			t.Errorf("%q: traced at rate 0", h)
		}
		if _, err := fakeDynamoDB(t).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("games"), Key: key()}); err != nil {
			t.Fatal(err)
		}
		tr.Set("move", "ABC234", xray.OK) // a nil trace takes these too
		tr.End()
	}
	daemon.Quiet()
	var none *xray.Tracer // no daemon: nothing is traced
	if xray.New(xray.Options{Rate: 1}) != nil {
		t.Error("a tracer without a daemon")
	}
	if _, tr := none.Start(context.Background(), xray.ParseHeader("Root="+root+";Parent="+parent+";Sampled=1")); tr != nil {
		t.Error("a nil tracer traced")
	}
}

// With no trace header (not on Lambda) a picked invocation gets a trace ID of its own.
func TestAnInvocationWithoutAHeaderGetsATraceID(t *testing.T) {
	daemon := xraytest.New(t)
	_, tr := xray.New(xray.Options{Name: "fn", Daemon: daemon.Addr(), Rate: 1}).Start(context.Background(), xray.Header{})
	tr.End()
	if s := daemon.Segments(1)[0]; len(s.TraceID) != 35 || s.TraceID[:2] != "1-" || s.ParentID != "" || s.Annotations != nil {
		t.Errorf("document %+v", s)
	}
}

// A trace keeps at most MaxCalls subsegments, so that its document fits one datagram.
func TestATraceKeepsAtMostMaxCalls(t *testing.T) {
	daemon := xraytest.New(t)
	ctx, tr := xray.New(xray.Options{Name: "fn", Daemon: daemon.Addr(), Rate: 1}).Start(context.Background(), xray.ParseHeader("Root="+root))
	db := fakeDynamoDB(t)
	for range xray.MaxCalls + 3 {
		if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("games"), Key: key()}); err != nil {
			t.Fatal(err)
		}
	}
	tr.Set("quickMatch", "ABC234", xray.ClientError)
	tr.End()
	if s := daemon.Segments(1)[0]; len(s.Subsegments) != xray.MaxCalls || !s.Error {
		t.Errorf("%d subsegments (error %v), want %d", len(s.Subsegments), s.Error, xray.MaxCalls)
	}
}
