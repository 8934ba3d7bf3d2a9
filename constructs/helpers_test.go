package constructs

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// newStack is an environment-agnostic stack in its own app, synthesizing into a temporary
// directory.
func newStack(t *testing.T) awscdk.Stack {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	return awscdk.NewStack(app, jsii.String("Test"), nil)
}

// has asserts that the template holds a resource of typ whose properties match props (an
// object pattern: assertions.Match_* values may appear inside). Assertion failures come back
// from jsii as panics; has turns them into test errors so the other checks still run.
func has(t *testing.T, tpl assertions.Template, typ string, props any) {
	t.Helper()
	if err := catch(func() { tpl.HasResourceProperties(jsii.String(typ), props) }); err != nil {
		t.Errorf("%s: %v", typ, firstLines(err.Error(), 12))
	}
}

// hasResource is has for a whole resource (Properties, DeletionPolicy, UpdatePolicy...).
func hasResource(t *testing.T, tpl assertions.Template, typ string, resource any) {
	t.Helper()
	if err := catch(func() { tpl.HasResource(jsii.String(typ), resource) }); err != nil {
		t.Errorf("%s: %v", typ, firstLines(err.Error(), 12))
	}
}

// count asserts how many resources of typ the template holds.
func count(t *testing.T, tpl assertions.Template, typ string, n int) {
	t.Helper()
	if got := len(resources(t, tpl, typ)); got != n {
		t.Errorf("want %d %s, got %d", n, typ, got)
	}
}

// catch runs f and returns what it panicked with, as an error.
func catch(f func()) (err error) {
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

// mustPanic asserts that f fails with a message containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	err := catch(f)
	if err == nil {
		t.Fatalf("no error; want one containing %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", firstLines(err.Error(), 5), want)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// resources returns the template's resources of one type, by logical ID, as plain JSON.
func resources(t *testing.T, tpl assertions.Template, typ string) map[string]map[string]any {
	t.Helper()
	var out map[string]map[string]any
	roundTrip(t, tpl.FindResources(jsii.String(typ), nil), &out)
	return out
}

// only returns the single resource of a type, failing when there is not exactly one.
func only(t *testing.T, tpl assertions.Template, typ string) map[string]any {
	t.Helper()
	rs := resources(t, tpl, typ)
	if len(rs) != 1 {
		t.Fatalf("want 1 %s, got %d", typ, len(rs))
	}
	for _, r := range rs {
		return r
	}
	return nil
}

// props is a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// roundTrip converts v (as jsii returns it) into out through JSON.
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

// jsonOf renders v as compact JSON, for substring checks on intrinsic-laden values.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %T: %v", v, err)
	}
	return string(raw)
}

// obj and arr shorten assertion patterns.
func obj(m map[string]any) assertions.Matcher { return assertions.Match_ObjectLike(&m) }
func arr(items ...any) assertions.Matcher     { return assertions.Match_ArrayWith(&items) }
