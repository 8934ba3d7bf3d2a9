package stacks

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// twoRegions is the default settings over two Regions, as the CLI synthesizes them.
func twoRegions(t *testing.T) *synthesized { return cliSynth(t, "two Regions") }

// twoRegionsWithDomain is two Regions with a domain in a Route 53 zone (the socket domain's
// latency records), as the CLI synthesizes them.
func twoRegionsWithDomain(t *testing.T) *synthesized { return cliSynth(t, "two Regions with a domain") }

// Every Region gets its stacks; the primary keeps the names (and logical IDs) a one-Region
// deployment has, so adding a Region to one changes no stateful resource of it.
func TestTwoRegionsStacks(t *testing.T) {
	s := twoRegions(t)
	var got []string
	for name, a := range s.artifacts {
		got = append(got, name+"@"+a.region)
	}
	want := []string{
		"TicTacToe-Dev-Alerts@eu-west-1", "TicTacToe-Dev-Network@eu-west-1", "TicTacToe-Dev-Data@eu-west-1", "TicTacToe-Dev-Realtime@eu-west-1",
		"TicTacToe-Dev-Frontend@eu-west-1", "TicTacToe-Dev-Presence@eu-west-1", "TicTacToe-Dev-Monitoring@eu-west-1", "TicTacToe-Dev-Links@eu-west-1",
		"TicTacToe-Dev-Alerts-eu-central-1@eu-central-1", "TicTacToe-Dev-Network-eu-central-1@eu-central-1", "TicTacToe-Dev-Realtime-eu-central-1@eu-central-1",
		"TicTacToe-Dev-Frontend-eu-central-1@eu-central-1", "TicTacToe-Dev-Links-eu-central-1@eu-central-1",
		"TicTacToe-Dev-Presence-eu-central-1@eu-central-1", "TicTacToe-Dev-Monitoring-eu-central-1@eu-central-1", "TicTacToe-Dev-Health@us-east-1",
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

// The functions of each Region know every Region, may use every replica and read the other
// Regions' @connections URLs from the game table (no SSM: its client cost about 7 ms of every
// cold start); each Links stack writes its own Region's URL there, may write that one item and
// no other, and grants the other Regions' @connections, and nothing more.
func TestTwoRegionsWiring(t *testing.T) {
	s := twoRegions(t)
	for _, name := range []string{"TicTacToe-Dev-Realtime", "TicTacToe-Dev-Realtime-eu-central-1"} {
		tpl := s.templates[name]
		fns := cdktest.JSONOf(t, cdktest.Resources(t, tpl, "AWS::Lambda::Function"))
		for _, want := range []string{`"REGIONS":"eu-west-1,eu-central-1"`, `"CALLBACK_URLS_IN_TABLE":"true"`} {
			if !strings.Contains(fns, want) {
				t.Errorf("%s: functions lack %s", name, want)
			}
		}
		policies := cdktest.JSONOf(t, cdktest.Resources(t, tpl, "AWS::IAM::Policy"))
		for _, want := range []string{":dynamodb:eu-west-1:", ":dynamodb:eu-central-1:"} {
			if !strings.Contains(policies, want) {
				t.Errorf("%s: grants lack %s", name, want)
			}
		}
		if strings.Contains(fns, "CALLBACK_URLS_PARAMETER") || strings.Contains(policies, "ssm:") {
			t.Errorf("%s: the functions still read an SSM parameter", name)
		}
	}
	for _, tc := range []struct{ name, region, realtime, other string }{
		{"TicTacToe-Dev-Links", "eu-west-1", "TicTacToe-Dev-Realtime", "eu-central-1"},
		{"TicTacToe-Dev-Links-eu-central-1", "eu-central-1", "TicTacToe-Dev-Realtime-eu-central-1", "eu-west-1"},
	} {
		tpl := s.templates[tc.name]
		item := cdktest.Props(cdktest.Only(t, tpl, "Custom::AWS"))
		put := cdktest.JSONOf(t, item["Create"])
		for _, want := range []string{`\"action\":\"putItem\"`, `\"pk\":{\"S\":\"CALLBACK#` + tc.region + `\"}`, `\"kind\":{\"S\":\"callbackUrl\"}`,
			`{"OutputName":"CallbackUrl","Region":"` + tc.region + `","StackName":"` + tc.realtime + `"}`, `"OutputName":"TableName"`} {
			if !strings.Contains(put, want) {
				t.Errorf("%s: the item's PutItem lacks %s: %s", tc.name, want, put)
			}
		}
		// CDK's function is created once the item's policy exists: IAM propagates the policy
		// during the function's creation, before the first call (settleBeforeTheCall).
		var policyID string
		for id, p := range cdktest.Resources(t, tpl, "AWS::IAM::Policy") {
			if !strings.Contains(cdktest.JSONOf(t, cdktest.Props(p)), "execute-api:") {
				policyID = id
			}
		}
		for id, fn := range cdktest.Resources(t, tpl, "AWS::Lambda::Function") {
			if strings.HasPrefix(id, "AWS679f53fac002430cb0da5b7982bd2287") && (policyID == "" || !strings.Contains(cdktest.JSONOf(t, fn["DependsOn"]), `"`+policyID+`"`)) {
				t.Errorf("%s: CDK's function %s does not wait for the item's policy %q: %v", tc.name, id, policyID, fn["DependsOn"])
			}
		}
		if cdktest.JSONOf(t, item["Update"]) != put || !strings.Contains(cdktest.JSONOf(t, item["Delete"]), `deleteItem`) {
			t.Errorf("%s: the item is not written on update, or not deleted with the stack: %v", tc.name, item)
		}
		var grants, other []string
		for _, p := range cdktest.Resources(t, tpl, "AWS::IAM::Policy") {
			js := cdktest.JSONOf(t, cdktest.Props(p))
			if strings.Contains(js, "execute-api:") {
				other = append(other, js)
			} else {
				grants = append(grants, js)
			}
		}
		if len(grants) != 1 || !strings.Contains(grants[0], `"Action":["dynamodb:DeleteItem","dynamodb:PutItem"]`) ||
			!strings.Contains(grants[0], `"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["CALLBACK#`+tc.region+`"]}`) || strings.Contains(grants[0], `"*"`) {
			t.Errorf("%s: the item's writer may do %v, want PutItem and DeleteItem of its one item", tc.name, grants)
		}
		if len(other) != 1 || !strings.Contains(other[0], ":execute-api:"+tc.other+":") || !strings.Contains(other[0], "/prod/*/@connections/*") || strings.Count(other[0], ":execute-api:") != 1 {
			t.Errorf("%s: the grant %v, want the other Region's (%s) @connections alone", tc.name, other, tc.other)
		}
	}
	noNagFindings(t, s)
}

// Each Region's distribution passes a socket path to every other Region's API, with the
// edge secret every Region accepts, and its page lists them after its own: a player whose
// Region fails keeps the page's origin and moves on.
func TestTwoRegionsFallbackSockets(t *testing.T) {
	s := twoRegions(t)
	for _, tc := range []struct{ stack, other, otherRealtime string }{
		{"TicTacToe-Dev-Frontend", "eu-central-1", "TicTacToe-Dev-Realtime-eu-central-1"},
		{"TicTacToe-Dev-Frontend-eu-central-1", "eu-west-1", "TicTacToe-Dev-Realtime"},
	} {
		tpl := s.templates[tc.stack]
		dist := cdktest.Props(cdktest.Only(t, tpl, "AWS::CloudFront::Distribution"))
		js := cdktest.JSONOf(t, dist)
		for _, want := range []string{`"PathPattern":"/ws-` + tc.other + `"`, `"Fn::GetStackOutput"`, `"StackName":"` + tc.otherRealtime + `"`, `"OutputName":"ApiDomainName"`, `"Region":"` + tc.other + `"`} {
			if !strings.Contains(js, want) {
				t.Errorf("%s: the distribution lacks %s", tc.stack, want)
			}
		}
		// Every origin to an API sends one header: the shared secret.
		if n := strings.Count(js, "X-Tictactoe-Edge"); n != 2 {
			t.Errorf("%s: %d origins send the edge secret, want 2 (own and other Region's)", tc.stack, n)
		}
		lt := cdktest.JSONOf(t, cdktest.Resources(t, tpl, "AWS::EC2::LaunchTemplate"))
		if !strings.Contains(lt, "FALLBACK_SOCKETS='/ws-"+tc.other+"'") {
			t.Errorf("%s: the user data does not list /ws-%s", tc.stack, tc.other)
		}
	}
	primary := s.templates["TicTacToe-Dev-Realtime"]
	secrets := cdktest.JSONOf(t, cdktest.Resources(t, primary, "AWS::SecretsManager::Secret"))
	for _, want := range []string{`"Name":"TicTacToe-Dev-EdgeSecret"`, `"ReplicaRegions":[{"Region":"eu-central-1"}]`} {
		if !strings.Contains(secrets, want) {
			t.Errorf("the primary's secrets lack %s: %s", want, secrets)
		}
	}
	if n := len(cdktest.Resources(t, primary, "AWS::SecretsManager::Secret")); n != 3 {
		t.Errorf("the primary has %d secrets, want its own edge secret, the shared one and its address key", n)
	}
	// The output the one-Region Frontend read the primary's own secret from stays: a rollback
	// of the Frontend's update to two Regions goes back to a template that reads it.
	outputs := func(tpl assertions.Template) map[string]any { return (*tpl.ToJSON())["Outputs"].(map[string]any) }
	for name := range outputs(dev(t).templates["TicTacToe-Dev-Realtime"]) {
		if strings.Contains(name, "EdgeSecret") {
			if _, ok := outputs(primary)[name]; !ok {
				t.Errorf("the primary's Realtime stack no longer publishes %s, which the one-Region Frontend reads", name)
			}
		}
	}
	if n := len(cdktest.Resources(t, s.templates["TicTacToe-Dev-Realtime-eu-central-1"], "AWS::SecretsManager::Secret")); n != 1 {
		t.Errorf("eu-central-1 makes %d secrets, want only its address key: it reads its replica of the shared edge secret", n)
	}
	fns := cdktest.JSONOf(t, cdktest.Resources(t, s.templates["TicTacToe-Dev-Realtime-eu-central-1"], "AWS::Lambda::Function"))
	// A partial ARN (no suffix) in the function's own Region: its replica.
	if !strings.Contains(fns, "{{resolve:secretsmanager:arn:aws:secretsmanager:eu-central-1:123456789012:secret:TicTacToe-Dev-EdgeSecret:SecretString:::}}") {
		t.Errorf("eu-central-1's connect function does not read the shared secret by name")
	}
	if !s.dependsOn("TicTacToe-Dev-Realtime-eu-central-1", "TicTacToe-Dev-Realtime") || !s.dependsOn("TicTacToe-Dev-Frontend", "TicTacToe-Dev-Realtime-eu-central-1") {
		t.Error("the secondary's Realtime stack must follow the primary's (the secret's replica), and every Frontend every Realtime (the API hosts)")
	}
}

// dependsOn reports whether stack a is deployed after stack b.
func (s *synthesized) dependsOn(a, b string) bool {
	return slices.Contains(s.artifacts[a].dependsOn, b)
}

// Every Region's API is watched from outside it, with an alarm to the operations topic.
func TestTwoRegionsHealthChecks(t *testing.T) {
	s := twoRegions(t)
	tpl := s.templates["TicTacToe-Dev-Health"]
	checks := cdktest.Resources(t, tpl, "AWS::Route53::HealthCheck")
	if len(checks) != 2 {
		t.Fatalf("%d health checks, want one per Region", len(checks))
	}
	js := cdktest.JSONOf(t, checks)
	for _, want := range []string{`"Type":"TCP"`, `"Port":443`, `"StackName":"TicTacToe-Dev-Realtime"`, `"StackName":"TicTacToe-Dev-Realtime-eu-central-1"`, `"OutputName":"ApiDomainName"`} {
		if !strings.Contains(js, want) {
			t.Errorf("health checks lack %s: %s", want, js)
		}
	}
	alarms := cdktest.Resources(t, tpl, "AWS::CloudWatch::Alarm")
	if len(alarms) != 2 {
		t.Fatalf("%d alarms, want one per Region", len(alarms))
	}
	for id, a := range alarms {
		p := cdktest.Props(a)
		if p["MetricName"] != "HealthCheckStatus" || p["Namespace"] != "AWS/Route53" || p["ComparisonOperator"] != "LessThanThreshold" || p["Threshold"] != 1.0 {
			t.Errorf("alarm %s: %v", id, p)
		}
		if !strings.Contains(cdktest.JSONOf(t, p["AlarmActions"]), "Operations") {
			t.Errorf("alarm %s notifies %v, want the operations topic", id, p["AlarmActions"])
		}
	}
	if n := len(cdktest.Resources(t, tpl, "AWS::Route53::RecordSet")); n != 0 {
		t.Errorf("%d records with no domain", n)
	}
	for _, r := range []string{"TicTacToe-Dev-Realtime", "TicTacToe-Dev-Realtime-eu-central-1"} {
		if !s.dependsOn("TicTacToe-Dev-Health", r) {
			t.Errorf("the Health stack does not follow %s", r)
		}
	}
}

// With a domain in a Route 53 zone, the domain's socket goes to ws.<domain>, which every
// Region's API answers and latency records with the health checks resolve: the nearest
// healthy Region.
func TestTwoRegionsSocketDomain(t *testing.T) {
	s := twoRegionsWithDomain(t)
	for _, tc := range []struct {
		stack    string
		validate bool
	}{{"TicTacToe-Dev-Realtime", true}, {"TicTacToe-Dev-Realtime-eu-central-1", false}} {
		tpl := s.templates[tc.stack]
		domain := cdktest.Props(cdktest.Only(t, tpl, "AWS::ApiGatewayV2::DomainName"))
		if domain["DomainName"] != "ws.play.example.com" {
			t.Errorf("%s: custom domain %v", tc.stack, domain["DomainName"])
		}
		mapping := cdktest.Props(cdktest.Only(t, tpl, "AWS::ApiGatewayV2::ApiMapping"))
		if cdktest.JSONOf(t, mapping["ApiMappingKey"]) != cdktest.JSONOf(t, mapping["Stage"]) {
			t.Errorf("%s: mapping key %v, want the stage's name (%v): the path the execute-api host takes", tc.stack, mapping["ApiMappingKey"], mapping["Stage"])
		}
		cert := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, tpl, "AWS::CertificateManager::Certificate")))
		if got := strings.Contains(cert, "Z0123456789ABCDEFGHIJ"); got != tc.validate {
			t.Errorf("%s: certificate validated in the zone %v, want %v (one validation record, made once): %s", tc.stack, got, tc.validate, cert)
		}
	}
	health := s.templates["TicTacToe-Dev-Health"]
	records := cdktest.Resources(t, health, "AWS::Route53::RecordSet")
	regions := map[string]bool{}
	for id, r := range records {
		p := cdktest.Props(r)
		if p["Name"] != "ws.play.example.com." || p["Type"] != "A" || p["SetIdentifier"] != p["Region"] || p["HealthCheckId"] == nil {
			t.Errorf("record %s: %v", id, p)
		}
		if !strings.Contains(cdktest.JSONOf(t, p["AliasTarget"]), "SocketRegionalDomainName") {
			t.Errorf("record %s: alias %v, want the Region's custom domain", id, p["AliasTarget"])
		}
		regions[p["Region"].(string)] = true
	}
	if !regions["eu-west-1"] || !regions["eu-central-1"] || len(records) != 2 {
		t.Errorf("latency records for %v, want one per Region", regions)
	}
	var d struct{ DistributionConfig map[string]any }
	cdktest.RoundTrip(t, cdktest.Props(cdktest.Only(t, s.templates["TicTacToe-Dev-Frontend"], "AWS::CloudFront::Distribution")), &d)
	if js := cdktest.JSONOf(t, d.DistributionConfig["Origins"]); !strings.Contains(js, `"DomainName":"ws.play.example.com"`) {
		t.Errorf("the primary's distribution does not pass the domain's socket to ws.play.example.com: %s", js)
	}
	if !s.dependsOn("TicTacToe-Dev-Frontend", "TicTacToe-Dev-Health") {
		t.Error("the primary's Frontend must follow the records it sends sockets to")
	}
	noNagFindings(t, s)
}

