package constructs

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/jsii-runtime-go"
)

// The whole dashboard is tested on the synthesized app (stacks/monitoring_test.go), where its
// inputs are the real stacks; these tests cover what the app cannot show.

func TestGameDashboardRejectsMissingProps(t *testing.T) {
	mustPanic(t, "Api, Table and Web are required", func() {
		NewGameDashboard(newStack(t), jsii.String("Dashboard"), &GameDashboardProps{})
	})
	mustPanic(t, "are required", func() { NewGameDashboard(newStack(t), jsii.String("Dashboard"), nil) })
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

// The body CDK resolves (text joined around references) becomes one Fn::Sub that names each
// distinct reference once; a read of another stack's output is wrapped in an Fn::Join of
// itself (Fn::Sub's variables take Fn::Join, not Fn::GetStackOutput), and a literal ${ stays
// literal.
func TestSubOfReadsEachReferenceOnce(t *testing.T) {
	read := map[string]any{"Fn::GetStackOutput": map[string]any{"StackName": "S", "OutputName": "Fn"}}
	region := map[string]any{"Ref": "AWS::Region"}
	body := map[string]any{"Fn::Join": []any{"", []any{
		`{"a":"`, read, `","b":"`, region, `","c":"`, read, `","d":"${x}"}`,
	}}}
	got, err := json.Marshal(subOf(body))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Fn::Sub":["{\"a\":\"${v0}\",\"b\":\"${v1}\",\"c\":\"${v0}\",\"d\":\"${!x}\"}",` +
		`{"v0":{"Fn::Join":["",[{"Fn::GetStackOutput":{"OutputName":"Fn","StackName":"S"}}]]},"v1":{"Ref":"AWS::Region"}}]}`
	if string(got) != want {
		t.Errorf("subOf = %s\nwant    %s", got, want)
	}
	// Anything else is left as CDK wrote it.
	for _, other := range []any{"plain text", map[string]any{"Fn::Join": []any{",", []any{"a", region}}}} {
		if g, _ := json.Marshal(subOf(other)); string(g) != string(must(json.Marshal(other))) {
			t.Errorf("subOf(%v) = %s, want it unchanged", other, g)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
