package stacks

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence/eventtype"
)

// subscriptions synthesizes an Alerts stack on its own (it has no functions to build: fast)
// and returns its subscriptions' properties as JSON, by endpoint.
func subscriptions(t *testing.T, props *AlertsStackProps) map[string]string {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := NewAlertsStack(app, "Alerts", props)
	subs := assertions.Template_FromStack(stack.Stack, nil).FindResources(jsii.String("AWS::SNS::Subscription"), nil)
	raw, err := json.Marshal(subs)
	if err != nil {
		t.Fatal(err)
	}
	var rs map[string]struct{ Properties map[string]any }
	if err := json.Unmarshal(raw, &rs); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rs {
		b, err := json.Marshal(r.Properties)
		if err != nil {
			t.Fatal(err)
		}
		out[r.Properties["Endpoint"].(string)] = string(b)
	}
	return out
}

// Without a choice of events, the alerts email gets abandoned rooms only; the operations email
// gets everything.
func TestAlertsStackMailsAbandonedRoomsByDefault(t *testing.T) {
	subs := subscriptions(t, &AlertsStackProps{Email: jsii.String("ops@example.com"), OpsEmail: jsii.String("oncall@example.com"), Lifecycle: blocks.Dev})
	if s := subs["ops@example.com"]; !strings.Contains(s, `"FilterPolicy":{"eventType":["room_abandoned"]}`) {
		t.Errorf("alerts subscription %s, want a filter on eventType room_abandoned", s)
	}
	if s := subs["oncall@example.com"]; s == "" || strings.Contains(s, "FilterPolicy") {
		t.Errorf("operations subscription %q, want one with no filter", s)
	}
}

func TestAlertsStackMailsTheEventsChosen(t *testing.T) {
	subs := subscriptions(t, &AlertsStackProps{Email: jsii.String("ops@example.com"),
		EmailEvents: []eventtype.Type{eventtype.PlayerLeft, eventtype.RoomExpired}, Lifecycle: blocks.Dev})
	if s := subs["ops@example.com"]; !strings.Contains(s, `"FilterPolicy":{"eventType":["player_left","room_expired"]}`) {
		t.Errorf("alerts subscription %s, want a filter on player_left and room_expired", s)
	}
	if len(subs) != 1 {
		t.Errorf("subscriptions %v, want the alerts email only", subs)
	}
}

func TestAlertsStackRejectsAnUnknownEvent(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(error).Error(), `"player_joined" is not a presence event type`) {
			t.Errorf("got %v, want an error naming player_joined", r)
		}
	}()
	subscriptions(t, &AlertsStackProps{Email: jsii.String("ops@example.com"), EmailEvents: []eventtype.Type{"player_joined"}})
}
