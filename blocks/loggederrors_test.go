package blocks

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// cloudWatchJSONEquals is the one form of CloudWatch Logs' JSON filter pattern that the logged
// errors' filter uses: { $.key = "value" }, a property (dots for nested ones) compared with a
// string, exactly. CloudWatch matches it against a log event that is a JSON object; an event
// that is not JSON, or lacks the property, or holds another value there, does not match
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html,
// "Matching terms in JSON log events").
var cloudWatchJSONEquals = regexp.MustCompile(`^\{ \$\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*) = "([^"\\*]*)" \}$`)

// cloudWatchMatches is whether pattern matches the log event line, for the form above; any
// other pattern fails the test, which must learn it first.
func cloudWatchMatches(t *testing.T, pattern, line string) bool {
	t.Helper()
	m := cloudWatchJSONEquals.FindStringSubmatch(pattern)
	if m == nil {
		t.Fatalf("filter pattern %q is not of the form { $.key = \"value\" } this test's matcher knows", pattern)
	}
	var v any
	if json.Unmarshal([]byte(line), &v) != nil {
		return false
	}
	for _, key := range strings.Split(m[1], ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = obj[key]; !ok {
			return false
		}
	}
	s, ok := v.(string)
	return ok && s == m[2]
}

// slogLine is one line of Go's log/slog JSON handler, as a function writes it to standard
// output (Lambda passes a JSON line on as the log event), with attrs added to the logger.
func slogLine(t *testing.T, level slog.Level, msg string, attrs ...any) string {
	t.Helper()
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})).With(attrs...).Log(context.Background(), level, msg, "error", "conditional check failed")
	return strings.TrimSuffix(b.String(), "\n")
}

// loggedErrorsFilter is the pattern and metric of stack's one logged-errors filter.
func loggedErrorsFilter(t *testing.T, stack awscdk.Stack) (pattern string, metric map[string]any) {
	t.Helper()
	p := cdktest.Props(cdktest.Only(t, assertions.Template_FromStack(stack, nil), "AWS::Logs::MetricFilter"))
	transforms, _ := p["MetricTransformations"].([]any)
	if len(transforms) != 1 {
		t.Fatalf("metric transformations %v, want one", p["MetricTransformations"])
	}
	pattern, _ = p["FilterPattern"].(string)
	return pattern, transforms[0].(map[string]any)
}

// The default rule counts a function's ERROR lines whoever wrote them: plain log/slog lines,
// which carry no "function" field, as well as this project's logger's (lambda/app/base adds
// one). The test reads the synthesized pattern, so it fails if the pattern stops matching them.
func TestLoggedErrorsCountPlainSlogLines(t *testing.T) {
	stack := newStack(t)
	NewGoFunction(stack, jsii.String("Fn"), &GoFunctionProps{Command: jsii.String("connect")})
	pattern, metric := loggedErrorsFilter(t, stack)
	for _, tt := range []struct {
		name, line string
		counts     bool
	}{
		{"plain slog error", slogLine(t, slog.LevelError, "table write failed"), true},
		{"this project's logger's error", slogLine(t, slog.LevelError, "route failed", "function", "tictactoe-game"), true},
		{"a handler's own fields", slogLine(t, slog.LevelError, "publish failed", "request", map[string]any{"id": "r-1"}), true},
		{"warning", slogLine(t, slog.LevelWarn, "slow table"), false},
		{"info naming ERROR", slogLine(t, slog.LevelInfo, "ERROR", "level2", "ERROR"), false},
		{"debug", slogLine(t, slog.LevelDebug, "frame"), false},
		// slog prints a level above ERROR as ERROR+n: ErrorLevel's doc says so.
		{"above ERROR", slogLine(t, slog.LevelError+4, "fatal"), false},
		{"plain text", "ERROR table write failed", false},
		{"a panic's first line", "panic: runtime error: invalid memory address or nil pointer dereference", false},
	} {
		if got := cloudWatchMatches(t, pattern, tt.line); got != tt.counts {
			t.Errorf("%s: %s counted: %v, want %v (pattern %s)", tt.name, tt.line, got, tt.counts, pattern)
		}
	}
	// A dimension read from the line would leave a line without that field out of the
	// function's metric (countLoggedErrors says why): every matching line counts in full.
	if _, ok := metric["Dimensions"]; ok {
		t.Errorf("the metric takes dimensions from the log line: %v", metric["Dimensions"])
	}
	if metric["MetricValue"] != "1" {
		t.Errorf("metric value %v, want 1 per line", metric["MetricValue"])
	}
}

// Another logger's levels: the rule names its field and its error value.
func TestLoggedErrorsRuleNamesTheFieldAndLevel(t *testing.T) {
	stack := newStack(t)
	NewGoFunction(stack, jsii.String("Fn"), &GoFunctionProps{
		Command:      jsii.String("connect"),
		LoggedErrors: &LoggedErrorRule{LevelField: jsii.String("log.level"), ErrorLevel: jsii.String("error")},
	})
	pattern, _ := loggedErrorsFilter(t, stack)
	for line, counts := range map[string]bool{
		`{"log":{"level":"error"},"message":"boom"}`: true,
		`{"log":{"level":"info"},"message":"ok"}`:    false,
		`{"level":"error","message":"boom"}`:         false,
		`{"log":{"level":"ERROR"},"message":"boom"}`: false,
	} {
		if got := cloudWatchMatches(t, pattern, line); got != counts {
			t.Errorf("%s counted: %v, want %v (pattern %s)", line, got, counts, pattern)
		}
	}
}

// What the filter writes is what MetricLoggedErrors reads, and so what the errors alarm reads:
// the same namespace and name, and no dimension on either.
func TestMetricLoggedErrorsIsTheFiltersMetric(t *testing.T) {
	stack := newStack(t)
	fn := NewGoFunction(stack, jsii.String("Fn"), &GoFunctionProps{Command: jsii.String("connect")})
	fn.MetricLoggedErrors(nil).CreateAlarm(stack, jsii.String("Alarm"), &awscloudwatch.CreateAlarmOptions{
		Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(1),
	})
	_, metric := loggedErrorsFilter(t, stack)
	alarm := cdktest.Props(cdktest.Only(t, assertions.Template_FromStack(stack, nil), "AWS::CloudWatch::Alarm"))
	if cdktest.JSONOf(t, alarm["Namespace"]) != cdktest.JSONOf(t, metric["MetricNamespace"]) ||
		cdktest.JSONOf(t, alarm["MetricName"]) != cdktest.JSONOf(t, metric["MetricName"]) {
		t.Errorf("the alarm reads %s %s, the filter writes %s %s", cdktest.JSONOf(t, alarm["Namespace"]), cdktest.JSONOf(t, alarm["MetricName"]),
			cdktest.JSONOf(t, metric["MetricNamespace"]), cdktest.JSONOf(t, metric["MetricName"]))
	}
	if _, ok := alarm["Dimensions"]; ok {
		t.Errorf("the alarm's metric has dimensions %v, the filter's none", alarm["Dimensions"])
	}
	// The metric is the function's own: its name ends in the function's.
	if name := cdktest.JSONOf(t, metric["MetricName"]); !strings.Contains(name, `"LoggedErrors-",{"Ref":"Fn`) {
		t.Errorf("metric name %s, want LoggedErrors- and the function's name", name)
	}
}
