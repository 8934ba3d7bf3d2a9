package constructs

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// WebSocketRoute binds a route key to the function that serves it.
type WebSocketRoute struct {
	// Key is the route key: "$connect", "$disconnect", "$default" or a value of the route
	// selection expression, such as "move".
	Key string
	// Handler is the function API Gateway invokes for the route.
	Handler awslambda.IFunction
}

// WebSocketApiProps configures a WebSocketApi.
type WebSocketApiProps struct {
	// Routes are the API's routes, each integrated with its Lambda function. Required, at
	// least one; keys must be unique. Routes sharing a function share one integration.
	Routes []WebSocketRoute
	// RouteSelectionExpression picks a frame's route key. Default: "$request.body.action".
	RouteSelectionExpression *string
	// StageName is the one stage, deployed automatically on every change. Default: "prod".
	StageName *string
	// ThrottleRate is the stage's steady limit on connects and messages per second across all
	// clients. Default: 100.
	ThrottleRate *float64
	// ThrottleBurst is the stage's burst limit. Default: 200.
	ThrottleBurst *float64
	// ConnectAuthorizer authorizes clients on $connect, the only route of a WebSocket API that
	// can carry an authorizer. Default: none: anyone may connect, and the $connect function
	// decides; the caller must then record why with an AwsSolutions-APIG4 suppression on
	// Routes["$connect"].
	ConnectAuthorizer awsapigatewayv2.IWebSocketRouteAuthorizer
	// Description of the API. Default: none.
	Description *string
	// Deployment picks the access log group's removal policy and retention. Default: Prod.
	Deployment Environment
	// AccountLogRole sets the region's API Gateway CloudWatch Logs role (AWS::ApiGateway::Account),
	// without which API Gateway refuses to create a stage with access logs ("CloudWatch Logs
	// role ARN must be set in account settings"). It is one setting per account and region:
	// turn it off where the account already has one (a landing zone, another app). The role is
	// retained when the stack goes, so the setting never points at a deleted role.
	// Default: true.
	AccountLogRole *bool
}

// WebSocketApi is an API Gateway WebSocket API whose routes invoke Lambda functions, with one
// auto-deployed, throttled stage that writes JSON access logs.
type WebSocketApi struct {
	cdkconstructs.Construct
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
func NewWebSocketApi(scope cdkconstructs.Construct, id *string, props *WebSocketApiProps) *WebSocketApi {
	if props == nil || len(props.Routes) == 0 {
		panic(fmt.Errorf("WebSocketApi %s: Routes is empty: give every route key its function", *id))
	}
	seen := map[string]bool{}
	for _, r := range props.Routes {
		switch {
		case r.Key == "":
			panic(fmt.Errorf("WebSocketApi %s: a route has an empty key", *id))
		case r.Handler == nil:
			panic(fmt.Errorf("WebSocketApi %s: route %q has no Handler function", *id, r.Key))
		case seen[r.Key]:
			panic(fmt.Errorf("WebSocketApi %s: route %q is listed twice", *id, r.Key))
		}
		seen[r.Key] = true
	}
	selection := props.RouteSelectionExpression
	if selection == nil {
		selection = jsii.String("$request.body.action")
	}
	stageName := props.StageName
	if stageName == nil {
		stageName = jsii.String("prod")
	}
	rate, burst := props.ThrottleRate, props.ThrottleBurst
	if rate == nil {
		rate = jsii.Number(100)
	}
	if burst == nil {
		burst = jsii.Number(200)
	}
	if *rate <= 0 || *burst < 1 {
		panic(fmt.Errorf("WebSocketApi %s: throttling of %v per second with bursts of %v would refuse every client: use a rate above 0 and a burst of at least 1", *id, *rate, *burst))
	}

	this := cdkconstructs.NewConstruct(scope, id)
	env := props.Deployment.orDefault()
	api := awsapigatewayv2.NewWebSocketApi(this, jsii.String("Resource"), &awsapigatewayv2.WebSocketApiProps{
		RouteSelectionExpression: selection,
		Description:              props.Description,
	})
	// One integration per function, whichever number of routes it serves; each route still
	// gets its own invoke permission, scoped to its route key.
	integrations := map[awslambda.IFunction]awsapigatewayv2integrations.WebSocketLambdaIntegration{}
	routes := map[string]awsapigatewayv2.WebSocketRoute{}
	for _, r := range props.Routes {
		integration, ok := integrations[r.Handler]
		if !ok {
			// Named after the function's unique ID: stable, and distinct for functions that
			// share a construct ID ("Resource") under different parents.
			integration = awsapigatewayv2integrations.NewWebSocketLambdaIntegration(
				jsii.String("Integration"+*awscdk.Names_NodeUniqueId(r.Handler.Node())), r.Handler, nil)
			integrations[r.Handler] = integration
		}
		options := &awsapigatewayv2.WebSocketRouteOptions{Integration: integration}
		if r.Key == "$connect" {
			options.Authorizer = props.ConnectAuthorizer
		}
		route := api.AddRoute(jsii.String(r.Key), options)
		if r.Key != "$connect" {
			SuppressNag(route, "AwsSolutions-APIG4", "API Gateway accepts an authorizer only on a WebSocket API's $connect route: this route runs on a connection $connect already admitted")
		}
		routes[r.Key] = route
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
	if props.AccountLogRole == nil || *props.AccountLogRole {
		stage.Node().AddDependency(accountLogRole(this))
	}
	return &WebSocketApi{Construct: this, Api: api, Stage: stage, AccessLogs: accessLogs, Routes: routes}
}

// accountLogRole creates the role API Gateway writes CloudWatch Logs with and sets it as the
// region's API Gateway account setting; it returns the setting, for the stage to wait on.
func accountLogRole(scope cdkconstructs.Construct) awsapigateway.CfnAccount {
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
	account := awsapigateway.NewCfnAccount(scope, jsii.String("Account"), &awsapigateway.CfnAccountProps{CloudWatchRoleArn: role.RoleArn()})
	account.Node().AddDependency(role)
	return account
}

// GrantManageConnections lets grantee post to, read and close this stage's connections through
// the @connections API (stage.CallbackUrl()), and nothing on any other stage or API.
func (a *WebSocketApi) GrantManageConnections(grantee awsiam.IGrantable) awsiam.Grant {
	return a.Stage.GrantManagementApiAccess(grantee)
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
