// Package base is what every function's wiring shares and nothing more: the configuration, the
// logger, the SDK settings from the environment and the game table's store. It links the
// DynamoDB client and no other, so the connect function, which needs only the table, links
// nothing else (lambda/app/linking_test.go holds each function to its list).
package base

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/lambda/hops"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
	"github.com/serverless-tictactoe/tictactoe/lambda/xray"
)

// AWS is the SDK configuration from the environment as Lambda sets it: the function's
// credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) and its Region
// (AWS_REGION). Lambda gives every function these, so the SDK's configuration loader (shared
// files, profiles, SSO, STS, instance metadata: a third of a function's size and init) is not
// linked; the local stack sets the same variables (localgw/devstack.LocalAWSEnv).
func AWS(cfg config.Config) (aws.Config, error) {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them)")
	}
	region := cfg.Region
	if region == "" {
		region = os.Getenv(config.EnvRegion)
	}
	if region == "" {
		return aws.Config{}, fmt.Errorf("%s must be set (Lambda sets it)", config.EnvRegion)
	}
	return aws.Config{
		Region:           region,
		Credentials:      aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN"))),
		RetryMaxAttempts: 3, // the SDK's standard retryer's default
		// Each request's time goes to its action's hops, when the handler counts them, and the
		// request is a subsegment of its invocation's trace, when the handler traces it.
		APIOptions: []func(*middleware.Stack) error{hops.Timing, xray.Record},
	}, nil
}

// Table is the SDK configuration and the game table's store for this function's Region, at the
// configured endpoint when one is set.
func Table(cfg config.Config) (aws.Config, *store.DynamoStore, error) {
	awsCfg, err := AWS(cfg)
	if err != nil {
		return aws.Config{}, nil, err
	}
	db := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if cfg.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.DynamoDBEndpoint)
		}
	})
	st := store.NewDynamoStore(db, cfg.TableName, time.Now, store.Expiry{Room: cfg.RoomTTL})
	if len(cfg.Regions) > 0 {
		st.InRegion(cfg.Region) // every function of the Region, connect's included
	}
	return awsCfg, st, nil
}

// Guard keeps the per-address ceilings in st (ADDRESS_STRIKES and ADDRESS_FRAMES; the 0 of
// each is none), keying addresses with SOURCE_KEY_SECRET, or with a key of this process's own
// when it is unset (only $connect keys addresses; the others charge the key a connection's
// record holds).
func Guard(st *store.DynamoStore, cfg config.Config) *guard.Guard {
	strikes, share := cfg.AddressStrikes, cfg.AddressFrames
	if strikes == 0 {
		strikes = -1
	}
	if share == 0 {
		share = -1
	}
	key := []byte(cfg.SourceKeySecret)
	if len(key) == 0 {
		key = make([]byte, 32)
		rand.Read(key) // never fails (crypto/rand)
	}
	return guard.New(st, time.Now, key, guard.Limits{Strikes: strikes, Share: share})
}

// HandlerOptions are what every route function's handler is given: the origin and edge checks,
// the Region its connection ids carry, and the guard.
func HandlerOptions(cfg config.Config, logger *slog.Logger, g *guard.Guard) handler.Options {
	opts := handler.Options{Logger: logger, AllowedOrigins: cfg.AllowedOrigins, EdgeSecrets: cfg.EdgeSecrets, Guard: g}
	if len(cfg.Regions) > 0 && cfg.Region != cfg.Regions[0] {
		// Connections of the other Regions carry their Region in their ids; the primary's stay
		// as they were in one Region, so that records and seats made before keep matching.
		opts.Region = cfg.Region
	}
	return opts
}

// Tracer traces a sample of the function's invocations (TRACE_SAMPLE_RATE) to the X-Ray
// daemon Lambda runs beside it (AWS_XRAY_DAEMON_ADDRESS); nil where none runs (make dev).
func Tracer(cfg config.Config, logger *slog.Logger) *xray.Tracer {
	if cfg.TracingOff != "" {
		logger.Warn("tracing is off: AWS_XRAY_DAEMON_ADDRESS is not understood", "error", cfg.TracingOff)
	}
	return xray.New(xray.Options{Name: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), Daemon: cfg.XRayDaemon, Rate: cfg.TraceSampleRate, Log: logger})
}

// Logger is the JSON logger every function writes: one object per line, as CloudWatch Logs
// Insights and the Lambda JSON log format expect.
func Logger(cfg config.Config) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel})).With("function", os.Getenv("AWS_LAMBDA_FUNCTION_NAME"))
}

// MetricsLogger is what the metrics lines (EMF, lambda/metrics) are written through: logger,
// unless LOG_LEVEL hides its INFO lines (warn, error), when metrics would vanish with the logs;
// then a logger of its own at INFO, as Logger writes.
func MetricsLogger(cfg config.Config, logger *slog.Logger) *slog.Logger {
	if cfg.LogLevel <= slog.LevelInfo {
		return logger
	}
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo})).With("function", os.Getenv("AWS_LAMBDA_FUNCTION_NAME"))
}

// Main runs function as a Lambda: read the environment, wire with build, start. A
// configuration error stops the process with a message naming the variable to fix (the init
// error shows in the function's log).
func Main[H any](function string, build func(ctx context.Context, cfg config.Config, logger *slog.Logger) (H, error)) {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: invalid configuration: %v\n", function, err)
		os.Exit(1)
	}
	logger := Logger(cfg)
	h, err := build(context.Background(), cfg, logger)
	if err != nil {
		logger.Error("starting", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
