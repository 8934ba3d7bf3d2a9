package stacks

import (
	"strings"
	"testing"

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
