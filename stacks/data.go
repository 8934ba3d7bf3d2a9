package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/constructs"
)

// DataStackProps configures the Data stack.
type DataStackProps struct {
	awscdk.StackProps
	// Lifecycle decides whether the table survives the stack (prod) or not (dev).
	Lifecycle constructs.Lifecycle
}

// DataStack holds the game table. It is its own stack so that the stateless stacks around it
// can be destroyed and redeployed freely.
type DataStack struct {
	awscdk.Stack
	// Games is the game table construct, with its metric methods.
	Games *constructs.GameTable
	// Table is the game table, with its stream (NEW_AND_OLD_IMAGES) enabled.
	Table awsdynamodb.ITableV2
}

// NewDataStack defines the stack.
func NewDataStack(scope cdkconstructs.Construct, id string, props *DataStackProps) *DataStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	table := constructs.NewGameTable(stack, jsii.String("Games"), &constructs.GameTableProps{Lifecycle: props.Lifecycle})
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{
		Value:       table.Table.TableName(),
		Description: jsii.String("DynamoDB table of rooms and connections"),
	})
	return &DataStack{Stack: stack, Games: table, Table: table.Table}
}
