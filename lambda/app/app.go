// Package app wires one Lambda function from its configuration: SDK clients → store → service
// → handler. lambda/cmd/<function>/main.go runs it on AWS; the local gateway calls New for each
// function in-process, so both run the same code with only the configuration differing.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/connections"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence"
	"github.com/serverless-tictactoe/tictactoe/lambda/ratelimit"
	"github.com/serverless-tictactoe/tictactoe/lambda/region"
	"github.com/serverless-tictactoe/tictactoe/lambda/service"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// New builds the handler of function (a route function of lambda/catalog) from cfg, with the
// clients of what the catalog says it needs and no others. AWS credentials and region come
// from the SDK's usual sources (the Lambda environment on AWS).
func New(ctx context.Context, function string, cfg config.Config, logger *slog.Logger) (handler.Func, error) {
	fn, ok := catalog.Lookup(function)
	if !ok || len(fn.Routes) == 0 {
		return nil, fmt.Errorf("function %s: not a route function of lambda/catalog", function)
	}
	if err := cfg.Require(fn); err != nil {
		return nil, err
	}
	opts := handler.Options{Logger: logger, AllowedOrigins: cfg.AllowedOrigins, EdgeSecrets: cfg.EdgeSecrets}
	if len(cfg.Regions) > 0 && cfg.Region != cfg.Regions[0] {
		// Connections of the other Regions carry their Region in their ids; the primary's stay
		// as they were in one Region, so that records and seats made before keep matching.
		opts.Region = cfg.Region
	}
	if fn.Needs.Table() {
		awsCfg, db, err := clients(ctx, cfg)
		if err != nil {
			return nil, err
		}
		dynamo := store.NewDynamoStore(db, cfg.TableName, time.Now, store.Expiry{Room: cfg.RoomTTL})
		if len(cfg.Regions) > 0 {
			dynamo.InRegion(cfg.Region) // every function of the Region, connect's included
		}
		perSource := cfg.ConnectionsPerSource
		if perSource == 0 {
			perSource = -1 // the setting's 0 is no limit
		}
		opts.Guard = guard.New(dynamo, time.Now, guard.Limits{ConnectionsPerSource: perSource})
		if fn.Needs.ManageConnections {
			var st store.Store = dynamo
			var sender connections.Sender = connections.NewAPIGatewaySender(connections.NewClient(awsCfg, cfg.CallbackURL))
			var homed func(string) bool
			if len(cfg.Regions) > 0 {
				if st, sender, err = regional(ctx, awsCfg, cfg, dynamo, logger); err != nil {
					return nil, err
				}
				homed = func(code string) bool { return region.HomeOf(code, cfg.Regions) == cfg.Region }
			}
			if cfg.PresenceLog {
				st = presence.Observe(st, presence.LogPublisher{Log: logger}, time.Now, logger)
			}
			opts.Service = service.New(service.Options{Store: st, Sender: sender, Grace: cfg.Grace, Logger: logger,
				Metrics: metrics.NewEMF(logger, time.Now), Homed: homed})
			opts.Limiter = ratelimit.New(cfg.RatePerSecond, cfg.RateBurst, time.Now)
			opts.Strikes = ratelimit.New(1.0/capacity.StrikeForgiveSeconds, capacity.StrikesToClose, time.Now)
		}
	}
	return handler.New(opts).For(function)
}

// callbackURLs are the Regions' @connections URLs: this Region's own (CALLBACK_URL), those
// given (CALLBACK_URLS), and those in the parameter (CALLBACK_URLS_PARAMETER), written once
// every Region's API exists (the Links stacks). A Region the parameter does not list yet (one
// being added) is left out and looked up again later: frames to it fail until then, while
// the rest of the game goes on.
func callbackURLs(ctx context.Context, awsCfg aws.Config, cfg config.Config, logger *slog.Logger) map[string]string {
	urls := map[string]string{cfg.Region: cfg.CallbackURL}
	for r, u := range cfg.CallbackURLs {
		urls[r] = u
	}
	if cfg.CallbackURLsParameter == "" {
		return urls
	}
	out, err := ssm.NewFromConfig(awsCfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(cfg.CallbackURLsParameter)})
	if err != nil {
		logger.WarnContext(ctx, "reading the Regions' @connections URLs", "parameter", cfg.CallbackURLsParameter, "error", err)
		return urls
	}
	found, err := cfg.RegionURLs(aws.ToString(out.Parameter.Value))
	if err != nil { // a Region being removed, or added before this function knows it
		logger.WarnContext(ctx, "some Regions' @connections URLs were left out", "parameter", cfg.CallbackURLsParameter, "error", err)
	}
	for r, u := range found {
		if r != cfg.Region {
			urls[r] = u
		}
	}
	return urls
}

