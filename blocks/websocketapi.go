package blocks

import (
	"encoding/json"
	"fmt"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/lambda/ops/accountkey"
)

// WebSocketIntegration is one Lambda function and the route keys it serves: one API Gateway
// integration, invoked by each of its routes.
type WebSocketIntegration struct {
	// Name identifies the integration in the API: it names the integration's construct ID, so
	// keep it stable (the function's name does, e.g. "game"). Required, unique.
	Name string
	// Handler is the function API Gateway invokes. Required.
	Handler awslambda.IFunction
	// RouteKeys are the routes it serves: "$connect", "$disconnect", "$default" or a value of
	// the route selection expression, such as "move". Required, at least one; a key belongs
	// to one integration only.
	RouteKeys []string
}

// WebSocketApiProps configures a WebSocketApi.
type WebSocketApiProps struct {
	// Integrations are the API's functions, each with the routes it serves. Required, at least
	// one.
	Integrations []WebSocketIntegration
	// RouteSelectionExpression picks a frame's route key. Default:
	// DefaultRouteSelectionExpression, the frame's "action" member.
	RouteSelectionExpression *string
	// StageName is the one stage, deployed automatically on every change. Default:
	// DefaultStageName.
	StageName *string
	// ThrottleRate is the stage's steady limit on connects and messages per second across all
	// clients. Size it from what a client sends and the account's quota (package quotas): an
	// app whose every frame makes it post to others costs the quota more. Default:
	// DefaultThrottleRate.
	ThrottleRate *float64
	// ThrottleBurst is the stage's burst limit. Default: DefaultThrottleBurst.
	ThrottleBurst *float64
	// RouteThrottles are tighter limits of single routes (by route key), within the stage's:
	// $connect's keeps a flood of connection attempts from eating every frame's share.
	// Default: none.
	RouteThrottles map[string]Throttle
	// ConnectAuthorizer authorizes clients on $connect, the only route of a WebSocket API that
	// can carry an authorizer. Default: none: anyone may connect, and the $connect function
	// decides; the caller must then record why with an AwsSolutions-APIG4 suppression on
	// Routes["$connect"].
	ConnectAuthorizer awsapigatewayv2.IWebSocketRouteAuthorizer
	// Description of the API. Default: none.
	Description *string
	// Lifecycle picks the access log group's removal policy and retention. Default: Prod.
	Lifecycle Lifecycle
	// AccountLogRole makes sure the region's API Gateway CloudWatch Logs role is set, without
	// which API Gateway refuses to create a stage with access logs ("CloudWatch Logs role ARN
	// must be set in account settings"). It is one setting per account and region, so a custom
	// resource (lambda/ops/accountrole) sets this construct's role only when none is set, never
	// changes one a landing zone, another app or another deployment set, and leaves it in place
	// when the stack goes; the role is retained, so the setting never points at a deleted role.
	// false does nothing at all: the account must have the role already. Default:
	// DefaultAccountLogRole.
	AccountLogRole *bool
	// ApiProps is the escape hatch: any field it sets is passed to the WebSocket API over the
	// construct's defaults (an API name, an IP address type…). The routes come from
	// Integrations and the selection expression from RouteSelectionExpression, so those fields
	// are refused (WebSocketApiOwned). Default: none.
	ApiProps *awsapigatewayv2.WebSocketApiProps
}

// WebSocketApiOwned are the fields of ApiProps that WebSocketApi's own props decide.
var WebSocketApiOwned = []string{"RouteSelectionExpression", "ConnectRouteOptions", "DisconnectRouteOptions", "DefaultRouteOptions"}

// WebSocketApi's defaults.
const (
	DefaultRouteSelectionExpression = "$request.body.action"
	DefaultStageName                = "prod"
	DefaultAccountLogRole           = true
	// DefaultThrottleRate and DefaultThrottleBurst are a small app's stage throttle: 100
	// requests per second steady, 2 seconds' worth at once (the game's default of 100 games
	// comes to the same, lambda/capacity).
	DefaultThrottleRate  = 100
	DefaultThrottleBurst = 200
)

