package coldstart

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every function starts under the harness and answers its first event: 200 to a connection, a
// frame's error answer, an empty batch's empty report; the floor its event.
func TestEveryFunctionStartsAndAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every function")
	}
	fns, err := Functions("../..")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Measure(context.Background(), "../..", append(fns, Floor()), 2)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"connect": `"statusCode":200`, "disconnect": `"statusCode":200`, "game": `"statusCode":200`, "presence": `"batchItemFailures"`,
		"floor": `{"floor":true}`}
	for _, r := range res {
		if !strings.Contains(r.Response, want[r.Function]) {
			t.Errorf("%s answered %s, want %s in it", r.Function, r.Response, want[r.Function])
		}
		if r.InitMedian <= 0 || r.InitMax < r.InitMedian || r.FirstMedian <= 0 {
			t.Errorf("%s: init %v (max %v), first invoke %v", r.Function, r.InitMedian, r.InitMax, r.FirstMedian)
		}
	}
	if len(fns) != 4 || len(res) != 5 {
		t.Errorf("%d functions measured, want the four and the floor", len(res))
	}
}

// A bootstrap that dies before asking for an event is an error saying what it printed.
func TestABootstrapThatDiesIsNamed(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho 'game: invalid configuration: TABLE_NAME is required' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := Start(context.Background(), bin, Function{Name: "game", Event: "{}"})
	if err == nil || !strings.Contains(err.Error(), "TABLE_NAME is required") {
		t.Fatalf("got %v, want the bootstrap's own message", err)
	}
	if _, err := Measure(context.Background(), "../..", nil, 0); err != ErrNoRuns {
		t.Errorf("no runs: %v", err)
	}
}
