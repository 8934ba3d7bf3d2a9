package blocks

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// The whole dashboard is tested on the synthesized app (stacks/monitoring_test.go), where its
// inputs are the real stacks; these tests cover what the app cannot show.

func TestDashboardRejectsMissingProps(t *testing.T) {
	for _, tt := range []struct {
		name  string
		props *DashboardProps
		want  string
	}{
		{"nil", nil, "nothing to draw"},
		{"empty", &DashboardProps{}, "nothing to draw: give at least one of Api, Functions, Table, Web or Sections"},
		{"a section without rows", &DashboardProps{Sections: []DashboardSection{{Heading: "## Mine"}}}, `section "## Mine": each section needs a Heading and at least one row`},
		{"a function without a name", &DashboardProps{Functions: []NamedFunction{{}}}, "each function needs a unique, non-empty name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mustPanic(t, tt.want, func() { NewDashboard(newStack(t), jsii.String("Dashboard"), tt.props) })
		})
	}
}

// A consumer composes the dashboard: its own section under the title and alarm status, then
// only the parts it gave (here a function and a table), nothing of a web tier or an API it
// does not have, and none of the game's widgets.
func TestDashboardDrawsTheCallersSectionsAndOnlyTheGivenParts(t *testing.T) {
	stack := newStack(t)
	fn := NewGoFunction(stack, jsii.String("Fn"), &GoFunctionProps{Command: jsii.String("connect"), Lifecycle: Dev})
	table := NewTable(stack, jsii.String("Table"), &TableProps{Lifecycle: Dev})
	mine := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("Chat"), MetricName: jsii.String("MessagesSent")})
	NewDashboard(stack, jsii.String("Dashboard"), &DashboardProps{
		Title:     jsii.String("Chat"),
		Sections:  []DashboardSection{{Heading: "## Messages", Rows: [][]awscloudwatch.IWidget{{Graph("Messages sent", 24, mine)}}}},
		Functions: []NamedFunction{{Name: "hello", Function: fn}},
		Table:     table.Metrics(),
	})
	body := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, assertions.Template_FromStack(stack, nil), "AWS::CloudWatch::Dashboard"))["DashboardBody"])
	order := []string{"# Chat", DefaultDashboardSummary, "## Messages", "MessagesSent", "## Functions", "hello: duration", "## Table"}
	at := 0
	for _, want := range order {
		i := strings.Index(body[at:], want)
		if i < 0 {
			t.Fatalf("the body has no %q after %q: %s", want, body[:at], body)
		}
		at += i
	}
	for _, absent := range []string{"## WebSocket API", "## Site", "## Edge", "## Players", "TicTacToe", "## Stream"} {
		if strings.Contains(body, absent) {
			t.Errorf("the body draws %q, which was not given", absent)
		}
	}
}

func TestAlarmsRejectMissingProps(t *testing.T) {
	mustPanic(t, "ApiAlarms Alarms: Api is required", func() { NewApiAlarms(newStack(t), jsii.String("Alarms"), &ApiAlarmsProps{}) })
	mustPanic(t, "FunctionAlarms Alarms: Name and Function are required", func() {
		NewFunctionAlarms(newStack(t), jsii.String("Alarms"), &FunctionAlarmsProps{Name: "game"})
	})
	mustPanic(t, "SiteAlarms Alarms: Web is required", func() { NewSiteAlarms(newStack(t), jsii.String("Alarms"), nil) })
}

func TestOperationNames(t *testing.T) {
	for op, want := range map[awsdynamodb.Operation]string{
		awsdynamodb.Operation_GET_ITEM:             "GetItem",
		awsdynamodb.Operation_DELETE_ITEM:          "DeleteItem",
		awsdynamodb.Operation_TRANSACT_WRITE_ITEMS: "TransactWriteItems",
		awsdynamodb.Operation_GET_RECORDS:          "GetRecords",
	} {
		if got := OperationName(op); got != want {
			t.Errorf("OperationName(%s) = %s, want %s", op, got, want)
		}
	}
}

// The IAM actions of the catalog name the operations whose latency and errors are drawn.
func TestOperationsOfActions(t *testing.T) {
	got := Operations("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:TransactWriteItems")
	want := []awsdynamodb.Operation{awsdynamodb.Operation_GET_ITEM, awsdynamodb.Operation_PUT_ITEM, awsdynamodb.Operation_TRANSACT_WRITE_ITEMS}
	if len(got) != len(want) {
		t.Fatalf("Operations = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Operations = %v, want %v", got, want)
		}
	}
}

// The body CDK resolves (text joined around references) stays an Fn::Join; a value of another
// stack named more than once is a placeholder there, and read once, as the default of a hidden
// pattern variable at the end; a value named once, or a reference of the stack itself, stays
// where it is.
func TestReadOnceOfReadsEachRepeatedValueOnce(t *testing.T) {
	read := func(out string) any {
		return map[string]any{"Fn::GetStackOutput": map[string]any{"StackName": "S", "OutputName": out}}
	}
	region := map[string]any{"Ref": "AWS::Region"}
	body := map[string]any{"Fn::Join": []any{"", []any{
		`{"a":"`, read("Fn"), `","b":"`, region, `","c":"`, read("Fn"), `","d":"`, read("Alarm"), `","e":"`, region, `"}`,
	}}}
	got, err := json.Marshal(readOnceOf(body))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Fn::Join":["",["{\"a\":\"__ref0__\",\"b\":\"",{"Ref":"AWS::Region"},"\",\"c\":\"__ref0__\",\"d\":\"",` +
		`{"Fn::GetStackOutput":{"OutputName":"Alarm","StackName":"S"}},"\",\"e\":\"",{"Ref":"AWS::Region"},` +
		`"\",\"variables\":[{\"type\":\"pattern\",\"pattern\":\"__ref0__\",\"inputType\":\"input\",\"id\":\"ref0\",\"label\":\"ref0\",\"visible\":false,\"defaultValue\":\"",` +
		`{"Fn::GetStackOutput":{"OutputName":"Fn","StackName":"S"}},"\"}]}"]]}`
	if string(got) != want {
		t.Errorf("readOnceOf = %s\nwant         %s", got, want)
	}
	// Anything else is left as CDK wrote it: text, another delimiter, no repeated read.
	for _, other := range []any{
		"plain text",
		map[string]any{"Fn::Join": []any{",", []any{"a", region}}},
		map[string]any{"Fn::Join": []any{"", []any{`{"a":"`, read("Fn"), `","b":"`, region, `","c":"`, region, `"}`}}},
		// An alarm's ARN in an alarm status widget stays an ARN, however often it is named.
		map[string]any{"Fn::Join": []any{"", []any{`{"w":[{"alarms":["`, read("Alarm"), `"]},{"alarms":["`, read("Alarm"), `","`, read("Alarm"), `"]}]}`}}},
	} {
		if g, _ := json.Marshal(readOnceOf(other)); string(g) != string(must(json.Marshal(other))) {
			t.Errorf("readOnceOf(%v) = %s, want it unchanged", other, g)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
