package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// DataStackProps configures the Data stack.
type DataStackProps struct {
	awscdk.StackProps
	// Lifecycle decides whether the table survives the stack (prod) or not (dev).
	Lifecycle blocks.Lifecycle
	// CustomerManagedKey encrypts the table with a key of its own. Default: the AWS managed
	// key (blocks.TableProps.CustomerManagedKey).
	CustomerManagedKey bool
	// Replicas are the other Regions of a multi-Region deployment (docs/regions.md).
	Replicas []string
}

// DataStack holds the game table. It is its own stack so that the stateless stacks around it
// can be destroyed and redeployed freely.
type DataStack struct {
	awscdk.Stack
	// Games is the game table construct, with its metric methods.
	Games *blocks.Table
	// Table is the game table, with its stream (NEW_AND_OLD_IMAGES) enabled.
	Table awsdynamodb.ITableV2
}

// NewDataStack defines the stack.
func NewDataStack(scope constructs.Construct, id string, props *DataStackProps) *DataStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	table := blocks.NewTable(stack, jsii.String("Games"), gameTableProps(props.Lifecycle, props.CustomerManagedKey, props.Replicas))
	awscdk.NewCfnOutput(stack, jsii.String(dataOutputTableName), &awscdk.CfnOutputProps{
		Value:       table.Table.TableName(),
		Description: jsii.String("DynamoDB table of rooms and connections"),
	})
	return &DataStack{Stack: stack, Games: table, Table: table.Table}
}

// grantTableKey lets fn use the game table's customer managed key, when it has one: a Grant
// of table actions covers the table alone (CDK's TableV2.Grant leaves the key to the caller).
func grantTableKey(table awsdynamodb.ITableV2, fn *blocks.GoFunction) {
	key := table.EncryptionKey()
	if key == nil {
		return
	}
	key.GrantEncryptDecrypt(fn.Function)
	blocks.SuppressNag(fn.Role, "AwsSolutions-IAM5", "KMS names its data-key and re-encrypt calls with a wildcard (kms:GenerateDataKey*, kms:ReEncrypt*): the grant is on the game table's one key, which DynamoDB uses for the function's reads and writes",
		"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")
}

// dataOutputTableName is the output naming the game table, which other Regions' stacks read.
const dataOutputTableName = "TableName"

// gameTableProps are the game table's settings of blocks.Table: the layout lambda/store reads
// and writes (lambda/store/schema), expiring items, new and old images on the stream for the
// presence pipeline's filters.
func gameTableProps(lifecycle blocks.Lifecycle, customerManagedKey bool, replicas []string) *blocks.TableProps {
	return &blocks.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(schema.PartitionKey), Type: awsdynamodb.AttributeType_STRING},
		TimeToLiveAttribute: jsii.String(schema.TTLAttribute),
		StreamView:          awsdynamodb.StreamViewType_NEW_AND_OLD_IMAGES,
		Lifecycle:           lifecycle,
		CustomerManagedKey:  customerManagedKey,
		KeyDescription:      jsii.String("TicTacToe game table and its stream"),
		Replicas:            replicas,
	}
}
