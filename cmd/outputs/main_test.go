package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOutputsPrintsEveryStack(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cdk-outputs.json")
	if err := os.WriteFile(file, []byte(`{
  "TicTacToe-Prod-Frontend": {"SiteUrl": "https://play.example.com", "TeardownWebInternalLoadBalancerE8F37BEE": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1",
    "PublishOutputFnGetAttWebLoadBalancerFullName": "app/x/1"},
  "TicTacToe-Prod-Data": {"TableName": "games", "TeardownGames20B3A5C1": "games"}
}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(&out, file); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"TicTacToe-Prod-Data\n  TableName                games\n",
		"TicTacToe-Prod-Frontend\n  SiteUrl                  https://play.example.com\n  (1 more that other stacks read)\n",
		"Left for a teardown by hand",
		"WebInternalLoadBalancerE8F37BEE",
		"arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "Left for a teardown") < strings.Index(got, "TicTacToe-Prod-Frontend") {
		t.Errorf("the teardown list must come last:\n%s", got)
	}
}

func TestOutputsExplainsABadFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	empty := filepath.Join(dir, "empty.json")
	for file, body := range map[string]string{bad: `["not", "outputs"]`, empty: `{}`} {
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for file, want := range map[string]string{
		filepath.Join(dir, "none.json"): "make deploy",
		bad:                             "not the CDK CLI's outputs file",
		empty:                           "has no stack",
	} {
		if err := run(&bytes.Buffer{}, file); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", filepath.Base(file), err, want)
		}
	}
}
