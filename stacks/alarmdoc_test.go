package stacks

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
	"github.com/serverless-tictactoe/tictactoe/internal/doctable"
)

// alarmOf is the alarm of tpl whose logical ID starts with prefix, as CloudFormation reads it:
// its comparison, threshold, evaluation periods and period (a math alarm's, from its metrics).
type alarmOf struct {
	op        string
	threshold any // a number, or the Fn::If of the quota alarm
	periods   float64
	period    float64 // seconds
}

func findAlarm(t *testing.T, tpl assertions.Template, prefix string) alarmOf {
	t.Helper()
	for id, r := range cdktest.Resources(t, tpl, "AWS::CloudWatch::Alarm") {
		if !strings.HasPrefix(id, prefix) {
			continue
		}
		var p struct {
			ComparisonOperator string
			Threshold          any
			EvaluationPeriods  float64
			Period             float64
			Metrics            []struct{ MetricStat struct{ Period float64 } }
		}
		cdktest.RoundTrip(t, cdktest.Props(r), &p)
		a := alarmOf{op: p.ComparisonOperator, threshold: p.Threshold, periods: p.EvaluationPeriods, period: p.Period}
		for _, m := range p.Metrics {
			if m.MetricStat.Period > 0 {
				a.period = m.MetricStat.Period
			}
		}
		return a
	}
	t.Fatalf("no alarm %s…", prefix)
	return alarmOf{}
}

// firesAt is how docs/monitoring.md states when an alarm fires: "≥ 3 in 5 minutes", "≥ 1 for
// 5 minutes in a row".
func (a alarmOf) firesAt(threshold string) string {
	op := map[string]string{"GreaterThanOrEqualToThreshold": "≥", "LessThanThreshold": "<"}[a.op]
	if a.periods > 1 {
		return fmt.Sprintf("%s %s for %s in a row", op, threshold, minutes(a.periods*a.period))
	}
	return fmt.Sprintf("%s %s in %s", op, threshold, minutes(a.period))
}

func minutes(seconds float64) string {
	if seconds == 60 {
		return "1 minute"
	}
	return fmt.Sprintf("%g minutes", seconds/60)
}

// thousands writes n as the docs do: 8,000.
func thousands(n float64) string {
	s := fmt.Sprintf("%.0f", n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// monitoringAlarmRows is docs/monitoring.md's table of alarms: its first cell → its "Fires at".
func monitoringAlarmRows(t *testing.T) map[string]string {
	t.Helper()
	rows := map[string]string{}
	for _, cells := range doctable.Rows(t, "../docs/monitoring.md", "| Alarm (stack) | Watches | Fires at | Why this threshold | What to do |") {
		rows[cells[0]] = cells[2]
	}
	return rows
}

// Each alarm's threshold and window in docs/monitoring.md are the synthesized alarm's: the
// table is read against the templates, so a threshold changed in code fails here until the
// doc says so.
func TestMonitoringDocStatesEachAlarmsThreshold(t *testing.T) {
	dev, prod, regions := dev(t), prod(t), twoRegions(t)
	realtime, presence, frontend := dev.tpl(dev.d.Realtime.Stack), dev.tpl(dev.d.Presence.Stack), dev.tpl(dev.d.Frontend.Stack)
	number := func(a alarmOf) string { return thousands(a.threshold.(float64)) }
	doc := monitoringAlarmRows(t)
	for _, row := range []struct {
		name  string // the start of the row's first cell
		alarm alarmOf
		fires func(alarmOf) string
	}{
		{"`<fn>` errors", findAlarm(t, realtime, "FunctionAlarmsgameErrors"), func(a alarmOf) string { return a.firesAt(number(a)) }},
		{"`<fn>` throttles", findAlarm(t, realtime, "FunctionAlarmsgameThrottles"), func(a alarmOf) string { return a.firesAt(number(a)) }},
		{"API execution errors", findAlarm(t, realtime, "ApiAlarmsExecutionErrors"), func(a alarmOf) string { return a.firesAt(number(a)) }},
		{"Account request quota", findAlarm(t, realtime, "ApiAlarmsAccountRequests"), func(a alarmOf) string {
			// Fn::If [low-quota Region, low, the rest]: the doc states the rest, then the low.
			var cond struct {
				If []any `json:"Fn::If"`
			}
			cdktest.RoundTrip(t, a.threshold, &cond)
			if len(cond.If) != 3 {
				t.Fatalf("the quota alarm's threshold %v is not an Fn::If by Region", a.threshold)
			}
			return fmt.Sprintf("≥ %s per second over %s (≥ %s in the", thousands(cond.If[2].(float64)), minutes(a.period), thousands(cond.If[1].(float64)))
		}},
		{"Site 5xx", findAlarm(t, frontend, "SiteAlarmsHttp5xx"), func(a alarmOf) string { return a.firesAt(number(a)) }},
		{"Firewall blocked spike", findAlarm(t, prod.tpl(prod.d.Edge.Stack), "FirewallBlockedSpike"), func(a alarmOf) string { return a.firesAt(number(a)) }},
		{"Unhealthy hosts", findAlarm(t, frontend, "SiteAlarmsUnhealthyHosts"), func(a alarmOf) string { return a.firesAt(number(a)) }},
		{"Dead-letter queue not empty", findAlarm(t, presence, "StreamDeadLetterAlarm"), func(a alarmOf) string { return a.firesAt(number(a)) }},
		{"Region down", findAlarm(t, regions.templates["TicTacToe-Dev-Health"], "RegionDown"), func(a alarmOf) string { return a.firesAt(number(a)) }},
		{"Stream iterator age", findAlarm(t, presence, "StreamIteratorAgeAlarm"), func(a alarmOf) string {
			return a.firesAt(minutes(a.threshold.(float64) / 1000)) // milliseconds
		}},
	} {
		var cell string
		for name, fires := range doc {
			if strings.HasPrefix(name, row.name) {
				cell = fires
			}
		}
		if want := row.fires(row.alarm); !strings.HasPrefix(cell, want) {
			t.Errorf("docs/monitoring.md, %s: fires at %q, but the alarm fires at %q", row.name, cell, want)
		}
	}
	// The count under the table: the alarms of one Region's Realtime, Presence and Frontend.
	alarms := 0
	for _, tpl := range []assertions.Template{realtime, presence, frontend} {
		alarms += len(cdktest.Resources(t, tpl, "AWS::CloudWatch::Alarm"))
	}
	b, err := os.ReadFile("../docs/monitoring.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d alarms,", alarms); !strings.Contains(string(b), want) {
		t.Errorf("docs/monitoring.md does not say %q under its table", want)
	}
}