// Throttle is a steady rate per second and a burst.
type Throttle struct{ Rate, Burst float64 }

// ValidateThrottle checks a stage's throttling: a rate above 0 and a burst of at least 1, or
// every client would be refused.
func ValidateThrottle(rate, burst float64) error {
	if rate <= 0 || burst < 1 {
		return fmt.Errorf("throttling of %v per second with bursts of %v would refuse every client: use a rate above 0 and a burst of at least 1", rate, burst)
	}
	return nil
}

// WebSocketApi is an API Gateway WebSocket API whose routes invoke Lambda functions, with one
// auto-deployed, throttled stage that writes JSON access logs.
type WebSocketApi struct {
	constructs.Construct
	// Api is the WebSocket API.
	Api awsapigatewayv2.WebSocketApi
	// Stage is its one stage; Stage.Url() is the wss:// URL clients connect to and
	// Stage.CallbackUrl() the @connections endpoint functions post to.
	Stage awsapigatewayv2.WebSocketStage
	// AccessLogs receives one JSON line per connect, message and disconnect.
	AccessLogs awslogs.LogGroup
	// Routes are the API's routes by key.
	Routes map[string]awsapigatewayv2.WebSocketRoute
}

// WebSocket API metric names (namespace AWS/ApiGateway, dimensions ApiId and Stage): CDK has
// named metric methods for REST and HTTP APIs, not for WebSocket ones.
const (
	apiConnectCount       = "ConnectCount"
	apiMessageCount       = "MessageCount"
	apiClientError        = "ClientError"
	apiExecutionError     = "ExecutionError"
	apiIntegrationError   = "IntegrationError"
	apiIntegrationLatency = "IntegrationLatency"
)

// accessLogFormat is one JSON object per event, for CloudWatch Logs Insights.
var accessLogFormat = func() string {
	b, err := json.Marshal(map[string]string{
		"requestId":          "$context.requestId",
		"ip":                 "$context.identity.sourceIp",
		"requestTimeEpoch":   "$context.requestTimeEpoch",
		"eventType":          "$context.eventType",
		"routeKey":           "$context.routeKey",
		"status":             "$context.status",
		"connectionId":       "$context.connectionId",
		"error":              "$context.error.message",
		"integrationStatus":  "$context.integration.status",
		"integrationError":   "$context.integration.error",
		"integrationLatency": "$context.integration.latency",
	})
	if err != nil {
		panic(err) // a constant map of strings always encodes
	}
	return string(b)
}()

