package blocks

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks/quotas"
)

// NamedFunction is a function with the name the dashboard and its alarms show it under.
type NamedFunction struct {
	Name     string
	Function *GoFunction
}

// DashboardProps configures a Dashboard: the parts it draws, each the construct that owns
// what it watches, whose metric methods it draws; and sections of the caller's own. Every part
// is optional, and a part not given draws no row, but a dashboard draws at least one.
type DashboardProps struct {
	// Title heads the dashboard. Default: DefaultDashboardTitle.
	Title *string
	// Summary is the markdown beside the title: what the dashboard answers, where to read more.
	// Default: DefaultDashboardSummary.
	Summary *string
	// Sections are the caller's own rows (an app's own metrics), drawn under the alarm status
	// and before the parts below, in this order. Default: none.
	Sections []DashboardSection
	// Api is the WebSocket API: its connects, messages, errors, latency and what it takes of
	// API Gateway's account-level quotas. Default: none, no API row.
	Api *WebSocketApi
	// Functions get a row each, in this order, with their errors alarm's threshold; names
	// must be unique. Default: none.
	Functions []NamedFunction
	// Table is a table's metrics in the dashboard's Region. Default: none, no table row.
	Table *TableMetrics
	// TableTitle heads the table's row. Default: "Table".
	TableTitle *string
	// Replicas are the table's other Regions (a multi-Region deployment): how far each lags is
	// drawn under the table.
	Replicas []string
	// TableOperations are the calls made to the table: its latency, throttling and errors are
	// shown for these. Default: GetItem, PutItem and DeleteItem.
	TableOperations []awsdynamodb.Operation
	// Stream is the table's stream pipeline: it gets a row, and its alarms join the alarm
	// status. Default: none, no stream row.
	Stream *StreamProcessor
	// StreamTitle heads the stream pipeline's row. Default: "Stream pipeline".
	StreamTitle *string
	// Web serves the site: its load balancer and instances. Default: none, no site row.
	Web *WebFrontend
	// Edge is the distribution in front of Web: it gets a row. Default: none.
	Edge *SiteDistribution
	// Firewall is the web ACL on Edge: its allowed and blocked requests join Edge's row (its
	// alarm lives with it, in us-east-1). Default: none.
	Firewall *WebFirewall
	// AvailabilityZones the instances run in: healthy hosts are drawn per zone. Default: none,
	// healthy hosts across all zones only.
	AvailabilityZones []*string
	// Alarms are shown in the alarm status at the top, in this order, before Stream's: the
	// alarms that page, each beside what it watches (ApiAlarms, FunctionAlarms, SiteAlarms).
	// Default: none, only Stream's.
	Alarms []awscloudwatch.IAlarm
}

// DashboardSection is a part of a Dashboard of the caller's own: a heading over rows of
// widgets (Graph and Sum draw them as the dashboard draws its own).
type DashboardSection struct {
	// Heading is the section's markdown heading, such as "## Players". Required.
	Heading string
	// Rows are the section's rows of widgets, 24 units wide each. Required, at least one.
	Rows [][]awscloudwatch.IWidget
}

// Dashboard's defaults.
const (
	DefaultDashboardTitle   = "Dashboard"
	DefaultDashboardSummary = "Alarms on the right; below them each part in turn."
	defaultTableTitle       = "Table"
	defaultStreamTitle      = "Stream pipeline"
)

// Dashboard is a CloudWatch dashboard of an app built from these constructs: whether it
// works, on one screen. Rows, top to bottom: the title and the status of the alarms that page
// (alarms.go); the caller's own Sections; the WebSocket API; each function; the table; the
// stream pipeline; the edge (distribution and firewall, when there are); the site's load
// balancer and instances. Its body reads each value of another stack once (readOnce).
type Dashboard struct {
	constructs.Construct
	// Dashboard is the dashboard.
	Dashboard awscloudwatch.Dashboard
	// Url opens the dashboard in the CloudWatch console.
	Url *string
}

