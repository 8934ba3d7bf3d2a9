package blocks

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

func TestGameTableMatchesTheStoreLayout(t *testing.T) {
	stack := newStack(t)
	NewGameTable(stack, jsii.String("Games"), &GameTableProps{Lifecycle: Dev})
	tpl := assertions.Template_FromStack(stack, nil)
	cdktest.Has(t, tpl, "AWS::DynamoDB::GlobalTable", map[string]any{
		"KeySchema":            []any{map[string]any{"AttributeName": schema.PartitionKey, "KeyType": "HASH"}},
		"AttributeDefinitions": []any{map[string]any{"AttributeName": schema.PartitionKey, "AttributeType": "S"}},
		"BillingMode":          "PAY_PER_REQUEST",
		"TimeToLiveSpecification": map[string]any{
			"AttributeName": schema.TTLAttribute,
			"Enabled":       true,
		},
		"StreamSpecification": map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"},
		"SSESpecification":    obj(map[string]any{"SSEEnabled": true}),
		"Replicas": arr(obj(map[string]any{
			"PointInTimeRecoverySpecification": obj(map[string]any{"PointInTimeRecoveryEnabled": true}),
		})),
	})
}

func TestGameTableProtectionFollowsTheLifecycle(t *testing.T) {
	tests := []struct {
		env        Lifecycle
		policy     string
		protection bool
	}{
		{Dev, "Delete", false},
		{Prod, "Retain", true},
		{"", "Retain", true}, // unset: keep the data
	}
	for _, tt := range tests {
		t.Run(string(tt.env), func(t *testing.T) {
			stack := newStack(t)
			NewGameTable(stack, jsii.String("Games"), &GameTableProps{Lifecycle: tt.env})
			tpl := assertions.Template_FromStack(stack, nil)
			cdktest.HasResource(t, tpl, "AWS::DynamoDB::GlobalTable", map[string]any{
				"DeletionPolicy": tt.policy,
				"Properties": map[string]any{
					"Replicas": arr(obj(map[string]any{"DeletionProtectionEnabled": tt.protection})),
				},
			})
		})
	}
}
