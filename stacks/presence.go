package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
	presencemapping "github.com/serverless-tictactoe/tictactoe/lambda/presence/mapping"
)

// PresenceStackProps configures the Presence stack.
type PresenceStackProps struct {
	awscdk.StackProps
	// Table is the game table, with its stream enabled. Required, unless TableName is given.
	Table awsdynamodb.ITableV2
	// TableName names a replica of the global table in this stack's Region, when Table is not
	// given: its stream is looked up at deploy time (CloudFormation gives no other Region's
	// replica stream ARN).
	TableName *string
	// Region and Primary pick the rooms this Region's function publishes for in a
	// multi-Region deployment (mapping.Filters). Default: "", one Region.
	Region  string
	Primary bool
	// Topic receives the presence events. Required.
	Topic awssns.ITopic
	// AlarmTopic is told when the pipeline's alarms (dead letters, falling behind) and the
	// function's (errors, throttles) fire and clear. Default: none, alarms without actions.
	AlarmTopic awssns.ITopic
	// LogLevel of the function (LOG_LEVEL). Default: the function's own, info.
	LogLevel string
	// Lifecycle picks the log group's retention and removal.
	Lifecycle blocks.Lifecycle
}

// PresenceStack is the game table's stream pipeline: the presence function reads the changes
// that matter for presence and publishes events to the alerts topic.
type PresenceStack struct {
	awscdk.Stack
	// Function is the presence function (lambda/cmd/presence).
	Function *blocks.GoFunction
	// Stream is its event source mapping, dead-letter queue and alarms.
	Stream *blocks.StreamProcessor
	// FunctionAlarms are the function's alarms (errors, throttles).
	FunctionAlarms *blocks.FunctionAlarms
}

// PresenceFilters are mapping.Filters, as CDK takes them.
func PresenceFilters(region string, primary bool) []*map[string]any {
	var filters []*map[string]any
	for _, f := range presencemapping.Filters(region, primary) {
		filters = append(filters, awslambda.FilterCriteria_Filter(&f))
	}
	return filters
}

// NewPresenceStack defines the stack.
func NewPresenceStack(scope constructs.Construct, id string, props *PresenceStackProps) *PresenceStack {
	if (props.Table == nil && props.TableName == nil) || props.Topic == nil {
		panic(fmt.Errorf("stack %s: Table (or TableName) and Topic are required", id))
	}
	f, ok := catalog.Lookup(catalog.FnPresence)
	if !ok || !f.Needs.StreamRead {
		panic(fmt.Errorf("stack %s: lambda/catalog has no stream function %s", id, catalog.FnPresence))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	if props.Table == nil {
		props.Table = replicaWithStream(stack, props.TableName, props.Lifecycle)
	}
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
	fn := blocks.NewGoFunction(stack, jsii.String("Function"), &blocks.GoFunctionProps{
		Command:         jsii.String(f.Name),
		Description:     jsii.String(f.Description),
		Environment:     &env,
		Lifecycle:       props.Lifecycle,
		MetricNamespace: jsii.String(metrics.Namespace),
	})
	stream := blocks.NewStreamProcessor(stack, jsii.String("Stream"), &blocks.StreamProcessorProps{
		Table:         props.Table,
		Function:      fn.Function,
		Filters:       PresenceFilters(props.Region, props.Primary),
		BatchSize:     jsii.Number(presencemapping.BatchSize),
		RetryAttempts: jsii.Number(presencemapping.RetryAttempts),
		AlarmTopic:    props.AlarmTopic,
	})
	if f.Needs.Table() {
		props.Table.Grant(fn.Function, *jsii.Strings(f.Needs.TableActions...)...)
		grantTableKey(props.Table, fn)
	}
	if f.Needs.PublishAlerts {
		props.Topic.GrantPublish(fn.Function)
	}
	blocks.SuppressNag(fn.Role, "AwsSolutions-IAM5", "Publishing to the KMS-encrypted alerts topic needs GenerateDataKey* on its key (CDK's GrantPublish): the wildcard is the action's variants, on that one key",
		"Action::kms:GenerateDataKey*")

	awscdk.NewCfnOutput(stack, jsii.String("DeadLetterQueueUrl"), &awscdk.CfnOutputProps{
		Value:       stream.DeadLetterQueue.QueueUrl(),
		Description: jsii.String("Stream records that failed for good (docs/monitoring.md: replaying them)"),
	})
	alarms := blocks.NewFunctionAlarms(stack, jsii.String("FunctionAlarms"), &blocks.FunctionAlarmsProps{
		Name: f.Name, Function: fn, AlarmTopic: props.AlarmTopic, LogFields: handlerLogFields,
	})
	return &PresenceStack{Stack: stack, Function: fn, Stream: stream, FunctionAlarms: alarms}
}

// suppressAwsCustomResourceNag excuses CDK's one function behind every AwsCustomResource of
// the stack, whose calls are calls (at deploy time).
func suppressAwsCustomResourceNag(stack awscdk.Stack, calls string) {
	if fn := stack.Node().TryFindChild(jsii.String("AWS679f53fac002430cb0da5b7982bd2287")); fn != nil {
		blocks.SuppressNag(fn, "AwsSolutions-IAM4", "CDK's AwsCustomResource function: AWSLambdaBasicExecutionRole lets it write its logs; its calls are "+calls+", at deploy time",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
		blocks.SuppressNag(fn, "AwsSolutions-L1", "CDK's AwsCustomResource function: its runtime is the one CDK pins for it, run at deploy time only")
	}
}

// replicaWithStream imports the global table's replica named name in the stack's Region, with
// its stream, which DescribeTable gives at deploy time.
func replicaWithStream(stack awscdk.Stack, name *string, lifecycle blocks.Lifecycle) awsdynamodb.ITableV2 {
	arn := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), stack.Partition(), jsii.String(":dynamodb:"), stack.Region(), jsii.String(":"), stack.Account(), jsii.String(":table/"), name,
	})
	describe := &customresources.AwsSdkCall{
		Service:            jsii.String("DynamoDB"),
		Action:             jsii.String("describeTable"),
		Parameters:         map[string]any{"TableName": name},
		PhysicalResourceId: customresources.PhysicalResourceId_FromResponse(jsii.String("Table.LatestStreamArn")),
		OutputPaths:        jsii.Strings("Table.LatestStreamArn"),
	}
	lookup := customresources.NewAwsCustomResource(stack, jsii.String("ReplicaStream"), &customresources.AwsCustomResourceProps{
		OnCreate:            describe,
		OnUpdate:            describe,
		InstallLatestAwsSdk: jsii.Bool(false),
		Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("dynamodb:DescribeTable"), Resources: &[]*string{arn},
		})}),
		Timeout: awscdk.Duration_Minutes(jsii.Number(2)),
		LogGroup: awslogs.NewLogGroup(stack, jsii.String("ReplicaStreamLogs"), &awslogs.LogGroupProps{
			Retention:     lifecycle.LogRetention(),
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		}),
	})
	suppressAwsCustomResourceNag(stack, "dynamodb:DescribeTable on this replica")
	return awsdynamodb.TableV2_FromTableAttributes(stack, jsii.String("Games"), &awsdynamodb.TableAttributesV2{
		TableName:      name,
		TableStreamArn: lookup.GetResponseField(jsii.String("Table.LatestStreamArn")),
	})
}
