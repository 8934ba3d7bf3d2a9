package base

import (
	"context"
	"log/slog"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/lambda/config"
)

// Metrics lines are INFO lines: a LOG_LEVEL that hides INFO must not hide the metrics with it.
func TestMetricsSurviveTheLogLevel(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
		cfg := config.Config{LogLevel: level}
		logger := Logger(cfg)
		m := MetricsLogger(cfg, logger)
		if !m.Enabled(context.Background(), slog.LevelInfo) {
			t.Errorf("LOG_LEVEL %s: the metrics logger drops INFO lines", level)
		}
		if level <= slog.LevelInfo && m != logger {
			t.Errorf("LOG_LEVEL %s: metrics should go through the function's own logger", level)
		}
	}
}
