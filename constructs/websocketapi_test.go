package constructs

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// inlineFunction is a stand-in handler: the API construct takes any function.
func inlineFunction(stack awscdk.Stack, id string) awslambda.Function {
	return awslambda.NewFunction(stack, jsii.String(id), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_NODEJS_LATEST(),
		Handler: jsii.String("index.handler"),
		Code:    awslambda.Code_FromInline(jsii.String("exports.handler = async () => ({statusCode: 200})")),
	})
}

func TestWebSocketApiWiresEveryRouteToItsFunction(t *testing.T) {
	stack := newStack(t)
	connect, game := inlineFunction(stack, "Connect"), inlineFunction(stack, "Game")
	api := NewWebSocketApi(stack, jsii.String("Api"), &WebSocketApiProps{
		Routes: []WebSocketRoute{
			{Key: "$connect", Handler: connect},
			{Key: "$default", Handler: game},
			{Key: "move", Handler: game},
		},
		ThrottleRate:  jsii.Number(10),
		ThrottleBurst: jsii.Number(20),
		Deployment:    Dev,
	})
	role := awsiam.NewRole(stack, jsii.String("Poster"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
	api.GrantManageConnections(role)
	tpl := assertions.Template_FromStack(stack, nil)

	has(t, tpl, "AWS::ApiGatewayV2::Api", map[string]any{
		"ProtocolType":             "WEBSOCKET",
		"RouteSelectionExpression": "$request.body.action",
	})
	// Each route targets the integration of its own function; routes sharing a function share
	// its integration, and each has an invoke permission.
	integrationOf := map[string]string{}
	for id, r := range resources(t, tpl, "AWS::ApiGatewayV2::Integration") {
		uri := jsonOf(t, props(r)["IntegrationUri"])
		for name, fn := range map[string]awslambda.Function{"Connect": connect, "Game": game} {
			if strings.Contains(uri, *stack.GetLogicalId(fn.Node().DefaultChild().(awscdk.CfnElement))) {
				integrationOf[id] = name
			}
		}
	}
	if len(integrationOf) != 2 {
		t.Fatalf("want one integration per function, got %v", integrationOf)
	}
	got := map[string]string{}
	for _, r := range resources(t, tpl, "AWS::ApiGatewayV2::Route") {
		p := props(r)
		target := jsonOf(t, p["Target"])
		for id, fn := range integrationOf {
			if strings.Contains(target, id) {
				got[p["RouteKey"].(string)] = fn
			}
		}
	}
	want := map[string]string{"$connect": "Connect", "$default": "Game", "move": "Game"}
	if jsonOf(t, got) != jsonOf(t, want) {
		t.Errorf("routes → functions: got %v, want %v", got, want)
	}
	count(t, tpl, "AWS::Lambda::Permission", 3)

	// One auto-deployed stage, throttled, with JSON access logs kept a month in dev.
	has(t, tpl, "AWS::ApiGatewayV2::Stage", map[string]any{
		"StageName":            "prod",
		"AutoDeploy":           true,
		"DefaultRouteSettings": obj(map[string]any{"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20}),
		"AccessLogSettings": obj(map[string]any{
			"DestinationArn": assertions.Match_AnyValue(),
			"Format":         assertions.Match_StringLikeRegexp(jsii.String(`^\{.*"routeKey":"\$context\.routeKey".*\}$`)),
		}),
	})
	hasResource(t, tpl, "AWS::Logs::LogGroup", map[string]any{
		"Properties":     map[string]any{"RetentionInDays": 30},
		"DeletionPolicy": "Delete",
	})

	// @connections of this stage only.
	policy := jsonOf(t, props(only(t, tpl, "AWS::IAM::Policy"))["PolicyDocument"])
	if !strings.Contains(policy, "execute-api:ManageConnections") || !strings.Contains(policy, "/prod/*/@connections/*") {
		t.Errorf("GrantManageConnections gave %s, want ManageConnections on /prod/*/@connections/*", policy)
	}
}

// $connect is the one WebSocket route that can take an authorizer; the others are excused
// from AwsSolutions-APIG4 by the construct, $connect only by its caller (or an authorizer).
func TestWebSocketApiExcusesOnlyRoutesThatCannotHaveAnAuthorizer(t *testing.T) {
	stack := newStack(t)
	fn := inlineFunction(stack, "Fn")
	NewWebSocketApi(stack, jsii.String("Api"), &WebSocketApiProps{Routes: []WebSocketRoute{
		{Key: "$connect", Handler: fn}, {Key: "$disconnect", Handler: fn}, {Key: "move", Handler: fn},
	}})
	tpl := assertions.Template_FromStack(stack, nil)
	for _, r := range resources(t, tpl, "AWS::ApiGatewayV2::Route") {
		key := props(r)["RouteKey"].(string)
		excused := strings.Contains(jsonOf(t, r["Metadata"]), "AwsSolutions-APIG4")
		if excused != (key != "$connect") {
			t.Errorf("route %s: APIG4 suppressed %v", key, excused)
		}
	}
}

func TestWebSocketApiRejectsBadRoutes(t *testing.T) {
	tests := []struct {
		name   string
		routes func(fn awslambda.IFunction) []WebSocketRoute
		want   string
	}{
		{"none", func(awslambda.IFunction) []WebSocketRoute { return nil }, "Routes is empty"},
		{"twice", func(fn awslambda.IFunction) []WebSocketRoute {
			return []WebSocketRoute{{Key: "move", Handler: fn}, {Key: "move", Handler: fn}}
		}, `"move" is listed twice`},
		{"no handler", func(awslambda.IFunction) []WebSocketRoute { return []WebSocketRoute{{Key: "move"}} }, "no Handler"},
		{"no key", func(fn awslambda.IFunction) []WebSocketRoute { return []WebSocketRoute{{Handler: fn}} }, "empty key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := newStack(t)
			fn := inlineFunction(stack, "Fn")
			mustPanic(t, tt.want, func() {
				NewWebSocketApi(stack, jsii.String("Api"), &WebSocketApiProps{Routes: tt.routes(fn)})
			})
		})
	}
	t.Run("throttled to nothing", func(t *testing.T) {
		stack := newStack(t)
		fn := inlineFunction(stack, "Fn")
		mustPanic(t, "would refuse every client", func() {
			NewWebSocketApi(stack, jsii.String("Api"), &WebSocketApiProps{
				Routes: []WebSocketRoute{{Key: "$default", Handler: fn}}, ThrottleRate: jsii.Number(0),
			})
		})
	})
}
