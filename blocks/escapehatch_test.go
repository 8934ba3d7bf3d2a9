package blocks

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// A construct that wraps one L2 passes the L2's own props through, over its defaults; what the
// construct decides itself is refused with a message naming the field (the table's: table_test.go).
func TestEscapeHatchesReachTheL2(t *testing.T) {
	t.Run("GoFunction FunctionProps", func(t *testing.T) {
		stack := newStack(t)
		NewGoFunction(stack, jsii.String("Fn"), &GoFunctionProps{
			Command: jsii.String("connect"), Lifecycle: Dev, MemorySize: jsii.Number(512),
			FunctionProps: &awslambda.FunctionProps{MemorySize: jsii.Number(1024), RecursiveLoop: awslambda.RecursiveLoop_TERMINATE},
		})
		cdktest.Has(t, assertions.Template_FromStack(stack, nil), "AWS::Lambda::Function", map[string]any{
			"MemorySize":    1024, // the escape hatch over the construct's prop
			"RecursiveLoop": "Terminate",
			"Runtime":       "provided.al2023", // the construct's own stay
			"Timeout":       DefaultTimeoutSeconds,
		})
	})
	t.Run("WebSocketApi ApiProps", func(t *testing.T) {
		stack := newStack(t)
		NewWebSocketApi(stack, jsii.String("Api"), &WebSocketApiProps{
			Integrations:   []WebSocketIntegration{{Name: "hello", Handler: inlineFunction(stack, "Hello"), RouteKeys: []string{"$default"}}},
			AccountLogRole: jsii.Bool(false),
			Lifecycle:      Dev,
			ApiProps:       &awsapigatewayv2.WebSocketApiProps{ApiName: jsii.String("chat"), Description: jsii.String("the chat's socket")},
		})
		cdktest.Has(t, assertions.Template_FromStack(stack, nil), "AWS::ApiGatewayV2::Api", map[string]any{
			"Name":                     "chat",
			"Description":              "the chat's socket",
			"RouteSelectionExpression": DefaultRouteSelectionExpression,
		})
	})
	t.Run("Network VpcProps", func(t *testing.T) {
		stack := newStack(t)
		NewNetwork(stack, jsii.String("Network"), &NetworkProps{Lifecycle: Dev, VpcProps: &awsec2.VpcProps{VpcName: jsii.String("chat-network")}})
		cdktest.Has(t, assertions.Template_FromStack(stack, nil), "AWS::EC2::VPC", map[string]any{
			"Tags":               assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "Name", "Value": "chat-network"}}),
			"EnableDnsHostnames": true,
			"CidrBlock":          DefaultCidr,
		})
	})
	t.Run("AlertsTopic TopicProps", func(t *testing.T) {
		stack := newStack(t)
		NewAlertsTopic(stack, jsii.String("Alerts"), &AlertsTopicProps{Lifecycle: Dev, TopicProps: &awssns.TopicProps{TopicName: jsii.String("ops-alerts")}})
		cdktest.Has(t, assertions.Template_FromStack(stack, nil), "AWS::SNS::Topic", map[string]any{
			"TopicName":      "ops-alerts",
			"DisplayName":    DefaultDisplayName,
			"KmsMasterKeyId": assertions.Match_AnyValue(),
		})
	})
	for _, tt := range []struct {
		name string
		make func()
		want string
	}{
		{"Network refuses a NAT gateway", func() {
			NewNetwork(newStack(t), jsii.String("Network"), &NetworkProps{VpcProps: &awsec2.VpcProps{NatGateways: jsii.Number(1)}})
		}, "Network Network: VpcProps sets NatGateways"},
		{"AlertsTopic refuses its display name twice", func() {
			NewAlertsTopic(newStack(t), jsii.String("Alerts"), &AlertsTopicProps{TopicProps: &awssns.TopicProps{DisplayName: jsii.String("x")}})
		}, "AlertsTopic Alerts: TopicProps sets DisplayName"},
		{"GoFunction refuses its code", func() {
			NewGoFunction(newStack(t), jsii.String("Fn"), &GoFunctionProps{Command: jsii.String("connect"), Lifecycle: Dev,
				FunctionProps: &awslambda.FunctionProps{Handler: jsii.String("main")}})
		}, "GoFunction Fn: FunctionProps sets Handler"},
		{"Network refuses DNS off (the endpoints and S3 need it)", func() {
			NewNetwork(newStack(t), jsii.String("Network"), &NetworkProps{VpcProps: &awsec2.VpcProps{EnableDnsSupport: jsii.Bool(false)}})
		}, "Network Network: VpcProps sets EnableDnsSupport"},
		{"GoFunction refuses a log level that would drop its metric lines", func() {
			NewGoFunction(newStack(t), jsii.String("Fn"), &GoFunctionProps{Command: jsii.String("connect"), Lifecycle: Dev,
				FunctionProps: &awslambda.FunctionProps{ApplicationLogLevelV2: awslambda.ApplicationLogLevel_WARN}})
		}, "GoFunction Fn: FunctionProps sets ApplicationLogLevelV2"},
		{"GoFunction refuses an environment that would replace its own", func() {
			NewGoFunction(newStack(t), jsii.String("Fn"), &GoFunctionProps{Command: jsii.String("connect"), Lifecycle: Dev,
				FunctionProps: &awslambda.FunctionProps{Environment: &map[string]*string{"A": jsii.String("b")}}})
		}, "GoFunction Fn: FunctionProps sets Environment"},
		{"WebSocketApi refuses routes beside Integrations", func() {
			stack := newStack(t)
			NewWebSocketApi(stack, jsii.String("Api"), &WebSocketApiProps{
				Integrations: []WebSocketIntegration{{Name: "hello", Handler: inlineFunction(stack, "Hello"), RouteKeys: []string{"$default"}}},
				ApiProps:     &awsapigatewayv2.WebSocketApiProps{RouteSelectionExpression: jsii.String("$request.body.type")},
			})
		}, "WebSocketApi Api: ApiProps sets RouteSelectionExpression"},
	} {
		t.Run(tt.name, func(t *testing.T) { mustPanic(t, tt.want, tt.make) })
	}
}

// The logged-errors metric goes to the namespace the caller names, and the metric method reads
// it there.
func TestGoFunctionMetricNamespace(t *testing.T) {
	for _, tt := range []struct {
		name      string
		namespace *string
		want      string
	}{
		{"default", nil, DefaultMetricNamespace},
		{"the app's", jsii.String("Chat"), "Chat"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stack := newStack(t)
			fn := NewGoFunction(stack, jsii.String("Fn"), &GoFunctionProps{Command: jsii.String("connect"), Lifecycle: Dev, MetricNamespace: tt.namespace})
			cdktest.Has(t, assertions.Template_FromStack(stack, nil), "AWS::Logs::MetricFilter", map[string]any{
				"MetricTransformations": arr(obj(map[string]any{"MetricNamespace": tt.want})),
			})
			if got := *fn.MetricLoggedErrors(nil).Namespace(); got != tt.want {
				t.Errorf("MetricLoggedErrors reads namespace %s, want %s", got, tt.want)
			}
		})
	}
}
