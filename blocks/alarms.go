package blocks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks/quotas"
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

// The thresholds of the alarms below. docs/monitoring.md explains each choice.
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
	// quotas.AccountAlarmPercent of API Gateway's account-level request quota before the
	// alarm. One: the quota is a token bucket that a minute past it empties for every API of
	// the account in the Region; a minute at 80 % is already no accident.
	AccountRequestsMinutes = 1
)

// newAlarm is an alarm on metric that notifies topic when it goes off and when it clears, and
// treats missing data as fine: these metrics are only reported when something happens.
func newAlarm(scope constructs.Construct, id string, metric awscloudwatch.IMetric, threshold, periods float64, description string, topic awssns.ITopic) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(periods),
		DatapointsToAlarm:  jsii.Number(periods),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		AlarmDescription:   jsii.String(description),
	})
	Notify(a, topic)
	return a
}

// The alarms that page live beside what they watch, in the stack that owns it: an alarm reads
// its metric's dimensions and its topic, and in another stack each of those is one more read
// of that stack's outputs at deploy time. Their definitions and thresholds are here, once.

// ApiAlarmsProps configures ApiAlarms.
type ApiAlarmsProps struct {
	// Api is watched. Required.
	Api *WebSocketApi
	// AlarmTopic is told when an alarm goes off and when it clears. Default: none, alarms
	// without actions.
	AlarmTopic awssns.ITopic
	// AccountRequestsAdvice ends the AccountRequests alarm's description: where to look and
	// what to do in this app. Default: DefaultAccountRequestsAdvice.
	AccountRequestsAdvice *string
}

// DefaultAccountRequestsAdvice ends the AccountRequests alarm's description by default.
const DefaultAccountRequestsAdvice = "Ask for a higher quota (Service Quotas, Amazon API Gateway, Throttle rate) before raising the stage's throttle"

// ApiAlarms are the WebSocket API's alarms.
type ApiAlarms struct {
	constructs.Construct
	// ExecutionErrors fires on frames API Gateway could not hand to a function.
	ExecutionErrors awscloudwatch.Alarm
	// AccountRequests fires when the API's messages and connects near API Gateway's
	// account-level request quota (quotas.AccountAlarmRate).
	AccountRequests awscloudwatch.Alarm
}

// NewApiAlarms defines the API's alarms.
func NewApiAlarms(scope constructs.Construct, id *string, props *ApiAlarmsProps) *ApiAlarms {
	if props == nil || props.Api == nil {
		panic(fmt.Errorf("ApiAlarms %s: Api is required", *id))
	}
	this := constructs.NewConstruct(scope, id)
	a := &ApiAlarms{Construct: this}
	a.ExecutionErrors = newAlarm(this, "ExecutionErrors",
		props.Api.MetricExecutionError(&awscloudwatch.MetricOptions{Statistic: awscloudwatch.Stats_SUM(), Period: fiveMinutes()}),
		APIExecutionErrorsThreshold, 1,
		"The WebSocket API could not hand frames to their functions: look at the functions' errors and throttles, and the API's access logs (integrationError)",
		props.AlarmTopic)

	a.AccountRequests = newAlarm(this, "AccountRequests",
		props.Api.MetricRequestsPerSecond(awscdk.Duration_Minutes(jsii.Number(1))),
		0, AccountRequestsMinutes,
		fmt.Sprintf("The WebSocket API's messages and connects reached %d %% of API Gateway's account-level quota in this Region (%d requests per second; %d in the Regions that start lower), shared by every API of the account and the functions' @connections posts: past it every API of the account is throttled. %s",
			quotas.AccountAlarmPercent, quotas.AccountRequestsPerSecond, quotas.LowQuotaRequestsPerSecond, *orString(props.AccountRequestsAdvice, DefaultAccountRequestsAdvice)),
		props.AlarmTopic)
	// The threshold is the stack's Region's quota: known at synth for a stack with a Region,
	// chosen by CloudFormation for an environment-agnostic one.
	a.AccountRequests.Node().DefaultChild().(awscloudwatch.CfnAlarm).SetThreshold(accountAlarmRate(this))
	return a
}

// Alarms are the API's alarms, in the order the dashboard's status shows them.
func (a *ApiAlarms) Alarms() []awscloudwatch.IAlarm {
	return []awscloudwatch.IAlarm{a.ExecutionErrors, a.AccountRequests}
}

// FunctionAlarmsProps configures FunctionAlarms.
type FunctionAlarmsProps struct {
	// Name is the function's name in the alarms' descriptions. Required.
	Name string
	// LogFields are the fields of an error line worth reading, named in the Errors alarm's
	// description ("route, room, outcome"). Default: none named.
	LogFields string
	// Function is watched. Required.
	Function *GoFunction
	// AlarmTopic is told when an alarm goes off and when it clears. Default: none, alarms
	// without actions.
	AlarmTopic awssns.ITopic
}