// consumed is the table's read and write units, as a graph takes them.
func consumed(t *TableMetrics) []awscloudwatch.IMetric {
	r, w := t.MetricConsumedCapacity(sumOf("read units"), sumOf("write units"))
	return []awscloudwatch.IMetric{r, w}
}

// NewDashboard defines the dashboard.
func NewDashboard(scope constructs.Construct, id *string, props *DashboardProps) *Dashboard {
	p := props.validate(*id)
	this := constructs.NewConstruct(scope, id)
	d := &Dashboard{Construct: this}

	// Top to bottom: the one-glance answer, then the caller's own, then each part.
	l := layout{}
	l.status(p)
	for _, s := range p.Sections {
		l.header(s.Heading)
		for _, row := range s.Rows {
			l.row(row...)
		}
	}
	l.api(p.Api)
	l.functions(p.Functions)
	l.table(p.Table, *p.TableTitle, p.TableOperations, p.Replicas)
	l.stream(p.Stream, *p.StreamTitle)
	l.edge(p.Edge, p.Firewall)
	l.site(p.Web, p.AvailabilityZones)

	d.Dashboard = awscloudwatch.NewDashboard(this, jsii.String("Resource"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
		Widgets:         &l.rows,
	})
	cfn := d.Dashboard.Node().DefaultChild().(awscloudwatch.CfnDashboard)
	var body awscdk.IResolvable = &readOnce{body: cfn.DashboardBody()}
	cfn.SetDashboardBody(awscdk.Token_AsString(body, nil))
	d.Url = awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://console.aws.amazon.com/cloudwatch/home?region="), awscdk.Stack_Of(this).Region(),
		jsii.String("#dashboards:name="), d.Dashboard.DashboardName(),
	})
	return d
}

// validate checks props and returns a copy with the defaults filled in.
func (props *DashboardProps) validate(id string) DashboardProps {
	if props == nil || (props.Api == nil && props.Table == nil && props.Web == nil && len(props.Functions) == 0 && len(props.Sections) == 0) {
		panic(fmt.Errorf("Dashboard %s: nothing to draw: give at least one of Api, Functions, Table, Web or Sections", id))
	}
	seen := map[string]bool{}
	for _, f := range props.Functions {
		if f.Name == "" || f.Function == nil || seen[f.Name] {
			panic(fmt.Errorf("Dashboard %s: function %q: each function needs a unique, non-empty name and a Function", id, f.Name))
		}
		seen[f.Name] = true
	}
	for _, s := range props.Sections {
		if s.Heading == "" || len(s.Rows) == 0 {
			panic(fmt.Errorf("Dashboard %s: section %q: each section needs a Heading and at least one row", id, s.Heading))
		}
	}
	p := *props
	if p.Title == nil {
		p.Title = jsii.String(DefaultDashboardTitle)
	}
	if p.Summary == nil {
		p.Summary = jsii.String(DefaultDashboardSummary)
	}
	if p.TableTitle == nil {
		p.TableTitle = jsii.String(defaultTableTitle)
	}
	if p.StreamTitle == nil {
		p.StreamTitle = jsii.String(defaultStreamTitle)
	}
	if len(p.TableOperations) == 0 {
		p.TableOperations = []awsdynamodb.Operation{awsdynamodb.Operation_GET_ITEM, awsdynamodb.Operation_PUT_ITEM, awsdynamodb.Operation_DELETE_ITEM}
	}
	return p
}

// status is the title and every alarm's state: the one-glance answer.
func (l *layout) status(p DashboardProps) {
	var alarms []interfacesawscloudwatch.IAlarmRef
	for _, a := range p.Alarms {
		alarms = append(alarms, a)
	}
	if p.Stream != nil {
		alarms = append(alarms, p.Stream.DeadLetterAlarm, p.Stream.IteratorAgeAlarm)
	}
	title := "# " + *p.Title + "\n" + *p.Summary
	if len(alarms) == 0 {
		l.row(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Width: jsii.Number(24), Height: jsii.Number(4), Markdown: jsii.String(title)}))
	} else {
		l.row(
			awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Width: jsii.Number(6), Height: jsii.Number(4), Markdown: jsii.String(title)}),
			awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
				Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(18), Height: jsii.Number(4),
				SortBy: awscloudwatch.AlarmStatusWidgetSortBy_STATE_UPDATED_TIMESTAMP,
			}),
		)
	}
}

