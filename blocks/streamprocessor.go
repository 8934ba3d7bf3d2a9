package blocks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// StreamProcessorProps configures a StreamProcessor.
type StreamProcessorProps struct {
	// Table whose stream is read; its stream must be enabled. Required.
	Table awsdynamodb.ITableV2
	// Function receives the records. It must answer with partial batch failures
	// (events.DynamoDBEventResponse): a failure names the first record to retry. Required.
	Function awslambda.IFunction
	// Filters are Lambda event filter patterns (awslambda.FilterCriteria_Filter) in the
	// DynamoDB stream record's JSON form; a record matching any of them is delivered, the rest
	// are dropped before the function runs (and are not billed). Default: none, every record.
	Filters []*map[string]any
	// BatchSize is the most records per invocation. Default: 20: with a few calls per record,
	// a full batch stays a small fraction of a 10-second timeout.
	BatchSize *float64
	// MaxBatchingWindow is how long records are gathered before an invocation. Default: 2
	// seconds: fewer invocations under load, a two-second delay at most.
	MaxBatchingWindow awscdk.Duration
	// RetryAttempts bounds the retries of a failing batch (after bisection, of the failing
	// record); then its records go to DeadLetterQueue. Default: 3.
	RetryAttempts *float64
	// MaxRecordAge sends records older than this to DeadLetterQueue unprocessed, so a stuck
	// shard catches up instead of working through a backlog nobody needs any more. Default: 1
	// hour.
	MaxRecordAge awscdk.Duration
	// StartingPosition is where a new mapping starts reading. Default: LATEST: on the first
	// deploy the past day's changes are history, not news (and, older than MaxRecordAge, they
	// would only fill the queue).
	StartingPosition awslambda.StartingPosition
	// QueueRetention is how long failed records' descriptions wait in DeadLetterQueue for
	// someone to replay them. Default: 14 days, the SQS maximum.
	QueueRetention awscdk.Duration
	// IteratorAgeThreshold raises IteratorAgeAlarm when the newest record read was this old
	// on arrival. Default: 10 minutes, well before MaxRecordAge starts discarding records.
	IteratorAgeThreshold awscdk.Duration
	// AlarmTopic is told when an alarm goes off and when it is over. Default: none, the alarms
	// have no actions.
	AlarmTopic awssns.ITopic
}

// StreamProcessor runs a function on a DynamoDB table's stream so that nothing is lost and
// nothing blocks: filtered records, a failing batch split in two (bisection) to isolate the bad
// record, partial batch failures so records before it are not redone, bounded retries and
// record age, and records that still fail described in an encrypted, TLS-only SQS queue
// (the event source mapping's on-failure destination) for an operator to replay. Alarms fire
// when that queue holds anything and when the function falls behind the stream.
type StreamProcessor struct {
	constructs.Construct
	// EventSource is the stream's event source mapping on Function.
	EventSource awslambdaeventsources.DynamoEventSource
	// DeadLetterQueue holds a description of each batch of records that failed for good: the
	// shard, the sequence numbers and the stream's ARN, enough to read them again while the
	// stream keeps them (24 hours).
	DeadLetterQueue awssqs.Queue
	// DeadLetterAlarm fires when DeadLetterQueue holds a message.
	DeadLetterAlarm awscloudwatch.Alarm
	// IteratorAgeAlarm fires when the function is IteratorAgeThreshold behind the stream.
	IteratorAgeAlarm awscloudwatch.Alarm

	function awslambda.IFunction
}

// MetricIteratorAge is how old the newest record of a batch was when the function got it, in
// milliseconds: how far behind the stream it is. Default statistic: maximum over 5 minutes.
func (p *StreamProcessor) MetricIteratorAge(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return withOptions(p.function.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{
		Period:    awscdk.Duration_Minutes(jsii.Number(5)),
		Statistic: awscloudwatch.Stats_MAXIMUM(),
	}), opts)
}

// MetricBatches is the function's invocations: one per batch of records.
func (p *StreamProcessor) MetricBatches(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return p.function.MetricInvocations(opts)
}

// MetricFailedBatches is the invocations that failed (and will be retried or bisected).
func (p *StreamProcessor) MetricFailedBatches(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return p.function.MetricErrors(opts)
}

// MetricDeadLetters is the descriptions of failed records waiting in DeadLetterQueue.
// Default statistic: maximum over 1 minute.
func (p *StreamProcessor) MetricDeadLetters(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return withOptions(p.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period:    awscdk.Duration_Minutes(jsii.Number(1)),
		Statistic: awscloudwatch.Stats_MAXIMUM(),
	}), opts)
}

