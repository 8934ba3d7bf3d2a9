package blocks

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// An account-bound stack's VPC asks the CDK for the Region's zones, which offline (or in a
// pipeline's synth step, with no lookup role) is an AWS call that fails synth. Pinned, it asks
// nothing: the cloud assembly lists no missing context and the subnets name their zones.
func TestPinZonesNeedsNoLookup(t *testing.T) {
	for _, c := range []struct {
		name   string
		pin    bool
		zones  []string
		maxAzs int
		want   []string // each subnet pair's zone, as JSON
	}{
		{name: "not pinned: a lookup", maxAzs: 2},
		{name: "the Region's first 2", pin: true, maxAzs: 2, want: []string{
			`{"Fn::Select":[0,{"Fn::GetAZs":"eu-west-1"}]}`, `{"Fn::Select":[1,{"Fn::GetAZs":"eu-west-1"}]}`}},
		{name: "the Region's first 3", pin: true, maxAzs: 3, want: []string{
			`{"Fn::Select":[0,{"Fn::GetAZs":"eu-west-1"}]}`, `{"Fn::Select":[1,{"Fn::GetAZs":"eu-west-1"}]}`, `{"Fn::Select":[2,{"Fn::GetAZs":"eu-west-1"}]}`}},
		{name: "named", pin: true, zones: []string{"eu-west-1b", "eu-west-1c"}, want: []string{`"eu-west-1b"`, `"eu-west-1c"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			outdir := t.TempDir()
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
			stack := awscdk.NewStack(app, jsii.String("Bound"), &awscdk.StackProps{
				Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")},
			})
			zones := jsii.Strings(c.zones...)
			if len(c.zones) == 0 {
				zones = nil
			}
			props := &NetworkProps{}
			if zones != nil {
				props.AvailabilityZones = *zones
			} else {
				props.MaxAzs = jsii.Number(c.maxAzs)
			}
			if c.pin {
				PinZones(stack, props.AvailabilityZones, c.maxAzs)
			}
			NewNetwork(stack, jsii.String("Network"), props)
			app.Synth(nil)
			missing := missingContext(t, outdir)
			if !c.pin {
				if len(missing) == 0 {
					t.Fatal("an unpinned account-bound VPC looked nothing up: the control case no longer shows the lookup")
				}
				return
			}
			if len(missing) > 0 {
				t.Fatalf("synth still needs %d context lookups: %v", len(missing), missing)
			}
			// Each zone holds one public and one isolated subnet, in order.
			tpl := assertions.Template_FromStack(stack, nil)
			got := map[string]int{}
			for _, r := range cdktest.Resources(t, tpl, "AWS::EC2::Subnet") {
				got[cdktest.JSONOf(t, cdktest.Props(r)["AvailabilityZone"])]++
			}
			for _, want := range c.want {
				if got[want] != 2 {
					t.Errorf("%d subnets in %s, want 2 (have %v)", got[want], want, got)
				}
			}
			if len(got) != len(c.want) {
				t.Errorf("subnets in %d zones, want %d: %v", len(got), len(c.want), got)
			}
		})
	}
}

// An environment-agnostic stack already takes Fn::GetAZs from the CDK: PinZones leaves it be.
func TestPinZonesLeavesAgnosticStacks(t *testing.T) {
	stack := newStack(t)
	PinZones(stack, nil, 2)
	NewNetwork(stack, jsii.String("Network"), nil)
	tpl := assertions.Template_FromStack(stack, nil)
	cdktest.Count(t, tpl, "AWS::EC2::Subnet", 4)
}

func TestPinZonesRefusesOneZone(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := awscdk.NewStack(app, jsii.String("Bound"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")},
	})
	mustPanic(t, "a load balancer needs 2", func() { PinZones(stack, *jsii.Strings("eu-west-1a"), 0) })
}

// A deployer's cdk.context.json from before keeps the zones it looked up: their subnets would
// otherwise change from names to Fn::GetAZs and show as replaced.
func TestPinZonesKeepsALookupMadeBefore(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &map[string]any{
		"availability-zones:account=123456789012:region=eu-west-1": []any{"eu-west-1a", "eu-west-1b", "eu-west-1c"},
	}})
	stack := awscdk.NewStack(app, jsii.String("Bound"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")},
	})
	PinZones(stack, nil, 2)
	NewNetwork(stack, jsii.String("Network"), nil)
	got := map[string]int{}
	for _, r := range cdktest.Resources(t, assertions.Template_FromStack(stack, nil), "AWS::EC2::Subnet") {
		got[cdktest.JSONOf(t, cdktest.Props(r)["AvailabilityZone"])]++
	}
	if want := map[string]int{`"eu-west-1a"`: 2, `"eu-west-1b"`: 2}; !maps.Equal(got, want) {
		t.Errorf("subnets in %v, want %v", got, want)
	}
}

// missingContext is the context lookups a cloud assembly asks the CLI for, by key, read from
// its manifest as the CLI reads it.
func missingContext(t *testing.T, outdir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(outdir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Missing []struct{ Key string } `json:"missing"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range m.Missing {
		keys = append(keys, e.Key)
	}
	return keys
}
