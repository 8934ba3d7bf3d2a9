package stacks

import (
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

var (
	regionsOnce sync.Once
	regionsApp  *synthesized
	regionsErr  error
)

// twoRegions is the default settings over two Regions.
func twoRegions(t *testing.T) *synthesized {
	t.Helper()
	regionsOnce.Do(func() { regionsApp, regionsErr = synth(map[string]any{"regions": "eu-west-1,eu-central-1"}, prodEnv) })
	if regionsErr != nil {
		t.Fatalf("synthesizing two Regions: %v", regionsErr)
	}
	return regionsApp
}

// Every Region gets its stacks; the primary keeps the names (and logical IDs) a one-Region
// deployment has, so adding a Region to one changes no stateful resource of it.
func TestTwoRegionsStacks(t *testing.T) {
	s := twoRegions(t)
	var got []string
	for name, st := range s.stacks {
		got = append(got, name+"@"+*st.Region())
	}
	want := []string{
		"TicTacToe-Dev-Alerts@eu-west-1", "TicTacToe-Dev-Network@eu-west-1", "TicTacToe-Dev-Data@eu-west-1", "TicTacToe-Dev-Realtime@eu-west-1",
		"TicTacToe-Dev-Frontend@eu-west-1", "TicTacToe-Dev-Presence@eu-west-1", "TicTacToe-Dev-Monitoring@eu-west-1", "TicTacToe-Dev-Links@eu-west-1",
		"TicTacToe-Dev-Alerts-eu-central-1@eu-central-1", "TicTacToe-Dev-Network-eu-central-1@eu-central-1", "TicTacToe-Dev-Realtime-eu-central-1@eu-central-1",
		"TicTacToe-Dev-Frontend-eu-central-1@eu-central-1", "TicTacToe-Dev-Links-eu-central-1@eu-central-1",
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("no stack %s (have %v)", w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d stacks, want %d: %v", len(got), len(want), got)
	}
	for short, ids := range statefulLogicalIDs {
		tpl, ok := s.templates["TicTacToe-Dev-"+short]
		if !ok {
			continue
		}
		for id, typ := range ids {
			if optionalLogicalIDs[id] {
				continue
			}
			if _, ok := cdktest.Resources(t, tpl, typ)[id]; !ok && short != "Edge" {
				t.Errorf("%s: the %s %s is gone with a second Region", short, typ, id)
			}
		}
	}
}

// The table is one global table with a replica in each Region.
func TestTwoRegionsGlobalTable(t *testing.T) {
	s := twoRegions(t)
	table := cdktest.Props(cdktest.Only(t, s.templates["TicTacToe-Dev-Data"], "AWS::DynamoDB::GlobalTable"))
	js := cdktest.JSONOf(t, table["Replicas"])
	for _, r := range []string{`"Region":"eu-west-1"`, `"Region":"eu-central-1"`} {
		if !strings.Contains(js, r) {
			t.Errorf("replicas %s lack %s", js, r)
		}
	}
}

// The primary's dashboard draws how far each other Region's replica lags.
func TestTwoRegionsReplicationLatencyOnTheDashboard(t *testing.T) {
	s := twoRegions(t)
	body := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, s.templates["TicTacToe-Dev-Monitoring"], "AWS::CloudWatch::Dashboard"))["DashboardBody"])
	for _, want := range []string{"ReplicationLatency", "ReceivingRegion", "eu-central-1", "Replication latency to the other Regions"} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
}

// The functions of each Region know every Region, may use every replica and read every
// Region's @connections URL from their own Region's parameter; each Links stack writes that
// parameter and grants the other Regions' @connections, and nothing more.
func TestTwoRegionsWiring(t *testing.T) {
	s := twoRegions(t)
	for _, name := range []string{"TicTacToe-Dev-Realtime", "TicTacToe-Dev-Realtime-eu-central-1"} {
		tpl := s.templates[name]
		fns := cdktest.JSONOf(t, cdktest.Resources(t, tpl, "AWS::Lambda::Function"))
		for _, want := range []string{`"REGIONS":"eu-west-1,eu-central-1"`, `"CALLBACK_URLS_PARAMETER":"/tictactoe/dev/callback-urls"`} {
			if !strings.Contains(fns, want) {
				t.Errorf("%s: functions lack %s", name, want)
			}
		}
		policies := cdktest.JSONOf(t, cdktest.Resources(t, tpl, "AWS::IAM::Policy"))
		for _, want := range []string{":dynamodb:eu-west-1:", ":dynamodb:eu-central-1:", `"ssm:GetParameter"`, ":parameter/tictactoe/dev/callback-urls"} {
			if !strings.Contains(policies, want) {
				t.Errorf("%s: grants lack %s", name, want)
			}
		}
	}
	for _, tc := range []struct{ name, other string }{{"TicTacToe-Dev-Links", "eu-central-1"}, {"TicTacToe-Dev-Links-eu-central-1", "eu-west-1"}} {
		tpl := s.templates[tc.name]
		param := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, tpl, "AWS::SSM::Parameter")))
		for _, want := range []string{"eu-west-1=", "eu-central-1=", `"Fn::GetStackOutput"`, "CallbackUrl"} {
			if !strings.Contains(param, want) {
				t.Errorf("%s: parameter lacks %s: %s", tc.name, want, param)
			}
		}
		policy := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, tpl, "AWS::IAM::Policy")))
		if !strings.Contains(policy, ":execute-api:"+tc.other+":") || !strings.Contains(policy, "/prod/*/@connections/*") || strings.Count(policy, ":execute-api:") != 1 {
			t.Errorf("%s: the grant %s, want the other Region's (%s) @connections alone", tc.name, policy, tc.other)
		}
	}
	rule := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-|" + "TicTacToe-"))
	for name, st := range s.stacks {
		a := assertions.Annotations_FromStack(st)
		for _, f := range append(*a.FindError(jsii.String("*"), rule), *a.FindWarning(jsii.String("*"), rule)...) {
			t.Errorf("%s: nag finding at %s: %v", name, *f.Id, firstLine(f.Entry.Data))
		}
	}
}
