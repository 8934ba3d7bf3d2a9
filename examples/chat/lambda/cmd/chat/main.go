// Command chat is the chat's one function, on every route: $connect records the connection,
// $disconnect forgets it, and a message ({"action": "send", "text": "…"}) goes to every
// connection recorded. Wiring only: config, clients, the handler (chat.go).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		slog.Error("loading the AWS configuration", "error", err)
		os.Exit(1)
	}
	h := &handler{
		table: os.Getenv("TABLE_NAME"),
		db:    dynamodb.NewFromConfig(cfg),
		posts: apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) {
			o.BaseEndpoint = aws.String(os.Getenv("CALLBACK_URL"))
		}),
	}
	lambda.Start(h.handle)
}
