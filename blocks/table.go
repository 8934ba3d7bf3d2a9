package blocks

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// TableProps configures a Table.
type TableProps struct {
	// PartitionKey is the table's partition key. Default: a string named DefaultPartitionKey.
	PartitionKey *awsdynamodb.Attribute
	// SortKey is the table's sort key. Default: none, the partition key alone.
	SortKey *awsdynamodb.Attribute
	// TimeToLiveAttribute holds each item's expiry in epoch seconds: DynamoDB deletes an item
	// some time after it (reads must still filter expired items); an item without it never
	// expires. Default: DefaultTTLAttribute.
	TimeToLiveAttribute *string
	// StreamView is what the table's stream carries of every change. Default:
	// NEW_AND_OLD_IMAGES, what a StreamProcessor's filters can match on either side.
	StreamView awsdynamodb.StreamViewType
	// Lifecycle decides what protects the data. Default: Prod: deletion protection on, and the
	// table is retained when its stack is deleted. Dev: neither, so `cdk destroy` removes it.
	Lifecycle Lifecycle
	// CustomerManagedKey encrypts the table (and its stream) with a key of the account's own,
	// rotated yearly, whose policy and CloudTrail record every use: about $1 a month plus KMS
	// requests. Readers and writers need the key too (Table.EncryptionKey()). Default: false, the AWS
	// managed key (free, no key policy to manage).
	CustomerManagedKey bool
	// KeyDescription describes the CustomerManagedKey. Default: "DynamoDB table and its stream".
	KeyDescription *string
	// Replicas are the other Regions the global table keeps a replica in (a multi-Region
	// deployment: docs/regions.md); each gets the table's settings. Adding one to a deployed
	// table keeps its data. Default: none, the stack's Region alone.
	Replicas []string
	// TablePropsV2 is the escape hatch: any field it sets is passed to the TableV2 over the
	// construct's defaults (global indexes, a table class, contributor insights, tags…). The
	// fields the props above decide, and the billing and point-in-time recovery it keeps, are
	// refused (TableOwned). A TableName or LocalSecondaryIndexes added to a deployed table
	// replaces it: give them at creation only. Default: none.
	TablePropsV2 *awsdynamodb.TablePropsV2
}

// TableOwned are the fields of TablePropsV2 that Table's own props decide.
var TableOwned = []string{"PartitionKey", "SortKey", "TimeToLiveAttribute", "DynamoStream", "Encryption", "Replicas", "RemovalPolicy", "DeletionProtection",
	"Billing", "PointInTimeRecovery", "PointInTimeRecoverySpecification"}

// Table's defaults.
const (
	DefaultPartitionKey = "pk"
	DefaultTTLAttribute = "expiresAt"
)

// Table is a DynamoDB global table for an app's items: a string partition key (or the key
// schema given), items expiring through a TTL attribute. It bills on demand (nothing at idle),
// keeps 35 days of point-in-time recovery, is encrypted with the AWS managed key (or a
// customer managed one), and streams every change for the functions that react to them.
type Table struct {
	constructs.Construct
	// Table is the table; its stream is enabled.
	Table awsdynamodb.TableV2
	// Key encrypts the table when CustomerManagedKey; nil with the AWS managed key.
	Key awskms.Key
}

// NewTable defines the table.
func NewTable(scope constructs.Construct, id *string, props *TableProps) *Table {
	if props == nil {
		props = &TableProps{}
	}
	this := constructs.NewConstruct(scope, id)
	env := props.Lifecycle.orDefault()
	encryption := awsdynamodb.TableEncryptionV2_AwsManagedKey()
	var key awskms.Key
	if props.CustomerManagedKey {
		description := props.KeyDescription
		if description == nil {
			description = jsii.String("DynamoDB table and its stream")
		}
		key = awskms.NewKey(this, jsii.String("Key"), &awskms.KeyProps{
			Description:       description,
			EnableKeyRotation: jsii.Bool(true),
			RemovalPolicy:     env.RemovalPolicy(),
			// If it is ever deleted (dev, or by hand), after the shortest wait.
			PendingWindow: awscdk.Duration_Days(jsii.Number(7)),
		})
		encryption = awsdynamodb.TableEncryptionV2_CustomerManagedKey(key, nil)
	}
	var replicas []*awsdynamodb.ReplicaTableProps
	for _, r := range props.Replicas {
		replicas = append(replicas, &awsdynamodb.ReplicaTableProps{Region: jsii.String(r), DeletionProtection: jsii.Bool(env.IsProd())})
	}
	if len(replicas) > 0 && props.CustomerManagedKey {
		panic(fmt.Errorf("Table %s: replicas with a customer managed key need a key per Region, which this construct does not make", *id))
	}
	var replicasProp *[]*awsdynamodb.ReplicaTableProps
	if len(replicas) > 0 {
		replicasProp = &replicas
	}
	partitionKey := props.PartitionKey
	if partitionKey == nil {
		partitionKey = &awsdynamodb.Attribute{Name: jsii.String(DefaultPartitionKey), Type: awsdynamodb.AttributeType_STRING}
	}
	ttl := props.TimeToLiveAttribute
	if ttl == nil {
		ttl = jsii.String(DefaultTTLAttribute)
	}
	stream := props.StreamView
	if stream == "" {
		stream = awsdynamodb.StreamViewType_NEW_AND_OLD_IMAGES
	}
	tableProps, err := overlay(awsdynamodb.TablePropsV2{
		Replicas:            replicasProp,
		PartitionKey:        partitionKey,
		SortKey:             props.SortKey,
		Billing:             awsdynamodb.Billing_OnDemand(nil),
		TimeToLiveAttribute: ttl,
		DynamoStream:        stream,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:         encryption,
		DeletionProtection: jsii.Bool(env.IsProd()),
		RemovalPolicy:      env.RemovalPolicy(),
	}, props.TablePropsV2, "TablePropsV2", TableOwned...)
	if err != nil {
		panic(fmt.Errorf("Table %s: %w", *id, err))
	}
	table := awsdynamodb.NewTableV2(this, jsii.String("Resource"), &tableProps)
	return &Table{Construct: this, Table: table, Key: key}
}

