package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// CallbackURL is Region name's @connections URL in a multi-Region deployment, as its item
// (schema.KindCallbackURL) in this replica says; "" when there is none yet (a Region being
// added: its Links stack has not written it, or it has not replicated here).
func (s *DynamoStore) CallbackURL(ctx context.Context, name string) (string, error) {
	item, err := s.get(ctx, schema.CallbackURLKeyPrefix+name)
	if err != nil || item == nil {
		return "", err
	}
	u, ok := item[schema.CallbackURLAttribute].(*types.AttributeValueMemberS)
	if !ok {
		return "", fmt.Errorf("Region %s's @connections URL item has no string %q", name, schema.CallbackURLAttribute)
	}
	return u.Value, nil
}

// PutCallbackURL writes Region name's @connections URL item, as that Region's Links stack does
// on AWS at deploy time (stacks/links.go); tests write it with this.
func (s *DynamoStore) PutCallbackURL(ctx context.Context, name, url string) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: map[string]types.AttributeValue{
		schema.PartitionKey:         &types.AttributeValueMemberS{Value: schema.CallbackURLKeyPrefix + name},
		schema.KindAttribute:        &types.AttributeValueMemberS{Value: schema.KindCallbackURL},
		schema.CallbackURLAttribute: &types.AttributeValueMemberS{Value: url},
	}})
	if err != nil {
		return fmt.Errorf("writing Region %s's @connections URL: %w", name, err)
	}
	return nil
}