// StreamProcessor's defaults: see each prop.
const (
	DefaultBatchSize                = 20
	DefaultMaxBatchingWindowSeconds = 2
	DefaultRetryAttempts            = 3
	DefaultMaxRecordAgeHours        = 1
	DefaultQueueRetentionDays       = 14
	DefaultIteratorAgeMinutes       = 10
)

// NewStreamProcessor defines the mapping, the queue and the alarms.
func NewStreamProcessor(scope constructs.Construct, id *string, props *StreamProcessorProps) *StreamProcessor {
	if props == nil || props.Table == nil || props.Function == nil {
		panic(fmt.Errorf("StreamProcessor %s: Table and Function are required", *id))
	}
	p := *props
	if p.BatchSize == nil {
		p.BatchSize = jsii.Number(DefaultBatchSize)
	}
	if *p.BatchSize < 1 || *p.BatchSize > 1000 {
		panic(fmt.Errorf("StreamProcessor %s: BatchSize %v is out of DynamoDB streams' range, 1 to 1000", *id, *p.BatchSize))
	}
	if p.MaxBatchingWindow == nil {
		p.MaxBatchingWindow = awscdk.Duration_Seconds(jsii.Number(DefaultMaxBatchingWindowSeconds))
	}
	if p.RetryAttempts == nil {
		p.RetryAttempts = jsii.Number(DefaultRetryAttempts)
	}
	if *p.RetryAttempts < 0 {
		panic(fmt.Errorf("StreamProcessor %s: RetryAttempts %v would retry a failing record until the stream drops it: use 0 or more", *id, *p.RetryAttempts))
	}
	if p.MaxRecordAge == nil {
		p.MaxRecordAge = awscdk.Duration_Hours(jsii.Number(DefaultMaxRecordAgeHours))
	}
	if p.StartingPosition == "" {
		p.StartingPosition = awslambda.StartingPosition_LATEST
	}
	if p.QueueRetention == nil {
		p.QueueRetention = awscdk.Duration_Days(jsii.Number(DefaultQueueRetentionDays))
	}
	if p.IteratorAgeThreshold == nil {
		p.IteratorAgeThreshold = awscdk.Duration_Minutes(jsii.Number(DefaultIteratorAgeMinutes))
	}
	var filters *[]*map[string]any
	if len(p.Filters) > 0 {
		filters = &p.Filters
	}

	this := constructs.NewConstruct(scope, id)
	queue := awssqs.NewQueue(this, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		// SQS-managed keys: encrypted at rest at no cost, and nothing for the event source
		// mapping to be granted beyond sqs:SendMessage.
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: p.QueueRetention,
	})
	SuppressNag(queue, "AwsSolutions-SQS3", "This queue is itself the dead-letter destination: the stream's event source mapping sends it the records that failed for good, and nothing consumes it but an operator replaying them")

	source := awslambdaeventsources.NewDynamoEventSource(p.Table, &awslambdaeventsources.DynamoEventSourceProps{
		StartingPosition:        p.StartingPosition,
		BatchSize:               p.BatchSize,
		MaxBatchingWindow:       p.MaxBatchingWindow,
		BisectBatchOnError:      jsii.Bool(true),
		RetryAttempts:           p.RetryAttempts,
		MaxRecordAge:            p.MaxRecordAge,
		ReportBatchItemFailures: jsii.Bool(true),
		OnFailure:               awslambdaeventsources.NewSqsDlq(queue),
		Filters:                 filters,
	})
	p.Function.AddEventSource(source)

	sp := &StreamProcessor{Construct: this, EventSource: source, DeadLetterQueue: queue, function: p.Function}
	deadLetters := awscloudwatch.NewAlarm(this, jsii.String("DeadLetterAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String("Stream records failed for good and wait in the dead-letter queue: read the message for the shard and sequence numbers, fix the cause, replay them (docs/monitoring.md)"),
		Metric:             sp.MetricDeadLetters(nil),
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		// SQS reports on a queue while it holds messages: no data means an empty queue.
		TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	Notify(deadLetters, p.AlarmTopic)

	iteratorAge := awscloudwatch.NewAlarm(this, jsii.String("IteratorAgeAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(fmt.Sprintf("The stream function is %s behind the table's changes: it is failing or throttled; past %s records are discarded to the dead-letter queue",
			*p.IteratorAgeThreshold.ToHumanString(), *p.MaxRecordAge.ToHumanString())),
		Metric:             sp.MetricIteratorAge(nil),
		Threshold:          p.IteratorAgeThreshold.ToMilliseconds(nil),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		// Lambda reports the age only when it delivers records: none means nothing to read.
		TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	Notify(iteratorAge, p.AlarmTopic)

	sp.DeadLetterAlarm, sp.IteratorAgeAlarm = deadLetters, iteratorAge
	return sp
}
