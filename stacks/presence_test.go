package stacks

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-lambda-go/events"

	"github.com/serverless-tictactoe/tictactoe/lambda/config"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
	"github.com/serverless-tictactoe/tictactoe/localgw/stream"
)

// The Presence stack's tests read the whole app (synthesized once: deployment_test.go).

// mapping is the Presence stack's one event source mapping's properties.
func mapping(t *testing.T, s *synthesized) map[string]any {
	t.Helper()
	tpl := s.templates[*s.d.Presence.StackName()]
	ms := cdktest.Resources(t, tpl, "AWS::Lambda::EventSourceMapping")
	if len(ms) != 1 {
		t.Fatalf("want 1 event source mapping, got %d", len(ms))
	}
	for _, m := range ms {
		return cdktest.Props(m)
	}
	return nil
}

// filterPatterns are the mapping's filter patterns, decoded.
func filterPatterns(t *testing.T, m map[string]any) []map[string]any {
	t.Helper()
	var fc struct{ Filters []struct{ Pattern string } }
	cdktest.RoundTrip(t, m["FilterCriteria"], &fc)
	var out []map[string]any
	for _, f := range fc.Filters {
		var p map[string]any
		if err := json.Unmarshal([]byte(f.Pattern), &p); err != nil {
			t.Fatalf("filter pattern %q is not JSON: %v", f.Pattern, err)
		}
		out = append(out, p)
	}
	return out
}

// The filter is exactly: rooms created, rooms deleted, and rooms changed with presenceChanged.
func TestPresenceFilterCriteria(t *testing.T) {
	got := filterPatterns(t, mapping(t, dev(t)))
	var want []map[string]any
	for _, p := range []string{
		`{"eventName":["INSERT"],"dynamodb":{"NewImage":{"kind":{"S":["room"]}}}}`,
		`{"eventName":["MODIFY"],"dynamodb":{"NewImage":{"kind":{"S":["room"]},"presenceChanged":{"BOOL":[true]}}}}`,
		`{"eventName":["REMOVE"],"dynamodb":{"OldImage":{"kind":{"S":["room"]}}}}`,
	} {
		var m map[string]any
		if err := json.Unmarshal([]byte(p), &m); err != nil {
			t.Fatal(err)
		}
		want = append(want, m)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("filter patterns\n got %s\nwant %s", cdktest.JSONOf(t, got), cdktest.JSONOf(t, want))
	}
}

