package stacks

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
)

// The Monitoring stack's tests read the whole app (dev and prod, synthesized once: deployment_test.go), since it watches every other stack.

// logicalID is the logical ID of a construct's CloudFormation resource in its own stack.
func logicalID(c constructs.IConstruct) string {
	return *awscdk.Stack_Of(c).GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

// dashboardMetric is one metric line of a dashboard graph, as CloudWatch reads it.
type dashboardMetric struct {
	Namespace, Name string
	Dimensions      map[string]string // values that are references read as the reference's JSON
	Stat            string
	Widget          string // the graph's title
	Expression      string // a math expression's, instead of a metric
}

// dashboardBody reads the dashboard's DashboardBody (an Fn::Join of JSON text and references)
// as CloudWatch shows it: each reference written as its JSON with quotes removed, then each
// pattern variable's placeholder replaced with its default. It returns the metrics of every
// graph and the alarms of every alarm status widget.
func dashboardBody(t *testing.T, s *synthesized) (metricLines []dashboardMetric, alarms []string) {
	t.Helper()
	return dashboardBodyOf(t, s.templates[*s.d.Monitoring.StackName()])
}

// dashboardBodyOf is dashboardBody of the one dashboard of tpl.
func dashboardBodyOf(t *testing.T, tpl assertions.Template) (metricLines []dashboardMetric, alarms []string) {
	t.Helper()
	var body struct {
		Properties struct {
			DashboardBody struct {
				Join []any `json:"Fn::Join"`
			}
		}
	}
	dashboards := cdktest.Resources(t, tpl, "AWS::CloudWatch::Dashboard")
	if len(dashboards) != 1 {
		t.Fatalf("want one dashboard, got %d", len(dashboards))
	}
	cdktest.RoundTrip(t, dashboards[firstKey(dashboards)], &body)
	join := body.Properties.DashboardBody.Join
	if len(join) != 2 || join[0] != "" {
		t.Fatalf("DashboardBody is not an Fn::Join of text and references: %v", join)
	}
	var text strings.Builder
	for _, part := range join[1].([]any) {
		if literal, ok := part.(string); ok {
			text.WriteString(literal)
		} else {
			text.WriteString(strings.NewReplacer(`"`, "", `\`, "").Replace(cdktest.JSONOf(t, part)))
		}
	}
	if m := regexp.MustCompile(`"alarms":\[[^\]]*__ref`).FindString(text.String()); m != "" {
		t.Errorf("an alarm status widget names a placeholder, not an alarm's ARN: %s", m)
	}
	var shown struct {
		Variables []struct{ Type, Pattern, DefaultValue string }
	}
	if err := json.Unmarshal([]byte(text.String()), &shown); err != nil {
		t.Fatalf("the dashboard body is not JSON: %v\n%s", err, text.String())
	}
	replaced := text.String()
	for _, v := range shown.Variables {
		if v.Type != "pattern" || v.DefaultValue == "" {
			t.Fatalf("variable %+v: want a pattern with a default", v)
		}
		replaced = regexp.MustCompile(v.Pattern).ReplaceAllLiteralString(replaced, v.DefaultValue)
	}
	var doc struct {
		Widgets []struct {
			Type       string
			Properties struct {
				Title   string
				Metrics [][]any
				Alarms  []string
			}
		}
	}
	if err := json.Unmarshal([]byte(replaced), &doc); err != nil {
		t.Fatalf("the dashboard body is not JSON once its variables are applied: %v\n%s", err, replaced)
	}
	for _, w := range doc.Widgets {
		alarms = append(alarms, w.Properties.Alarms...)
		for _, m := range w.Properties.Metrics {
			ns, ok := m[0].(string)
			if !ok { // a math expression: its metrics, if any, follow as lines of their own
				if e, _ := m[0].(map[string]any); e != nil {
					expr, _ := e["expression"].(string)
					metricLines = append(metricLines, dashboardMetric{Expression: expr, Widget: w.Properties.Title})
				}
				continue
			}
			line := dashboardMetric{Namespace: ns, Name: m[1].(string), Dimensions: map[string]string{}, Widget: w.Properties.Title}
			i := 2
			for ; i+1 < len(m); i += 2 {
				k, _ := m[i].(string)
				v, _ := m[i+1].(string)
				line.Dimensions[k] = v
			}
			if i < len(m) {
				if opts, ok := m[i].(map[string]any); ok {
					line.Stat, _ = opts["stat"].(string)
				}
			}
			metricLines = append(metricLines, line)
		}
	}
	return metricLines, alarms
}

// find returns the dashboard's lines of a metric whose dimensions contain each of dims (as
// substrings: a reference's text contains its target's logical ID).
func find(lines []dashboardMetric, namespace, name string, dims map[string]string) []dashboardMetric {
	var out []dashboardMetric
next:
	for _, l := range lines {
		if l.Namespace != namespace || l.Name != name {
			continue
		}
		for k, v := range dims {
			// Logical IDs are matched in part (a dimension holds a token's rendering); an
			// operation whole (BatchGetItem is not GetItem).
			if k == "Operation" && l.Dimensions[k] != v || !strings.Contains(l.Dimensions[k], v) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

func stats(lines []dashboardMetric) string {
	var s []string
	for _, l := range lines {
		st := l.Stat
		if st == "" {
			st = "Average" // CDK leaves out the default statistic
		}
		s = append(s, st)
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

// The dashboard draws every metric docs/monitoring.md lists, each on the right resource.
func TestDashboardShowsEveryRow(t *testing.T) {
	for cfgName, s := range map[string]*synthesized{"dev": dev(t), "prod": prod(t)} {
		t.Run(cfgName, func(t *testing.T) {
			lines, _ := dashboardBody(t, s)
			d := s.d
			want := func(namespace, name string, dims map[string]string, wantStats string) {
				t.Helper()
				got := find(lines, namespace, name, dims)
				if len(got) == 0 {
					t.Errorf("no %s %s with dimensions %v on the dashboard", namespace, name, dims)
					return
				}
				if wantStats != "" && stats(got) != wantStats {
					t.Errorf("%s %s %v drawn with statistics %q, want %q", namespace, name, dims, stats(got), wantStats)
				}
			}

			// Players: the game metrics, one dimension.
			for _, name := range metrics.Names() {
				want(metrics.Namespace, name, map[string]string{metrics.ServiceDimension: metrics.ServiceName}, "")
			}
			want(metrics.Namespace, metrics.QuickMatchWait, map[string]string{metrics.ServiceDimension: metrics.ServiceName}, "p50 p90")
			for _, l := range find(lines, metrics.Namespace, metrics.Moves, nil) {
				if len(l.Dimensions) != 1 || l.Stat != "Sum" {
					t.Errorf("game metric %v: want the Sum over the Service dimension only", l)
				}
			}

			// Where a move's time goes: each hop of a move at p50 and p99 beside the pages'
			// round trip, and every action's hops found by a search.
			for _, name := range metrics.Latencies() {
				want(metrics.Namespace, name, map[string]string{metrics.ServiceDimension: metrics.ServiceName, metrics.ActionDimension: catalog.Move}, "p50 p99")
				searched := 0
				for _, l := range lines {
					if strings.Contains(l.Expression, "SEARCH(") && strings.Contains(l.Expression, `MetricName="`+name+`"`) &&
						strings.Contains(l.Expression, metrics.ActionDimension) {
						searched++
					}
				}
				if searched != 2 {
					t.Errorf("%s: %d searches over every action on the dashboard, want p50 and p99", name, searched)
				}
			}
			want(metrics.Namespace, metrics.MoveRoundTrip, map[string]string{metrics.ServiceDimension: metrics.ServiceName}, "p50 p99")

			// The WebSocket API, by its ID and stage.
			api := map[string]string{"ApiId": logicalID(d.Realtime.Api.Api), "Stage": "prod"}
			for _, name := range []string{"ConnectCount", "MessageCount", "ClientError", "ExecutionError", "IntegrationError"} {
				want("AWS/ApiGateway", name, api, "")
			}
			want("AWS/ApiGateway", "IntegrationLatency", api, "p50 p99")

			// Each function.
			for name, fn := range functionsOf(d) {
				// The logged errors: a metric of the function's own, named after it.
				var logged []dashboardMetric
				for _, l := range lines {
					if l.Namespace == metrics.Namespace && strings.HasPrefix(l.Name, blocks.LoggedErrorsMetric+"-") && strings.Contains(l.Name, logicalID(fn)) && len(l.Dimensions) == 0 {
						logged = append(logged, l)
					}
				}
				if stats(logged) != "Sum" {
					t.Errorf("function %s: logged errors drawn %d times with statistics %q, want once, Sum", name, len(logged), stats(logged))
				}
				dims := map[string]string{"FunctionName": logicalID(fn)}
				want("AWS/Lambda", "Invocations", dims, "")
				want("AWS/Lambda", "Errors", dims, "")
				want("AWS/Lambda", "Throttles", dims, "Sum")
				want("AWS/Lambda", "Duration", dims, "p50 p99")
				want("AWS/Lambda", "ConcurrentExecutions", dims, "Maximum")
				if len(find(lines, "AWS/Lambda", "Duration", dims)) == 0 {
					t.Errorf("function %s has no duration graph", name)
				}
			}

			// The table: latency per call the store makes, throttles, capacity, errors.
			table := map[string]string{"TableName": logicalID(d.Data.Table)}
			for _, op := range []string{"GetItem", "PutItem", "DeleteItem", "UpdateItem", "BatchGetItem"} {
				dims := map[string]string{"TableName": table["TableName"], "Operation": op}
				want("AWS/DynamoDB", "SuccessfulRequestLatency", dims, "")
				want("AWS/DynamoDB", "ThrottledRequests", dims, "Sum")
				want("AWS/DynamoDB", "SystemErrors", dims, "Sum")
			}
			want("AWS/DynamoDB", "ConsumedReadCapacityUnits", table, "Sum")
			want("AWS/DynamoDB", "ConsumedWriteCapacityUnits", table, "Sum")

			// The stream pipeline.
			want("AWS/Lambda", "IteratorAge", map[string]string{"FunctionName": logicalID(d.Presence.Function.Function)}, "Maximum")
			want("AWS/SQS", "ApproximateNumberOfMessagesVisible", map[string]string{"QueueName": logicalID(d.Presence.Stream.DeadLetterQueue)}, "Maximum")

			// The site.
			web := d.Frontend.Web
			lb := map[string]string{"LoadBalancer": logicalID(web.LoadBalancer)}
			want("AWS/ApplicationELB", "RequestCount", lb, "Sum")
			want("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb, "Sum")
			want("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb, "Sum")
			want("AWS/ApplicationELB", "TargetResponseTime", lb, "p50 p99")
			// (a target group's LoadBalancer dimension comes from its listener's ARN)
			tg := map[string]string{"TargetGroup": logicalID(web.TargetGroup), "LoadBalancer": "LoadBalancer"}
			var zones []string
			for _, l := range find(lines, "AWS/ApplicationELB", "HealthyHostCount", tg) {
				if az, ok := l.Dimensions["AvailabilityZone"]; ok {
					zones = append(zones, az)
				}
			}
			if wantZones := len(*d.Network.Vpc.AvailabilityZones()); len(zones) != wantZones {
				t.Errorf("healthy hosts drawn for zones %v, want one line for each of the VPC's %d zones", zones, wantZones)
			}
			want("AWS/AutoScaling", "GroupInServiceInstances", map[string]string{"AutoScalingGroupName": logicalID(web.AutoScalingGroup)}, "")
		})
	}
}

// alarmSpec is what an alarm must watch and when it must fire.
type alarmSpec struct {
	alarm                  awscloudwatch.Alarm
	namespace, metric, dim string // dim: a logical ID the metric's dimensions refer to
	stat                   string
	period                 float64
	threshold              float64
	periods                float64
}

func alarmSpecs(d *Deployment) map[string]alarmSpec {
	specs := map[string]alarmSpec{
		"api execution errors": {d.Realtime.ApiAlarms.ExecutionErrors, "AWS/ApiGateway", "ExecutionError", logicalID(d.Realtime.Api.Api), "Sum", 300, 5, 1},
		"unhealthy hosts":      {d.Frontend.Alarms.UnhealthyHosts, "AWS/ApplicationELB", "UnHealthyHostCount", logicalID(d.Frontend.Web.TargetGroup), "Maximum", 60, 1, 5},
	}
	for name, fn := range functionsOf(d) {
		specs[name+" throttles"] = alarmSpec{functionAlarmsOf(d)[name].Throttles, "AWS/Lambda", "Throttles", logicalID(fn), "Sum", 300, 1, 1}
	}
	return specs
}

// functionAlarmsOf is every function's alarms, by function name.
func functionAlarmsOf(d *Deployment) map[string]*blocks.FunctionAlarms {
	alarms := map[string]*blocks.FunctionAlarms{catalog.FnPresence: d.Presence.FunctionAlarms}
	for _, name := range catalog.RouteFunctionNames() {
		alarms[name] = d.Realtime.FunctionAlarms[name]
	}
	return alarms
}

// alarmProps is an alarm's properties in the template of its own stack.
func alarmProps(t *testing.T, s *synthesized, alarm awscloudwatch.Alarm) map[string]any {
	t.Helper()
	tpl := s.templates[*awscdk.Stack_Of(alarm).StackName()]
	r, ok := cdktest.Resources(t, tpl, "AWS::CloudWatch::Alarm")[logicalID(alarm)]
	if !ok {
		t.Fatalf("no alarm %s in %s", logicalID(alarm), *awscdk.Stack_Of(alarm).StackName())
	}
	return cdktest.Props(r)
}

// The alarms that page live beside what they watch: the API's and the route functions' in
// Realtime, the presence function's in Presence (with its stream's), the site's in Frontend;
// none in Monitoring, whose every alarm would read its metric and topic from other stacks.
func TestAlarmsLiveBesideWhatTheyWatch(t *testing.T) {
	for name, s := range map[string]*synthesized{"dev": dev(t), "prod": prod(t)} {
		d := s.d
		for stack, want := range map[awscdk.Stack]int{
			d.Monitoring.Stack: 0,
			d.Realtime.Stack:   2 + 2*len(catalog.RouteFunctionNames()),
			d.Presence.Stack:   2 + 2,
			d.Frontend.Stack:   2,
		} {
			if got := len(cdktest.Resources(t, s.templates[*stack.StackName()], "AWS::CloudWatch::Alarm")); got != want {
				t.Errorf("%s: %d alarms in %s, want %d", name, got, *stack.StackName(), want)
			}
		}
		alarms := append(d.Realtime.Alarms(), d.Presence.FunctionAlarms.Alarms()...)
		for _, a := range append(alarms, d.Frontend.Alarms.Alarms()...) {
			alarm := a.(awscloudwatch.Alarm)
			p := alarmProps(t, s, alarm)
			if js := cdktest.JSONOf(t, []any{p["Dimensions"], p["Metrics"]}); strings.Contains(js, "Fn::GetStackOutput") {
				t.Errorf("%s: alarm %s reads its metric from another stack: %s", name, logicalID(alarm), js)
			}
		}
	}
}

// Each alarm watches its metric with the threshold docs/monitoring.md explains, treats no data
// as fine, and tells the operations topic both when it fires and when it clears.
func TestAlarmsWatchTheirMetricAndNotifyOperations(t *testing.T) {
	s := dev(t)
	d := s.d
	specs := alarmSpecs(d)
	check := func(name string, p map[string]any) {
		t.Helper()
		if p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || p["TreatMissingData"] != "notBreaching" {
			t.Errorf("%s: comparison %v, missing data %v; want ≥ and notBreaching", name, p["ComparisonOperator"], p["TreatMissingData"])
		}
		if !notifiesOps(t, s, p["AlarmActions"]) || !notifiesOps(t, s, p["OKActions"]) {
			t.Errorf("%s: alarm actions %s, OK actions %s; want the operations topic on both", name, cdktest.JSONOf(t, p["AlarmActions"]), cdktest.JSONOf(t, p["OKActions"]))
		}
	}
	for name, sp := range specs {
		if sp.alarm == nil {
			t.Errorf("%s: no alarm", name)
			continue
		}
		p := alarmProps(t, s, sp.alarm)
		check(name, p)
		got := fmt.Sprintf("%v %v %v %v %v %v/%v", p["Namespace"], p["MetricName"], p["Statistic"], p["Period"], p["Threshold"], p["DatapointsToAlarm"], p["EvaluationPeriods"])
		want := fmt.Sprintf("%v %v %v %v %v %v/%v", sp.namespace, sp.metric, sp.stat, sp.period, sp.threshold, sp.periods, sp.periods)
		if got != want {
			t.Errorf("%s: alarm on %s, want %s", name, got, want)
		}
		if dims := cdktest.JSONOf(t, p["Dimensions"]); !strings.Contains(dims, sp.dim) || strings.Contains(dims, "Fn::GetStackOutput") {
			t.Errorf("%s: dimensions %s do not name %s in the alarm's own stack", name, dims, sp.dim)
		}
	}

	// Math alarms: each function's failed invocations plus the errors it logged; the site's
	// 5xx from the load balancer and from the instances together.
	math := map[string]struct {
		alarm     awscloudwatch.Alarm
		threshold float64
		want      map[string]string
	}{
		"5xx": {d.Frontend.Alarms.HTTP5xx, 5, map[string]string{
			"expression": "FILL(elb, 0) + FILL(target, 0)",
			"elb":        "AWS/ApplicationELB HTTPCode_ELB_5XX_Count Sum 300",
			"target":     "AWS/ApplicationELB HTTPCode_Target_5XX_Count Sum 300",
		}},
		"account requests": {d.Realtime.ApiAlarms.AccountRequests, -1 /* per Region: TestAccountRequestsAlarm */, map[string]string{
			"expression": "(FILL(messages, 0) + FILL(connects, 0)) / PERIOD(messages)",
			"messages":   "AWS/ApiGateway MessageCount Sum 60",
			"connects":   "AWS/ApiGateway ConnectCount Sum 60",
		}},
	}
	for name, fn := range functionsOf(d) {
		math[name+" errors"] = struct {
			alarm     awscloudwatch.Alarm
			threshold float64
			want      map[string]string
		}{functionAlarmsOf(d)[name].Errors, 3, map[string]string{
			"expression": "FILL(failed, 0) + FILL(logged, 0)",
			"failed":     "AWS/Lambda Errors Sum 300 FunctionName=<" + logicalID(fn) + ">",
			"logged":     "TicTacToe LoggedErrors-<" + logicalID(fn) + "> Sum 300",
		}}
	}
	var fnIDs []string
	for _, fn := range functionsOf(d) {
		fnIDs = append(fnIDs, logicalID(fn))
	}
	for name, m := range math {
		p := alarmProps(t, s, m.alarm)
		check(name, p)
		if got := mathAlarm(t, p, fnIDs); cdktest.JSONOf(t, got) != cdktest.JSONOf(t, m.want) || (m.threshold >= 0 && p["Threshold"] != m.threshold) || p["EvaluationPeriods"] != 1.0 {
			t.Errorf("%s alarm on %v ≥ %v over %v periods, want %v ≥ %v over 1", name, got, p["Threshold"], p["EvaluationPeriods"], m.want, m.threshold)
		}
	}
}

// The API's share of API Gateway's account-level request quota (10,000 requests per second in
// a Region, shared by every API of the account and counting every @connections post) has an
// alarm at 80 % of it over a minute, on this stage's messages and connects, and the dashboard
// draws it against the alarm's line and the quota.
func TestAccountRequestsAlarm(t *testing.T) {
	s := dev(t)
	d := s.d
	alarm := d.Realtime.ApiAlarms.AccountRequests
	if alarm == nil {
		t.Fatal("no account requests alarm")
	}
	tpl := s.templates[*d.Realtime.StackName()]
	p := alarmProps(t, s, alarm)
	if p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || p["EvaluationPeriods"] != 1.0 || p["DatapointsToAlarm"] != 1.0 {
		t.Errorf("alarm %v over %v/%v periods, want ≥ over 1/1", p["ComparisonOperator"], p["DatapointsToAlarm"], p["EvaluationPeriods"])
	}
	// Environment-agnostic, the threshold is the deploying Region's: 80 % of 2,500 in the
	// Regions that start there, of 10,000 elsewhere.
	var threshold struct {
		If []any `json:"Fn::If"`
	}
	cdktest.RoundTrip(t, p["Threshold"], &threshold)
	if len(threshold.If) != 3 || threshold.If[1] != 2000.0 || threshold.If[2] != 8000.0 || threshold.If[2] != capacity.AccountAlarmRate() {
		t.Fatalf("threshold %s, want Fn::If on the low-quota Regions, 2000 else 8000", cdktest.JSONOf(t, p["Threshold"]))
	}
	conditions := cdktest.JSONOf(t, (*tpl.ToJSON())["Conditions"])
	for _, r := range capacity.LowQuotaRegions {
		if !strings.Contains(conditions, `"`+r+`"`) {
			t.Errorf("the condition %s does not name %s", conditions, r)
		}
	}
	if strings.Contains(conditions, `"eu-west-1"`) {
		t.Errorf("the low-quota condition names eu-west-1: %s", conditions)
	}
	// With a Region, the number itself.
	pp := prod(t)
	if got := alarmProps(t, pp, pp.d.Realtime.ApiAlarms.AccountRequests)["Threshold"]; got != 8000.0 {
		t.Errorf("eu-west-1's threshold %v, want 8000", got)
	}
	if !notifiesOps(t, s, p["AlarmActions"]) || !notifiesOps(t, s, p["OKActions"]) {
		t.Errorf("alarm actions %s, OK actions %s; want the operations topic on both", cdktest.JSONOf(t, p["AlarmActions"]), cdktest.JSONOf(t, p["OKActions"]))
	}
	var m struct {
		Metrics []struct {
			Id         string
			MetricStat struct {
				Metric struct {
					Dimensions []struct {
						Name  string
						Value any
					}
				}
			}
		}
	}
	cdktest.RoundTrip(t, p, &m)
	api := logicalID(d.Realtime.Api.Api)
	for _, x := range m.Metrics {
		if x.Id != "messages" && x.Id != "connects" {
			continue
		}
		if dims := cdktest.JSONOf(t, x.MetricStat.Metric.Dimensions); !strings.Contains(dims, api) || !strings.Contains(dims, `"Stage"`) {
			t.Errorf("%s: dimensions %s, want the API %s and its stage", x.Id, dims, api)
		}
	}
	lines, _ := dashboardBody(t, s)
	drawn := 0
	for _, l := range lines {
		if strings.HasPrefix(l.Widget, "Account request quota") && strings.Contains(l.Dimensions["ApiId"], api) {
			drawn++
		}
	}
	if drawn != 2 {
		t.Errorf("the dashboard draws %d of the alarm's two metrics under the account request quota", drawn)
	}
}

// mathAlarm describes a metric math alarm's expression and metrics: "namespace name stat
// period" by ID, and a function dimension as "Name=<the one of logicalIDs it refers to>".
func mathAlarm(t *testing.T, p map[string]any, logicalIDs []string) map[string]string {
	t.Helper()
	var m struct {
		Metrics []struct {
			Id, Expression string
			MetricStat     struct {
				Metric struct {
					Namespace  string
					MetricName any // a name, or a Fn::Join that names a function
					Dimensions []struct {
						Name  string
						Value any
					}
				}
				Stat   string
				Period float64
			}
		}
	}
	cdktest.RoundTrip(t, p, &m)
	got := map[string]string{}
	for _, x := range m.Metrics {
		if x.Expression != "" {
			got["expression"] = x.Expression
			continue
		}
		ms := x.MetricStat
		name, _ := ms.Metric.MetricName.(string)
		fn, _ := ms.Metric.MetricName.(map[string]any)
		if join, ok := fn["Fn::Join"].([]any); ok && len(join) == 2 && join[0] == "" {
			for _, part := range join[1].([]any) {
				if text, ok := part.(string); ok {
					name += text
				} else {
					name += "<" + refTarget(t, part, logicalIDs) + ">"
				}
			}
		}
		got[x.Id] = fmt.Sprintf("%s %s %s %v", ms.Metric.Namespace, name, ms.Stat, ms.Period)
		for _, dim := range ms.Metric.Dimensions {
			if dim.Name == "FunctionName" || dim.Name == "Function" {
				got[x.Id] += fmt.Sprintf(" %s=<%s>", dim.Name, refTarget(t, dim.Value, logicalIDs))
			}
		}
	}
	return got
}

// refTarget is the one of logicalIDs that a reference (Ref, or an import of another stack's
// output of one) names, or the reference itself when it names none or several.
func refTarget(t *testing.T, ref any, logicalIDs []string) string {
	t.Helper()
	text, found := cdktest.JSONOf(t, ref), ""
	for _, id := range logicalIDs {
		if strings.Contains(text, id) {
			if found != "" {
				return text
			}
			found = id
		}
	}
	if found == "" {
		return text
	}
	return found
}

// functionsOf is every function of the deployment, by name.
func functionsOf(d *Deployment) map[string]constructs.IConstruct {
	fns := map[string]constructs.IConstruct{"presence": d.Presence.Function.Function}
	for _, name := range catalog.RouteFunctionNames() {
		fns[name] = d.Realtime.Functions[name].Function
	}
	return fns
}

// Each function's log lines at level ERROR are counted, whatever other fields they carry, into
// a metric of the function's own, which its errors alarm reads (TestAlarmsWatchTheirMetricAndNotifyOperations).
func TestLoggedErrorsAreCounted(t *testing.T) {
	d := dev(t).d
	if n := len(cdktest.Resources(t, dev(t).templates[*d.Monitoring.StackName()], "AWS::Logs::MetricFilter")); n != 0 {
		t.Errorf("the Monitoring stack has %d metric filters: each function's filter belongs to the function (GoFunction)", n)
	}
	type owner struct {
		stack     awscdk.Stack
		group, fn string
	}
	groups := map[string]owner{catalog.FnPresence: {d.Presence.Stack, logicalID(d.Presence.Function.LogGroup), logicalID(d.Presence.Function.Function)}}
	for _, name := range catalog.RouteFunctionNames() {
		groups[name] = owner{d.Realtime.Stack, logicalID(d.Realtime.Functions[name].LogGroup), logicalID(d.Realtime.Functions[name].Function)}
	}
	for name, o := range groups {
		found := 0
		for _, f := range cdktest.Resources(t, dev(t).templates[*o.stack.StackName()], "AWS::Logs::MetricFilter") {
			p := cdktest.Props(f)
			if !strings.Contains(cdktest.JSONOf(t, p["LogGroupName"]), o.group) {
				continue
			}
			found++
			if p["FilterPattern"] != `{ $.level = "ERROR" }` {
				t.Errorf("%s: filter pattern %v, want the lines at level ERROR", name, p["FilterPattern"])
			}
			want := `[{"MetricName":{"Fn::Join":["",["LoggedErrors-",{"Ref":"` + o.fn + `"}]]},"MetricNamespace":"TicTacToe","MetricValue":"1","Unit":"Count"}]`
			if got := cdktest.JSONOf(t, p["MetricTransformations"]); got != want {
				t.Errorf("%s: metric %s, want %s", name, got, want)
			}
		}
		if found != 1 {
			t.Errorf("%d metric filters on the %s function's log group, want 1", found, name)
		}
	}
}

// The alarm status at the top shows every alarm of the deployment, wherever it lives: the
// API's, the functions', the site's and the stream pipeline's.
func TestDashboardShowsEveryAlarm(t *testing.T) {
	_, shown := dashboardBody(t, dev(t))
	d := dev(t).d
	var want []constructs.IConstruct
	for _, sp := range alarmSpecs(d) {
		want = append(want, sp.alarm)
	}
	for _, a := range functionAlarmsOf(d) {
		want = append(want, a.Errors)
	}
	want = append(want, d.Frontend.Alarms.HTTP5xx, d.Realtime.ApiAlarms.AccountRequests, d.Presence.Stream.DeadLetterAlarm, d.Presence.Stream.IteratorAgeAlarm)
	if len(shown) != len(want) {
		t.Errorf("the status widget shows %d alarms, want %d", len(shown), len(want))
	}
	text := strings.Join(shown, " ")
	for _, a := range want {
		if !strings.Contains(text, logicalID(a)) {
			t.Errorf("alarm %s is not in the status widget: %s", logicalID(a), text)
		}
	}
}

func TestDashboardUrlOutput(t *testing.T) {
	for cfgName, s := range map[string]*synthesized{"dev": dev(t), "prod": prod(t)} {
		region := map[string]any{"dev": map[string]any{"Ref": "AWS::Region"}, "prod": "eu-west-1"}[cfgName]
		want := map[string]any{"Fn::Join": []any{"", []any{
			"https://console.aws.amazon.com/cloudwatch/home?region=", region,
			"#dashboards:name=", map[string]any{"Ref": logicalID(s.d.Monitoring.Dashboard.Dashboard)},
		}}}
		var outs map[string]struct{ Value any }
		cdktest.RoundTrip(t, s.templates[*s.d.Monitoring.StackName()].FindOutputs(jsii.String("DashboardUrl"), nil), &outs)
		if got := mergeJoin(t, outs["DashboardUrl"].Value); got != mergeJoin(t, want) {
			t.Errorf("%s DashboardUrl = %s, want %s", cfgName, got, mergeJoin(t, want))
		}
	}
}

// mergeJoin renders an Fn::Join's parts as JSON with adjacent strings merged: CDK joins the
// literal parts itself (a known region becomes part of the text).
func mergeJoin(t *testing.T, v any) string {
	t.Helper()
	var j struct {
		Join []any `json:"Fn::Join"`
	}
	cdktest.RoundTrip(t, v, &j)
	if len(j.Join) != 2 {
		t.Fatalf("%s is not an Fn::Join", cdktest.JSONOf(t, v))
	}
	var parts []any
	for _, p := range j.Join[1].([]any) {
		if s, ok := p.(string); ok && len(parts) > 0 {
			if prev, ok := parts[len(parts)-1].(string); ok {
				parts[len(parts)-1] = prev + s
				continue
			}
		}
		parts = append(parts, p)
	}
	return cdktest.JSONOf(t, parts)
}

// Auto Scaling publishes the in-service count the dashboard draws only when the group asks;
// the frontend's group asks for it itself.
func TestInstancesPublishGroupMetrics(t *testing.T) {
	cdktest.Has(t, dev(t).templates[*dev(t).d.Frontend.StackName()], "AWS::AutoScaling::AutoScalingGroup", map[string]any{
		"MetricsCollection": []any{map[string]any{"Granularity": "1Minute", "Metrics": []string{"GroupInServiceInstances", "GroupDesiredCapacity"}}},
	})
}

// Monitoring reads every stack and nothing reads it: it can go and come back on its own.
func TestNothingDependsOnMonitoring(t *testing.T) {
	for _, s := range []*synthesized{dev(t), prod(t)} {
		m := s.d.Monitoring
		for _, st := range s.d.Stacks() {
			for _, dep := range *st.Dependencies() {
				if *dep.StackName() == *m.StackName() {
					t.Errorf("%s depends on %s", *st.StackName(), *m.StackName())
				}
			}
		}
		if n := len(*m.Dependencies()); n != 4 {
			t.Errorf("%s depends on %d stacks, want 4 (Data, Realtime, Presence, Frontend)", *m.StackName(), n)
		}
	}
}
