package blocks

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/blocks/quotas"
	"github.com/serverless-tictactoe/tictactoe/frontend"
)

// readmeProps is each construct of README.md with a props table, and its props type.
var readmeProps = map[string]any{
	"Table":            TableProps{},
	"GoFunction":       GoFunctionProps{},
	"WebSocketApi":     WebSocketApiProps{},
	"StreamProcessor":  StreamProcessorProps{},
	"WebFrontend":      WebFrontendProps{},
	"SiteDistribution": SiteDistributionProps{},
	"WebFirewall":      WebFirewallProps{},
	"Network":          NetworkProps{},
	"AlertsTopic":      AlertsTopicProps{},
	"Dashboard":        DashboardProps{},
}

// readmeValues is the value of each Go name README.md cites for a default.
var readmeValues = map[string]any{
	"DefaultCommandsDir": DefaultCommandsDir, "DefaultMemorySize": DefaultMemorySize, "DefaultTimeoutSeconds": DefaultTimeoutSeconds,
	"DefaultLevelField": DefaultLevelField, "DefaultErrorLevel": DefaultErrorLevel,
	"DefaultRouteSelectionExpression": DefaultRouteSelectionExpression, "DefaultStageName": DefaultStageName, "DefaultAccountLogRole": DefaultAccountLogRole,
	"DefaultThrottleRate": DefaultThrottleRate, "DefaultThrottleBurst": DefaultThrottleBurst,
	"DefaultBatchSize": DefaultBatchSize, "DefaultMaxBatchingWindowSeconds": DefaultMaxBatchingWindowSeconds, "DefaultRetryAttempts": DefaultRetryAttempts,
	"DefaultMaxRecordAgeHours": DefaultMaxRecordAgeHours, "DefaultQueueRetentionDays": DefaultQueueRetentionDays, "DefaultIteratorAgeMinutes": DefaultIteratorAgeMinutes,
	"DefaultInstanceType": DefaultInstanceType, "DefaultMinCapacity": DefaultMinCapacity, "DefaultMaxCapacity": DefaultMaxCapacity,
	"DefaultTargetCpuUtilization": DefaultTargetCpuUtilization, "DefaultBootMinutes": DefaultBootMinutes, "DefaultSignalTimeoutMinutes": DefaultSignalTimeoutMinutes,
	"DefaultSocketPath": DefaultSocketPath, "DefaultPriceClass": string(DefaultPriceClass), "frontend.HSTSMaxAge": frontend.HSTSMaxAge,
	"DefaultRequestLimit": DefaultRequestLimit, "DefaultSocketLimit": DefaultSocketLimit, "DefaultBlockedAlarmThreshold": DefaultBlockedAlarmThreshold,
	"DefaultMaxAzs": DefaultMaxAzs, "DefaultCidr": DefaultCidr, "DefaultSessionManagerEndpoints": DefaultSessionManagerEndpoints,
	"DefaultPartitionKey": DefaultPartitionKey, "DefaultTTLAttribute": DefaultTTLAttribute, "DefaultMetricNamespace": DefaultMetricNamespace,
	"DefaultDisplayName": DefaultDisplayName, "DefaultDashboardTitle": DefaultDashboardTitle, "DefaultDashboardSummary": DefaultDashboardSummary,
	"DefaultTracing": string(DefaultTracing),
}

// readmeTables is README.md's props tables: construct → rows of [props cell, default cell].
func readmeTables(t *testing.T) map[string][][2]string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string][][2]string{}
	var section string
	inTable := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			section, inTable = strings.TrimPrefix(line, "## "), false
		case line == "| prop | default | what it does |":
			inTable = true
		case inTable && strings.HasPrefix(line, "| `"):
			cells := strings.Split(strings.Trim(line, "| "), " | ")
			tables[section] = append(tables[section], [2]string{cells[0], cells[1]})
		case inTable && !strings.HasPrefix(line, "|"):
			inTable = false
		}
	}
	return tables
}

var backquoted = regexp.MustCompile("`([^`]+)`")