// NewWebSocketApi defines the API, its routes and its stage.
func NewWebSocketApi(scope constructs.Construct, id *string, props *WebSocketApiProps) *WebSocketApi {
	if props == nil || len(props.Integrations) == 0 {
		panic(fmt.Errorf("WebSocketApi %s: Integrations is empty: give every function the routes it serves", *id))
	}
	names, keys := map[string]bool{}, map[string]bool{}
	for _, in := range props.Integrations {
		switch {
		case in.Name == "" || names[in.Name]:
			panic(fmt.Errorf("WebSocketApi %s: integration %q: each needs a unique, non-empty Name", *id, in.Name))
		case in.Handler == nil:
			panic(fmt.Errorf("WebSocketApi %s: integration %q has no Handler function", *id, in.Name))
		case len(in.RouteKeys) == 0:
			panic(fmt.Errorf("WebSocketApi %s: integration %q serves no route", *id, in.Name))
		}
		names[in.Name] = true
		for _, k := range in.RouteKeys {
			switch {
			case k == "":
				panic(fmt.Errorf("WebSocketApi %s: integration %q has an empty route key", *id, in.Name))
			case keys[k]:
				panic(fmt.Errorf("WebSocketApi %s: route %q is listed twice", *id, k))
			}
			keys[k] = true
		}
	}
	selection := props.RouteSelectionExpression
	if selection == nil {
		selection = jsii.String(DefaultRouteSelectionExpression)
	}
	stageName := props.StageName
	if stageName == nil {
		stageName = jsii.String(DefaultStageName)
	}
	rate, burst := props.ThrottleRate, props.ThrottleBurst
	if rate == nil {
		rate = jsii.Number(DefaultThrottleRate)
	}
	if burst == nil {
		burst = jsii.Number(DefaultThrottleBurst)
	}
	if err := ValidateThrottle(*rate, *burst); err != nil {
		panic(fmt.Errorf("WebSocketApi %s: %w", *id, err))
	}

	apiProps, err := overlay(awsapigatewayv2.WebSocketApiProps{
		RouteSelectionExpression: selection,
		Description:              props.Description,
	}, props.ApiProps, "ApiProps", WebSocketApiOwned...)
	if err != nil {
		panic(fmt.Errorf("WebSocketApi %s: %w", *id, err))
	}
	this := constructs.NewConstruct(scope, id)
	env := props.Lifecycle.orDefault()
	api := awsapigatewayv2.NewWebSocketApi(this, jsii.String("Resource"), &apiProps)
	// One integration per function, whichever number of routes it serves, named after the
	// integration (CDK creates it under the first route that uses it); each route still gets
	// its own invoke permission, scoped to its route key.
	routes := map[string]awsapigatewayv2.WebSocketRoute{}
	for _, in := range props.Integrations {
		integration := awsapigatewayv2integrations.NewWebSocketLambdaIntegration(jsii.String(in.Name+"Integration"), in.Handler, nil)
		for _, key := range in.RouteKeys {
			options := &awsapigatewayv2.WebSocketRouteOptions{Integration: integration}
			if key == "$connect" {
				options.Authorizer = props.ConnectAuthorizer
			}
			route := api.AddRoute(jsii.String(key), options)
			if key != "$connect" {
				SuppressNag(route, "AwsSolutions-APIG4", "API Gateway accepts an authorizer only on a WebSocket API's $connect route: this route runs on a connection $connect already admitted")
			}
			routes[key] = route
		}
	}

	accessLogs := awslogs.NewLogGroup(this, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention:     env.LogRetention(),
		RemovalPolicy: env.RemovalPolicy(),
	})
	stage := awsapigatewayv2.NewWebSocketStage(this, jsii.String("Stage"), &awsapigatewayv2.WebSocketStageProps{
		WebSocketApi: api,
		StageName:    stageName,
		AutoDeploy:   jsii.Bool(true),
		Throttle:     &awsapigatewayv2.ThrottleSettings{RateLimit: rate, BurstLimit: burst},
		AccessLogSettings: &accessLogSettings{
			destination: awsapigatewayv2.NewLogGroupLogDestination(accessLogs),
			format:      awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat)),
		},
	})
	routeThrottles(stage, routes, props.RouteThrottles)
	setAccountLogRole := DefaultAccountLogRole
	if props.AccountLogRole != nil {
		setAccountLogRole = *props.AccountLogRole
	}
	if setAccountLogRole {
		stage.Node().AddDependency(accountLogRole(this))
	}
	return &WebSocketApi{Construct: this, Api: api, Stage: stage, AccessLogs: accessLogs, Routes: routes}
}

