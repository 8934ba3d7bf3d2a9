package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MaxText is the longest message, in characters.
const MaxText = 500

// connectionTTL is how long a connection is remembered when its $disconnect never comes
// (API Gateway closes an idle connection after 10 minutes, any after 2 hours).
const connectionTTL = 2 * time.Hour

// Store and Poster are the calls the handler makes: DynamoDB's and @connections'.
type Store interface {
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

type Poster interface {
	PostToConnection(context.Context, *apigatewaymanagementapi.PostToConnectionInput, ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.PostToConnectionOutput, error)
}

type handler struct {
	table string
	db    Store
	posts Poster
	now   func() time.Time
}

// message is what a client sends, and what every client receives (with From).
type message struct {
	Action string `json:"action,omitempty"`
	Text   string `json:"text"`
	From   string `json:"from,omitempty"`
}

func key(id string) map[string]dbtypes.AttributeValue {
	return map[string]dbtypes.AttributeValue{"pk": &dbtypes.AttributeValueMemberS{Value: "CONN#" + id}}
}

func (h *handler) handle(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	id := req.RequestContext.ConnectionID
	route := req.RequestContext.RouteKey
	ok := events.APIGatewayProxyResponse{StatusCode: 200}
	switch route {
	case "$connect":
		now := time.Now
		if h.now != nil {
			now = h.now
		}
		item := key(id)
		item["expiresAt"] = &dbtypes.AttributeValueMemberN{Value: strconv.FormatInt(now().Add(connectionTTL).Unix(), 10)}
		if _, err := h.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(h.table), Item: item}); err != nil {
			slog.Error("recording a connection", "connection", id, "error", err)
			return events.APIGatewayProxyResponse{StatusCode: 500}, nil
		}
	case "$disconnect":
		h.forget(ctx, id)
	default:
		var in message
		if err := json.Unmarshal([]byte(req.Body), &in); err != nil || in.Text == "" || utf8.RuneCountInString(in.Text) > MaxText {
			slog.Info("refused a message", "connection", id, "route", route)
			return events.APIGatewayProxyResponse{StatusCode: 400}, nil
		}
		h.broadcast(ctx, message{Text: in.Text, From: id[:min(4, len(id))]})
	}
	return ok, nil
}

// broadcast posts msg to every connection recorded, forgetting those that are gone.
func (h *handler) broadcast(ctx context.Context, msg message) {
	body, err := json.Marshal(msg)
	if err != nil {
		slog.Error("encoding a message", "error", err)
		return
	}
	// One room: every connection. A Scan reads the whole table, which is fine for a chat of
	// tens; a bigger one keeps rooms under a partition key of their own and queries one.
	pages := dynamodb.NewScanPaginator(h.db, &dynamodb.ScanInput{TableName: aws.String(h.table), ProjectionExpression: aws.String("pk")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			slog.Error("listing the connections", "error", err)
			return
		}
		for _, item := range page.Items {
			pk, _ := item["pk"].(*dbtypes.AttributeValueMemberS)
			if pk == nil || len(pk.Value) <= len("CONN#") {
				continue
			}
			to := pk.Value[len("CONN#"):]
			_, err := h.posts.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(to), Data: body})
			var gone *types.GoneException
			switch {
			case errors.As(err, &gone):
				h.forget(ctx, to)
			case err != nil:
				slog.Error("posting a message", "connection", to, "error", err)
			}
		}
	}
}

func (h *handler) forget(ctx context.Context, id string) {
	if _, err := h.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(h.table), Key: key(id)}); err != nil {
		slog.Error("forgetting a connection", "connection", id, "error", err)
	}
}
