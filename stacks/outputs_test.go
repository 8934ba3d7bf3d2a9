package stacks

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// MaxStackOutputReads is the most Fn::GetStackOutput a template may hold. CloudFormation
// resolves each occurrence on its own, not each distinct output (aws-cdk#38010: 75 of them,
// for 9 outputs, exhausted the account's DescribeStacks rate and failed the deploy with
// Throttling), so what counts is every place a template reads another stack's output.
const MaxStackOutputReads = 30

// templatesOf is every template of every settings combination the tests synthesize, by
// combination and stack name: the four of every, two Regions (with and without a
// domain) and the pipeline's two stages.
func templatesOf(t *testing.T) map[string]map[string]assertions.Template {
	t.Helper()
	all := map[string]map[string]assertions.Template{}
	for name, s := range every(t) {
		all[name] = s.templates
	}
	all["two Regions"] = twoRegions(t).templates
	all["two Regions with a domain"] = twoRegionsWithDomain(t).templates
	ps, _ := pipelineSynth(t)
	for name, d := range map[string]*Deployment{"pipeline Dev": ps.Dev, "pipeline Prod": ps.Prod} {
		tpls := map[string]assertions.Template{}
		for _, st := range d.Stacks() {
			tpls[*st.StackName()] = assertions.Template_FromStack(st, nil)
		}
		all[name] = tpls
	}
	return all
}

// stackOutputReads counts the Fn::GetStackOutput in a template (as plain JSON values), by
// the stack and output each reads.
func stackOutputReads(v any) map[string]int {
	reads := map[string]int{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "Fn::GetStackOutput" {
					ref, _ := x.(map[string]any)
					reads[fmt.Sprintf("%v.%v", ref["StackName"], ref["OutputName"])]++
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return reads
}

// No template of any combination reads other stacks' outputs more than MaxStackOutputReads
// times, and none reads one inside Fn::Split.
func TestStackOutputReadsPerTemplate(t *testing.T) {
	for combination, tpls := range templatesOf(t) {
		for _, stack := range sortedKeys(tpls) {
			var doc any
			cdktest.RoundTrip(t, tpls[stack].ToJSON(), &doc)
			reads := stackOutputReads(doc)
			total := 0
			for _, n := range reads {
				total += n
			}
			if total > 0 {
				t.Logf("%s %s: %d Fn::GetStackOutput (%d outputs)", combination, stack, total, len(reads))
			}
			if total > MaxStackOutputReads {
				var by []string
				for _, out := range sortedKeys(reads) {
					by = append(by, fmt.Sprintf("%d × %s", reads[out], out))
				}
				t.Errorf("%s %s: %d Fn::GetStackOutput, at most %d: CloudFormation resolves each one on its own and throttles. They read:\n  %s",
					combination, stack, total, MaxStackOutputReads, strings.Join(by, "\n  "))
			}
			if found := stackOutputsInSplit(doc, ""); len(found) > 0 {
				t.Errorf("%s %s: Fn::GetStackOutput inside Fn::Split at %d places, first %s", combination, stack, len(found), found[0])
			}
			if found := stackOutputsAsSubVariables(doc); len(found) > 0 {
				t.Errorf("%s %s: Fn::GetStackOutput is a variable of Fn::Sub (not a function Fn::Sub takes there; wrap it in Fn::Join): %s", combination, stack, strings.Join(found, ", "))
			}
		}
	}
}

// stackOutputsAsSubVariables lists the variables of the template's Fn::Sub that are an
// Fn::GetStackOutput itself: CloudFormation documents Fn::Join, not Fn::GetStackOutput, among
// the functions a variable may be (cfn-lint refuses it, E1019).
func stackOutputsAsSubVariables(v any) []string {
	var found []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if sub, ok := x.([]any); ok && k == "Fn::Sub" && len(sub) == 2 {
					vars, _ := sub[1].(map[string]any)
					for name, value := range vars {
						if ref, ok := value.(map[string]any); ok && ref["Fn::GetStackOutput"] != nil {
							found = append(found, name)
						}
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	sort.Strings(found)
	return found
}

// The count finds every read, however deep, each place it occurs.
func TestStackOutputReadsCountsEachPlace(t *testing.T) {
	read := func(out string) any {
		return map[string]any{"Fn::GetStackOutput": map[string]any{"StackName": "S", "OutputName": out}}
	}
	doc := map[string]any{"Resources": map[string]any{
		"A": map[string]any{"Properties": map[string]any{"X": map[string]any{"Fn::Join": []any{"", []any{read("One"), "-", read("One")}}}}},
		"B": map[string]any{"Properties": map[string]any{"Y": []any{read("Two"), read("One")}}},
	}}
	if got := stackOutputReads(doc); got["S.One"] != 3 || got["S.Two"] != 1 || len(got) != 2 {
		t.Errorf("reads %v, want S.One 3 times and S.Two once", got)
	}
	sub := map[string]any{"Fn::Sub": []any{"${a}${b}", map[string]any{"a": read("One"), "b": map[string]any{"Fn::Join": []any{"", []any{read("Two")}}}}}}
	if got := stackOutputsAsSubVariables(map[string]any{"X": sub}); len(got) != 1 || got[0] != "a" {
		t.Errorf("bare reads among Fn::Sub's variables %v, want a only", got)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