// Each Region publishes presence for the rooms homed in it, from its own replica's stream to
// its own alerts topic: every change once, and presence goes on in the Regions that stay up.
func TestTwoRegionsPresencePerHome(t *testing.T) {
	s := twoRegions(t)
	for _, tc := range []struct {
		stack, region string
		filters       int
	}{{"TicTacToe-Dev-Presence", "eu-west-1", 4}, {"TicTacToe-Dev-Presence-eu-central-1", "eu-central-1", 2}} {
		tpl := s.templates[tc.stack]
		m := cdktest.Props(cdktest.Only(t, tpl, "AWS::Lambda::EventSourceMapping"))
		patterns := filterPatterns(t, m)
		if len(patterns) != tc.filters {
			t.Errorf("%s: %d filters, want %d", tc.stack, len(patterns), tc.filters)
		}
		js := cdktest.JSONOf(t, patterns)
		if !strings.Contains(js, `"home":{"S":["`+tc.region+`"]}`) {
			t.Errorf("%s: filters %s do not take the rooms homed in %s", tc.stack, js, tc.region)
		}
		if got := strings.Contains(js, `"exists":false`); got != (tc.region == "eu-west-1") {
			t.Errorf("%s: takes rooms homed nowhere: %v, want only the primary to", tc.stack, got)
		}
	}
	secondary := s.templates["TicTacToe-Dev-Presence-eu-central-1"]
	m := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, secondary, "AWS::Lambda::EventSourceMapping")))
	if !strings.Contains(m, "Table.LatestStreamArn") {
		t.Errorf("eu-central-1's mapping does not read its replica's stream from the lookup: %s", m)
	}
	fns := cdktest.JSONOf(t, cdktest.Resources(t, secondary, "AWS::Lambda::Function"))
	if !strings.Contains(fns, "TOPIC_ARN") || !strings.Contains(fns, "TicTacToe-Dev-Alerts-eu-central-1") {
		t.Errorf("eu-central-1's presence function does not publish to its own Region's topic: %s", fns)
	}
}