// Each props table of README.md lists every exported field of its props type, and nothing
// else: a prop added, renamed or removed fails here until the table says so.
func TestReadmeListsEveryProp(t *testing.T) {
	tables := readmeTables(t)
	for name, zero := range readmeProps {
		rows, ok := tables[name]
		if !ok {
			t.Errorf("README.md has no props table under ## %s", name)
			continue
		}
		listed := map[string]bool{}
		for _, row := range rows {
			for _, m := range backquoted.FindAllStringSubmatch(row[0], -1) {
				listed[m[1]] = true
			}
		}
		typ := reflect.TypeOf(zero)
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() || f.Anonymous {
				continue
			}
			if !listed[f.Name] {
				t.Errorf("README.md, %s: no row for %s.%s", name, typ.Name(), f.Name)
			}
			delete(listed, f.Name)
		}
		for prop := range listed {
			t.Errorf("README.md, %s: %s is not a field of %s", name, prop, typ.Name())
		}
	}
	for name := range tables {
		if _, ok := readmeProps[name]; !ok {
			t.Errorf("README.md has a props table under ## %s, which the test does not know: add its props type to readmeProps", name)
		}
	}
}

// Every default README.md states as a number cites the Go name that holds it, and the value
// stated is that name's: "256 MB (`DefaultMemorySize`)".
func TestReadmeDefaultsAreTheCode(t *testing.T) {
	cite := regexp.MustCompile("\\((?:[^()`]*, )?`([^`]+)`\\)")
	for name, rows := range readmeTables(t) {
		for _, row := range rows {
			cell := row[1]
			cites := cite.FindAllStringSubmatchIndex(cell, -1)
			if len(cites) == 0 {
				if cell != "" && cell[0] >= '0' && cell[0] <= '9' {
					t.Errorf("README.md, %s %s: the default %q cites no Go name that holds it", name, row[0], cell)
				}
				continue
			}
			for _, c := range cites {
				goName := cell[c[2]:c[3]]
				want, ok := readmeValues[goName]
				if !ok {
					t.Errorf("README.md, %s %s cites %s, which the test does not know: add it to readmeValues", name, row[0], goName)
					continue
				}
				// The value stated is the start of the text before the citation, after any
				// earlier value in the cell ("`/ws`, 300 per 5 minutes (`DefaultSocketLimit`)").
				before := cell[:c[0]]
				if i := strings.LastIndex(before, ", "); i >= 0 {
					before = before[i+2:]
				}
				// A value in backquotes is all of them ("`TicTacToe alerts`"); else its first word.
				stated := strings.Fields(before)
				if m := backquoted.FindStringSubmatch(before); m != nil && strings.HasPrefix(before, "`") {
					stated = []string{m[1]}
				}
				if len(stated) == 0 {
					t.Errorf("README.md, %s %s: no value before %s", name, row[0], goName)
					continue
				}
				if !sameValue(stated[0], want) {
					t.Errorf("README.md, %s %s: says %s, but %s is %v", name, row[0], stated[0], goName, want)
				}
			}
		}
	}
}

// sameValue is whether text, as README.md writes a value (2,000; true; prod), is v.
func sameValue(text string, v any) bool {
	switch v := v.(type) {
	case string:
		return text == v
	case bool:
		return text == strconv.FormatBool(v)
	default:
		n, err := strconv.ParseFloat(strings.ReplaceAll(text, ",", ""), 64)
		return err == nil && fmt.Sprint(n) == fmt.Sprint(reflect.ValueOf(v).Convert(reflect.TypeOf(float64(0))).Float())
	}
}

// The alarms table states the thresholds of alarms.go.
func TestReadmeAlarmThresholdsAreTheCode(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{
		fmt.Sprintf("`ExecutionErrors` (≥ %d in 5 minutes)", APIExecutionErrorsThreshold),
		fmt.Sprintf("`quotas.AccountAlarmPercent` (%d %%)", quotas.AccountAlarmPercent),
		fmt.Sprintf("(≥ %d in 5 minutes); `Throttles` (≥ %d)", FunctionErrorsThreshold, FunctionThrottlesThreshold),
		fmt.Sprintf("5xx (≥ %d in 5 minutes)", HTTP5xxThreshold),
		fmt.Sprintf("an unhealthy instance for %d minutes", UnhealthyHostsMinutes),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("README.md's alarms table does not say %q", want)
		}
	}
}
