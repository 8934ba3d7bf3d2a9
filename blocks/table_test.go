package blocks

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// At its defaults the table is an on-demand, recoverable, encrypted table with a string
// key, a TTL attribute and a stream of both images; each of those but the safety settings is
// a prop, and the L2's own props pass through where the construct has none.
func TestTableKeySchemaTTLAndStream(t *testing.T) {
	for _, tt := range []struct {
		name  string
		props *TableProps
		want  map[string]any
	}{
		{"defaults", nil, map[string]any{
			"KeySchema":               []any{map[string]any{"AttributeName": DefaultPartitionKey, "KeyType": "HASH"}},
			"AttributeDefinitions":    []any{map[string]any{"AttributeName": DefaultPartitionKey, "AttributeType": "S"}},
			"BillingMode":             "PAY_PER_REQUEST",
			"TimeToLiveSpecification": map[string]any{"AttributeName": DefaultTTLAttribute, "Enabled": true},
			"StreamSpecification":     map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"},
			"SSESpecification":        obj(map[string]any{"SSEEnabled": true}),
			"Replicas": arr(obj(map[string]any{
				"PointInTimeRecoverySpecification": obj(map[string]any{"PointInTimeRecoveryEnabled": true}),
			})),
		}},
		{"a key schema, TTL attribute and stream of the app's own", &TableProps{
			PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String("channel"), Type: awsdynamodb.AttributeType_STRING},
			SortKey:             &awsdynamodb.Attribute{Name: jsii.String("sentAt"), Type: awsdynamodb.AttributeType_NUMBER},
			TimeToLiveAttribute: jsii.String("ttl"),
			StreamView:          awsdynamodb.StreamViewType_NEW_IMAGE,
		}, map[string]any{
			"KeySchema": []any{
				map[string]any{"AttributeName": "channel", "KeyType": "HASH"},
				map[string]any{"AttributeName": "sentAt", "KeyType": "RANGE"},
			},
			"TimeToLiveSpecification": map[string]any{"AttributeName": "ttl", "Enabled": true},
			"StreamSpecification":     map[string]any{"StreamViewType": "NEW_IMAGE"},
		}},
		{"the escape hatch: an index and a table class", &TableProps{TablePropsV2: &awsdynamodb.TablePropsV2{
			TableClass: awsdynamodb.TableClass_STANDARD_INFREQUENT_ACCESS,
			GlobalSecondaryIndexes: &[]*awsdynamodb.GlobalSecondaryIndexPropsV2{{
				IndexName:    jsii.String("byUser"),
				PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("user"), Type: awsdynamodb.AttributeType_STRING},
			}},
		}}, map[string]any{
			"GlobalSecondaryIndexes": arr(obj(map[string]any{"IndexName": "byUser"})),
			"Replicas":               arr(obj(map[string]any{"TableClass": "STANDARD_INFREQUENT_ACCESS"})),
			"BillingMode":            "PAY_PER_REQUEST", // the construct's defaults stay
			"StreamSpecification":    map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stack := newStack(t)
			NewTable(stack, jsii.String("Table"), tt.props)
			cdktest.Has(t, assertions.Template_FromStack(stack, nil), "AWS::DynamoDB::GlobalTable", tt.want)
		})
	}
}

// The escape hatch refuses what the construct's own props decide, saying which prop to use.
func TestTableRefusesOwnedOverrides(t *testing.T) {
	mustPanic(t, "Table Table: TablePropsV2 sets PartitionKey", func() {
		NewTable(newStack(t), jsii.String("Table"), &TableProps{TablePropsV2: &awsdynamodb.TablePropsV2{
			PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("id"), Type: awsdynamodb.AttributeType_STRING},
		}})
	})
	// Its protections: on-demand billing, point-in-time recovery.
	mustPanic(t, "Table Table: TablePropsV2 sets PointInTimeRecoverySpecification", func() {
		NewTable(newStack(t), jsii.String("Table"), &TableProps{TablePropsV2: &awsdynamodb.TablePropsV2{
			PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(false)},
		}})
	})
}

func TestTableProtectionFollowsTheLifecycle(t *testing.T) {
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
			NewTable(stack, jsii.String("Games"), &TableProps{Lifecycle: tt.env})
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
