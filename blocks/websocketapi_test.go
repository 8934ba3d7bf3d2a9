package blocks

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
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
		Integrations: []WebSocketIntegration{
			{Name: "connect", Handler: connect, RouteKeys: []string{"$connect"}},
			{Name: "game", Handler: game, RouteKeys: []string{"$default", "move"}},
		},
		ThrottleRate:  jsii.Number(10),
		ThrottleBurst: jsii.Number(20),
		Lifecycle:     Dev,
	})
	role := awsiam.NewRole(stack, jsii.String("Poster"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
	api.GrantManageConnections(role)
	tpl := assertions.Template_FromStack(stack, nil)

	cdktest.Has(t, tpl, "AWS::ApiGatewayV2::Api", map[string]any{
		"ProtocolType":             "WEBSOCKET",
		"RouteSelectionExpression": "$request.body.action",
	})
	// Each route targets the integration of its own function; routes sharing a function share
	// its integration, and each has an invoke permission.
	integrationOf := map[string]string{}
	for id, r := range cdktest.Resources(t, tpl, "AWS::ApiGatewayV2::Integration") {
		uri := cdktest.JSONOf(t, cdktest.Props(r)["IntegrationUri"])
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
	for _, r := range cdktest.Resources(t, tpl, "AWS::ApiGatewayV2::Route") {
		p := cdktest.Props(r)
		target := cdktest.JSONOf(t, p["Target"])
		for id, fn := range integrationOf {
			if strings.Contains(target, id) {
				got[p["RouteKey"].(string)] = fn
			}
		}
	}
	want := map[string]string{"$connect": "Connect", "$default": "Game", "move": "Game"}
	if cdktest.JSONOf(t, got) != cdktest.JSONOf(t, want) {
		t.Errorf("routes → functions: got %v, want %v", got, want)
	}
	cdktest.Count(t, tpl, "AWS::Lambda::Permission", 3)

	// One auto-deployed stage, throttled, with JSON access logs kept a month in dev.
	cdktest.Has(t, tpl, "AWS::ApiGatewayV2::Stage", map[string]any{
		"StageName":            "prod",
		"AutoDeploy":           true,
		"DefaultRouteSettings": obj(map[string]any{"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20}),
		"AccessLogSettings": obj(map[string]any{
			"DestinationArn": assertions.Match_AnyValue(),
			"Format":         assertions.Match_StringLikeRegexp(jsii.String(`^\{.*"routeKey":"\$context\.routeKey".*\}$`)),
		}),
	})
	cdktest.HasResource(t, tpl, "AWS::Logs::LogGroup", map[string]any{
		"Properties":     map[string]any{"RetentionInDays": 30},
		"DeletionPolicy": "Delete",
	})

	// @connections of this stage only.
	var policy string
	for id, r := range cdktest.Resources(t, tpl, "AWS::IAM::Policy") {
		if !strings.Contains(id, "AccountRoleSetter") { // the account-role custom resource's own
			policy += cdktest.JSONOf(t, cdktest.Props(r)["PolicyDocument"])
		}
	}
	if !strings.Contains(policy, "execute-api:ManageConnections") || !strings.Contains(policy, "/prod/*/@connections/*") {
		t.Errorf("GrantManageConnections gave %s, want ManageConnections on /prod/*/@connections/*", policy)
	}
}

// $connect is the one WebSocket route that can take an authorizer; the others are excused
// from AwsSolutions-APIG4 by the construct, $connect only by its caller (or an authorizer).
func TestWebSocketApiExcusesOnlyRoutesThatCannotHaveAnAuthorizer(t *testing.T) {
	stack := newStack(t)
	fn := inlineFunction(stack, "Fn")
	NewWebSocketApi(stack, jsii.String("Api"), &WebSocketApiProps{Integrations: []WebSocketIntegration{
		{Name: "fn", Handler: fn, RouteKeys: []string{"$connect", "$disconnect", "move"}},
	}})
	tpl := assertions.Template_FromStack(stack, nil)
	for _, r := range cdktest.Resources(t, tpl, "AWS::ApiGatewayV2::Route") {
		key := cdktest.Props(r)["RouteKey"].(string)
		excused := strings.Contains(cdktest.JSONOf(t, r["Metadata"]), "AwsSolutions-APIG4")
		if excused != (key != "$connect") {
			t.Errorf("route %s: APIG4 suppressed %v", key, excused)
		}
	}
}

func TestWebSocketApiRejectsBadIntegrations(t *testing.T) {
	tests := []struct {
		name         string
		integrations func(fn awslambda.IFunction) []WebSocketIntegration
		want         string
	}{
		{"none", func(awslambda.IFunction) []WebSocketIntegration { return nil }, "Integrations is empty"},
		{"a route twice", func(fn awslambda.IFunction) []WebSocketIntegration {
			return []WebSocketIntegration{{Name: "a", Handler: fn, RouteKeys: []string{"move"}}, {Name: "b", Handler: fn, RouteKeys: []string{"move"}}}
		}, `"move" is listed twice`},
		{"a name twice", func(fn awslambda.IFunction) []WebSocketIntegration {
			return []WebSocketIntegration{{Name: "a", Handler: fn, RouteKeys: []string{"move"}}, {Name: "a", Handler: fn, RouteKeys: []string{"chat"}}}
		}, `integration "a": each needs a unique, non-empty Name`},
		{"no name", func(fn awslambda.IFunction) []WebSocketIntegration {
			return []WebSocketIntegration{{Handler: fn, RouteKeys: []string{"move"}}}
		}, "non-empty Name"},
		{"no handler", func(awslambda.IFunction) []WebSocketIntegration {
			return []WebSocketIntegration{{Name: "a", RouteKeys: []string{"move"}}}
		}, "no Handler"},
		{"no route", func(fn awslambda.IFunction) []WebSocketIntegration {
			return []WebSocketIntegration{{Name: "a", Handler: fn}}
		}, "serves no route"},
		{"no key", func(fn awslambda.IFunction) []WebSocketIntegration {
			return []WebSocketIntegration{{Name: "a", Handler: fn, RouteKeys: []string{""}}}
		}, "empty route key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := newStack(t)
			fn := inlineFunction(stack, "Fn")
			mustPanic(t, tt.want, func() {
				NewWebSocketApi(stack, jsii.String("Api"), &WebSocketApiProps{Integrations: tt.integrations(fn)})
			})
		})
	}
	t.Run("throttled to nothing", func(t *testing.T) {
		stack := newStack(t)
		fn := inlineFunction(stack, "Fn")
		mustPanic(t, "would refuse every client", func() {
			NewWebSocketApi(stack, jsii.String("Api"), &WebSocketApiProps{
				Integrations: []WebSocketIntegration{{Name: "fn", Handler: fn, RouteKeys: []string{"$default"}}}, ThrottleRate: jsii.Number(0),
			})
		})
	})
}

// Integration IDs come from the integration's name, never from a generated unique ID: the
// logical ID of each integration reads as the route and function it is for.
func TestWebSocketApiNamesIntegrationsAfterThemselves(t *testing.T) {
	stack := newStack(t)
	NewWebSocketApi(stack, jsii.String("Api"), &WebSocketApiProps{Integrations: []WebSocketIntegration{
		{Name: "connect", Handler: inlineFunction(stack, "C"), RouteKeys: []string{"$connect"}},
		{Name: "game", Handler: inlineFunction(stack, "G"), RouteKeys: []string{"$default", "move"}},
	}})
	var ids []string
	for id := range cdktest.Resources(t, assertions.Template_FromStack(stack, nil), "AWS::ApiGatewayV2::Integration") {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) != 2 || !strings.HasPrefix(ids[0], "ApiconnectRouteconnectIntegration") || !strings.HasPrefix(ids[1], "ApidefaultRoutegameIntegration") {
		t.Errorf("integration logical IDs %v, want ApiconnectRouteconnectIntegration… and ApidefaultRoutegameIntegration…", ids)
	}
}

// API Gateway refuses a stage with access logs until the region's account setting names a
// CloudWatch Logs role: the construct's custom resource sets its role (retained, so the setting
// never points at a deleted role) only when none is set, and the stage waits for it; false
// touches nothing. (The handler's paths are tested in lambda/ops/accountrole.)
func TestWebSocketApiSetsTheAccountLogRoleItsAccessLogsNeed(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  *bool
		want bool
	}{
		{"default", nil, true},
		{"on", jsii.Bool(true), true},
		{"the account has one", jsii.Bool(false), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stack := newStack(t)
			fn := inlineFunction(stack, "Fn")
			NewWebSocketApi(stack, jsii.String("Api"), &WebSocketApiProps{Integrations: []WebSocketIntegration{{Name: "fn", Handler: fn, RouteKeys: []string{"$default"}}}, AccountLogRole: tt.set})
			tpl := assertions.Template_FromStack(stack, nil)
			if n := len(cdktest.Resources(t, tpl, "AWS::ApiGateway::Account")); n != 0 {
				t.Fatalf("%d AWS::ApiGateway::Account: it overwrites whatever role is set", n)
			}
			setters := cdktest.Resources(t, tpl, "Custom::ApiGatewayCloudWatchRole")
			if !tt.want {
				if len(setters) != 0 {
					t.Fatalf("the account setting is touched: %v", setters)
				}
				return
			}
			if len(setters) != 1 {
				t.Fatalf("%d account role setters, want 1", len(setters))
			}
			var setterID string
			for id, a := range setters {
				setterID = id
				roleRef := cdktest.JSONOf(t, cdktest.Props(a)["RoleArn"])
				for roleID, r := range cdktest.Resources(t, tpl, "AWS::IAM::Role") {
					if !strings.Contains(roleRef, `"`+roleID+`"`) {
						continue
					}
					if r["DeletionPolicy"] != "Retain" {
						t.Errorf("the log role is not retained: %v", r["DeletionPolicy"])
					}
					p := cdktest.JSONOf(t, cdktest.Props(r))
					for _, want := range []string{"apigateway.amazonaws.com", "service-role/AmazonAPIGatewayPushToCloudWatchLogs"} {
						if !strings.Contains(p, want) {
							t.Errorf("log role lacks %s: %s", want, p)
						}
					}
					roleRef = ""
				}
				if roleRef != "" {
					t.Fatalf("the setter names no role of the stack: %s", roleRef)
				}
			}
			for _, a := range setters {
				if got := cdktest.Props(a)["ServiceTimeout"]; fmt.Sprint(got) != "180" {
					t.Errorf("ServiceTimeout = %v, want 180 (a dead function fails the deploy in minutes)", got)
				}
			}
			// Least privilege: read and patch the account setting, pass that one role, read roles.
			var policy string
			for id, r := range cdktest.Resources(t, tpl, "AWS::IAM::Policy") {
				if strings.Contains(id, "AccountRoleSetter") {
					policy += cdktest.JSONOf(t, cdktest.Props(r)["PolicyDocument"])
				}
			}
			for _, want := range []string{`"apigateway:GET","apigateway:PATCH"`, `::/account"`, `"iam:PassRole"`, `"Resource":{"Fn::GetAtt":["ApiCloudWatchRole`, `"Action":"iam:GetRole"`, `:role/*"`} {
				if !strings.Contains(policy, want) {
					t.Errorf("setter policy lacks %s: %s", want, policy)
				}
			}
			for _, st := range cdktest.Resources(t, tpl, "AWS::ApiGatewayV2::Stage") {
				if !strings.Contains(cdktest.JSONOf(t, st["DependsOn"]), setterID) {
					t.Errorf("the stage does not wait for the account setting: DependsOn %v", st["DependsOn"])
				}
			}
		})
	}
}
