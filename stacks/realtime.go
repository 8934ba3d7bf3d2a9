package stacks

import (
	"fmt"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
)

// RealtimeStackProps configures the Realtime stack.
type RealtimeStackProps struct {
	awscdk.StackProps
	// Table is the game table the functions read and write. Required, unless TableName is
	// given.
	Table awsdynamodb.ITableV2
	// TableName names the table to import in this stack's Region (a replica of the primary's
	// global table), when Table is not given.
	TableName *string
	// Lifecycle picks the log groups' retention and removal.
	Lifecycle blocks.Lifecycle
	// FunctionEnv are settings every function gets (lambda/config variables). Default: none,
	// the functions' own defaults.
	FunctionEnv map[string]string
	// ThrottleRate and ThrottleBurst limit the stage. Default: WebSocketApi's.
	ThrottleRate, ThrottleBurst *float64
	// ConnectThrottle limits $connect within the stage's limit. Default: none of its own.
	ConnectThrottle *blocks.Throttle
	// GameConcurrency is the game function's reserved concurrency. Default: none reserved.
	GameConcurrency *float64
	// GameTracing is the game function's tracing mode. Default: blocks.DefaultTracing.
	GameTracing awslambda.Tracing
	// AccountLogRole sets the region's API Gateway CloudWatch Logs role. Default:
	// WebSocketApi's (see blocks.WebSocketApiProps.AccountLogRole).
	AccountLogRole *bool
	// BehindDistribution makes the edge secret the site's CloudFront distribution adds to
	// every connection, and has the functions that check it (catalog Needs.EdgeSecret) refuse
	// connections without it. Default: false, connections straight to the API.
	BehindDistribution bool
	// AlarmTopic is told when the API's and the functions' alarms go off and when they clear.
	// Default: none, alarms without actions.
	AlarmTopic awssns.ITopic
	// Regional is what a multi-Region deployment adds to the stack (regions.go): the edge
	// secret every Region shares, the grants on every Region's replica, every Region's
	// @connections URLs, the outputs the other Regions read and the socket domain. Default:
	// nil, one Region.
	Regional *RegionalRealtime
}

// RealtimeStack is the WebSocket API and the Go functions behind its routes: one per route
// function of lambda/catalog, each granted what the catalog says it needs.
type RealtimeStack struct {
	awscdk.Stack
	// Api is the WebSocket API with its stage.
	Api *blocks.WebSocketApi
	// Functions are the route functions by name (catalog.Fn*).
	Functions map[string]*blocks.GoFunction
	// WebSocketUrl is the stage's wss:// URL.
	WebSocketUrl *string
	// ApiDomainName is the API's own host, where the distribution passes sockets.
	ApiDomainName *string
	// EdgeSecret is the value the distribution adds to connections (BehindDistribution): the
	// shared one in a multi-Region deployment; nil without one.
	EdgeSecret awssecretsmanager.ISecret
	// ApiAlarms and FunctionAlarms (by function name) page, beside what they watch.
	ApiAlarms      *blocks.ApiAlarms
	FunctionAlarms map[string]*blocks.FunctionAlarms
}

// Alarms are the stack's alarms: the API's, then each function's in the catalog's order.
func (r *RealtimeStack) Alarms() []awscloudwatch.IAlarm {
	alarms := r.ApiAlarms.Alarms()
	for _, f := range catalog.RouteFunctions() {
		alarms = append(alarms, r.FunctionAlarms[f.Name].Alarms()...)
	}
	return alarms
}