// regional is a multi-Region deployment's store and sender (docs/regions.md): a replica
// store and an @connections client per Region, each signed for its Region; local is this
// Region's replica store.
func regional(ctx context.Context, awsCfg aws.Config, cfg config.Config, local *store.DynamoStore, logger *slog.Logger) (store.Store, connections.Sender, error) {
	replicas := map[string]*store.DynamoStore{}
	for _, r := range cfg.Regions {
		replicas[r] = local
		if r != cfg.Region {
			rc := awsCfg.Copy()
			rc.Region = r
			db := dynamodb.NewFromConfig(rc, func(o *dynamodb.Options) {
				if ep := cfg.DynamoDBEndpoints[r]; ep != "" {
					o.BaseEndpoint = aws.String(ep)
				}
			})
			replicas[r] = store.NewDynamoStore(db, cfg.TableName, time.Now, store.Expiry{Room: cfg.RoomTTL})
		}
	}
	st, err := store.NewRegional(&store.Regional{Local: cfg.Region, Regions: cfg.Regions, Replicas: replicas, Log: logger})
	if err != nil {
		return nil, nil, err
	}
	senders := func(ctx context.Context) (map[string]connections.Sender, error) {
		by := map[string]connections.Sender{}
		for r, u := range callbackURLs(ctx, awsCfg, cfg, logger) {
			rc := awsCfg.Copy()
			rc.Region = r
			by[r] = connections.NewAPIGatewaySender(connections.NewClient(rc, u))
		}
		return by, nil
	}
	by, _ := senders(ctx)
	return st, connections.NewRegional(&connections.Regional{Local: cfg.Region, Primary: cfg.Regions[0], Refresh: senders}, by), nil
}

// clients loads the SDK's configuration (credentials and region from the environment, as on
// Lambda) and the DynamoDB client, at the configured endpoint when one is set.
func clients(ctx context.Context, cfg config.Config) (aws.Config, *dynamodb.Client, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	db := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if cfg.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.DynamoDBEndpoint)
		}
	})
	return awsCfg, db, nil
}

// NewPresence builds the presence function: the game table's stream in, SNS out.
func NewPresence(ctx context.Context, cfg config.Config, logger *slog.Logger) (func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error), error) {
	fn, _ := catalog.Lookup(catalog.FnPresence)
	if err := cfg.Require(fn); err != nil {
		return nil, err
	}
	awsCfg, db, err := clients(ctx, cfg)
	if err != nil {
		return nil, err
	}
	pub := presence.NewSNSPublisher(sns.NewFromConfig(awsCfg), cfg.TopicARN)
	done := store.NewDynamoStore(db, cfg.TableName, time.Now, store.Expiry{Room: cfg.RoomTTL})
	return presence.NewHandler(pub, done, logger).Handle, nil
}

// Logger is the JSON logger every function writes: one object per line, as CloudWatch Logs
// Insights and the Lambda JSON log format expect.
func Logger(cfg config.Config) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel})).With("function", os.Getenv("AWS_LAMBDA_FUNCTION_NAME"))
}

// mustConfig reads the environment or stops the process with a message naming what to fix.
func mustConfig(function string) config.Config {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: invalid configuration: %v\n", function, err)
		os.Exit(1)
	}
	return cfg
}

// MainPresence runs the presence function as a Lambda.
func MainPresence() {
	cfg := mustConfig(catalog.FnPresence)
	logger := Logger(cfg)
	h, err := NewPresence(context.Background(), cfg, logger)
	if err != nil {
		logger.Error("starting", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}

// Main runs function as a Lambda: read the environment, wire, start. A configuration error
// stops the process with a message naming the variable to fix (the init error shows in the
// function's log).
func Main(function string) {
	cfg := mustConfig(function)
	logger := Logger(cfg)
	h, err := New(context.Background(), function, cfg, logger)
	if err != nil {
		logger.Error("starting", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
