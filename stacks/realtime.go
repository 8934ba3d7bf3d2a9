package stacks

import (
	"fmt"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/serverless-tictactoe/tictactoe/constructs"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/routes"
)

// RealtimeStackProps configures the Realtime stack.
type RealtimeStackProps struct {
	awscdk.StackProps
	// Table is the game table the functions read and write. Required.
	Table awsdynamodb.ITableV2
	// Deployment picks the log groups' retention and removal.
	Deployment constructs.Environment
	// FunctionEnv are settings every function gets (lambda/config variables). Default: none,
	// the functions' own defaults.
	FunctionEnv map[string]string
	// ThrottleRate and ThrottleBurst limit the stage. Default: WebSocketApi's.
	ThrottleRate  *float64
	ThrottleBurst *float64
	// AccountLogRole sets the region's API Gateway CloudWatch Logs role. Default: true (see
	// constructs.WebSocketApiProps.AccountLogRole).
	AccountLogRole *bool
}

// RealtimeStack is the WebSocket API and the Go functions behind its routes, wired from the
// one route table in lambda/routes.
type RealtimeStack struct {
	awscdk.Stack
	// Api is the WebSocket API with its stage.
	Api *constructs.WebSocketApi
	// Functions are the route functions by name (routes.Fn*).
	Functions map[string]*constructs.GoFunction
	// WebSocketUrl is the stage's wss:// URL.
	WebSocketUrl *string
}

// functionAccess is what each function does with the game's data, and so what it is granted:
// $connect only checks the request, so it gets neither the table nor @connections; the others
// read and write rooms and connections and post frames to players. A function in the route
// table without an entry here fails synth rather than deploying with guessed permissions.
var functionAccess = map[string]bool{
	routes.FnConnect:    false,
	routes.FnDisconnect: true,
	routes.FnGame:       true,
}

// tableActions are the only DynamoDB calls lambda/store makes: one item at a time, by key.
var tableActions = []*string{jsii.String("dynamodb:GetItem"), jsii.String("dynamodb:PutItem"), jsii.String("dynamodb:DeleteItem")}

// NewRealtimeStack defines the stack.
func NewRealtimeStack(scope cdkconstructs.Construct, id string, props *RealtimeStackProps) *RealtimeStack {
	if props.Table == nil {
		panic(fmt.Errorf("stack %s: Table is required", id))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)

	env := map[string]*string{}
	names := make([]string, 0, len(props.FunctionEnv))
	for k := range props.FunctionEnv {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		env[k] = jsii.String(props.FunctionEnv[k])
	}

	functions := map[string]*constructs.GoFunction{}
	functionsScope := cdkconstructs.NewConstruct(stack, jsii.String("Functions"))
	for _, name := range routes.Functions() {
		data, ok := functionAccess[name]
		if !ok {
			panic(fmt.Errorf("stack %s: function %q serves routes but has no entry in functionAccess (stacks/realtime.go): say whether it uses the table and @connections", id, name))
		}
		fnEnv := map[string]*string{}
		for k, v := range env {
			fnEnv[k] = v
		}
		if data {
			fnEnv[config.EnvTableName] = props.Table.TableName()
		}
		functions[name] = constructs.NewGoFunction(functionsScope, jsii.String(name), &constructs.GoFunctionProps{
			Command:     jsii.String(name),
			Description: jsii.String(fmt.Sprintf("TicTacToe WebSocket routes served by %s (lambda/routes)", name)),
			Environment: &fnEnv,
			Deployment:  props.Deployment,
		})
	}

	var apiRoutes []constructs.WebSocketRoute
	for _, r := range routes.Table {
		apiRoutes = append(apiRoutes, constructs.WebSocketRoute{Key: r.Key, Handler: functions[r.Function].Function})
	}
	api := constructs.NewWebSocketApi(stack, jsii.String("Api"), &constructs.WebSocketApiProps{
		Routes:                   apiRoutes,
		RouteSelectionExpression: jsii.String(routes.SelectionExpression),
		ThrottleRate:             props.ThrottleRate,
		ThrottleBurst:            props.ThrottleBurst,
		Description:              jsii.String("TicTacToe protocol v1"),
		Deployment:               props.Deployment,
		AccountLogRole:           props.AccountLogRole,
	})

	constructs.SuppressNag(api.Routes[routes.Connect], "AwsSolutions-APIG4", "The game has no accounts by design: anyone may open a connection. The connect function checks the Origin against ALLOWED_ORIGINS, every frame is rate-limited per connection, and a seat in a room is held by a secret token only its player has")

	for _, name := range routes.Functions() {
		if !functionAccess[name] {
			continue
		}
		fn := functions[name]
		props.Table.Grant(fn.Function, tableActions...)
		api.GrantManageConnections(fn.Function)
		constructs.SuppressNag(fn.Role, "AwsSolutions-IAM5", "Connection IDs exist only at run time: the grant covers @connections of this API's one stage and nothing else",
			&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):execute-api:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]+):<[A-Za-z0-9]+>\/[^/*]+\/\*\/@connections\/\*$/`)})
		fn.Function.AddEnvironment(jsii.String(config.EnvCallbackURL), api.Stage.CallbackUrl(), nil)
	}

	awscdk.NewCfnOutput(stack, jsii.String("WebSocketUrl"), &awscdk.CfnOutputProps{
		Value:       api.Stage.Url(),
		Description: jsii.String("WebSocket API URL the site connects to"),
	})
	return &RealtimeStack{Stack: stack, Api: api, Functions: functions, WebSocketUrl: api.Stage.Url()}
}
