package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/constructs"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// PresenceStackProps configures the Presence stack.
type PresenceStackProps struct {
	awscdk.StackProps
	// Table is the game table, with its stream enabled. Required.
	Table awsdynamodb.ITableV2
	// Topic receives the presence events. Required.
	Topic awssns.ITopic
	// AlarmTopic is told when the pipeline's alarms (dead letters, falling behind) fire and
	// clear. Default: none, alarms without actions.
	AlarmTopic awssns.ITopic
	// LogLevel of the function (LOG_LEVEL). Default: the function's own, info.
	LogLevel string
	// Lifecycle picks the log group's retention and removal.
	Lifecycle constructs.Lifecycle
}

// PresenceStack is the game table's stream pipeline: the presence function reads the changes
// that matter for presence and publishes events to the alerts topic.
type PresenceStack struct {
	awscdk.Stack
	// Function is the presence function (lambda/cmd/presence).
	Function *constructs.GoFunction
	// Stream is its event source mapping, dead-letter queue and alarms.
	Stream *constructs.StreamProcessor
}

// PresenceFilters are the stream records the presence function needs, in Lambda's event filter
// syntax over the DynamoDB stream record: a room created, a room deleted (by the players or by
// the TTL: the function tells them apart), and a room changed in a way that changes presence.
// Everything else (moves, chat, connection items, the function's own markers) is dropped
// before it is billed. Lambda accepts five filters per mapping; these are three.
func PresenceFilters() []*map[string]any {
	is := func(v any) any { return awslambda.FilterRule_IsEqual(v) }
	kindRoom := map[string]any{schema.KindAttribute: map[string]any{"S": is(jsii.String(schema.KindRoom))}}
	return []*map[string]any{
		awslambda.FilterCriteria_Filter(&map[string]any{
			"eventName": is(jsii.String("INSERT")),
			"dynamodb":  map[string]any{"NewImage": kindRoom},
		}),
		awslambda.FilterCriteria_Filter(&map[string]any{
			"eventName": is(jsii.String("MODIFY")),
			"dynamodb": map[string]any{"NewImage": map[string]any{
				schema.KindAttribute:            kindRoom[schema.KindAttribute],
				schema.PresenceChangedAttribute: map[string]any{"BOOL": is(jsii.Bool(true))},
			}},
		}),
		awslambda.FilterCriteria_Filter(&map[string]any{
			"eventName": is(jsii.String("REMOVE")),
			"dynamodb":  map[string]any{"OldImage": kindRoom},
		}),
	}
}

// NewPresenceStack defines the stack.
func NewPresenceStack(scope cdkconstructs.Construct, id string, props *PresenceStackProps) *PresenceStack {
	if props.Table == nil || props.Topic == nil {
		panic(fmt.Errorf("stack %s: Table and Topic are required", id))
	}
	f, ok := catalog.Lookup(catalog.FnPresence)
	if !ok || !f.Needs.StreamRead {
		panic(fmt.Errorf("stack %s: lambda/catalog has no stream function %s", id, catalog.FnPresence))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	env := map[string]*string{}
	if f.Needs.Table() {
		env[config.EnvTableName] = props.Table.TableName()
	}
	if f.Needs.PublishAlerts {
		env[config.EnvTopicARN] = props.Topic.TopicArn()
	}
	if props.LogLevel != "" {
		env[config.EnvLogLevel] = jsii.String(props.LogLevel)
	}
	fn := constructs.NewGoFunction(stack, jsii.String("Function"), &constructs.GoFunctionProps{
		Command:     jsii.String(f.Name),
		Description: jsii.String(f.Description),
		Environment: &env,
		Lifecycle:   props.Lifecycle,
	})
	stream := constructs.NewStreamProcessor(stack, jsii.String("Stream"), &constructs.StreamProcessorProps{
		Table:      props.Table,
		Function:   fn.Function,
		Filters:    PresenceFilters(),
		AlarmTopic: props.AlarmTopic,
	})
	if f.Needs.Table() {
		props.Table.Grant(fn.Function, *jsii.Strings(f.Needs.TableActions...)...)
		grantTableKey(props.Table, fn)
	}
	if f.Needs.PublishAlerts {
		props.Topic.GrantPublish(fn.Function)
	}
	constructs.SuppressNag(fn.Role, "AwsSolutions-IAM5", "Publishing to the KMS-encrypted alerts topic needs GenerateDataKey* on its key (CDK's GrantPublish): the wildcard is the action's variants, on that one key",
		"Action::kms:GenerateDataKey*")

	awscdk.NewCfnOutput(stack, jsii.String("DeadLetterQueueUrl"), &awscdk.CfnOutputProps{
		Value:       stream.DeadLetterQueue.QueueUrl(),
		Description: jsii.String("Stream records that failed for good (docs/monitoring.md: replaying them)"),
	})
	return &PresenceStack{Stack: stack, Function: fn, Stream: stream}
}
