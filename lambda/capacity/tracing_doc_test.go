package capacity

import (
	"math"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/bench/cost"
)

// tracingDoc is the page that shows what tracing costs at the model's default load.
const tracingDoc = "../../docs/tracing.md"

// activeTraces is what Lambda's Active tracing records per second of a function invoked
// perSecond times: the first request each second and 5 % of the rest.
func activeTraces(perSecond float64) float64 {
	return min(perSecond, 1) + 0.05*max(perSecond-1, 0)
}

// Every number of docs/tracing.md's cost table is the model's at its default size, priced at
// bench/cost/prices.json's X-Ray price; the default rate keeps even the throttle's month under
// the budget, and the page says the rate and the budget it is held to.
func TestTracingDocIsTheModel(t *testing.T) {
	b, err := os.ReadFile(tracingDoc)
	if err != nil {
		t.Fatal(err)
	}
	prices, err := cost.LoadPrices()
	if err != nil {
		t.Fatal(err)
	}
	price := prices.XRay.TracesRecordedPerMillion / 1e6
	d := Default()
	month := 3600.0 * HoursPerMonth
	traces := TracesPerMonth(d.TracedInvocations(), TraceSampleRate)
	peak := TracesPerMonth(d.PeakTracedInvocations(), TraceSampleRate)
	active := activeTraces(d.FramesPerSecond()) + 2*activeTraces(d.ConnectRate()) // game, connect, disconnect
	rows := map[string]struct {
		value  float64
		digits int // decimals the page rounds to
	}{
		"game function invocations":         {d.FramesPerSecond(), 1},
		"disconnect invocations, at most":   {d.ConnectRate(), 0},
		"traced functions' invocations":     {d.TracedInvocations(), 1},
		"invocations in a month":            {d.TracedInvocations() * month, 0},
		"traces in a month":                 {traces, 0},
		"tracing a month":                   {traces * price, 2},
		"invocations at the throttle":       {d.PeakTracedInvocations(), 0},
		"traces in a month at the throttle": {peak, 0},
		"tracing a month at the throttle":   {peak * price, 2},
		"Active tracing instead, a month":   {active * month * price, 2},
	}
	table := docTable(t, tracingDoc, string(b), "test holds this table to:")
	seen := map[string]bool{}
	for _, row := range table[1:] {
		want, ok := rows[row[0]]
		if !ok || len(row) != 3 {
			t.Errorf("row %q: not a quantity this test knows", row)
			continue
		}
		seen[row[0]] = true
		scale := math.Pow(10, float64(want.digits))
		if got, w := parseNumber(t, row[2]), math.Round(want.value*scale)/scale; got != w {
			t.Errorf("%s: the page says %v (%q), the model %v", row[0], got, row[2], w)
		}
	}
	for name := range rows {
		if !seen[name] {
			t.Errorf("%s has no row %q", tracingDoc, name)
		}
	}
	if peak*price >= TraceBudgetDollars {
		t.Errorf("at the default rate, %v, a month at the throttle costs $%.2f: over the $%d budget", TraceSampleRate, peak*price, TraceBudgetDollars)
	}
	doc := strings.Join(strings.Fields(string(b)), " ")
	for _, tt := range []struct {
		pattern string
		want    float64
	}{
		{`The sample is 1 in ([\d,]+) by default`, 1 / TraceSampleRate},
		{`× .traceRate. ([\d.]+)`, TraceSampleRate},
		{`under \$([\d.]+) a month \(\[the arithmetic\]`, TraceBudgetDollars},
		{`stays under the \$([\d.]+) budget`, TraceBudgetDollars},
		{`X-Ray bills \$([\d.]+) per million traces recorded`, prices.XRay.TracesRecordedPerMillion},
		{`at the default load it is ([\d,]+) traces an hour`, d.TracedInvocations() * 3600 * TraceSampleRate},
		{`about ([\d.]+) million traces a month, \$\d+ \(below\)`, math.Round(active*month/1e5) / 10},
		{`about [\d.]+ million traces a month, \$(\d+) \(below\)`, math.Floor(active * month * price)},
	} {
		m := regexp.MustCompile(tt.pattern).FindStringSubmatch(doc)
		if m == nil {
			t.Errorf("%s does not say %s any more: change the page and this test together", tracingDoc, tt.pattern)
			continue
		}
		if got := parseNumber(t, m[1]); got != tt.want {
			t.Errorf("%s says %q: %v, the model %v", tracingDoc, m[0], got, tt.want)
		}
	}
}