// routeThrottles sets the stage's per-route limits. The stage's CloudFormation resource names
// each route by key, and CloudFormation refuses a key with no route yet: it waits for them.
func routeThrottles(stage awsapigatewayv2.WebSocketStage, routes map[string]awsapigatewayv2.WebSocketRoute, limits map[string]Throttle) {
	keys := make([]string, 0, len(limits))
	for k := range limits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	cfn := stage.Node().DefaultChild().(awsapigatewayv2.CfnStage)
	for _, key := range keys {
		t := limits[key]
		route, ok := routes[key]
		if !ok {
			panic(fmt.Errorf("WebSocketApi: a throttle for route %q, which the API does not have", key))
		}
		if err := ValidateThrottle(t.Rate, t.Burst); err != nil {
			panic(fmt.Errorf("WebSocketApi: route %s: %w", key, err))
		}
		cfn.AddPropertyOverride(jsii.String("RouteSettings."+key), map[string]any{
			"ThrottlingRateLimit": t.Rate, "ThrottlingBurstLimit": t.Burst,
		})
		stage.Node().AddDependency(route)
	}
}

// accountLogRole creates the role API Gateway writes CloudWatch Logs with and the custom
// resource that sets it as the region's API Gateway account setting when none is set; it
// returns the custom resource, for the stage to wait on.
func accountLogRole(scope constructs.Construct) constructs.IConstruct {
	role := awsiam.NewRole(scope, jsii.String("CloudWatchRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
		Description: jsii.String("API Gateway writes access and execution logs to CloudWatch Logs (account setting)"),
		ManagedPolicies: &[]awsiam.IManagedPolicy{
			awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("service-role/AmazonAPIGatewayPushToCloudWatchLogs")),
		},
	})
	role.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN)
	SuppressNag(role, "AwsSolutions-IAM4", "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for API Gateway's account-level logging role; API Gateway names its own log groups, so no narrower resource list can be written in advance",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
	setter := newLibraryFunction(scope, jsii.String("AccountRoleSetter"), GoFunctionProps{
		Command:     jsii.String("accountrole"),
		Description: jsii.String("Sets the region's API Gateway CloudWatch Logs role only when none is set"),
		Timeout:     awscdk.Duration_Minutes(jsii.Number(2)), // waits for a new role to propagate
		Lifecycle:   Dev,                                     // its log says little worth a year
	})
	account := awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("apigateway"), Account: jsii.String(""), Resource: jsii.String("/account"),
		ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME,
	})
	setter.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("apigateway:GET", "apigateway:PATCH"),
		Resources: &[]*string{account},
	}))
	setter.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("iam:PassRole"),
		Resources: &[]*string{role.RoleArn()},
	}))
	// Whether the role set still exists: a deleted one is replaced. Which role is set is known
	// only at deploy time, so the grant names every role of the account, for reading only.
	setter.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("iam:GetRole"),
		Resources: &[]*string{awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("role"), ResourceName: jsii.String("*"),
		})},
	}))
	SuppressNag(setter.Function.Role(), "AwsSolutions-IAM5", "iam:GetRole on the account's roles: the role the Region's API Gateway setting names is known only at deploy time, and GetRole only reads it",
		&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):iam::(<AWS::AccountId>|[0-9]+):role\/\*$/`)})
	res := awscdk.NewCustomResource(scope, jsii.String("AccountCloudWatchRole"), &awscdk.CustomResourceProps{
		ServiceToken: setter.Function.FunctionArn(),
		// A function that dies without answering fails the deploy in minutes, not in an hour.
		ServiceTimeout: awscdk.Duration_Minutes(jsii.Number(3)),
		ResourceType:   jsii.String(accountkey.ResourceType),
		Properties:     &map[string]any{accountkey.PropertyRoleArn: role.RoleArn()},
	})
	res.Node().AddDependency(role)
	return res
}

// GrantManageConnections lets grantee post to, read and close this stage's connections through
// the @connections API (stage.CallbackUrl()), and nothing on any other stage or API.
func (a *WebSocketApi) GrantManageConnections(grantee awsiam.IGrantable) awsiam.Grant {
	return a.Stage.GrantManagementApiAccess(grantee)
}

// GrantManageConnectionsTo is GrantManageConnections for a GoFunction, with the cdk-nag
// finding the grant makes (AwsSolutions-IAM5: a wildcard) excused on the function's role, for
// exactly that resource: connection IDs exist only at run time.
func (a *WebSocketApi) GrantManageConnectionsTo(fn *GoFunction) awsiam.Grant {
	grant := a.GrantManageConnections(fn.Function)
	SuppressNag(fn.Role, "AwsSolutions-IAM5", "Connection IDs exist only at run time: the grant covers @connections of this API's one stage and nothing else",
		&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):execute-api:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]+):<[A-Za-z0-9]+>\/[^/*]+\/\*\/@connections\/\*$/`)})
	return grant
}

