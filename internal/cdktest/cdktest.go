// Package cdktest holds the helpers the CDK tests share for reading synthesized templates:
// jsii reports assertion failures as panics, and these turn them into test errors (so the
// other checks still run) and return resources as plain JSON values.
package cdktest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// Has asserts that the template holds a resource of typ whose properties match props (an
// object pattern: assertions.Match_* values may appear inside).
func Has(t *testing.T, tpl assertions.Template, typ string, props any) {
	t.Helper()
	if err := Catch(func() { tpl.HasResourceProperties(jsii.String(typ), props) }); err != nil {
		t.Errorf("%s: %v", typ, FirstLines(err.Error(), 12))
	}
}

// HasResource is Has for a whole resource (Properties, DeletionPolicy, UpdatePolicy...).
func HasResource(t *testing.T, tpl assertions.Template, typ string, resource any) {
	t.Helper()
	if err := Catch(func() { tpl.HasResource(jsii.String(typ), resource) }); err != nil {
		t.Errorf("%s: %v", typ, FirstLines(err.Error(), 12))
	}
}

// Count asserts how many resources of typ the template holds.
func Count(t *testing.T, tpl assertions.Template, typ string, n int) {
	t.Helper()
	if got := len(Resources(t, tpl, typ)); got != n {
		t.Errorf("want %d %s, got %d", n, typ, got)
	}
}

// Catch runs f and returns what it panicked with, as an error.
func Catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	f()
	return nil
}

// FirstLines is the first n lines of s (jsii's assertion messages run long).
func FirstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// Resources returns the template's resources of one type, by logical ID, as plain JSON.
func Resources(t *testing.T, tpl assertions.Template, typ string) map[string]map[string]any {
	t.Helper()
	var out map[string]map[string]any
	RoundTrip(t, tpl.FindResources(jsii.String(typ), nil), &out)
	return out
}

// Only returns the single resource of a type, failing when there is not exactly one.
func Only(t *testing.T, tpl assertions.Template, typ string) map[string]any {
	t.Helper()
	rs := Resources(t, tpl, typ)
	if len(rs) != 1 {
		t.Fatalf("want 1 %s, got %d", typ, len(rs))
	}
	for _, r := range rs {
		return r
	}
	return nil
}

// Props is a resource's Properties.
func Props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// RoundTrip converts v (as jsii returns it) into out through JSON.
func RoundTrip(t *testing.T, v any, out any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %T: %v", v, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decoding into %T: %v", out, err)
	}
}

// JSONOf renders v as compact JSON, for substring checks on intrinsic-laden values.
func JSONOf(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %T: %v", v, err)
	}
	return string(raw)
}
