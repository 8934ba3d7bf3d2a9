package constructs

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
)

// NamedFunction is a Lambda function with the name the dashboard shows it under.
type NamedFunction struct {
	Name     string
	Function awslambda.IFunction
	// LogGroup is the function's log group, where it writes JSON lines with a level and a
	// function field (lambda/app.Logger). When set, lines at level ERROR count as errors too:
	// the handlers answer a failure (a table or @connections call failing, a record that
	// cannot be published) without failing the invocation, so Lambda's Errors metric never
	// sees it. Default: none, Lambda's Errors only.
	LogGroup awslogs.ILogGroup
}

// GameDashboardProps configures a GameDashboard.
type GameDashboardProps struct {
	// Title heads the dashboard. Default: "TicTacToe".
	Title *string
	// Stage is the WebSocket API's stage. Required.
	Stage awsapigatewayv2.IWebSocketStage
	// Functions get a row each, in this order, and alarms on their errors and throttles.
	// Required, at least one; names must be unique.
	Functions []NamedFunction
	// Table is the game table. Required.
	Table awsdynamodb.ITableV2
	// TableOperations are the calls made to the table: its latency, throttling and errors are
	// shown for these. Default: GetItem, PutItem and DeleteItem, lambda/store's calls.
	TableOperations []awsdynamodb.Operation
	// StreamFunction reads the table's stream and DeadLetterQueue holds what it failed on:
	// together they make the stream pipeline's row. Default: none, no stream row.
	StreamFunction  awslambda.IFunction
	DeadLetterQueue awssqs.IQueue
	// LoadBalancer, TargetGroup and AutoScalingGroup serve the site. Required. The group's
	// metrics (free, every minute) are turned on if it is a group of this app that has them off:
	// Auto Scaling publishes them only for groups that ask.
	LoadBalancer     awselasticloadbalancingv2.IApplicationLoadBalancer
	TargetGroup      awselasticloadbalancingv2.IApplicationTargetGroup
	AutoScalingGroup awsautoscaling.IAutoScalingGroup
	// AvailabilityZones the instances run in: healthy hosts are drawn per zone. Default: none,
	// healthy hosts across all zones only.
	AvailabilityZones []*string
	// AlarmTopic is told when this construct's alarms go off and when they clear. Default:
	// none, alarms without actions.
	AlarmTopic awssns.ITopic
	// OtherAlarms, defined elsewhere (the stream pipeline's), are shown beside this
	// construct's own in the alarm status at the top. Default: none.
	OtherAlarms []awscloudwatch.IAlarm
}

// The alarms' thresholds. docs/monitoring.md explains each choice.
const (
	// FunctionErrorsThreshold: a function's errors in 5 minutes: failed invocations (crashes,
	// timeouts) plus the lines it logged at level ERROR (failures it handled). Bad input and
	// lost races are not errors (they are answered with protocol error codes), so an error is a
	// bug or a failing dependency; one can be a transient blip, three in five minutes is a
	// pattern.
	FunctionErrorsThreshold = 3
	// FunctionThrottlesThreshold: throttled invocations per function in 5 minutes. Any: a
	// throttled route invocation is a player's frame refused.
	FunctionThrottlesThreshold = 1
	// APIExecutionErrorsThreshold: WebSocket API execution errors in 5 minutes: frames API
	// Gateway could not hand to a function, whichever function.
	APIExecutionErrorsThreshold = 5
	// UnhealthyHostsMinutes: minutes in a row with an unhealthy instance before the alarm. A
	// booting instance fails its health checks for the two to three minutes NGINX takes to
	// install; one unhealthy for five is broken, and the group's replacements are too.
	UnhealthyHostsMinutes = 5
	// HTTP5xxThreshold: load balancer and NGINX 5xx responses together in 5 minutes. A static
	// site should serve none; five is at least one player's failed page load (a page is about
	// five requests), fewer is a probe or a client hanging up.
	HTTP5xxThreshold = 5
)

