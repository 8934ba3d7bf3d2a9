package stacks

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// The game table is blocks.Table in the layout lambda/store reads and writes: the presence
// pipeline's filters need both images, the store its key and its expiry attribute.
func TestGameTableMatchesTheStoreLayout(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	data := NewDataStack(app, "Data", &DataStackProps{Lifecycle: blocks.Dev})
	cdktest.Has(t, assertions.Template_FromStack(data.Stack, nil), "AWS::DynamoDB::GlobalTable", map[string]any{
		"KeySchema":               []any{map[string]any{"AttributeName": schema.PartitionKey, "KeyType": "HASH"}},
		"AttributeDefinitions":    []any{map[string]any{"AttributeName": schema.PartitionKey, "AttributeType": "S"}},
		"TimeToLiveSpecification": map[string]any{"AttributeName": schema.TTLAttribute, "Enabled": true},
		"StreamSpecification":     map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"},
	})
}