// api is the WebSocket API, and what it takes of API Gateway's account-level quotas.
func (l *layout) api(api *WebSocketApi) {
	if api == nil {
		return
	}
	l.header("## WebSocket API")
	l.row(
		graph("Connects and messages", 8, api.MetricConnectCount(sumOf("connects")), api.MetricMessageCount(sumOf("messages"))),
		graphLine(APIExecutionErrorsThreshold, "execution errors alarm", "Errors", 8,
			api.MetricClientError(sumOf("client errors (4xx: throttled, bad route)")),
			api.MetricExecutionError(sumOf("execution errors")),
			api.MetricIntegrationError(sumOf("integration errors")),
		),
		graph("Integration latency", 8, api.MetricIntegrationLatency(statOf(p50(), "p50")), api.MetricIntegrationLatency(statOf(p99(), "p99"))),
	)
	// What the API takes of API Gateway's account-level quotas (docs/capacity.md), per minute
	// as the alarm reads it.
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	l.row(
		graphLines("Account request quota: this API's requests per second", 12,
			[]*awscloudwatch.HorizontalAnnotation{
				{Value: jsii.Number(quotas.AccountAlarmRate()), Label: jsii.String(fmt.Sprintf("alarm (%d %%)", quotas.AccountAlarmPercent))},
				{Value: jsii.Number(quotas.AccountRequestsPerSecond), Label: jsii.String("the account's quota, every API in the Region")},
			},
			api.MetricRequestsPerSecond(minute)),
		graphLines("Account new connections quota: this API's connects per second", 12,
			[]*awscloudwatch.HorizontalAnnotation{
				{Value: jsii.Number(quotas.AccountConnectsPerSecond), Label: jsii.String("the account's quota, every WebSocket API in the Region")},
			},
			api.MetricConnectsPerSecond(minute)),
	)
}

// functions is a row for each function.
func (l *layout) functions(functions []NamedFunction) {
	if len(functions) == 0 {
		return
	}
	l.header("## Functions")
	for _, f := range functions {
		fn, name := f.Function, f.Name
		l.row(
			graphLine(FunctionErrorsThreshold, "errors alarm", name+": invocations, errors, throttles", 8,
				fn.Function.MetricInvocations(sumOf("invocations")),
				fn.Function.MetricThrottles(sumOf("throttles")),
				fn.Function.MetricErrors(sumOf("failed invocations")),
				fn.MetricLoggedErrors(sumOf("logged errors (handled)")),
			),
			graph(name+": duration", 8, fn.Function.MetricDuration(statOf(p50(), "p50")), fn.Function.MetricDuration(statOf(p99(), "p99"))),
			graph(name+": concurrent executions", 8, fn.MetricConcurrentExecutions(statOf(awscloudwatch.Stats_MAXIMUM(), "concurrent executions (max)"))),
		)
	}
}

// table is the table's calls, and its replication to the other Regions.
func (l *layout) table(table *TableMetrics, title string, ops []awsdynamodb.Operation, replicas []string) {
	if table == nil {
		return
	}
	l.header("## " + title)
	var latency []awscloudwatch.IMetric
	for _, op := range ops {
		latency = append(latency, table.MetricLatency(op, &awscloudwatch.MetricOptions{Period: fiveMinutes()}))
	}
	l.row(
		graph("Request latency (average, ms)", 6, latency...),
		graph("Throttled requests", 6, table.MetricThrottled(ops, fiveMinutes(), "throttled")),
		graph("Consumed capacity", 6, consumed(table)...),
		graph("Errors and races", 6,
			table.MetricSystemErrors(ops, fiveMinutes(), "system errors"),
			table.MetricVersionConflicts(sumOf("version conflicts (conditional check failed)")),
		),
	)
	if len(replicas) > 0 {
		var lag []awscloudwatch.IMetric
		for _, r := range replicas {
			lag = append(lag,
				table.MetricReplicationLatency(r, awscloudwatch.Stats_AVERAGE(), r+" (average)"),
				table.MetricReplicationLatency(r, awscloudwatch.Stats_MAXIMUM(), r+" (max)"))
		}
		// The failover's recovery point: what a Region's failure would lose (docs/regions.md).
		l.row(graph("Replication latency to the other Regions (ms)", 24, lag...))
	}
}

