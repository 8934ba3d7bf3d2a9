package stacks

import (
	"fmt"
	"maps"
	"slices"
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
// times, and each read is where CloudFormation documents it (misplacedStackOutputs).
func TestStackOutputReadsPerTemplate(t *testing.T) {
	for combination, tpls := range templatesOf(t) {
		for _, stack := range slices.Sorted(maps.Keys(tpls)) {
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
				for _, out := range slices.Sorted(maps.Keys(reads)) {
					by = append(by, fmt.Sprintf("%d × %s", reads[out], out))
				}
				t.Errorf("%s %s: %d Fn::GetStackOutput, at most %d: CloudFormation resolves each one on its own and throttles. They read:\n  %s",
					combination, stack, total, MaxStackOutputReads, strings.Join(by, "\n  "))
			}
			if found := misplacedStackOutputs(doc); len(found) > 0 {
				t.Errorf("%s %s: Fn::GetStackOutput where CloudFormation does not document it (a resource property, or inside Fn::Join, Fn::If or Fn::Select, only) at %d places:\n  %s",
					combination, stack, len(found), strings.Join(found, "\n  "))
			}
		}
	}
}

// readPlaces are the functions CloudFormation documents an Fn::GetStackOutput inside; besides
// those it may only be a resource's property. Elsewhere (Fn::Sub's variables, Fn::Base64,
// Fn::Split, an output's value, a condition) it is refused with InternalFailure or not known
// to work.
var readPlaces = map[string]bool{"Fn::Join": true, "Fn::If": true, "Fn::Select": true}

// misplacedStackOutputs lists the paths of the template's Fn::GetStackOutput that are outside
// a resource's properties or inside a function that is not among readPlaces.
func misplacedStackOutputs(v any) []string {
	var found []string
	var walk func(v any, path string, misplaced bool)
	walk = func(v any, path string, misplaced bool) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				if k == "Fn::GetStackOutput" && misplaced {
					found = append(found, path+"/"+k)
				}
				inner := misplaced || (strings.HasPrefix(k, "Fn::") && !readPlaces[k])
				if path == "" {
					inner = k != "Resources"
				}
				walk(v[k], path+"/"+k, inner)
			}
		case []any:
			for i, x := range v {
				walk(x, fmt.Sprintf("%s/%d", path, i), misplaced)
			}
		}
	}
	walk(v, "", false)
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
}

// The placement check passes a read where CloudFormation documents it and finds one anywhere
// else, however deep.
func TestMisplacedStackOutputs(t *testing.T) {
	read := map[string]any{"Fn::GetStackOutput": map[string]any{"StackName": "S", "OutputName": "O"}}
	join := func(parts ...any) any { return map[string]any{"Fn::Join": []any{"", parts}} }
	fn := func(name string, arg any) any { return map[string]any{name: arg} }
	for _, c := range []struct {
		name  string
		value any
		want  []string
	}{
		{"a property", read, nil},
		{"in a list", []any{"a", read}, nil},
		{"in Fn::Join", join("x", read), nil},
		{"in Fn::Select in Fn::If", fn("Fn::If", []any{"C", fn("Fn::Select", []any{0, []any{read}}), "y"}), nil},
		{"in Fn::Split", fn("Fn::Select", []any{1, fn("Fn::Split", []any{"/", join(read)})}), []string{"/Resources/A/Properties/P/Fn::Select/1/Fn::Split/1/Fn::Join/1/0/Fn::GetStackOutput"}},
		{"a variable of Fn::Sub", fn("Fn::Sub", []any{"${a}", map[string]any{"a": read}}), []string{"/Resources/A/Properties/P/Fn::Sub/1/a/Fn::GetStackOutput"}},
		{"in Fn::Join in Fn::Sub", fn("Fn::Sub", []any{"${a}", map[string]any{"a": join(read)}}), []string{"/Resources/A/Properties/P/Fn::Sub/1/a/Fn::Join/1/0/Fn::GetStackOutput"}},
		{"in Fn::Base64", fn("Fn::Base64", join("#!/bin/bash\n", read)), []string{"/Resources/A/Properties/P/Fn::Base64/Fn::Join/1/1/Fn::GetStackOutput"}},
	} {
		doc := map[string]any{"Resources": map[string]any{"A": map[string]any{"Properties": map[string]any{"P": c.value}}}}
		if got := misplacedStackOutputs(doc); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: found %v, want %v", c.name, got, c.want)
		}
	}
	outputs := map[string]any{"Outputs": map[string]any{"X": map[string]any{"Value": read}}}
	if got := misplacedStackOutputs(outputs); len(got) != 1 {
		t.Errorf("an output's value: found %v, want it", got)
	}
}
