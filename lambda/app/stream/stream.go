// Package stream wires the presence function: the game table's stream in, SNS out. It links
// the DynamoDB and SNS clients only.
package stream

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/serverless-tictactoe/tictactoe/lambda/app/base"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence/snspub"
)

// Handler is the presence function's handler.
type Handler = func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// New builds the presence function from cfg.
func New(_ context.Context, cfg config.Config, logger *slog.Logger) (Handler, error) {
	fn, _ := catalog.Lookup(catalog.FnPresence)
	if err := cfg.Require(fn); err != nil {
		return nil, err
	}
	awsCfg, done, err := base.Table(cfg)
	if err != nil {
		return nil, err
	}
	pub := snspub.New(sns.NewFromConfig(awsCfg), cfg.TopicARN)
	return presence.NewHandler(pub, done, logger).Handle, nil
}

// Main runs the presence function as a Lambda.
func Main() { base.Main(catalog.FnPresence, New) }