// stream is the stream pipeline, when there is one.
func (l *layout) stream(s *StreamProcessor, title string) {
	if s == nil {
		return
	}
	l.header("## " + title)
	l.row(
		graph("Iterator age (how far behind)", 8, s.MetricIteratorAge(statOf(awscloudwatch.Stats_MAXIMUM(), "iterator age (max, ms)"))),
		graph("Batches and failures", 8, s.MetricBatches(sumOf("batches")), s.MetricFailedBatches(sumOf("failed batches"))),
		graphLine(1, "alarm", "Dead-letter queue", 8, s.MetricDeadLetters(statOf(awscloudwatch.Stats_MAXIMUM(), "failed batches waiting"))),
	)
}

// edge is the distribution and its firewall, when the site is behind one.
func (l *layout) edge(e *SiteDistribution, firewall *WebFirewall) {
	if e == nil {
		return
	}
	l.header("## Edge (CloudFront, metrics from us-east-1)")
	edge := []awscloudwatch.IWidget{
		graph("Requests (pages and socket handshakes)", 8, e.MetricRequests(sumOf("requests"))),
		graph("Error rate (%)", 8,
			e.Metric4xxErrorRate(statOf(awscloudwatch.Stats_AVERAGE(), "4xx (firewall blocks included)")),
			e.Metric5xxErrorRate(statOf(awscloudwatch.Stats_AVERAGE(), "5xx")),
		),
	}
	if f := firewall; f != nil {
		blocked := []awscloudwatch.IMetric{f.MetricAllowedRequests(sumOf("allowed")), f.MetricBlockedRequests(sumOf("blocked"))}
		for _, rule := range FirewallRules() {
			blocked = append(blocked, f.MetricBlocked(rule, sumOf("blocked by "+rule)))
		}
		edge = append(edge, graph("Firewall: allowed and blocked", 8, blocked...))
	} else {
		edge = append(edge, graph("Downloaded (bytes)", 8, e.MetricBytesDownloaded(sumOf("bytes"))))
	}
	l.row(edge...)
}

// site is the load balancer and the instances behind it.
func (l *layout) site(web *WebFrontend, zones []*string) {
	if web == nil {
		return
	}
	l.header("## Site")
	l.row(
		graph("Load balancer requests", 8, web.MetricRequestCount(sumOf("requests"))),
		graphLine(HTTP5xxThreshold, "alarm (both together)", "5xx responses", 8, web.MetricLoadBalancer5xx(sumOf("from the load balancer")), web.MetricTarget5xx(sumOf("from NGINX"))),
		graph("Target response time (s)", 8, web.MetricTargetResponseTime(statOf(p50(), "p50")), web.MetricTargetResponseTime(statOf(p99(), "p99"))),
	)
	healthy := []awscloudwatch.IMetric{web.MetricHealthyHosts(nil, statOf(awscloudwatch.Stats_MINIMUM(), "healthy, all zones"))}
	for _, az := range zones {
		healthy = append(healthy, web.MetricHealthyHosts(az, &awscloudwatch.MetricOptions{
			Statistic: awscloudwatch.Stats_MINIMUM(), Period: fiveMinutes(), Label: awscdk.Fn_Join(jsii.String(""), jsii.Strings("healthy in ", *az)),
		}))
	}
	l.row(
		graph("Healthy instances per zone (minimum)", 12, healthy...),
		graph("Instances in service", 12, web.MetricInServiceInstances(statOf(awscloudwatch.Stats_MINIMUM(), "in service")), web.MetricDesiredCapacity(statOf(awscloudwatch.Stats_MINIMUM(), "desired"))),
	)
}

