package constructs

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// GameTableProps configures a GameTable.
type GameTableProps struct {
	// Deployment decides what protects the data. Default: Prod: deletion protection on, and the
	// table is retained when its stack is deleted. Dev: neither, so `cdk destroy` removes it.
	Deployment Environment
}

// GameTable is the game's DynamoDB table, laid out as lambda/store reads and writes it: one
// string partition key, items expiring through the TTL attribute. It bills on demand (nothing
// at idle), keeps 35 days of point-in-time recovery, is encrypted with the AWS managed key, and
// streams new and old images of every change for the functions that react to them.
type GameTable struct {
	cdkconstructs.Construct
	// Table is the table; its stream is enabled.
	Table awsdynamodb.TableV2
}

// NewGameTable defines the table.
func NewGameTable(scope cdkconstructs.Construct, id *string, props *GameTableProps) *GameTable {
	if props == nil {
		props = &GameTableProps{}
	}
	this := cdkconstructs.NewConstruct(scope, id)
	env := props.Deployment.orDefault()
	table := awsdynamodb.NewTableV2(this, jsii.String("Resource"), &awsdynamodb.TablePropsV2{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(store.PartitionKey), Type: awsdynamodb.AttributeType_STRING},
		Billing:             awsdynamodb.Billing_OnDemand(nil),
		TimeToLiveAttribute: jsii.String(store.TTLAttribute),
		DynamoStream:        awsdynamodb.StreamViewType_NEW_AND_OLD_IMAGES,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:         awsdynamodb.TableEncryptionV2_AwsManagedKey(),
		DeletionProtection: jsii.Bool(env.IsProd()),
		RemovalPolicy:      env.RemovalPolicy(),
	})
	return &GameTable{Construct: this, Table: table}
}
