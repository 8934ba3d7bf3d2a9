package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// memory is a table of connections in memory.
type memory struct {
	items map[string]map[string]dbtypes.AttributeValue
}

func pkOf(item map[string]dbtypes.AttributeValue) string {
	return item["pk"].(*dbtypes.AttributeValueMemberS).Value
}

func (m *memory) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	m.items[pkOf(in.Item)] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func (m *memory) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	delete(m.items, pkOf(in.Key))
	return &dynamodb.DeleteItemOutput{}, nil
}

func (m *memory) Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	out := &dynamodb.ScanOutput{}
	for _, item := range m.items {
		out.Items = append(out.Items, item)
	}
	return out, nil
}

// posts records what was posted to whom; gone connections answer 410.
type posts struct {
	got  map[string]string
	gone map[string]bool
}

func (p *posts) PostToConnection(_ context.Context, in *apigatewaymanagementapi.PostToConnectionInput, _ ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.PostToConnectionOutput, error) {
	if p.gone[*in.ConnectionId] {
		return nil, &types.GoneException{}
	}
	p.got[*in.ConnectionId] = string(in.Data)
	return &apigatewaymanagementapi.PostToConnectionOutput{}, nil
}

func frame(route, id, body string) events.APIGatewayWebsocketProxyRequest {
	return events.APIGatewayWebsocketProxyRequest{Body: body, RequestContext: events.APIGatewayWebsocketProxyRequestContext{RouteKey: route, ConnectionID: id}}
}

func TestChat(t *testing.T) {
	db := &memory{items: map[string]map[string]dbtypes.AttributeValue{}}
	out := &posts{got: map[string]string{}, gone: map[string]bool{"gone0000": true}}
	h := &handler{table: "T", db: db, posts: out, now: func() time.Time { return time.Unix(1000, 0) }}
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		req    events.APIGatewayWebsocketProxyRequest
		status int
	}{
		{"alice connects", frame("$connect", "alice000", ""), 200},
		{"bob connects", frame("$connect", "bob00000", ""), 200},
		{"a connection that will be gone", frame("$connect", "gone0000", ""), 200},
		{"alice says hello", frame("send", "alice000", `{"action":"send","text":"hello"}`), 200},
		{"an empty message is refused", frame("send", "bob00000", `{"action":"send","text":""}`), 400},
		{"a message too long is refused", frame("send", "bob00000", `{"action":"send","text":"`+strings.Repeat("x", MaxText+1)+`"}`), 400},
		{"not JSON is refused", frame("$default", "bob00000", `hello`), 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := h.handle(ctx, tt.req)
			if err != nil || res.StatusCode != tt.status {
				t.Fatalf("status %d, err %v; want %d", res.StatusCode, err, tt.status)
			}
		})
	}
	for _, to := range []string{"alice000", "bob00000"} {
		if want := `{"text":"hello","from":"alic"}`; out.got[to] != want {
			t.Errorf("%s got %q, want %q", to, out.got[to], want)
		}
	}
	if _, ok := db.items["CONN#gone0000"]; ok {
		t.Error("a connection that answered 410 Gone is still recorded")
	}
	if got := db.items["CONN#alice000"]["expiresAt"].(*dbtypes.AttributeValueMemberN).Value; got != "8200" {
		t.Errorf("expiresAt = %s, want 2 hours after connecting (8200)", got)
	}
	if _, err := h.handle(ctx, frame("$disconnect", "bob00000", "")); err != nil || db.items["CONN#bob00000"] != nil {
		t.Errorf("bob is still recorded after $disconnect (err %v)", err)
	}
}
