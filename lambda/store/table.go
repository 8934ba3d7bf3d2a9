package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// TableAPI is the part of *dynamodb.Client that EnsureTable uses.
type TableAPI interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
}

// EnsureTable creates the game table with the layout this package expects, unless it exists,
// and waits until it is active. It is for local servers and tests: on AWS the CDK stack owns
// the table (with TTL, streams, PITR and encryption on top of this layout).
func EnsureTable(ctx context.Context, db TableAPI, name string) error {
	_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
	var missing *types.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		_, err = db.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            &name,
			BillingMode:          types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: strp(schema.PartitionKey), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: strp(schema.PartitionKey), KeyType: types.KeyTypeHash}},
		})
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return fmt.Errorf("creating table %s: %w", name, err)
		}
	case err != nil:
		return fmt.Errorf("describing table %s: %w", name, err)
	}
	for {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
		if err != nil {
			return fmt.Errorf("waiting for table %s: %w", name, err)
		}
		if out.Table.TableStatus == types.TableStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for table %s to become active: %w", name, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func strp(s string) *string { return &s }
