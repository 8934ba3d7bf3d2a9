// Package app wires the route functions from their configuration: SDK clients → store →
// service → handler. The disconnect and game functions are wired here, with the DynamoDB and
// @connections clients (a multi-Region deployment's URLs are in the game table: no SSM client,
// whose start-up cost every cold start about 7 ms); connect's wiring is lambda/app/connect's
// and presence's lambda/app/stream's, so that each function links only its own clients.
// lambda/cmd/<function>/main.go runs them on AWS; the local gateway calls New for each route
// function in-process, so both run the same code with only the configuration differing.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/serverless-tictactoe/tictactoe/lambda/app/base"
	"github.com/serverless-tictactoe/tictactoe/lambda/app/connect"
	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/connections"
	"github.com/serverless-tictactoe/tictactoe/lambda/connections/apigw"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence"
	"github.com/serverless-tictactoe/tictactoe/lambda/ratelimit"
	"github.com/serverless-tictactoe/tictactoe/lambda/region"
	"github.com/serverless-tictactoe/tictactoe/lambda/service"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// New builds the handler of function (a route function of lambda/catalog) from cfg, with the
// clients of what the catalog says it needs and no others. AWS credentials and the Region come
// from the environment, as Lambda sets it (base.AWS).
func New(ctx context.Context, function string, cfg config.Config, logger *slog.Logger) (handler.Func, error) {
	fn, ok := catalog.Lookup(function)
	if !ok || len(fn.Routes) == 0 {
		return nil, fmt.Errorf("function %s: not a route function of lambda/catalog", function)
	}
	if err := cfg.Require(fn); err != nil {
		return nil, err
	}
	if function == catalog.FnConnect {
		return connect.New(ctx, cfg, logger)
	}
	awsCfg, dynamo, err := base.Table(cfg)
	if err != nil {
		return nil, err
	}
	opts := base.HandlerOptions(cfg, logger, base.Guard(dynamo, cfg))
	if fn.Needs.ManageConnections {
		var st store.Store = dynamo
		var sender connections.Sender = apigw.NewAPIGatewaySender(apigw.NewClient(awsCfg, cfg.CallbackURL))
		var homed func(string) bool
		if len(cfg.Regions) > 0 {
			if st, sender, err = regional(ctx, awsCfg, cfg, dynamo, logger); err != nil {
				return nil, err
			}
			homed = func(code string) bool { return region.HomeOf(code, cfg.Regions) == cfg.Region }
		}
		kept, _ := st.(store.Players) // the table's store, or the multi-Region one: both keep players
		if cfg.PresenceLog {
			st = presence.Observe(st, presence.LogPublisher{Log: logger}, time.Now, logger)
		}
		opts.Service = service.New(service.Options{Store: st, Sender: sender, Grace: cfg.Grace, MoveTimeout: cfg.MoveTimeout, Logger: logger,
			Metrics: metrics.NewEMF(base.MetricsLogger(cfg, logger), time.Now), Homed: homed, Players: kept})
		if function == catalog.FnGame {
			opts.Timings = metrics.NewEMF(base.MetricsLogger(cfg, logger), time.Now)
		}
		opts.Tracer = base.Tracer(cfg, logger) // the functions that tell rooms: their calls are the ones that matter
		opts.Limiter = ratelimit.New(cfg.RatePerSecond, cfg.RateBurst, time.Now)
		opts.Strikes = ratelimit.New(1.0/capacity.StrikeForgiveSeconds, capacity.StrikesToClose, time.Now)
		opts.Frames = handler.FrameLimit{Window: capacity.FrameWindowSeconds * time.Second,
			PerWindow: capacity.FramesPerWindow(cfg.RatePerSecond, cfg.RateBurst), CloseOver: capacity.StrikesToClose}
	}
	return handler.New(opts).For(function)
}

// callbackURLs are the Regions' @connections URLs: this Region's own (CALLBACK_URL), those
// given (CALLBACK_URLS), and, with CALLBACK_URLS_IN_TABLE, the others' from their items in this
// Region's replica of the game table, which each Region's Links stack writes once its API
// exists. A Region the table does not list yet (one being added) is left out and looked up
// again later: frames to it fail until then, while the rest of the game goes on.
func callbackURLs(ctx context.Context, cfg config.Config, local *store.DynamoStore, logger *slog.Logger) map[string]string {
	urls := map[string]string{cfg.Region: cfg.CallbackURL}
	for r, u := range cfg.CallbackURLs {
		urls[r] = u
	}
	if !cfg.CallbackURLsInTable {
		return urls
	}
	for _, r := range cfg.Regions {
		if urls[r] != "" {
			continue
		}
		u, err := local.CallbackURL(ctx, r)
		if err == nil && u != "" {
			var found map[string]string
			found, err = cfg.RegionURLs(r + "=" + u)
			u = found[r]
		}
		switch {
		case err != nil:
			logger.WarnContext(ctx, "reading a Region's @connections URL", "region", r, "error", err)
		case u == "": // a Region being added: its Links stack has not written it yet
			logger.WarnContext(ctx, "a Region's @connections URL is not in the table yet", "region", r)
		default:
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
		for r, u := range callbackURLs(ctx, cfg, local, logger) {
			rc := awsCfg.Copy()
			rc.Region = r
			by[r] = apigw.NewAPIGatewaySender(apigw.NewClient(rc, u))
		}
		return by, nil
	}
	by, _ := senders(ctx)
	return st, connections.NewRegional(&connections.Regional{Local: cfg.Region, Primary: cfg.Regions[0], Refresh: senders}, by), nil
}

// Main runs the route function as a Lambda.
func Main(function string) {
	base.Main(function, func(ctx context.Context, cfg config.Config, logger *slog.Logger) (handler.Func, error) {
		return New(ctx, function, cfg, logger)
	})
}
