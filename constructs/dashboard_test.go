package constructs

import (
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