// prefixed is prefix and s, or nothing when s is empty.
func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// FunctionAlarms are a function's alarms.
type FunctionAlarms struct {
	constructs.Construct
	// Errors fires on the function's failed invocations plus the lines it logged at level
	// ERROR (GoFunction.MetricAllErrors).
	Errors awscloudwatch.Alarm
	// Throttles fires when Lambda refused to run the function.
	Throttles awscloudwatch.Alarm
}

// NewFunctionAlarms defines a function's alarms.
func NewFunctionAlarms(scope constructs.Construct, id *string, props *FunctionAlarmsProps) *FunctionAlarms {
	if props == nil || props.Name == "" || props.Function == nil {
		panic(fmt.Errorf("FunctionAlarms %s: Name and Function are required", *id))
	}
	this := constructs.NewConstruct(scope, id)
	five := fiveMinutes()
	return &FunctionAlarms{
		Construct: this,
		Errors: newAlarm(this, "Errors", props.Function.MetricAllErrors(five),
			FunctionErrorsThreshold, 1,
			fmt.Sprintf("The %s function failed or logged errors: its log group has the lines (level ERROR%s)", props.Name, prefixed(": ", props.LogFields)),
			props.AlarmTopic),
		Throttles: newAlarm(this, "Throttles", props.Function.Function.MetricThrottles(&awscloudwatch.MetricOptions{Statistic: awscloudwatch.Stats_SUM(), Period: five}),
			FunctionThrottlesThreshold, 1,
			fmt.Sprintf("Lambda refused to run the %s function: the account's concurrency limit is reached; ask for a higher quota", props.Name),
			props.AlarmTopic),
	}
}

// Alarms are the function's alarms, in the order the dashboard's status shows them.
func (a *FunctionAlarms) Alarms() []awscloudwatch.IAlarm {
	return []awscloudwatch.IAlarm{a.Errors, a.Throttles}
}

// SiteAlarmsProps configures SiteAlarms.
type SiteAlarmsProps struct {
	// Web is watched. Required.
	Web *WebFrontend
	// AlarmTopic is told when an alarm goes off and when it clears. Default: none, alarms
	// without actions.
	AlarmTopic awssns.ITopic
}

// SiteAlarms are the site's alarms: its load balancer and instances.
type SiteAlarms struct {
	constructs.Construct
	// HTTP5xx fires when the site answers with server errors.
	HTTP5xx awscloudwatch.Alarm
	// UnhealthyHosts fires when an instance stays unhealthy.
	UnhealthyHosts awscloudwatch.Alarm
}

// NewSiteAlarms defines the site's alarms.
func NewSiteAlarms(scope constructs.Construct, id *string, props *SiteAlarmsProps) *SiteAlarms {
	if props == nil || props.Web == nil {
		panic(fmt.Errorf("SiteAlarms %s: Web is required", *id))
	}
	this := constructs.NewConstruct(scope, id)
	return &SiteAlarms{
		Construct: this,
		HTTP5xx: newAlarm(this, "Http5xx", props.Web.Metric5xx(fiveMinutes()), HTTP5xxThreshold, 1,
			"The site answers with server errors: 502/503 from the load balancer mean no healthy instance or one dropping connections; 5xx from the targets are NGINX's (its error log, through Session Manager)",
			props.AlarmTopic),
		UnhealthyHosts: newAlarm(this, "UnhealthyHosts",
			props.Web.MetricUnhealthyHosts(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1))}),
			1, UnhealthyHostsMinutes,
			fmt.Sprintf("A web instance has failed its health checks (/healthz) for %d minutes: look at its user data log (/var/log/cloud-init-output.log) and the group's activity", UnhealthyHostsMinutes),
			props.AlarmTopic),
	}
}

// Alarms are the site's alarms, in the order the dashboard's status shows them.
func (a *SiteAlarms) Alarms() []awscloudwatch.IAlarm {
	return []awscloudwatch.IAlarm{a.HTTP5xx, a.UnhealthyHosts}
}

// withOptions is m changed by opts, or m itself when there are none (Metric.With refuses nil).
func withOptions(m awscloudwatch.Metric, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	if opts == nil {
		return m
	}
	return m.With(opts)
}

// accountAlarmRate is the account quota alarm's threshold for scope's stack: a number when the
// stack's Region is known, else a condition on AWS::Region over quotas.LowQuotaRegions.
func accountAlarmRate(scope constructs.Construct) *float64 {
	region := awscdk.Stack_Of(scope).Region()
	if !*awscdk.Token_IsUnresolved(region) {
		return jsii.Number(quotas.AccountAlarmRateIn(*region))
	}
	// Fn::Or takes 2 to 10 conditions: one Or per group of at most ten Regions, joined by an
	// outer Or.
	var groups []awscdk.ICfnConditionExpression
	for i := 0; i < len(quotas.LowQuotaRegions); i += 10 {
		var eqs []awscdk.ICfnConditionExpression
		for _, r := range quotas.LowQuotaRegions[i:min(i+10, len(quotas.LowQuotaRegions))] {
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
		quotas.LowQuotaRequestsPerSecond*quotas.AccountAlarmPercent/100, quotas.AccountAlarmRate()))
}