// TableMetrics are a table's metrics in one Region: of the table, or of its replica
// there.
type TableMetrics struct {
	table awsdynamodb.ITableV2
}

// MetricsOf are table's metrics (a table imported in its replica's Region gives the replica's).
func MetricsOf(table awsdynamodb.ITableV2) *TableMetrics { return &TableMetrics{table: table} }

// Metrics are the table's metrics in its own Region.
func (g *Table) Metrics() *TableMetrics { return MetricsOf(g.Table) }

// MetricConsumedCapacity is the read and the write units consumed (sums).
func (g *TableMetrics) MetricConsumedCapacity(read, write *awscloudwatch.MetricOptions) (awscloudwatch.Metric, awscloudwatch.Metric) {
	return g.table.MetricConsumedReadCapacityUnits(read), g.table.MetricConsumedWriteCapacityUnits(write)
}

// MetricLatency is the average latency of op's successful requests, in milliseconds.
func (g *TableMetrics) MetricLatency(op awsdynamodb.Operation, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	name := OperationName(op)
	return withOptions(g.table.MetricSuccessfulRequestLatency(&awscloudwatch.MetricOptions{
		DimensionsMap: &map[string]*string{"Operation": jsii.String(name)},
		Statistic:     awscloudwatch.Stats_AVERAGE(),
		Label:         jsii.String(name),
	}), opts)
}

// MetricReplicationLatency is how far region's replica lags this Region's writes (a global
// table's ReplicationLatency, in milliseconds), at stat.
func (g *TableMetrics) MetricReplicationLatency(region string, stat *string, label string) awscloudwatch.IMetric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String("AWS/DynamoDB"),
		MetricName:    jsii.String("ReplicationLatency"),
		DimensionsMap: &map[string]*string{"TableName": g.table.TableName(), "ReceivingRegion": jsii.String(region)},
		Statistic:     stat,
		Period:        awscdk.Duration_Minutes(jsii.Number(5)),
		Label:         jsii.String(label),
	})
}

// MetricThrottled is the throttled requests of ops together.
func (g *TableMetrics) MetricThrottled(ops []awsdynamodb.Operation, period awscdk.Duration, label string) awscloudwatch.IMetric {
	return g.table.MetricThrottledRequestsForOperations(&awsdynamodb.OperationsMetricOptions{Operations: &ops, Period: period, Label: jsii.String(label)})
}

// MetricSystemErrors is the server errors of ops together.
func (g *TableMetrics) MetricSystemErrors(ops []awsdynamodb.Operation, period awscdk.Duration, label string) awscloudwatch.IMetric {
	return g.table.MetricSystemErrorsForOperations(&awsdynamodb.SystemErrorsForOperationsMetricOptions{Operations: &ops, Period: period, Label: jsii.String(label)})
}

// MetricVersionConflicts is the conditional writes refused because the item changed since it
// was read: racing writers (an optimistic lock's version check failing).
func (g *TableMetrics) MetricVersionConflicts(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return g.table.MetricConditionalCheckFailedRequests(opts)
}

// Operations are the DynamoDB operations of IAM actions such as "dynamodb:GetItem", each once,
// in the order first given: the calls whose latency and errors are worth watching.
func Operations(actions ...string) []awsdynamodb.Operation {
	var out []awsdynamodb.Operation
	seen := map[string]bool{}
	for _, a := range actions {
		name := strings.TrimPrefix(a, "dynamodb:")
		if seen[name] {
			continue
		}
		seen[name] = true
		var b strings.Builder
		for i, r := range name {
			if i > 0 && unicode.IsUpper(r) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToUpper(r))
		}
		out = append(out, awsdynamodb.Operation(b.String()))
	}
	return out
}

// OperationName is the Operation dimension's value for op: GET_ITEM is GetItem.
func OperationName(op awsdynamodb.Operation) string {
	var b strings.Builder
	for _, part := range strings.Split(string(op), "_") {
		if part != "" {
			b.WriteString(part[:1] + strings.ToLower(part[1:]))
		}
	}
	return b.String()
}