// WebSocket API metric names (namespace AWS/ApiGateway, dimensions ApiId and Stage, which
// Stage.Metric adds): CDK has named methods for REST and HTTP APIs, not for WebSocket ones.
const (
	apiConnectCount       = "ConnectCount"
	apiMessageCount       = "MessageCount"
	apiClientError        = "ClientError"
	apiExecutionError     = "ExecutionError"
	apiIntegrationError   = "IntegrationError"
	apiIntegrationLatency = "IntegrationLatency"
	// LoggedErrorsMetric counts each function's log lines at level ERROR (namespace
	// metrics.Namespace, dimension Function: the function's name), from a metric filter.
	LoggedErrorsMetric = "LoggedErrors"
	// Lambda metrics without a named method on IFunction.
	lambdaConcurrentExecutions = "ConcurrentExecutions"
	lambdaIteratorAge          = "IteratorAge"
	// Auto Scaling group metrics: CDK has no metric methods for groups.
	asgNamespace       = "AWS/AutoScaling"
	asgInService       = "GroupInServiceInstances"
	asgDesiredCapacity = "GroupDesiredCapacity"
)

// GameDashboard is the game's one CloudWatch dashboard and the alarms that page: whether
// players can play, on one screen. Rows, top to bottom: alarm status; players (the game
// metrics the functions write as EMF, lambda/metrics); the WebSocket API; each function; the
// table; the stream pipeline; the site's load balancer and instances. Every alarm notifies
// AlarmTopic when it goes off and when it clears, and treats missing data as fine: these
// metrics are only reported when something happens.
type GameDashboard struct {
	cdkconstructs.Construct
	// Dashboard is the dashboard.
	Dashboard awscloudwatch.Dashboard
	// Url opens the dashboard in the CloudWatch console.
	Url *string
	// FunctionErrors and FunctionThrottles are the alarms of each function, by name.
	FunctionErrors, FunctionThrottles map[string]awscloudwatch.Alarm
	// APIExecutionErrors fires on frames API Gateway could not hand to a function.
	APIExecutionErrors awscloudwatch.Alarm
	// UnhealthyHosts fires when an instance stays unhealthy.
	UnhealthyHosts awscloudwatch.Alarm
	// HTTP5xx fires when the site answers with server errors.
	HTTP5xx awscloudwatch.Alarm
}

