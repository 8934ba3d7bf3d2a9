// Package metrics records game metrics as CloudWatch Embedded Metric Format (EMF): one JSON log
// line per event, which CloudWatch Logs turns into metrics. Nothing is called on the hot path
// but a write to stdout, and the line doubles as a searchable log record.
package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of the game metrics.
const Namespace = "TicTacToe"

// ServiceDimension is the one dimension every game metric carries. One dimension set keeps the
// number of custom metrics (and their monthly cost) to one per metric name.
const ServiceDimension = "Service"

// ServiceName is the value of ServiceDimension.
const ServiceName = "tictactoe"

// Metric names: the dashboard and alarms refer to these. Add, never rename.
const (
	RoomsCreated  = "RoomsCreated"
	GamesStarted  = "GamesStarted"
	GamesFinished = "GamesFinished"
	Moves         = "Moves"
	ChatMessages  = "ChatMessages"
	Rejoins       = "Rejoins"
	Disconnects   = "Disconnects"
)

// Names lists every metric.
func Names() []string {
	return []string{RoomsCreated, GamesStarted, GamesFinished, Moves, ChatMessages, Rejoins, Disconnects}
}

// Recorder counts game events.
type Recorder interface {
	// Count records one occurrence of metric in room.
	Count(ctx context.Context, metric, room string)
}

// Nop records nothing.
type Nop struct{}

func (Nop) Count(context.Context, string, string) {}

// EMF writes one EMF line per event.
type EMF struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

var _ Recorder = (*EMF)(nil)

// NewEMF writes to w (stdout in a Lambda: its log stream).
func NewEMF(w io.Writer, now func() time.Time) *EMF { return &EMF{w: w, now: now} }

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// Line is the EMF line for one event (exported for tests and the docs).
func Line(metric, room string, at time.Time) ([]byte, error) {
	line := map[string]any{
		"_aws": emfMeta{
			Timestamp: at.UnixMilli(),
			CloudWatchMetrics: []emfDirective{{
				Namespace:  Namespace,
				Dimensions: [][]string{{ServiceDimension}},
				Metrics:    []emfMetric{{Name: metric, Unit: "Count"}},
			}},
		},
		ServiceDimension: ServiceName,
		metric:           1,
		"event":          metric,
	}
	if room != "" {
		line["room"] = room // a property, not a dimension: searchable, free
	}
	b, err := json.Marshal(line)
	if err != nil {
		return nil, fmt.Errorf("encoding the %s metric: %w", metric, err)
	}
	return append(b, '\n'), nil
}

// Count writes the event's line; a failure to write a metric never fails the game.
func (e *EMF) Count(_ context.Context, metric, room string) {
	b, err := Line(metric, room, e.now())
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.w.Write(b) // stdout: nowhere better to report its own failure
}
