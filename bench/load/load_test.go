package load

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite"
)

// TestSmallRun plays a few games through the whole local stack and checks what the benchmark
// reports: every move lands, and each costs one read and one conditional write in DynamoDB and
// one @connections post per player.
func TestSmallRun(t *testing.T) {
	ctx, l := startForTest(t, StartLocal)
	res, err := Run(ctx, l.Stack.WebSocketURL, l.Counters, Options{Games: 6, Rounds: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Lost != 0 || res.Moves != 6*2*9 {
		t.Fatalf("errors %d (%v) lost %d moves %d", res.Errors, res.ErrorSamples, res.Lost, res.Moves)
	}
	perMove := float64(res.MoveCounts.DynamoTotal()) / float64(res.Moves)
	if perMove != 2 || res.MoveCounts.Dynamo["GetItem"] != int64(res.Moves) || res.MoveCounts.Dynamo["PutItem"] != int64(res.Moves) {
		t.Fatalf("DynamoDB per move %.2f (%v), want one GetItem and one PutItem", perMove, res.MoveCounts.Dynamo)
	}
	if res.MoveCounts.Posts != int64(2*res.Moves) || res.MoveCounts.Gone != 0 {
		t.Fatalf("@connections posts %d for %d moves, want 2 each", res.MoveCounts.Posts, res.Moves)
	}
	if res.P50 <= 0 || res.P99 < res.P50 || res.MovesPerSecond <= 0 {
		t.Fatalf("latencies %v %v, rate %v", res.P50, res.P99, res.MovesPerSecond)
	}
	// Each game's first move is reported apart from its other eight.
	if res.First.Moves != 6*2 || res.Rest.Moves != 6*2*8 || res.First.Max > res.Max || res.Rest.Max > res.Max {
		t.Fatalf("first moves %+v, the rest %+v, all max %v", res.First, res.Rest, res.Max)
	}
}

// startForTest starts a local stack for the test's life (2 minutes at most), skipping it without
// dynalite outside CI.
func startForTest(t *testing.T, start func(context.Context) (*Local, error)) (context.Context, *Local) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	l, err := start(ctx)
	if errors.Is(err, dynalite.ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return ctx, l
}

// TestComputerMovesCostWhatMovesCost: a move against the computer, its answer included, is one
// read and one conditional write of the room and one frame out to the player.
func TestComputerMovesCostWhatMovesCost(t *testing.T) {
	ctx, l := startForTest(t, StartLocal)
	res, err := Computer(ctx, l.Stack.WebSocketURL, l.Counters, 5)
	if err != nil {
		t.Fatal(err)
	}
	if res.Moves < 5*3 || res.DynamoPerMove() != 2 || res.MoveCounts.Dynamo["GetItem"] != int64(res.Moves) {
		t.Fatalf("%d moves cost %v DynamoDB requests (%.2f each), want one GetItem and one PutItem each", res.Moves, res.MoveCounts.Dynamo, res.DynamoPerMove())
	}
	if res.MessagesPerMove() != 2 {
		t.Fatalf("%.2f API Gateway messages per move, want 2 (the move in, the room with both marks out)", res.MessagesPerMove())
	}
}

// measurePhases runs phases (Phases or PlayerPhases) for games games on a fresh local stack and
// checks each phase's DynamoDB requests per game against want (a range: where two requests
// race, the cost depends on which lands first).
func measurePhases(t *testing.T, phases func(context.Context, string, *Counters, int) ([]Phase, error), games int, want map[string][2]float64) {
	t.Helper()
	l, err := StartLocal(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Stop(context.Background()) })
	got, err := phases(t.Context(), l.Stack.WebSocketURL, l.Counters, games)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d phases measured, want %d", len(got), len(want))
	}
	for _, p := range got {
		w, n := want[p.Name], p.PerGame()
		if n < w[0] || n > w[1] {
			t.Errorf("%s: %.2f DynamoDB requests per game (%v), want %g to %g", p.Name, n, p.Counts.Dynamo, w[0], w[1])
		}
	}
}

// Each phase is counted apart and costs what the handlers' own tests say (the floors, or the
// one request above it the report explains): a rematch costs 4 one after the other and 5 when
// both read before either writes; leaving at once costs 4, or 6 when a post finds the other
// player already gone.
func TestPhases(t *testing.T) {
	measurePhases(t, Phases, 4, map[string][2]float64{"connect (both players)": {2, 2}, "createRoom": {2, 2}, "joinRoom": {3, 3},
		"9 moves": {18, 18}, "rematch (both ask at once)": {4, 5}, "both players leave at once": {4, 6}, "both leave one after the other": {4, 4}})
}

// What the players' history, stats and ratings add, phase by phase: each phase costs its
// floor. A rated game writes the leaderboard for each player whose standing changed: here, on a
// board of fewer than 50, always both.
func TestPlayerPhases(t *testing.T) {
	measurePhases(t, PlayerPhases, 3, map[string][2]float64{"quick match, both identified": {15, 15},
		"9 moves of a rated game, recorded for both": {30, 30}, "myGames (a rated player)": {2, 2}, "leaderboard, with the asker's rank": {2, 2}})
}