// layout collects the dashboard's rows.
type layout struct{ rows []*[]awscloudwatch.IWidget }

func (l *layout) row(widgets ...awscloudwatch.IWidget) { l.rows = append(l.rows, &widgets) }

func (l *layout) header(markdown string) {
	l.row(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Markdown: jsii.String(markdown), Width: jsii.Number(24), Height: jsii.Number(1)}))
}

// Graph is a graph widget as the dashboard draws its own: 6 units high, width units wide (of
// a row's 24), the metrics on its left axis. For a DashboardSection.
func Graph(title string, width float64, left ...awscloudwatch.IMetric) awscloudwatch.IWidget {
	return graph(title, width, left...)
}

// Sum is a graph line's options as the dashboard's own: summed over 5 minutes, labelled (no
// label: the metric's own). For a metric method's options in a DashboardSection.
func Sum(label string) *awscloudwatch.MetricOptions { return sumOf(label) }

// graph is a graph widget of the metrics on its left axis.
func graph(title string, width float64, left ...awscloudwatch.IMetric) awscloudwatch.IWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Width: jsii.Number(width), Height: jsii.Number(6), Left: &left})
}

// graphLine is a graph with a horizontal line at value (an alarm's threshold).
func graphLine(value float64, label string, title string, width float64, left ...awscloudwatch.IMetric) awscloudwatch.IWidget {
	return graphLines(title, width, []*awscloudwatch.HorizontalAnnotation{{Value: jsii.Number(value), Label: jsii.String(label)}}, left...)
}

// graphLines is a graph with horizontal lines (an alarm's threshold, a quota).
func graphLines(title string, width float64, lines []*awscloudwatch.HorizontalAnnotation, left ...awscloudwatch.IMetric) awscloudwatch.IWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title), Width: jsii.Number(width), Height: jsii.Number(6), Left: &left,
		LeftAnnotations: &lines,
	})
}

// p50 and p99 are percentile statistics (functions, not variables: no jsii call may run at
// package init, before the runtime is up).
func p50() *string { return awscloudwatch.Stats_Percentile(jsii.Number(50)) }
func p99() *string { return awscloudwatch.Stats_Percentile(jsii.Number(99)) }

func fiveMinutes() awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(5)) }

// statOf and sumOf are a graph line's options: a statistic over 5 minutes, labelled.
func statOf(statistic *string, label string) *awscloudwatch.MetricOptions {
	o := &awscloudwatch.MetricOptions{Statistic: statistic, Period: fiveMinutes()}
	if label != "" {
		o.Label = jsii.String(label)
	}
	return o
}

func sumOf(label string) *awscloudwatch.MetricOptions {
	return statOf(awscloudwatch.Stats_SUM(), label)
}

// readOnce is a dashboard's body that reads each value of another stack once: CloudFormation
// resolves every Fn::GetStackOutput of a template on its own, each occurrence (aws-cdk#38010),
// and a body names a function, the API or the load balancer in many of its metrics (over 90
// places). CDK writes the body as an Fn::Join of its text around each reference; readOnce
// keeps that form (CloudFormation documents Fn::GetStackOutput inside Fn::Join, and refuses
// it in Fn::Sub's variables and Fn::Base64), but writes each value of another stack that the
// body names more than once as a placeholder, and reads the value once, as the default of a
// hidden pattern variable: CloudWatch replaces the placeholder with it across the body when
// it shows the dashboard.
type readOnce struct{ body *string }

// Resolve resolves the body as CDK writes it, then reads each repeated value once (readOnceOf).
func (r *readOnce) Resolve(ctx awscdk.IResolveContext) any {
	return readOnceOf(ctx.Resolve(r.body, nil))
}

