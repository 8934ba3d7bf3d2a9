// Package connect wires the connect function ($connect): the origin and edge checks, and the
// per-address ceilings kept in the game table. It sends no frame, so it links the DynamoDB
// client only.
package connect

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/serverless-tictactoe/tictactoe/lambda/app/base"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
)

// New builds the connect function's handler from cfg.
func New(_ context.Context, cfg config.Config, logger *slog.Logger) (handler.Func, error) {
	fn, _ := catalog.Lookup(catalog.FnConnect)
	if err := cfg.Require(fn); err != nil {
		return nil, err
	}
	if fn.Needs.SourceKey && (cfg.AddressStrikes > 0 || cfg.AddressFrames > 0) && cfg.SourceKeySecret == "" {
		// Not fatal: a connect function that cannot start refuses every player. A key of this
		// container's own still charges each address, but splits its count between containers.
		logger.Error(config.EnvSourceKeySecret + " is not set: addresses are keyed with this container's own secret, so each container counts an address apart (the stack sets it; locally make dev draws one)")
	}
	_, st, err := base.Table(cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return handler.New(base.HandlerOptions(cfg, logger, base.Guard(st, cfg))).For(catalog.FnConnect)
}
