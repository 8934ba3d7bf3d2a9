// Command signalrelay is the web tier's signal relay (package signalrelay): S3 "Object Created"
// events of the signals bucket, through EventBridge, to CloudFormation SignalResource.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/serverless-tictactoe/tictactoe/lambda/ops/signalkey"
	"github.com/serverless-tictactoe/tictactoe/lambda/ops/signalrelay"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	r, err := relay(context.Background(), log)
	if err != nil {
		log.Error("starting", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(r.Handle)
}

func relay(ctx context.Context, log *slog.Logger) (*signalrelay.Relay, error) {
	r := &signalrelay.Relay{
		StackName: os.Getenv(signalkey.EnvStackName),
		LogicalID: os.Getenv(signalkey.EnvLogicalID),
		Bucket:    os.Getenv(signalkey.EnvBucketName),
		Log:       log,
	}
	if r.StackName == "" || r.LogicalID == "" || r.Bucket == "" {
		return nil, fmt.Errorf("%s, %s and %s are required", signalkey.EnvStackName, signalkey.EnvLogicalID, signalkey.EnvBucketName)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	r.CFN = cloudformation.NewFromConfig(cfg)
	r.Marks = s3.NewFromConfig(cfg)
	return r, nil
}
