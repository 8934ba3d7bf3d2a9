package app

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// With CALLBACK_URLS_IN_TABLE, the Regions CALLBACK_URLS does not give are read from their
// items in this Region's replica: a Region with none yet (being added), or with a URL that is
// not one, is left out with a warning and found by the next look-up once its Links stack has
// written it.
func TestCallbackURLsFromTheTable(t *testing.T) {
	tb := dynalitetest.New(t)
	local := store.NewDynamoStore(tb.Client, tb.Name, time.Now, store.Expiry{Room: time.Hour})
	ctx := context.Background()
	cfg := config.Config{Region: "eu-west-1", Regions: []string{"eu-west-1", "eu-central-1", "us-east-1", "ap-south-1"},
		CallbackURL:         "https://own.example/prod",
		CallbackURLs:        map[string]string{"ap-south-1": "https://given.example/prod"},
		CallbackURLsInTable: true}
	for r, u := range map[string]string{
		"eu-west-1":    "https://stale.example/prod", // this Region's own comes from CALLBACK_URL
		"eu-central-1": "https://central.example/prod",
		"us-east-1":    "not a URL",
		"ap-south-1":   "https://table.example/prod", // CALLBACK_URLS gives it
	} {
		if err := local.PutCallbackURL(ctx, r, u); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	want := map[string]string{"eu-west-1": "https://own.example/prod", "eu-central-1": "https://central.example/prod", "ap-south-1": "https://given.example/prod"}
	if got := callbackURLs(ctx, cfg, local, logger); !maps.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), `"region":"us-east-1"`) {
		t.Errorf("the Region left out is not named in the logs: %s", logs.String())
	}
	if err := local.PutCallbackURL(ctx, "us-east-1", "https://east.example/prod/"); err != nil {
		t.Fatal(err)
	}
	want["us-east-1"] = "https://east.example/prod"
	if got := callbackURLs(ctx, cfg, local, logger); !maps.Equal(got, want) {
		t.Fatalf("looked up again: got %v, want %v", got, want)
	}
	// Without the setting, the table is not read: CALLBACK_URLS give every Region (config.Require).
	cfg.CallbackURLsInTable = false
	if got := callbackURLs(ctx, cfg, local, logger); len(got) != 2 {
		t.Fatalf("without CALLBACK_URLS_IN_TABLE: %v, want this Region's and the given one", got)
	}
}
