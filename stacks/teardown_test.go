package stacks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// In prod every resource a teardown must handle by hand (retained, or deletion-protected) is
// named by an output: the teardown in docs/deploy.md reads them, nobody hunts for ARNs.
func TestProdOutputsNameWhatATeardownLeaves(t *testing.T) {
	s := prod(t)
	var named int
	for name, tpl := range s.templates {
		var doc struct {
			Resources map[string]struct {
				Type           string
				DeletionPolicy string
			}
			Outputs map[string]struct{ Value any }
		}
		cdktest.RoundTrip(t, tpl.ToJSON(), &doc)
		for id, r := range doc.Resources {
			if r.DeletionPolicy != "Retain" && protectedTypes[r.Type] == "" {
				continue
			}
			out, ok := doc.Outputs[TeardownOutputPrefix+id]
			if !ok {
				t.Errorf("%s: %s %s (deletion policy %q) has no %s output", name, r.Type, id, r.DeletionPolicy, TeardownOutputPrefix+id)
				continue
			}
			if v := cdktest.JSONOf(t, out.Value); v != `{"Ref":"`+id+`"}` {
				t.Errorf("%s: output %s%s = %s, want the resource's Ref", name, TeardownOutputPrefix, id, v)
			}
			named++
		}
	}
	if named < len(statefulLogicalIDs) {
		t.Errorf("only %d resources named for the teardown", named)
	}
	// Dev deletes everything with its stacks: nothing to name.
	for name, tpl := range dev(t).templates {
		if outs := cdktest.JSONOf(t, tpl.ToJSON()); strings.Contains(outs, `"`+TeardownOutputPrefix) {
			t.Errorf("dev %s names teardown resources: dev deletes everything", name)
		}
	}
}

// A retained key outlives what it encrypts: its teardown output says to delete it last.
func TestTeardownDeletesAKeyLast(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Keys"), nil)
	awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
	publishTeardown(stack)
	var doc struct {
		Outputs map[string]struct{ Description string }
	}
	cdktest.RoundTrip(t, assertions.Template_FromStack(stack, nil).ToJSON(), &doc)
	var found bool
	for id, out := range doc.Outputs {
		found = found || strings.HasPrefix(id, TeardownOutputPrefix+"Key")
		if strings.HasPrefix(id, TeardownOutputPrefix+"Key") && !strings.Contains(out.Description, "last") {
			t.Errorf("key teardown output %s says %q, want it deleted last", id, out.Description)
		}
	}
	if !found {
		t.Errorf("no teardown output for a retained key among %v", doc.Outputs)
	}
}
