package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// has asserts that the template holds a resource of typ whose properties match the object
// pattern props. jsii reports assertion failures as panics; has makes them test errors.
func has(t *testing.T, tpl assertions.Template, typ string, props any) {
	t.Helper()
	if err := catch(func() { tpl.HasResourceProperties(jsii.String(typ), props) }); err != nil {
		t.Errorf("%s: %v", typ, err)
	}
}

// hasResource is has for a whole resource (Properties, DeletionPolicy...).
func hasResource(t *testing.T, tpl assertions.Template, typ string, resource any) {
	t.Helper()
	if err := catch(func() { tpl.HasResource(jsii.String(typ), resource) }); err != nil {
		t.Errorf("%s: %v", typ, err)
	}
}

// count asserts how many resources of typ the template holds.
func count(t *testing.T, tpl assertions.Template, typ string, n int) {
	t.Helper()
	if got := len(resources(t, tpl, typ)); got != n {
		t.Errorf("want %d %s, got %d", n, typ, got)
	}
}

func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}

// resources returns the template's resources of one type, by logical ID, as plain JSON.
func resources(t *testing.T, tpl assertions.Template, typ string) map[string]map[string]any {
	t.Helper()
	var out map[string]map[string]any
	roundTrip(t, tpl.FindResources(jsii.String(typ), nil), &out)
	return out
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

func roundTrip(t *testing.T, v any, out any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %T: %v", v, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decoding into %T: %v", out, err)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %T: %v", v, err)
	}
	return string(raw)
}
