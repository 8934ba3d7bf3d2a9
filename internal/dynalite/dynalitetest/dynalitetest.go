// Package dynalitetest starts a real dynalite for a test and gives it a fresh, empty game
// table: the store and handler tests run against DynamoDB's wire protocol, not a mock.
package dynalitetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

var (
	once   sync.Once
	shared *dynalite.Server
	err    error
	tables atomic.Int64
)

// Table is a fresh game table on the package's shared dynalite (one server per test binary).
type Table struct {
	Endpoint string
	Name     string
	Client   *dynamodb.Client
}

// New returns a new, empty table. Without dynalite installed it fails under CI=true and
// skips elsewhere, saying how to install it.
func New(t testing.TB) Table {
	t.Helper()
	once.Do(func() {
		shared, err = dynalite.Start(context.Background(), dynalite.Options{})
	})
	if err != nil {
		if errors.Is(err, dynalite.ErrNotInstalled) && os.Getenv("CI") != "true" {
			t.Skipf("skipping: %v", err)
		}
		t.Fatalf("dynalite: %v", err)
	}
	tb := Table{Endpoint: shared.Endpoint, Name: fmt.Sprintf("game-%d-%d", os.Getpid(), tables.Add(1))}
	tb.Client = Client(shared.Endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := store.EnsureTable(ctx, tb.Client, tb.Name); err != nil {
		t.Fatalf("creating table: %v", err)
	}
	return tb
}

// Client is a DynamoDB client for a local endpoint, with dummy credentials (dynalite checks
// that requests are signed, not by whom).
func Client(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}