// Every Region has its dashboard and alarms, to its own operations topic: an outage of one
// Region leaves the others' alarms working. The alarms live beside what they watch.
func TestTwoRegionsMonitoringPerRegion(t *testing.T) {
	s := twoRegions(t)
	tpl := s.templates["TicTacToe-Dev-Monitoring-eu-central-1"]
	body := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, tpl, "AWS::CloudWatch::Dashboard"))["DashboardBody"])
	for _, want := range []string{"eu-central-1", "ReplicationLatency", `\"ReceivingRegion\",\"eu-west-1\"`} {
		if !strings.Contains(body, want) {
			t.Errorf("eu-central-1's dashboard lacks %s", want)
		}
	}
	for _, stack := range []string{"TicTacToe-Dev-Realtime-eu-central-1", "TicTacToe-Dev-Presence-eu-central-1", "TicTacToe-Dev-Frontend-eu-central-1"} {
		alarms := cdktest.Resources(t, s.templates[stack], "AWS::CloudWatch::Alarm")
		if len(alarms) == 0 {
			t.Errorf("%s has no alarms", stack)
		}
		for id, a := range alarms {
			if js := cdktest.JSONOf(t, cdktest.Props(a)["AlarmActions"]); !strings.Contains(js, "TicTacToe-Dev-Alerts-eu-central-1") {
				t.Errorf("%s: alarm %s notifies %s, want eu-central-1's operations topic", stack, id, js)
			}
		}
	}
}

// noNagFindings fails for any cdk-nag finding (AwsSolutions or the project's) in any stack of s.
func noNagFindings(t *testing.T, s *synthesized) {
	t.Helper()
	rule := regexp.MustCompile("AwsSolutions-|" + "TicTacToe-")
	for name, a := range s.artifacts {
		nagFindings(t, name, a, rule)
	}
}