// matches reports whether a Lambda event filter pattern matches a record (localgw/stream's
// matcher, which the local presence tests run too).
func matches(t *testing.T, pattern, record map[string]any) bool {
	t.Helper()
	var rec events.DynamoDBEventRecord
	cdktest.RoundTrip(t, record, &rec)
	ok, err := stream.Match(pattern, rec)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// The filters pass what the presence function needs and nothing else, on stream records built
// from the items the store really writes (lambda/presence's golden fixtures) and on the other
// kinds of item the table holds.
func TestPresenceFilterSelectsTheRecordsPresenceNeeds(t *testing.T) {
	patterns := filterPatterns(t, mapping(t, dev(t)))
	raw, err := os.ReadFile("../lambda/presence/testdata/stream-events.json")
	if err != nil {
		t.Fatal(err)
	}
	var fixtures struct{ Records []map[string]any }
	if err := json.Unmarshal(raw, &fixtures); err != nil {
		t.Fatal(err)
	}
	image := func(kind string) map[string]any {
		return map[string]any{"pk": map[string]any{"S": "X#1"}, schema.KindAttribute: map[string]any{"S": kind}, schema.TTLAttribute: map[string]any{"N": "1795435200"}}
	}
	other := []map[string]any{
		{"eventID": "marker-insert", "eventName": "INSERT", "dynamodb": map[string]any{"NewImage": image(schema.KindMarker)}},
		{"eventID": "marker-expired", "eventName": "REMOVE", "dynamodb": map[string]any{"OldImage": image(schema.KindMarker)}},
		{"eventID": "connection-insert", "eventName": "INSERT", "dynamodb": map[string]any{"NewImage": image(schema.KindConnection)}},
		{"eventID": "connection-modify", "eventName": "MODIFY", "dynamodb": map[string]any{"OldImage": image(schema.KindConnection), "NewImage": image(schema.KindConnection)}},
		{"eventID": "connection-remove", "eventName": "REMOVE", "dynamodb": map[string]any{"OldImage": image(schema.KindConnection)}},
	}
	// ev-101 room created, ev-102 second player joined, ev-103 a move, ev-104 a player dropped,
	// ev-105 rejoined, ev-106 the host left (abandoned), then a room deleted and one expired.
	want := map[string]bool{"ev-101": true, "ev-102": true, "ev-103": false, "ev-104": true, "ev-105": true, "ev-106": true,
		"ev-remove": true, "ev-ttl": true}
	for _, rec := range other {
		want[rec["eventID"].(string)] = false
	}
	records := append(fixtures.Records, other...)
	if len(records) != len(want) {
		t.Fatalf("%d records, %d expectations: the fixtures changed, update this test", len(records), len(want))
	}
	for _, rec := range records {
		id, _ := rec["eventID"].(string)
		got := false
		for _, p := range patterns {
			got = got || matches(t, p, rec)
		}
		if got != want[id] {
			t.Errorf("record %s (%s): delivered %v, want %v", id, rec["eventName"], got, want[id])
		}
	}
}

func TestPresenceMappingRetriesBoundedAndReportsBatchFailures(t *testing.T) {
	m := mapping(t, dev(t))
	for k, want := range map[string]any{
		"BisectBatchOnFunctionError": true, "MaximumRetryAttempts": 3.0, "MaximumRecordAgeInSeconds": 3600.0,
		"BatchSize": 20.0, "MaximumBatchingWindowInSeconds": 2.0, "StartingPosition": "LATEST",
		"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
	} {
		if !reflect.DeepEqual(m[k], want) {
			t.Errorf("mapping %s = %v, want %v", k, m[k], want)
		}
	}
	p := dev(t).d.Presence
	tpl := dev(t).templates[*p.StackName()]
	queue := *p.GetLogicalId(p.Stream.DeadLetterQueue.Node().DefaultChild().(awscdk.CfnElement))
	fn := *p.GetLogicalId(p.Function.Function.Node().DefaultChild().(awscdk.CfnElement))
	if d := cdktest.JSONOf(t, m["DestinationConfig"]); d != `{"OnFailure":{"Destination":{"Fn::GetAtt":["`+queue+`","Arn"]}}}` {
		t.Errorf("on-failure destination %s, want the dead-letter queue %s", d, queue)
	}
	if f := cdktest.JSONOf(t, m["FunctionName"]); f != `{"Ref":"`+fn+`"}` {
		t.Errorf("mapping invokes %s, want the presence function %s", f, fn)
	}
	if src := cdktest.JSONOf(t, m["EventSourceArn"]); !strings.Contains(src, "StreamArn") || !strings.Contains(src, *dev(t).d.Data.StackName()) {
		t.Errorf("mapping reads %s, want the Data stack's table stream", src)
	}
	cdktest.HasResource(t, tpl, "AWS::SQS::Queue", map[string]any{"Properties": map[string]any{
		"SqsManagedSseEnabled": true, "MessageRetentionPeriod": 14 * 24 * 3600,
	}})
	policy := cdktest.JSONOf(t, cdktest.Props(cdktest.Resources(t, tpl, "AWS::SQS::QueuePolicy")[firstKey(cdktest.Resources(t, tpl, "AWS::SQS::QueuePolicy"))]))
	if !strings.Contains(policy, `"aws:SecureTransport":"false"`) || !strings.Contains(policy, `"Effect":"Deny"`) || !strings.Contains(policy, queue) {
		t.Errorf("queue policy %s does not deny non-TLS access to the queue", policy)
	}
}

// The pipeline's alarms notify the operations topic, on alarm and when it clears.
func TestPresenceAlarmsNotifyOperations(t *testing.T) {
	p := dev(t).d.Presence
	tpl := dev(t).templates[*p.StackName()]
	queue := *p.GetLogicalId(p.Stream.DeadLetterQueue.Node().DefaultChild().(awscdk.CfnElement))
	fn := *p.GetLogicalId(p.Function.Function.Node().DefaultChild().(awscdk.CfnElement))
	alarms := cdktest.Resources(t, tpl, "AWS::CloudWatch::Alarm")
	if len(alarms) != 4 { // and the function's errors and throttles: TestAlarmsWatchTheirMetricAndNotifyOperations
		t.Fatalf("want the dead-letter, iterator-age, errors and throttles alarms, got %d alarms", len(alarms))
	}
	found := map[string]bool{}
	for id, a := range alarms {
		pr := cdktest.Props(a)
		if !notifiesOps(t, dev(t), pr["AlarmActions"]) || !notifiesOps(t, dev(t), pr["OKActions"]) {
			t.Errorf("alarm %s: actions %s, OK actions %s; want the operations topic on both", id, cdktest.JSONOf(t, pr["AlarmActions"]), cdktest.JSONOf(t, pr["OKActions"]))
		}
		dims := cdktest.JSONOf(t, pr["Dimensions"])
		switch pr["MetricName"] {
		case "ApproximateNumberOfMessagesVisible":
			found["dlq"] = pr["Threshold"] == 1.0 && pr["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" &&
				pr["Statistic"] == "Maximum" && strings.Contains(dims, queue)
		case "IteratorAge":
			found["age"] = pr["Threshold"] == 600000.0 && pr["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" &&
				pr["Statistic"] == "Maximum" && strings.Contains(dims, fn)
		}
	}
	if !found["dlq"] || !found["age"] {
		t.Errorf("alarms %s: want DLQ depth ≥ 1 on the queue and iterator age ≥ 10 min on the function", cdktest.JSONOf(t, alarms))
	}
}

// The presence function may read the stream, check and write its markers (GetItem, PutItem on
// the table), publish to the alerts topic only, and send failures to its queue: nothing else.
func TestPresenceFunctionGetsOnlyItsPermissions(t *testing.T) {
	p := dev(t).d.Presence
	tpl := dev(t).templates[*p.StackName()]
	role := *p.GetLogicalId(p.Function.Role.Node().DefaultChild().(awscdk.CfnElement))
	got := map[string]string{} // action → resource
	for _, r := range cdktest.Resources(t, tpl, "AWS::IAM::Policy") {
		pr := cdktest.Props(r)
		if !strings.Contains(cdktest.JSONOf(t, pr["Roles"]), `"`+role+`"`) {
			continue
		}
		var doc struct {
			Statement []struct {
				Effect   string
				Action   any
				Resource any
			}
		}
		cdktest.RoundTrip(t, pr["PolicyDocument"], &doc)
		for _, st := range doc.Statement {
			var actions []string
			switch a := st.Action.(type) {
			case string:
				actions = []string{a}
			case []any:
				for _, x := range a {
					actions = append(actions, x.(string))
				}
			}
			for _, a := range actions {
				got[a] = cdktest.JSONOf(t, st.Resource)
			}
		}
	}
	var actions []string
	for a := range got {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	want := "dynamodb:DescribeStream dynamodb:GetItem dynamodb:GetRecords dynamodb:GetShardIterator dynamodb:ListStreams dynamodb:PutItem " +
		"kms:Decrypt kms:GenerateDataKey* logs:CreateLogStream logs:PutLogEvents sns:Publish " +
		"sqs:GetQueueAttributes sqs:GetQueueUrl sqs:SendMessage xray:PutTelemetryRecords xray:PutTraceSegments"
	if g := strings.Join(actions, " "); g != want {
		t.Errorf("presence function may\n %s\nwant\n %s", g, want)
	}
	data := *dev(t).d.Data.StackName()
	for _, a := range []string{"dynamodb:GetItem", "dynamodb:PutItem"} {
		if r := got[a]; !strings.Contains(r, data) || strings.Contains(r, "Stream") || strings.Contains(r, "*") {
			t.Errorf("%s on %s, want the game table itself", a, r)
		}
	}
	for _, a := range []string{"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", "dynamodb:ListStreams"} {
		if r := got[a]; !strings.Contains(r, "StreamArn") {
			t.Errorf("%s on %s, want the table's stream", a, r)
		}
	}
	alerts := dev(t).d.Alerts
	topic := *alerts.GetLogicalId(alerts.Topic.Node().DefaultChild().(awscdk.CfnElement))
	if r := got["sns:Publish"]; !strings.Contains(r, *alerts.StackName()) || !strings.Contains(r, topic) {
		t.Errorf("sns:Publish on %s, want the alerts topic %s only", r, topic)
	}
}

func TestPresenceFunctionSettings(t *testing.T) {
	for cfgName, s := range map[string]*synthesized{"dev": dev(t), "prod": prod(t)} {
		p := s.d.Presence
		logical := *p.GetLogicalId(p.Function.Function.Node().DefaultChild().(awscdk.CfnElement))
		var fn struct {
			Properties struct {
				Environment struct{ Variables map[string]any }
			}
		}
		cdktest.RoundTrip(t, cdktest.Resources(t, s.templates[*p.StackName()], "AWS::Lambda::Function")[logical], &fn)
		vars := fn.Properties.Environment.Variables
		alerts := s.d.Alerts
		topic := *alerts.GetLogicalId(alerts.Topic.Node().DefaultChild().(awscdk.CfnElement))
		if v := cdktest.JSONOf(t, vars[config.EnvTopicARN]); !strings.Contains(v, topic) {
			t.Errorf("%s: TOPIC_ARN %s is not the alerts topic", cfgName, v)
		}
		if v := cdktest.JSONOf(t, vars[config.EnvTableName]); !strings.Contains(v, *s.d.Data.StackName()) {
			t.Errorf("%s: TABLE_NAME %s is not the game table", cfgName, v)
		}
		wantLevel := map[string]any{"dev": nil, "prod": "debug"}[cfgName]
		if vars[config.EnvLogLevel] != wantLevel {
			t.Errorf("%s: LOG_LEVEL = %v, want %v", cfgName, vars[config.EnvLogLevel], wantLevel)
		}
	}
}

// The email gets only the presence events chosen (prod: alertEvents=room_abandoned,room_expired),
// filtered on the eventType message attribute; the alarms' address gets every alarm.
func TestAlertEmailIsFilteredAndOpsEmailIsNot(t *testing.T) {
	a := prod(t).d.Alerts
	tpl := prod(t).templates[*a.StackName()]
	alerts := *a.GetLogicalId(a.Topic.Node().DefaultChild().(awscdk.CfnElement))
	ops := *a.GetLogicalId(a.Operations.Node().DefaultChild().(awscdk.CfnElement))
	subs := map[string]map[string]any{}
	for _, r := range cdktest.Resources(t, tpl, "AWS::SNS::Subscription") {
		pr := cdktest.Props(r)
		subs[cdktest.JSONOf(t, pr["TopicArn"])] = pr
	}
	alertSub, opsSub := subs[`{"Ref":"`+alerts+`"}`], subs[`{"Ref":"`+ops+`"}`]
	if alertSub == nil || alertSub["Endpoint"] != "ops@example.com" {
		t.Fatalf("no email subscription of ops@example.com to the alerts topic: %v", subs)
	}
	if f := cdktest.JSONOf(t, alertSub["FilterPolicy"]); f != `{"eventType":["room_abandoned","room_expired"]}` {
		t.Errorf("alerts email filter policy %s, want eventType room_abandoned and room_expired", f)
	}
	if s, ok := alertSub["FilterPolicyScope"]; ok && s != "MessageAttributes" {
		t.Errorf("filter policy scope %v, want message attributes", s)
	}
	if opsSub == nil || opsSub["Endpoint"] != "oncall@example.com" {
		t.Fatalf("no email subscription of oncall@example.com to the operations topic: %v", subs)
	}
	if _, ok := opsSub["FilterPolicy"]; ok {
		t.Errorf("the operations email is filtered (%v): alarm notifications carry no attributes and would all be dropped", opsSub["FilterPolicy"])
	}
	// Both topics are TLS-only and on the one key.
	cdktest.Count(t, tpl, "AWS::KMS::Key", 1)
	for id, r := range cdktest.Resources(t, tpl, "AWS::SNS::TopicPolicy") {
		if pol := cdktest.JSONOf(t, cdktest.Props(r)); !strings.Contains(pol, `"aws:SecureTransport":"false"`) {
			t.Errorf("topic policy %s does not deny non-TLS publishing: %s", id, pol)
		}
	}
	cdktest.Count(t, tpl, "AWS::SNS::TopicPolicy", 2)
	// dev sets no address: no subscription at all.
	cdktest.Count(t, dev(t).templates[*dev(t).d.Alerts.StackName()], "AWS::SNS::Subscription", 0)
}

// Nothing the presence pipeline adds makes an earlier stack depend on a later one.
func TestPresenceAddsNoDependencyCycle(t *testing.T) {
	for _, s := range []*synthesized{dev(t), prod(t)} {
		for _, st := range []awscdk.Stack{s.d.Alerts.Stack, s.d.Data.Stack} {
			for _, dep := range *st.Dependencies() {
				t.Errorf("%s depends on %s", *st.StackName(), *dep.StackName())
			}
		}
	}
}

// notifiesOps reports whether alarm actions (as the template holds them) are exactly the
// operations topic, referred to from another stack.
func notifiesOps(t *testing.T, s *synthesized, actions any) bool {
	t.Helper()
	a := s.d.Alerts
	ops := *a.GetLogicalId(a.Operations.Node().DefaultChild().(awscdk.CfnElement))
	list, ok := actions.([]any)
	if !ok || len(list) != 1 {
		return false
	}
	// A weak reference, as cdk.json asks: Fn::GetStackOutput of the Alerts stack's
	// "PublishOutputRef<topic>…" output, so Monitoring can go without pinning an export.
	ref := cdktest.JSONOf(t, list[0])
	return strings.Contains(ref, "Fn::GetStackOutput") && strings.Contains(ref, *a.StackName()) && strings.Contains(ref, "OutputRef"+ops)
}

func firstKey[V any](m map[string]V) string {
	for k := range m {
		return k
	}
	return ""
}
