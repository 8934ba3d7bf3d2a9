// Package metrics records game metrics as CloudWatch Embedded Metric Format (EMF): one JSON log
// line per event, which CloudWatch Logs turns into metrics. Nothing is called on the hot path
// but a write to stdout, and the line doubles as a searchable log record.
package metrics

import (
	"context"
	"log/slog"
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
	// Games against the computer, by its level (each also counts in GamesStarted).
	ComputerGamesEasy    = "ComputerGamesEasy"
	ComputerGamesMedium  = "ComputerGamesMedium"
	ComputerGamesPerfect = "ComputerGamesPerfect"
	// QuickMatches counts pairs made by quick match; QuickMatchWait is how long the player
	// paired had waited in the queue, in seconds (one value per pair).
	QuickMatches   = "QuickMatches"
	QuickMatchWait = "QuickMatchWait"
	// GamesRecorded counts finished games kept in identified players' history, RatedGames
	// those that changed ratings, RecordFailures the players a finished game could not be
	// recorded for, and Erasures the players who erased themselves (lambda/players).
	GamesRecorded  = "GamesRecorded"
	RatedGames     = "RatedGames"
	RecordFailures = "RecordFailures"
	Erasures       = "Erasures"
)

// Names lists every metric.
func Names() []string {
	return []string{RoomsCreated, GamesStarted, GamesFinished, Moves, ChatMessages, Rejoins, Disconnects,
		ComputerGamesEasy, ComputerGamesMedium, ComputerGamesPerfect, QuickMatches, QuickMatchWait,
		GamesRecorded, RatedGames, RecordFailures, Erasures}
}

// ComputerGames is the metric of games against the computer at level ("easy", "medium",
// "perfect"), or "" for another.
func ComputerGames(level string) string {
	switch level {
	case "easy":
		return ComputerGamesEasy
	case "medium":
		return ComputerGamesMedium
	case "perfect":
		return ComputerGamesPerfect
	}
	return ""
}

// Recorder counts game events.
type Recorder interface {
	// Count records one occurrence of metric in room.
	Count(ctx context.Context, metric, room string)
	// Seconds records a duration of metric in room, in seconds.
	Seconds(ctx context.Context, metric, room string, d time.Duration)
}

// Nop records nothing.
type Nop struct{}

func (Nop) Count(context.Context, string, string)                  {}
func (Nop) Seconds(context.Context, string, string, time.Duration) {}

// EMF writes one EMF line per event through a JSON slog logger: EMF allows any other
// top-level members, so the line is both a metric and an ordinary structured log record, and
// it goes wherever the function's logs go (the log stream on AWS, the console under make dev).
type EMF struct {
	log *slog.Logger
	now func() time.Time
}

var _ Recorder = (*EMF)(nil)

// NewEMF writes through log, which must use slog.JSONHandler for CloudWatch to read the lines.
func NewEMF(log *slog.Logger, now func() time.Time) *EMF { return &EMF{log: log, now: now} }

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

// Count writes the event's line.
func (e *EMF) Count(ctx context.Context, metric, room string) {
	e.write(ctx, metric, room, "Count", slog.Int(metric, 1))
}

// Seconds writes the measurement's line.
func (e *EMF) Seconds(ctx context.Context, metric, room string, d time.Duration) {
	e.write(ctx, metric, room, "Seconds", slog.Float64(metric, d.Seconds()))
}

func (e *EMF) write(ctx context.Context, metric, room, unit string, value slog.Attr) {
	attrs := []slog.Attr{
		slog.Any("_aws", emfMeta{
			Timestamp: e.now().UnixMilli(),
			CloudWatchMetrics: []emfDirective{{
				Namespace:  Namespace,
				Dimensions: [][]string{{ServiceDimension}},
				Metrics:    []emfMetric{{Name: metric, Unit: unit}},
			}},
		}),
		slog.String(ServiceDimension, ServiceName),
		value,
		slog.String("event", metric),
	}
	if room != "" {
		attrs = append(attrs, slog.String("room", room)) // a property, not a dimension: free
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "metric", attrs...)
}

// The per-hop timings of one client action (lambda/hops), in milliseconds, under the
// dimensions Service and ActionDimension: how long the action took in all, in DynamoDB reads
// and writes, and in its slowest @connections post. The dashboard draws their p50 and p99 per
// action. Add, never rename.
const (
	ActionLatency = "ActionLatency"
	ReadLatency   = "ReadLatency"
	WriteLatency  = "WriteLatency"
	PostLatency   = "PostLatency"
	// ActionDimension names the client action (lambda/catalog's actions).
	ActionDimension = "Action"
	// MoveRoundTrip is a page's own round trip of a move, from its send to the room frame that
	// holds it, reported with its next move (?rtt=1): the network's share beside the server's.
	MoveRoundTrip = "MoveRoundTrip"
)

// Latencies lists the per-hop metrics.
func Latencies() []string { return []string{ActionLatency, ReadLatency, WriteLatency, PostLatency} }

// Timing is one action's timings: its total, the DynamoDB reads and writes (summed) and the
// slowest post, with how many of each.
type Timing struct {
	Total, Read, Write, PostMax time.Duration
	Reads, Writes, Posts        int
}

// RoundTrip writes one line of a page's reported move round trip in room, in milliseconds,
// under the Service dimension only.
func (e *EMF) RoundTrip(ctx context.Context, room string, d time.Duration) {
	e.write(ctx, MoveRoundTrip, room, "Milliseconds", slog.Float64(MoveRoundTrip, float64(d.Microseconds())/1000))
}

// Action writes one line of action's per-hop timings in room. A hop the action did not make
// (no post, say) is left out, so that it does not pull the hop's percentiles down.
func (e *EMF) Action(ctx context.Context, action, room string, t Timing) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var names []emfMetric
	attrs := []slog.Attr{slog.String(ServiceDimension, ServiceName), slog.String(ActionDimension, action)}
	for _, m := range []struct {
		name string
		d    time.Duration
		made bool
	}{
		{ActionLatency, t.Total, true}, {ReadLatency, t.Read, t.Reads > 0},
		{WriteLatency, t.Write, t.Writes > 0}, {PostLatency, t.PostMax, t.Posts > 0},
	} {
		if m.made {
			names = append(names, emfMetric{Name: m.name, Unit: "Milliseconds"})
			attrs = append(attrs, slog.Float64(m.name, ms(m.d)))
		}
	}
	attrs = append(attrs, slog.Any("_aws", emfMeta{
		Timestamp: e.now().UnixMilli(),
		CloudWatchMetrics: []emfDirective{{
			Namespace: Namespace, Dimensions: [][]string{{ServiceDimension, ActionDimension}}, Metrics: names,
		}},
	}), slog.Int("reads", t.Reads), slog.Int("writes", t.Writes), slog.Int("posts", t.Posts), slog.String("event", "timing"))
	if room != "" {
		attrs = append(attrs, slog.String("room", room))
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "metric", attrs...)
}
