package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLinesAreValidEMF checks each game event's line against the EMF specification: the _aws
// metadata, a namespace, dimension sets whose keys are top-level members, metric definitions
// whose names are top-level numeric members, and a millisecond timestamp.
func TestLinesAreValidEMF(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	e := NewEMF(slog.New(slog.NewJSONHandler(&buf, nil)), func() time.Time { return at })
	for _, m := range Names() {
		e.Count(context.Background(), m, "K7M2QX")
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(Names()) {
		t.Fatalf("%d lines for %d events: want one line per event", len(lines), len(Names()))
	}
	for i, line := range lines {
		var doc map[string]any
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatalf("line %d is not JSON: %v", i, err)
		}
		meta, ok := doc["_aws"].(map[string]any)
		if !ok {
			t.Fatalf("line %d has no _aws metadata", i)
		}
		if ts, ok := meta["Timestamp"].(float64); !ok || int64(ts) != at.UnixMilli() {
			t.Fatalf("Timestamp %v, want epoch ms", meta["Timestamp"])
		}
		dirs := meta["CloudWatchMetrics"].([]any)
		if len(dirs) != 1 {
			t.Fatalf("want one directive, got %d", len(dirs))
		}
		d := dirs[0].(map[string]any)
		if d["Namespace"] != Namespace {
			t.Fatalf("namespace %v", d["Namespace"])
		}
		for _, set := range d["Dimensions"].([]any) {
			for _, k := range set.([]any) {
				if _, ok := doc[k.(string)].(string); !ok {
					t.Fatalf("dimension %v is not a top-level string member", k)
				}
			}
		}
		ms := d["Metrics"].([]any)
		if len(ms) != 1 {
			t.Fatalf("metrics %v", ms)
		}
		m := ms[0].(map[string]any)
		if m["Name"] != Names()[i] || m["Unit"] != "Count" {
			t.Fatalf("metric %v", m)
		}
		if v, ok := doc[m["Name"].(string)].(float64); !ok || v != 1 {
			t.Fatalf("metric value %v, want 1", doc[m["Name"].(string)])
		}
		if doc["room"] != "K7M2QX" {
			t.Fatal("room must be a property for Logs Insights")
		}
	}
}

// An action's timing line is valid EMF with the Action dimension, in milliseconds, and names
// only the hops the action made.
func TestActionTimingLine(t *testing.T) {
	tests := []struct {
		name string
		t    Timing
		want map[string]float64
	}{
		{"a move", Timing{Total: 4500 * time.Microsecond, Read: time.Millisecond, Write: 1500 * time.Microsecond, PostMax: 2 * time.Millisecond, Reads: 1, Writes: 1, Posts: 2},
			map[string]float64{ActionLatency: 4.5, ReadLatency: 1, WriteLatency: 1.5, PostLatency: 2}},
		{"refused before any request", Timing{Total: 300 * time.Microsecond}, map[string]float64{ActionLatency: 0.3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := NewEMF(slog.New(slog.NewJSONHandler(&buf, nil)), time.Now)
			e.Action(context.Background(), "move", "K7M2QX", tc.t)
			var doc map[string]any
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			d := doc["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
			if dims := d["Dimensions"].([]any)[0].([]any); len(dims) != 2 || dims[1] != ActionDimension || doc[ActionDimension] != "move" || doc[ServiceDimension] != ServiceName {
				t.Fatalf("dimensions %v, members %v", dims, doc)
			}
			got := map[string]float64{}
			for _, m := range d["Metrics"].([]any) {
				m := m.(map[string]any)
				if m["Unit"] != "Milliseconds" {
					t.Fatalf("unit %v", m["Unit"])
				}
				got[m["Name"].(string)] = doc[m["Name"].(string)].(float64)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("metrics %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}
