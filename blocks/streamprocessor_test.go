package blocks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// streamParts is a table with a stream and a function to read it: the construct's inputs.
// The function is inline Node.js code, which needs no build; the construct only wires it.
func streamParts(stack awscdk.Stack) (awsdynamodb.TableV2, awslambda.Function) {
	table := awsdynamodb.NewTableV2(stack, jsii.String("Table"), &awsdynamodb.TablePropsV2{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
		DynamoStream: awsdynamodb.StreamViewType_NEW_AND_OLD_IMAGES,
	})
	fn := awslambda.NewFunction(stack, jsii.String("Fn"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_NODEJS_20_X(),
		Handler: jsii.String("index.handler"),
		Code:    awslambda.Code_FromInline(jsii.String("exports.handler = async () => ({batchItemFailures: []})")),
	})
	return table, fn
}

func TestStreamProcessorDefaultsLoseNothingAndBlockNothing(t *testing.T) {
	stack := newStack(t)
	table, fn := streamParts(stack)
	topic := awssns.NewTopic(stack, jsii.String("Ops"), nil)
	NewStreamProcessor(stack, jsii.String("Stream"), &StreamProcessorProps{Table: table, Function: fn, AlarmTopic: topic})
	tpl := assertions.Template_FromStack(stack, nil)

	cdktest.Has(t, tpl, "AWS::Lambda::EventSourceMapping", map[string]any{
		"StartingPosition":               "LATEST",
		"BatchSize":                      20,
		"MaximumBatchingWindowInSeconds": 2,
		"BisectBatchOnFunctionError":     true,
		"MaximumRetryAttempts":           3,
		"MaximumRecordAgeInSeconds":      3600,
		"FunctionResponseTypes":          []string{"ReportBatchItemFailures"},
		"DestinationConfig":              map[string]any{"OnFailure": map[string]any{"Destination": assertions.Match_AnyValue()}},
	})
	mapping := cdktest.Props(cdktest.Only(t, tpl, "AWS::Lambda::EventSourceMapping"))
	if _, ok := mapping["FilterCriteria"]; ok {
		t.Errorf("no filters given, yet the mapping filters: %v", mapping["FilterCriteria"])
	}
	// The on-failure destination is this construct's queue.
	queueID := ""
	for id := range cdktest.Resources(t, tpl, "AWS::SQS::Queue") {
		queueID = id
	}
	if dest := cdktest.JSONOf(t, mapping["DestinationConfig"]); !strings.Contains(dest, `"`+queueID+`"`) {
		t.Errorf("on-failure destination %s is not the queue %s", dest, queueID)
	}
	cdktest.Has(t, tpl, "AWS::SQS::Queue", map[string]any{"SqsManagedSseEnabled": true, "MessageRetentionPeriod": 14 * 24 * 3600})
	policy := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, tpl, "AWS::SQS::QueuePolicy")))
	if !strings.Contains(policy, `"aws:SecureTransport":"false"`) || !strings.Contains(policy, `"Deny"`) {
		t.Errorf("queue policy %s does not deny non-TLS access", policy)
	}

	// The function may read the stream and send to the queue.
	grants := cdktest.JSONOf(t, cdktest.Resources(t, tpl, "AWS::IAM::Policy"))
	for _, want := range []string{"dynamodb:GetRecords", "dynamodb:GetShardIterator", "sqs:SendMessage"} {
		if !strings.Contains(grants, want) {
			t.Errorf("the function cannot %s: %s", want, grants)
		}
	}

	// Both alarms tell the topic when they fire and when they clear.
	cdktest.Count(t, tpl, "AWS::CloudWatch::Alarm", 2)
	ops := map[string]any{"Ref": *stack.GetLogicalId(topic.Node().DefaultChild().(awscdk.CfnElement))}
	cdktest.Has(t, tpl, "AWS::CloudWatch::Alarm", map[string]any{
		"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible", "Statistic": "Maximum",
		"Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "EvaluationPeriods": 1,
		"TreatMissingData": "notBreaching", "AlarmActions": []any{ops}, "OKActions": []any{ops},
	})
	cdktest.Has(t, tpl, "AWS::CloudWatch::Alarm", map[string]any{
		"Namespace": "AWS/Lambda", "MetricName": "IteratorAge", "Statistic": "Maximum",
		"Threshold": 600000, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
		"TreatMissingData": "notBreaching", "AlarmActions": []any{ops}, "OKActions": []any{ops},
	})
}

func TestStreamProcessorFiltersAndSettings(t *testing.T) {
	stack := newStack(t)
	table, fn := streamParts(stack)
	NewStreamProcessor(stack, jsii.String("Stream"), &StreamProcessorProps{
		Table: table, Function: fn,
		Filters: []*map[string]any{awslambda.FilterCriteria_Filter(&map[string]any{
			"eventName": awslambda.FilterRule_IsEqual(jsii.String("INSERT")),
		})},
		BatchSize: jsii.Number(5), RetryAttempts: jsii.Number(0), MaxRecordAge: awscdk.Duration_Minutes(jsii.Number(5)),
		IteratorAgeThreshold: awscdk.Duration_Minutes(jsii.Number(1)),
	})
	tpl := assertions.Template_FromStack(stack, nil)
	cdktest.Has(t, tpl, "AWS::Lambda::EventSourceMapping", map[string]any{
		"BatchSize": 5, "MaximumRetryAttempts": 0, "MaximumRecordAgeInSeconds": 300,
		"FilterCriteria": map[string]any{"Filters": []any{map[string]any{"Pattern": `{"eventName":["INSERT"]}`}}},
	})
	cdktest.Has(t, tpl, "AWS::CloudWatch::Alarm", map[string]any{"MetricName": "IteratorAge", "Threshold": 60000})
	// No topic: alarms without actions.
	for id, a := range cdktest.Resources(t, tpl, "AWS::CloudWatch::Alarm") {
		if _, ok := cdktest.Props(a)["AlarmActions"]; ok {
			t.Errorf("alarm %s has actions without a topic", id)
		}
	}
}

func TestStreamProcessorRejectsBadProps(t *testing.T) {
	mustPanic(t, "Table and Function are required", func() {
		NewStreamProcessor(newStack(t), jsii.String("Stream"), &StreamProcessorProps{})
	})
	mustPanic(t, "BatchSize 5000", func() {
		stack := newStack(t)
		table, fn := streamParts(stack)
		NewStreamProcessor(stack, jsii.String("Stream"), &StreamProcessorProps{Table: table, Function: fn, BatchSize: jsii.Number(5000)})
	})
	mustPanic(t, "RetryAttempts -1", func() {
		stack := newStack(t)
		table, fn := streamParts(stack)
		NewStreamProcessor(stack, jsii.String("Stream"), &StreamProcessorProps{Table: table, Function: fn, RetryAttempts: jsii.Number(-1)})
	})
}
