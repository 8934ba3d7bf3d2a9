package store_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// A Region's @connections URL is one item under its name, in the layout the Links stack
// writes (stacks/links.go builds it from the same schema constants); a Region with no item yet
// reads as "", not as an error.
func TestCallbackURLs(t *testing.T) {
	st, tb := newStore(t, newClock(t0))
	if u, err := st.CallbackURL(ctx(t), "eu-west-1"); err != nil || u != "" {
		t.Fatalf("no item yet: %q, %v; want \"\", nil", u, err)
	}
	const url = "https://abc.execute-api.eu-west-1.amazonaws.com/prod"
	if err := st.PutCallbackURL(ctx(t), "eu-west-1", url); err != nil {
		t.Fatal(err)
	}
	if u, err := st.CallbackURL(ctx(t), "eu-west-1"); err != nil || u != url {
		t.Fatalf("got %q, %v; want %q", u, err, url)
	}
	out, err := tb.Client.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: &tb.Name,
		Key: map[string]types.AttributeValue{schema.PartitionKey: &types.AttributeValueMemberS{Value: "CALLBACK#eu-west-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := out.Item[schema.KindAttribute].(*types.AttributeValueMemberS); k == nil || k.Value != schema.KindCallbackURL {
		t.Errorf("the item's kind: %v, want %s", out.Item[schema.KindAttribute], schema.KindCallbackURL)
	}
	if _, ok := out.Item[schema.TTLAttribute]; ok {
		t.Error("a Region's URL must not expire")
	}
	if _, err := tb.Client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: &tb.Name, Item: map[string]types.AttributeValue{
		schema.PartitionKey: &types.AttributeValueMemberS{Value: "CALLBACK#eu-central-1"}, schema.KindAttribute: &types.AttributeValueMemberS{Value: schema.KindCallbackURL},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CallbackURL(ctx(t), "eu-central-1"); err == nil {
		t.Error("an item without its URL must be an error")
	}
}