// NewRealtimeStack defines the stack.
func NewRealtimeStack(scope constructs.Construct, id string, props *RealtimeStackProps) *RealtimeStack {
	if props.Table == nil && props.TableName == nil {
		panic(fmt.Errorf("stack %s: Table or TableName is required", id))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	table := props.Table
	if table == nil {
		table = awsdynamodb.TableV2_FromTableName(stack, jsii.String("Games"), props.TableName)
	}
	// What a multi-Region deployment adds, each where it belongs (regions.go); nil in one
	// Region, where the calls below add nothing.
	regional := props.Regional

	// The secret the distribution adds to every connection: the stack's own in one Region.
	var edge edgeSecrets
	if props.BehindDistribution {
		edge = regional.edgeSecrets(stack)
	}
	functions := newRouteFunctions(stack, id, props, table, edge, newSourceKey(stack))
	api := newGameApi(stack, props, functions)
	regional.wireSenders(stack, api, functions)

	awscdk.NewCfnOutput(stack, jsii.String("WebSocketUrl"), &awscdk.CfnOutputProps{
		Value:       api.Stage.Url(),
		Description: jsii.String("WebSocket API URL the site connects to"),
	})
	apiDomain := awscdk.Fn_Join(jsii.String(""), &[]*string{api.Api.ApiId(), jsii.String(".execute-api."), stack.Region(), jsii.String("."), stack.UrlSuffix()})
	regional.publishHosts(stack, api, apiDomain)
	rs := &RealtimeStack{Stack: stack, Api: api, Functions: functions, WebSocketUrl: api.Stage.Url(), ApiDomainName: apiDomain, EdgeSecret: edge.sent,
		FunctionAlarms: map[string]*blocks.FunctionAlarms{}}
	rs.ApiAlarms = blocks.NewApiAlarms(stack, jsii.String("ApiAlarms"), &blocks.ApiAlarmsProps{
		Api: api, AlarmTopic: props.AlarmTopic,
		AccountRequestsAdvice: jsii.String("The dashboard's API row says whether it is a flood (client errors, connections closed) or players; docs/capacity.md says what each game costs. Ask for a higher quota (Service Quotas, Amazon API Gateway, Throttle rate) before raising games"),
	})
	alarms := constructs.NewConstruct(stack, jsii.String("FunctionAlarms"))
	for _, f := range catalog.RouteFunctions() {
		rs.FunctionAlarms[f.Name] = blocks.NewFunctionAlarms(alarms, jsii.String(f.Name), &blocks.FunctionAlarmsProps{
			Name: f.Name, Function: functions[f.Name], AlarmTopic: props.AlarmTopic, LogFields: handlerLogFields,
		})
	}
	return rs
}

// newSourceKey is the key $connect hashes addresses with, so the table holds no address nor a
// hash anyone can invert by trying every IPv4 address; each Region has its own (its counts are
// its own).
// Losing it forgets only what addresses were charged in the last minutes.
func newSourceKey(stack awscdk.Stack) awssecretsmanager.ISecret {
	return newGeneratedSecret(stack, "SourceKeySecret",
		"TicTacToe: the key $connect hashes client addresses with before anything about them is stored",
		"A key for hashing client addresses that grants nothing, written into this stack's connect function at deploy time: a rotation would take effect at the next deploy and forget the per-address charges of the last 15 minutes")
}

// newGeneratedSecret is a random 32-character value made with the stack and deleted with it:
// CloudFormation writes it into the functions' settings at deploy time, and nothing outside
// the deployment reads it. noRotation says why it does not rotate (cdk-nag's SMG4).
func newGeneratedSecret(stack awscdk.Stack, id, description, noRotation string) awssecretsmanager.ISecret {
	secret := awssecretsmanager.NewSecret(stack, jsii.String(id), &awssecretsmanager.SecretProps{
		Description: jsii.String(description),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength: jsii.Number(32), ExcludePunctuation: jsii.Bool(true),
		},
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	blocks.SuppressNag(secret, "AwsSolutions-SMG4", noRotation)
	return secret
}

// newRouteFunctions is a function for each route function of lambda/catalog, by name, each
// with the settings and grants the catalog says it needs.
func newRouteFunctions(stack awscdk.Stack, id string, props *RealtimeStackProps, table awsdynamodb.ITableV2, edge edgeSecrets, sourceKey awssecretsmanager.ISecret) map[string]*blocks.GoFunction {
	regional := props.Regional
	functions := map[string]*blocks.GoFunction{}
	functionsScope := constructs.NewConstruct(stack, jsii.String("Functions"))
	for _, f := range catalog.RouteFunctions() {
		if f.Needs.StreamRead || f.Needs.PublishAlerts {
			panic(fmt.Errorf("stack %s: route function %s needs the stream or the alerts topic, which this stack does not have: serve it from the Presence stack", id, f.Name))
		}
		env := environment(props.FunctionEnv)
		if f.Needs.Table() {
			env[config.EnvTableName] = table.TableName()
		}
		regional.addEnvironment(env)
		if f.Needs.EdgeSecret && len(edge.accepted) > 0 {
			// Resolved by CloudFormation at deploy time: the function reads no secret at run time.
			env[config.EnvEdgeSecret] = edge.acceptedValue()
		}
		if f.Needs.SourceKey {
			// Resolved by CloudFormation at deploy time, as the edge secret is.
			env[config.EnvSourceKeySecret] = sourceKey.SecretValue().UnsafeUnwrap()
		}
		var reserved *float64
		var tracing awslambda.Tracing
		if f.Name == catalog.FnGame {
			reserved, tracing = props.GameConcurrency, props.GameTracing
		}
		fn := blocks.NewGoFunction(functionsScope, jsii.String(f.Name), &blocks.GoFunctionProps{
			Command:             jsii.String(f.Name),
			Description:         jsii.String(f.Description),
			Environment:         &env,
			Lifecycle:           props.Lifecycle,
			ReservedConcurrency: reserved,
			Tracing:             tracing,
			MetricNamespace:     jsii.String(metrics.Namespace),
		})
		if f.Needs.Table() {
			table.Grant(fn.Function, *jsii.Strings(f.Needs.TableActions...)...)
			grantTableKey(table, fn)
			regional.grantReplicas(stack, table, f, fn)
		}
		functions[f.Name] = fn
	}
	return functions
}

// newGameApi is the WebSocket API, each route to its function, and @connections granted to
// the functions that send.
func newGameApi(stack awscdk.Stack, props *RealtimeStackProps, functions map[string]*blocks.GoFunction) *blocks.WebSocketApi {
	var integrations []blocks.WebSocketIntegration
	for _, f := range catalog.RouteFunctions() {
		integrations = append(integrations, blocks.WebSocketIntegration{Name: f.Name, Handler: functions[f.Name].Function, RouteKeys: f.Routes})
	}
	var routeThrottles map[string]blocks.Throttle
	if props.ConnectThrottle != nil {
		routeThrottles = map[string]blocks.Throttle{catalog.Connect: *props.ConnectThrottle}
	}
	api := blocks.NewWebSocketApi(stack, jsii.String("Api"), &blocks.WebSocketApiProps{
		Integrations:             integrations,
		RouteSelectionExpression: jsii.String(catalog.SelectionExpression),
		ThrottleRate:             props.ThrottleRate,
		ThrottleBurst:            props.ThrottleBurst,
		RouteThrottles:           routeThrottles,
		Description:              jsii.String("TicTacToe protocol v1"),
		Lifecycle:                props.Lifecycle,
		AccountLogRole:           props.AccountLogRole,
	})
	blocks.SuppressNag(api.Routes[catalog.Connect], "AwsSolutions-APIG4", "The game has no accounts by design: anyone may open a connection. The connect function checks the Origin against ALLOWED_ORIGINS, every frame is rate-limited per connection, and a seat in a room is held by a secret token only its player has")

	for _, f := range catalog.RouteFunctions() {
		if !f.Needs.ManageConnections {
			continue
		}
		fn := functions[f.Name]
		api.GrantManageConnectionsTo(fn)
		fn.Function.AddEnvironment(jsii.String(config.EnvCallbackURL), api.Stage.CallbackUrl(), nil)
	}
	return api
}

// edgeSecrets are the secret the distribution adds to every connection (sent) and every one
// $connect accepts.
type edgeSecrets struct {
	sent     awssecretsmanager.ISecret
	accepted []awssecretsmanager.ISecret
}

// acceptedValue is the accepted secrets' values for the connect function's setting, resolved
// by CloudFormation at deploy time.
func (e edgeSecrets) acceptedValue() *string {
	values := make([]*string, len(e.accepted))
	for i, a := range e.accepted {
		values[i] = a.SecretValue().UnsafeUnwrap()
	}
	if len(values) == 1 {
		return values[0]
	}
	return awscdk.Fn_Join(jsii.String(","), &values)
}

// newEdgeSecret is the stack's own edge secret.
func newEdgeSecret(stack awscdk.Stack) awssecretsmanager.ISecret {
	return newGeneratedSecret(stack, "EdgeSecret",
		"TicTacToe: the value the site's CloudFront distribution adds to each WebSocket connection; $connect refuses connections without it",
		edgeSecretNoRotation)
}

// edgeSecretNoRotation is why an edge secret does not rotate.
const edgeSecretNoRotation = "The value is written into the distribution's origin header and the connect function's settings at deploy time; a rotation would refuse players until both are redeployed. It grants nothing: it only tells connections through the distribution (and its firewall) from those that skip it"

// environment is a function's environment: the deployer's settings, in a stable order.
func environment(settings map[string]string) map[string]*string {
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	env := map[string]*string{}
	for _, k := range names {
		env[k] = jsii.String(settings[k])
	}
	return env
}