// NewGameDashboard defines the dashboard and the alarms.
func NewGameDashboard(scope cdkconstructs.Construct, id *string, props *GameDashboardProps) *GameDashboard {
	if props == nil || props.Stage == nil || props.Table == nil || props.LoadBalancer == nil || props.TargetGroup == nil || props.AutoScalingGroup == nil {
		panic(fmt.Errorf("GameDashboard %s: Stage, Table, LoadBalancer, TargetGroup and AutoScalingGroup are required", *id))
	}
	if len(props.Functions) == 0 {
		panic(fmt.Errorf("GameDashboard %s: Functions is empty: give every function a name", *id))
	}
	seen := map[string]bool{}
	for _, f := range props.Functions {
		if f.Name == "" || f.Function == nil || seen[f.Name] {
			panic(fmt.Errorf("GameDashboard %s: function %q: each function needs a unique, non-empty name and a Function", *id, f.Name))
		}
		seen[f.Name] = true
	}
	if (props.StreamFunction == nil) != (props.DeadLetterQueue == nil) {
		panic(fmt.Errorf("GameDashboard %s: StreamFunction and DeadLetterQueue go together: give both or neither", *id))
	}
	title := "TicTacToe"
	if props.Title != nil {
		title = *props.Title
	}
	ops := props.TableOperations
	if len(ops) == 0 {
		ops = []awsdynamodb.Operation{awsdynamodb.Operation_GET_ITEM, awsdynamodb.Operation_PUT_ITEM, awsdynamodb.Operation_DELETE_ITEM}
	}

	fiveMinutes, oneMinute := awscdk.Duration_Minutes(jsii.Number(5)), awscdk.Duration_Minutes(jsii.Number(1))
	sum, average := awscloudwatch.Stats_SUM(), awscloudwatch.Stats_AVERAGE()
	maximum, minimum := awscloudwatch.Stats_MAXIMUM(), awscloudwatch.Stats_MINIMUM()
	p50, p99 := awscloudwatch.Stats_Percentile(jsii.Number(50)), awscloudwatch.Stats_Percentile(jsii.Number(99))

	this := cdkconstructs.NewConstruct(scope, id)
	d := &GameDashboard{Construct: this, FunctionErrors: map[string]awscloudwatch.Alarm{}, FunctionThrottles: map[string]awscloudwatch.Alarm{}}
	alarmScope := cdkconstructs.NewConstruct(this, jsii.String("Alarms"))
	alarm := func(scope cdkconstructs.Construct, id string, metric awscloudwatch.IMetric, threshold float64, periods float64, description string) awscloudwatch.Alarm {
		a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(periods),
			DatapointsToAlarm:  jsii.Number(periods),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription:   jsii.String(description),
		})
		Notify(a, props.AlarmTopic)
		return a
	}

	var rows []*[]awscloudwatch.IWidget
	row := func(widgets ...awscloudwatch.IWidget) { rows = append(rows, &widgets) }
	header := func(markdown string) {
		row(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Markdown: jsii.String(markdown), Width: jsii.Number(24), Height: jsii.Number(1)}))
	}
	graph := func(title string, width float64, left []awscloudwatch.IMetric, annotations ...*awscloudwatch.HorizontalAnnotation) awscloudwatch.IWidget {
		p := &awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Width: jsii.Number(width), Height: jsii.Number(6), Left: &left}
		if len(annotations) > 0 {
			p.LeftAnnotations = &annotations
		}
		return awscloudwatch.NewGraphWidget(p)
	}
	line := func(value float64, label string) *awscloudwatch.HorizontalAnnotation {
		return &awscloudwatch.HorizontalAnnotation{Value: jsii.Number(value), Label: jsii.String(label)}
	}
	opts := func(statistic *string, label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Statistic: statistic, Label: jsii.String(label), Period: fiveMinutes}
	}

	// Players: the game's own metrics, one per event, from the functions' EMF lines.
	game := func(name string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(metrics.Namespace),
			MetricName:    jsii.String(name),
			DimensionsMap: &map[string]*string{metrics.ServiceDimension: jsii.String(metrics.ServiceName)},
			Statistic:     sum,
			Period:        fiveMinutes,
		})
	}
	stage := props.Stage
	apiMetric := func(name string, statistic *string, label string) awscloudwatch.IMetric {
		return stage.Metric(jsii.String(name), opts(statistic, label))
	}

	// The API: ExecutionError is what players see when a frame cannot reach its function.
	d.APIExecutionErrors = alarm(alarmScope, "ApiExecutionErrors",
		stage.Metric(jsii.String(apiExecutionError), &awscloudwatch.MetricOptions{Statistic: sum, Period: fiveMinutes}),
		APIExecutionErrorsThreshold, 1,
		"The WebSocket API could not hand frames to their functions: look at the functions' errors and throttles, and the API's access logs (integrationError)")

	type fnRow struct {
		name    string
		widgets []awscloudwatch.IWidget
	}
	var fnRows []fnRow
	for _, f := range props.Functions {
		fn, name := f.Function, f.Name
		scope := cdkconstructs.NewConstruct(alarmScope, jsii.String(name))
		var errors awscloudwatch.IMetric = fn.MetricErrors(&awscloudwatch.MetricOptions{Statistic: sum, Period: fiveMinutes, Label: jsii.String("failed invocations")})
		errorLines := []awscloudwatch.IMetric{fn.MetricErrors(opts(sum, "failed invocations"))}
		if f.LogGroup != nil {
			logged := loggedErrors(scope, f)
			errorLines = append(errorLines, logged)
			errors = awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Expression:   jsii.String("FILL(failed, 0) + FILL(logged, 0)"),
				UsingMetrics: &map[string]awscloudwatch.IMetric{"failed": errors, "logged": logged},
				Label:        jsii.String("errors"),
				Period:       fiveMinutes,
			})
		}
		d.FunctionErrors[name] = alarm(scope, "Errors", errors,
			FunctionErrorsThreshold, 1,
			fmt.Sprintf("The %s function failed or logged errors: its log group has the lines (level ERROR: route, room, outcome, errorCode, error)", name))
		d.FunctionThrottles[name] = alarm(scope, "Throttles", fn.MetricThrottles(&awscloudwatch.MetricOptions{Statistic: sum, Period: fiveMinutes}),
			FunctionThrottlesThreshold, 1,
			fmt.Sprintf("Lambda refused to run the %s function: the account's concurrency limit is reached; ask for a higher quota", name))
		fnRows = append(fnRows, fnRow{name, []awscloudwatch.IWidget{
			graph(name+": invocations, errors, throttles", 8, append([]awscloudwatch.IMetric{
				fn.MetricInvocations(opts(sum, "invocations")),
				fn.MetricThrottles(opts(sum, "throttles")),
			}, errorLines...), line(FunctionErrorsThreshold, "errors alarm")),
			graph(name+": duration", 8, []awscloudwatch.IMetric{
				fn.MetricDuration(opts(p50, "p50")),
				fn.MetricDuration(opts(p99, "p99")),
			}),
			graph(name+": concurrent executions", 8, []awscloudwatch.IMetric{
				fn.Metric(jsii.String(lambdaConcurrentExecutions), opts(maximum, "concurrent executions (max)")),
			}),
		}})
	}

	// The site.
	lbm, tgm := props.LoadBalancer.Metrics(), props.TargetGroup.Metrics()
	d.HTTP5xx = alarm(alarmScope, "Http5xx", awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(elb, 0) + FILL(target, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"elb":    lbm.HttpCodeElb(awselasticloadbalancingv2.HttpCodeElb_ELB_5XX_COUNT, &awscloudwatch.MetricOptions{Statistic: sum, Period: fiveMinutes}),
			"target": lbm.HttpCodeTarget(awselasticloadbalancingv2.HttpCodeTarget_TARGET_5XX_COUNT, &awscloudwatch.MetricOptions{Statistic: sum, Period: fiveMinutes}),
		},
		Label:  jsii.String("5xx responses"),
		Period: fiveMinutes,
	}), HTTP5xxThreshold, 1,
		"The site answers with server errors: 502/503 from the load balancer mean no healthy instance or one dropping connections; 5xx from the targets are NGINX's (its error log, through Session Manager)")
	d.UnhealthyHosts = alarm(alarmScope, "UnhealthyHosts",
		tgm.UnhealthyHostCount(&awscloudwatch.MetricOptions{Statistic: maximum, Period: oneMinute}),
		1, UnhealthyHostsMinutes,
		fmt.Sprintf("A web instance has failed its health checks (/healthz) for %d minutes: look at its user data log (/var/log/cloud-init-output.log) and the group's activity", UnhealthyHostsMinutes))

	healthy := []awscloudwatch.IMetric{tgm.HealthyHostCount(opts(minimum, "healthy, all zones"))}
	for _, az := range props.AvailabilityZones {
		m := tgm.HealthyHostCount(&awscloudwatch.MetricOptions{Statistic: minimum, Period: fiveMinutes})
		dims := map[string]*string{}
		for k, v := range *m.Dimensions() {
			dims[k] = asString(v)
		}
		dims["AvailabilityZone"] = az
		healthy = append(healthy, m.With(&awscloudwatch.MetricOptions{DimensionsMap: &dims, Label: awscdk.Fn_Join(jsii.String(""), jsii.Strings("healthy in ", *az))}))
	}
	enableGroupMetrics(props.AutoScalingGroup)
	asgMetric := func(name, label string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(asgNamespace),
			MetricName:    jsii.String(name),
			DimensionsMap: &map[string]*string{"AutoScalingGroupName": props.AutoScalingGroup.AutoScalingGroupName()},
			Statistic:     minimum,
			Period:        fiveMinutes,
			Label:         jsii.String(label),
		})
	}

	// Alarm status first: the one-glance answer.
	alarms := []interfacesawscloudwatch.IAlarmRef{d.APIExecutionErrors, d.HTTP5xx, d.UnhealthyHosts}
	for _, f := range props.Functions {
		alarms = append(alarms, d.FunctionErrors[f.Name], d.FunctionThrottles[f.Name])
	}
	for _, a := range props.OtherAlarms {
		alarms = append(alarms, a)
	}
	row(
		awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Width: jsii.Number(6), Height: jsii.Number(4), Markdown: jsii.String(
			"# " + title + "\nCan players play? Alarms on the right; then players, the WebSocket API, each function, the table, the stream pipeline and the site. docs/monitoring.md says what each alarm means and what to do.")}),
		awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(18), Height: jsii.Number(4),
			SortBy: awscloudwatch.AlarmStatusWidgetSortBy_STATE_UPDATED_TIMESTAMP,
		}),
	)

	header("## Players")
	row(
		graph("Connections and frames", 6, []awscloudwatch.IMetric{apiMetric(apiConnectCount, sum, "connections"), apiMetric(apiMessageCount, sum, "frames")}),
		graph("Rooms and games", 6, []awscloudwatch.IMetric{game(metrics.RoomsCreated), game(metrics.GamesStarted), game(metrics.GamesFinished)}),
		graph("Moves and chat", 6, []awscloudwatch.IMetric{game(metrics.Moves), game(metrics.ChatMessages)}),
		graph("Dropped and rejoined", 6, []awscloudwatch.IMetric{game(metrics.Disconnects), game(metrics.Rejoins)}),
	)

	header("## WebSocket API")
	row(
		graph("Connects and messages", 8, []awscloudwatch.IMetric{apiMetric(apiConnectCount, sum, "connects"), apiMetric(apiMessageCount, sum, "messages")}),
		graph("Errors", 8, []awscloudwatch.IMetric{
			apiMetric(apiClientError, sum, "client errors (4xx: throttled, bad route)"),
			apiMetric(apiExecutionError, sum, "execution errors"),
			apiMetric(apiIntegrationError, sum, "integration errors"),
		}, line(APIExecutionErrorsThreshold, "execution errors alarm")),
		graph("Integration latency", 8, []awscloudwatch.IMetric{apiMetric(apiIntegrationLatency, p50, "p50"), apiMetric(apiIntegrationLatency, p99, "p99")}),
	)

	header("## Functions")
	for _, r := range fnRows {
		row(r.widgets...)
	}

	header("## Game table")
	table := props.Table
	var latency []awscloudwatch.IMetric
	for _, op := range ops {
		name := operationName(op)
		latency = append(latency, table.MetricSuccessfulRequestLatency(&awscloudwatch.MetricOptions{
			DimensionsMap: &map[string]*string{"Operation": jsii.String(name)}, Statistic: average, Period: fiveMinutes, Label: jsii.String(name),
		}))
	}
	row(
		graph("Request latency (average, ms)", 6, latency),
		graph("Throttled requests", 6, []awscloudwatch.IMetric{
			table.MetricThrottledRequestsForOperations(&awsdynamodb.OperationsMetricOptions{Operations: &ops, Period: fiveMinutes, Label: jsii.String("throttled")}),
		}),
		graph("Consumed capacity", 6, []awscloudwatch.IMetric{
			table.MetricConsumedReadCapacityUnits(opts(sum, "read units")),
			table.MetricConsumedWriteCapacityUnits(opts(sum, "write units")),
		}),
		graph("Errors and races", 6, []awscloudwatch.IMetric{
			table.MetricSystemErrorsForOperations(&awsdynamodb.SystemErrorsForOperationsMetricOptions{Operations: &ops, Period: fiveMinutes, Label: jsii.String("system errors")}),
			table.MetricConditionalCheckFailedRequests(opts(sum, "version conflicts (conditional check failed)")),
		}),
	)

	if props.StreamFunction != nil {
		header("## Stream pipeline (presence)")
		fn := props.StreamFunction
		row(
			graph("Iterator age (how far behind)", 8, []awscloudwatch.IMetric{fn.Metric(jsii.String(lambdaIteratorAge), opts(maximum, "iterator age (max, ms)"))}),
			graph("Batches and failures", 8, []awscloudwatch.IMetric{fn.MetricInvocations(opts(sum, "batches")), fn.MetricErrors(opts(sum, "failed batches"))}),
			graph("Dead-letter queue", 8, []awscloudwatch.IMetric{
				props.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(opts(maximum, "failed batches waiting")),
			}, line(1, "alarm")),
		)
	}

	header("## Site")
	row(
		graph("Load balancer requests", 8, []awscloudwatch.IMetric{lbm.RequestCount(opts(sum, "requests"))}),
		graph("5xx responses", 8, []awscloudwatch.IMetric{
			lbm.HttpCodeElb(awselasticloadbalancingv2.HttpCodeElb_ELB_5XX_COUNT, opts(sum, "from the load balancer")),
			lbm.HttpCodeTarget(awselasticloadbalancingv2.HttpCodeTarget_TARGET_5XX_COUNT, opts(sum, "from NGINX")),
		}, line(HTTP5xxThreshold, "alarm (both together)")),
		graph("Target response time (s)", 8, []awscloudwatch.IMetric{lbm.TargetResponseTime(opts(p50, "p50")), lbm.TargetResponseTime(opts(p99, "p99"))}),
	)
	row(
		graph("Healthy instances per zone (minimum)", 12, healthy),
		graph("Instances in service", 12, []awscloudwatch.IMetric{asgMetric(asgInService, "in service"), asgMetric(asgDesiredCapacity, "desired")}),
	)

	d.Dashboard = awscloudwatch.NewDashboard(this, jsii.String("Resource"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
		Widgets:         &rows,
	})
	region := awscdk.Stack_Of(this).Region()
	d.Url = awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://console.aws.amazon.com/cloudwatch/home?region="), region,
		jsii.String("#dashboards:name="), d.Dashboard.DashboardName(),
	})
	return d
}