// Metric is one of the stage's metrics (namespace AWS/ApiGateway, dimensions ApiId and
// Stage).
func (a *WebSocketApi) Metric(name string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return a.Stage.Metric(jsii.String(name), opts)
}

// MetricConnectCount is the connections API Gateway accepted and refused.
func (a *WebSocketApi) MetricConnectCount(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return a.Metric(apiConnectCount, opts)
}

// MetricMessageCount is the frames sent to and from clients.
func (a *WebSocketApi) MetricMessageCount(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return a.Metric(apiMessageCount, opts)
}

// MetricRequestsPerSecond is what the API takes of API Gateway's account-level request quota
// (quotas.AccountRequestsPerSecond, shared by every API of the account in the Region), per
// second, averaged over period: its messages (frames from clients and, as API Gateway counts
// MessageCount, the frames to them that the functions post through @connections) plus its
// connects. docs/capacity.md states what it does not see.
func (a *WebSocketApi) MetricRequestsPerSecond(period awscdk.Duration) awscloudwatch.IMetric {
	sum := awscloudwatch.Stats_SUM()
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("(FILL(messages, 0) + FILL(connects, 0)) / PERIOD(messages)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"messages": a.MetricMessageCount(&awscloudwatch.MetricOptions{Statistic: sum, Period: period}),
			"connects": a.MetricConnectCount(&awscloudwatch.MetricOptions{Statistic: sum, Period: period}),
		},
		Label:  jsii.String("messages + connects per second"),
		Period: period,
	})
}

// MetricConnectsPerSecond is the API's connects per second, averaged over period: what it takes
// of the account's new connections per second (quotas.AccountConnectsPerSecond).
func (a *WebSocketApi) MetricConnectsPerSecond(period awscdk.Duration) awscloudwatch.IMetric {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(connects, 0) / PERIOD(connects)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"connects": a.MetricConnectCount(&awscloudwatch.MetricOptions{Statistic: awscloudwatch.Stats_SUM(), Period: period}),
		},
		Label:  jsii.String("connects per second"),
		Period: period,
	})
}

// MetricClientError is the requests API Gateway answered with 4xx (throttled, bad route).
func (a *WebSocketApi) MetricClientError(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return a.Metric(apiClientError, opts)
}

// MetricExecutionError is the frames API Gateway could not hand to a function.
func (a *WebSocketApi) MetricExecutionError(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return a.Metric(apiExecutionError, opts)
}

// MetricIntegrationError is the invocations whose function answered with an error.
func (a *WebSocketApi) MetricIntegrationError(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return a.Metric(apiIntegrationError, opts)
}

// MetricIntegrationLatency is how long the functions took to answer, in milliseconds.
func (a *WebSocketApi) MetricIntegrationLatency(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return a.Metric(apiIntegrationLatency, opts)
}

// accessLogSettings implements awsapigatewayv2.IAccessLogSettings, a jsii interface of two
// read-only properties.
type accessLogSettings struct {
	destination awsapigatewayv2.IAccessLogDestination
	format      awsapigateway.AccessLogFormat
}

func (s *accessLogSettings) Destination() awsapigatewayv2.IAccessLogDestination {
	return s.destination
}
func (s *accessLogSettings) Format() awsapigateway.AccessLogFormat { return s.format }