func (r *readOnce) ToString() *string                   { return jsii.String("DashboardBody") }
func (r *readOnce) CreationStack() *[]*string           { return &[]*string{} }
func (r *readOnce) TypeHint() awscdk.ResolutionTypeHint { return awscdk.ResolutionTypeHint_STRING }

// placeholderPrefix starts each placeholder readOnceOf writes: __ref0__, __ref1__, … (a
// regular expression that matches only itself: the trailing __ keeps __ref1__ out of
// __ref10__).
const placeholderPrefix = "__ref"

// readOnceOf is body, as CDK resolves a JSON text around references (an Fn::Join of text and
// references with no delimiter), with each Fn::GetStackOutput that occurs more than once
// written as a placeholder, and a "variables" list at the end of the body that gives each
// placeholder its value, read there once. A value read once stays where it is. Any other
// shape is returned as it is.
func readOnceOf(body any) any {
	m, _ := body.(map[string]any)
	join, ok := m["Fn::Join"].([]any)
	if !ok || len(join) != 2 || join[0] != "" {
		return body
	}
	parts, ok := join[1].([]any)
	if !ok {
		return body
	}
	count := map[string]int{}
	for _, part := range parts {
		if literal, ok := part.(string); ok {
			if strings.Contains(literal, placeholderPrefix) || strings.Contains(literal, `"variables":`) {
				panic(fmt.Errorf("dashboard body: its text holds %q or variables of its own, which the placeholders would break", placeholderPrefix))
			}
		} else if isStackOutput(part) {
			count[keyOf(part)]++
		}
	}
	var out, variables joined
	placeholders := map[string]string{}
	inAlarms := false // whether the text so far has opened an alarm status widget's list
	for _, part := range parts {
		if literal, ok := part.(string); ok {
			if open, end := strings.LastIndex(literal, `"alarms":[`), strings.LastIndex(literal, "]"); open >= 0 || end >= 0 {
				inAlarms = open > end
			}
		}
		key := keyOf(part)
		// An alarm status widget's alarms stay real ARNs: CloudWatch documents them as ARNs.
		if !isStackOutput(part) || count[key] < 2 || inAlarms {
			out.add(part)
			continue
		}
		name, ok := placeholders[key]
		if !ok {
			name = fmt.Sprintf("%s%d__", placeholderPrefix, len(placeholders))
			placeholders[key] = name
			if len(placeholders) > 1 {
				variables.add(",")
			}
			id := strings.Trim(name, "_")
			variables.add(`{"type":"pattern","pattern":"` + name + `","inputType":"input","id":"` + id + `","label":"` + id + `","visible":false,"defaultValue":"`)
			variables.add(part)
			variables.add(`"}`)
		}
		out.add(name)
	}
	if len(placeholders) == 0 {
		return body
	}
	last, ok := out[len(out)-1].(string)
	if !ok || !strings.HasSuffix(last, "}") {
		panic(fmt.Errorf("dashboard body: it does not end in the } of a JSON object"))
	}
	out[len(out)-1] = strings.TrimSuffix(last, "}")
	out.add(`,"variables":[`)
	for _, v := range variables {
		out.add(v)
	}
	out.add("]}")
	return map[string]any{"Fn::Join": []any{"", []any(out)}}
}

// joined is the parts of an Fn::Join with no delimiter, adjacent text merged.
type joined []any

func (j *joined) add(part any) {
	if text, ok := part.(string); ok && len(*j) > 0 {
		if last, ok := (*j)[len(*j)-1].(string); ok {
			(*j)[len(*j)-1] = last + text
			return
		}
	}
	*j = append(*j, part)
}

func isStackOutput(part any) bool {
	m, ok := part.(map[string]any)
	return ok && m["Fn::GetStackOutput"] != nil
}

func keyOf(part any) string {
	key, err := json.Marshal(part)
	if err != nil {
		panic(fmt.Errorf("dashboard body: %w", err))
	}
	return string(key)
}
