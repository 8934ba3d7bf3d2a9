package constructs

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
)

// Notify sends alarm's transitions to ALARM and back to OK to topic, so whoever is told of a
// problem is also told when it is over. A nil topic leaves the alarm without actions: it still
// shows on the dashboard and in the console.
func Notify(alarm awscloudwatch.Alarm, topic awssns.ITopic) {
	if topic == nil {
		return
	}
	action := awscloudwatchactions.NewSnsAction(topic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
}

// The GameDashboard's alarms' thresholds. docs/monitoring.md explains each choice.
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
	// AccountRequestsMinutes: minutes the WebSocket API's messages and connects stay at
	// capacity.AccountAlarmPercent of API Gateway's account-level request quota before the
	// alarm. One: the quota is a token bucket that a minute past it empties for every API of
	// the account in the Region; a minute at 80 % is already no accident.
	AccountRequestsMinutes = 1
)

// defineAlarms creates the dashboard's alarms, each on a metric method of the construct that
// owns the resource. Every alarm notifies p.AlarmTopic when it goes off and when it clears, and
// treats missing data as fine: these metrics are only reported when something happens.
func (d *GameDashboard) defineAlarms(p *GameDashboardProps) {
	scope := cdkconstructs.NewConstruct(d.Construct, jsii.String("Alarms"))
	alarm := func(scope cdkconstructs.Construct, id string, metric awscloudwatch.IMetric, threshold, periods float64, description string) awscloudwatch.Alarm {
		a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(periods),
			DatapointsToAlarm:  jsii.Number(periods),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription:   jsii.String(description),
		})
		Notify(a, p.AlarmTopic)
		return a
	}
	sum, five := awscloudwatch.Stats_SUM(), fiveMinutes()

	d.APIExecutionErrors = alarm(scope, "ApiExecutionErrors",
		p.Api.MetricExecutionError(&awscloudwatch.MetricOptions{Statistic: sum, Period: five}),
		APIExecutionErrorsThreshold, 1,
		"The WebSocket API could not hand frames to their functions: look at the functions' errors and throttles, and the API's access logs (integrationError)")

	d.AccountRequests = alarm(scope, "AccountRequests",
		p.Api.MetricRequestsPerSecond(awscdk.Duration_Minutes(jsii.Number(1))),
		0, AccountRequestsMinutes,
		fmt.Sprintf("The WebSocket API's messages and connects reached %d %% of API Gateway's account-level quota in this Region (%d requests per second; %d in the Regions that start lower), shared by every API of the account and the functions' @connections posts: past it every API of the account is throttled. The dashboard's API row says whether it is a flood (client errors, connections closed) or players; docs/capacity.md says what each game costs. Ask for a higher quota (Service Quotas, Amazon API Gateway, Throttle rate) before raising games",
			capacity.AccountAlarmPercent, capacity.AccountRequestsPerSecond, capacity.LowQuotaRequestsPerSecond))
	// The threshold is the stack's Region's quota: known at synth for a stack with a Region,
	// chosen by CloudFormation for an environment-agnostic one.
	d.AccountRequests.Node().DefaultChild().(awscloudwatch.CfnAlarm).SetThreshold(accountAlarmRate(scope))

	d.FunctionErrors, d.FunctionThrottles = map[string]awscloudwatch.Alarm{}, map[string]awscloudwatch.Alarm{}
	for _, f := range p.Functions {
		fnScope := cdkconstructs.NewConstruct(scope, jsii.String(f.Name))
		d.FunctionErrors[f.Name] = alarm(fnScope, "Errors", f.Function.MetricAllErrors(five),
			FunctionErrorsThreshold, 1,
			fmt.Sprintf("The %s function failed or logged errors: its log group has the lines (level ERROR: route, room, outcome, errorCode, error)", f.Name))
		d.FunctionThrottles[f.Name] = alarm(fnScope, "Throttles", f.Function.Function.MetricThrottles(&awscloudwatch.MetricOptions{Statistic: sum, Period: five}),
			FunctionThrottlesThreshold, 1,
			fmt.Sprintf("Lambda refused to run the %s function: the account's concurrency limit is reached; ask for a higher quota", f.Name))
	}

	d.HTTP5xx = alarm(scope, "Http5xx", p.Web.Metric5xx(five), HTTP5xxThreshold, 1,
		"The site answers with server errors: 502/503 from the load balancer mean no healthy instance or one dropping connections; 5xx from the targets are NGINX's (its error log, through Session Manager)")
	d.UnhealthyHosts = alarm(scope, "UnhealthyHosts",
		p.Web.MetricUnhealthyHosts(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1))}),
		1, UnhealthyHostsMinutes,
		fmt.Sprintf("A web instance has failed its health checks (/healthz) for %d minutes: look at its user data log (/var/log/cloud-init-output.log) and the group's activity", UnhealthyHostsMinutes))
}

// withOptions is m changed by opts, or m itself when there are none (Metric.With refuses nil).
func withOptions(m awscloudwatch.Metric, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	if opts == nil {
		return m
	}
	return m.With(opts)
}

// accountAlarmRate is the account quota alarm's threshold for scope's stack: a number when the
// stack's Region is known, else a condition on AWS::Region over capacity.LowQuotaRegions.
func accountAlarmRate(scope cdkconstructs.Construct) *float64 {
	region := awscdk.Stack_Of(scope).Region()
	if !*awscdk.Token_IsUnresolved(region) {
		return jsii.Number(capacity.AccountAlarmRateIn(*region))
	}
	// Fn::Or takes 2 to 10 conditions: one Or per group of at most ten Regions, joined by an
	// outer Or.
	var groups []awscdk.ICfnConditionExpression
	for i := 0; i < len(capacity.LowQuotaRegions); i += 10 {
		var eqs []awscdk.ICfnConditionExpression
		for _, r := range capacity.LowQuotaRegions[i:min(i+10, len(capacity.LowQuotaRegions))] {
			eqs = append(eqs, awscdk.Fn_ConditionEquals(awscdk.Aws_REGION(), jsii.String(r)))
		}
		if len(eqs) == 1 {
			groups = append(groups, eqs[0])
			continue
		}
		groups = append(groups, awscdk.Fn_ConditionOr(eqs...))
	}
	expr := groups[0]
	if len(groups) > 1 {
		expr = awscdk.Fn_ConditionOr(groups...)
	}
	low := awscdk.NewCfnCondition(scope, jsii.String("LowQuotaRegion"), &awscdk.CfnConditionProps{Expression: expr})
	return awscdk.Token_AsNumber(awscdk.Fn_ConditionIf(low.LogicalId(),
		capacity.LowQuotaRequestsPerSecond*capacity.AccountAlarmPercent/100, capacity.AccountAlarmRate()))
}