// loggedErrors counts f's log lines at level ERROR, by function name, with a metric filter
// in scope (next to the alarm that reads it, not in the function's stack).
func loggedErrors(scope cdkconstructs.Construct, f NamedFunction) awscloudwatch.IMetric {
	awslogs.NewMetricFilter(scope, jsii.String("LoggedErrors"), &awslogs.MetricFilterProps{
		LogGroup:        f.LogGroup,
		FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$.level"), jsii.String("="), jsii.String("ERROR")),
		MetricNamespace: jsii.String(metrics.Namespace),
		MetricName:      jsii.String(LoggedErrorsMetric),
		MetricValue:     jsii.String("1"),
		Dimensions:      &map[string]*string{"Function": jsii.String("$.function")},
		Unit:            awscloudwatch.Unit_COUNT,
	})
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(metrics.Namespace),
		MetricName:    jsii.String(LoggedErrorsMetric),
		DimensionsMap: &map[string]*string{"Function": f.Function.FunctionName()},
		Statistic:     awscloudwatch.Stats_SUM(),
		Period:        awscdk.Duration_Minutes(jsii.Number(5)),
		Label:         jsii.String("logged errors (handled)"),
	})
}

// operationName is the Operation dimension's value for op: GET_ITEM is GetItem.
func operationName(op awsdynamodb.Operation) string {
	var b strings.Builder
	for _, part := range strings.Split(string(op), "_") {
		if part != "" {
			b.WriteString(part[:1] + strings.ToLower(part[1:]))
		}
	}
	return b.String()
}

// asString reads a dimension value as jsii returns it.
func asString(v any) *string {
	switch s := v.(type) {
	case *string:
		return s
	case string:
		return jsii.String(s)
	}
	panic(fmt.Errorf("dimension value %v (%T) is not a string", v, v))
}

// enableGroupMetrics turns on the group metrics the dashboard draws, where they are off on a
// group of this app (an imported group is left as it is). WebFrontend's group publishes them
// itself; this is for a dashboard given some other group.
func enableGroupMetrics(group awsautoscaling.IAutoScalingGroup) {
	cfn, ok := group.Node().DefaultChild().(awsautoscaling.CfnAutoScalingGroup)
	if !ok {
		return
	}
	// The L2 group sets the property lazily: resolve it to see whether it asks for any.
	if set, _ := awscdk.Stack_Of(cfn).Resolve(cfn.MetricsCollection()).([]any); len(set) > 0 {
		return
	}
	cfn.SetMetricsCollection([]any{&awsautoscaling.CfnAutoScalingGroup_MetricsCollectionProperty{
		Granularity: jsii.String("1Minute"),
		Metrics:     jsii.Strings(asgInService, asgDesiredCapacity),
	}})
}
