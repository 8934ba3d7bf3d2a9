// Command accountrole is the custom resource that sets the Region's API Gateway CloudWatch
// Logs role only when none is set (package accountrole).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/serverless-tictactoe/tictactoe/lambda/ops/accountrole"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("loading the AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	h := &accountrole.Handler{API: apigateway.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg), Log: log}
	lambda.Start(cfn.LambdaWrap(h.Handle))
}
