package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
)

// DataStackProps configures the Data stack.
type DataStackProps struct {
	awscdk.StackProps
	// Lifecycle decides whether the table survives the stack (prod) or not (dev).
	Lifecycle blocks.Lifecycle
	// CustomerManagedKey encrypts the table with a key of its own. Default: the AWS managed
	// key (blocks.GameTableProps.CustomerManagedKey).
	CustomerManagedKey bool
	// Replicas are the other Regions of a multi-Region deployment (docs/regions.md).
	Replicas []string
}

// DataStack holds the game table. It is its own stack so that the stateless stacks around it
// can be destroyed and redeployed freely.
type DataStack struct {
	awscdk.Stack
	// Games is the game table construct, with its metric methods.
	Games *blocks.GameTable
	// Table is the game table, with its stream (NEW_AND_OLD_IMAGES) enabled.
	Table awsdynamodb.ITableV2
}

// NewDataStack defines the stack.
func NewDataStack(scope cdkconstructs.Construct, id string, props *DataStackProps) *DataStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	table := blocks.NewGameTable(stack, jsii.String("Games"), &blocks.GameTableProps{Lifecycle: props.Lifecycle, CustomerManagedKey: props.CustomerManagedKey, Replicas: props.Replicas})
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
