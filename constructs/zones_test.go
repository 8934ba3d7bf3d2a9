package constructs

import (
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
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
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
			missing := app.Synth(nil).Manifest().Missing
			if !c.pin {
				if missing == nil || len(*missing) == 0 {
					t.Fatal("an unpinned account-bound VPC looked nothing up: the control case no longer shows the lookup")
				}
				return
			}
			if missing != nil && len(*missing) > 0 {
				t.Fatalf("synth still needs %d context lookups, first %s", len(*missing), *(*missing)[0].Key)
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
