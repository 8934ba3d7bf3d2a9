package stacks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
)

// The API is sized by the capacity model: the stage's throttle, $connect's tighter one (the
// stage waits for the route it names), and in prod only the game function's reserved
// concurrency.
func TestCapacityModelSizesTheAPI(t *testing.T) {
	tests := []struct {
		name     string
		s        *synthesized
		reserved any // the game function's ReservedConcurrentExecutions; nil: none
	}{
		{"dev", dev(t), nil},
		{"prod", prod(t), nil}, // only when asked: a new account's quota may allow none
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := tt.s.d.Realtime
			tpl := tt.s.tpl(rt.Stack)
			stage := cdktest.Only(t, tpl, "AWS::ApiGatewayV2::Stage")
			props := cdktest.Props(stage)
			if got, want := cdktest.JSONOf(t, props["DefaultRouteSettings"]), `{"ThrottlingBurstLimit":200,"ThrottlingRateLimit":100}`; got != want {
				t.Errorf("stage throttle %s, want %s", got, want)
			}
			connect := cdktest.JSONOf(t, props["RouteSettings"])
			if want := `{"$connect":{"ThrottlingBurstLimit":100,"ThrottlingRateLimit":10}}`; connect != want {
				t.Errorf("route settings %s, want %s", connect, want)
			}
			var connectRoute string
			for id, r := range cdktest.Resources(t, tpl, "AWS::ApiGatewayV2::Route") {
				if cdktest.Props(r)["RouteKey"] == catalog.Connect {
					connectRoute = id
				}
			}
			if !strings.Contains(cdktest.JSONOf(t, stage["DependsOn"]), `"`+connectRoute+`"`) {
				t.Errorf("the stage names route %s in its settings but does not wait for it: DependsOn %v", connectRoute, stage["DependsOn"])
			}
			for name, fn := range rt.Functions {
				logical := *rt.GetLogicalId(fn.Function.Node().DefaultChild().(awscdk.CfnElement))
				got := cdktest.Props(cdktest.Resources(t, tpl, "AWS::Lambda::Function")[logical])["ReservedConcurrentExecutions"]
				want := any(nil)
				if name == catalog.FnGame {
					want = tt.reserved
				}
				if got != want {
					t.Errorf("%s reserves %v, want %v", name, got, want)
				}
			}
		})
	}
}
