package handler_test

import (
	"context"
	"sync"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
)

type timingLog struct {
	mu   sync.Mutex
	seen []struct {
		action, room string
		t            metrics.Timing
	}
}

func (l *timingLog) Action(_ context.Context, action, room string, t metrics.Timing) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, struct {
		action, room string
		t            metrics.Timing
	}{action, room, t})
}

// Each served action is timed hop by hop as the SDK clients count it (issue 34): a move reads
// the room once, writes it once, and posts the new state to both players; a chat line also
// is kept (two writes: its number, the line); a refused move is timed with its answer.
func TestActionsAreTimedHopByHop(t *testing.T) {
	log := &timingLog{}
	e := newEnv(t, envOptions{timings: log})
	code := e.startGame()
	log.seen = nil
	e.move("x", code, 4)
	e.move("x", code, 5) // not X's turn: refused after one read
	e.send("o", map[string]any{"action": "sendMessage", "roomCode": code, "text": "gg"})
	want := []struct {
		action              string
		reads, writes, post int
	}{
		{"move", 1, 1, 2},
		{"move", 1, 0, 1}, // the room read, the refusal posted to its sender (with a frame limit, its count is a write)
		{"sendMessage", 1, 2, 2},
	}
	if len(log.seen) != len(want) {
		t.Fatalf("%d timings for %d actions: %+v", len(log.seen), len(want), log.seen)
	}
	for i, w := range want {
		got := log.seen[i]
		if got.action != w.action || got.room != code || got.t.Reads != w.reads || got.t.Writes != w.writes || got.t.Posts != w.post {
			t.Errorf("action %d: %s %s reads %d writes %d posts %d; want %s reads %d writes %d posts %d", i, got.action, got.room, got.t.Reads, got.t.Writes, got.t.Posts, w.action, w.reads, w.writes, w.post)
		}
		if got.t.Reads > 0 && got.t.Read <= 0 || got.t.Posts > 0 && got.t.PostMax <= 0 || got.t.Total < got.t.Read+got.t.Write {
			t.Errorf("action %d: durations %+v", i, got.t)
		}
	}
}
