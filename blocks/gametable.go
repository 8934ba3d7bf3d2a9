package blocks

import (
	"strings"
	"unicode"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// GameTableProps configures a GameTable.
type GameTableProps struct {
	// Lifecycle decides what protects the data. Default: Prod: deletion protection on, and the
	// table is retained when its stack is deleted. Dev: neither, so `cdk destroy` removes it.
	Lifecycle Lifecycle
	// CustomerManagedKey encrypts the table (and its stream) with a key of the account's own,
	// rotated yearly, whose policy and CloudTrail record every use: about $1 a month plus KMS
	// requests. Readers and writers need the key too (Table.EncryptionKey()). Default: false, the AWS
	// managed key (free, no key policy to manage).
	CustomerManagedKey bool
	// Replicas are the other Regions the global table keeps a replica in (a multi-Region
	// deployment: docs/regions.md); each gets the table's settings. Adding one to a deployed
	// table keeps its data. Default: none, the stack's Region alone.
	Replicas []string
}

// GameTable is the game's DynamoDB table, laid out as lambda/store reads and writes it: one
// string partition key, items expiring through the TTL attribute. It bills on demand (nothing
// at idle), keeps 35 days of point-in-time recovery, is encrypted with the AWS managed key (or a
// customer managed one), and
// streams new and old images of every change for the functions that react to them.
type GameTable struct {
	cdkconstructs.Construct
	// Table is the table; its stream is enabled.
	Table awsdynamodb.TableV2
	// Key encrypts the table when CustomerManagedKey; nil with the AWS managed key.
	Key awskms.Key
}

// NewGameTable defines the table.
func NewGameTable(scope cdkconstructs.Construct, id *string, props *GameTableProps) *GameTable {
	if props == nil {
		props = &GameTableProps{}
	}
	this := cdkconstructs.NewConstruct(scope, id)
	env := props.Lifecycle.orDefault()
	encryption := awsdynamodb.TableEncryptionV2_AwsManagedKey()
	var key awskms.Key
	if props.CustomerManagedKey {
		key = awskms.NewKey(this, jsii.String("Key"), &awskms.KeyProps{
			Description:       jsii.String("TicTacToe game table and its stream"),
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
		panic("constructs: GameTable: replicas with a customer managed key need a key per Region, which this construct does not make")
	}
	var replicasProp *[]*awsdynamodb.ReplicaTableProps
	if len(replicas) > 0 {
		replicasProp = &replicas
	}
	table := awsdynamodb.NewTableV2(this, jsii.String("Resource"), &awsdynamodb.TablePropsV2{
		Replicas:            replicasProp,
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(schema.PartitionKey), Type: awsdynamodb.AttributeType_STRING},
		Billing:             awsdynamodb.Billing_OnDemand(nil),
		TimeToLiveAttribute: jsii.String(schema.TTLAttribute),
		DynamoStream:        awsdynamodb.StreamViewType_NEW_AND_OLD_IMAGES,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:         encryption,
		DeletionProtection: jsii.Bool(env.IsProd()),
		RemovalPolicy:      env.RemovalPolicy(),
	})
	return &GameTable{Construct: this, Table: table, Key: key}
}

// TableMetrics are the game table's metrics in one Region: of the table, or of its replica
// there.
type TableMetrics struct {
	table awsdynamodb.ITableV2
}

// MetricsOf are table's metrics (a table imported in its replica's Region gives the replica's).
func MetricsOf(table awsdynamodb.ITableV2) *TableMetrics { return &TableMetrics{table: table} }

// Metrics are the table's metrics in its own Region.
func (g *GameTable) Metrics() *TableMetrics { return MetricsOf(g.Table) }

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
// was read: racing players, each retried by the store from the newer state.
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
