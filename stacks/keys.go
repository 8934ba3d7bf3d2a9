package stacks

import (
	"fmt"
	"slices"
	"strings"
)

// unknownKeys refuses every context key that is not a setting, naming the nearest one: a
// misspelled setting (-c ssmEndpoint=true) would otherwise synthesize as if it were unset. The
// CDK's own keys pass: feature flags (@aws-cdk/...) and the CLI's and context providers' keys,
// which all hold a colon (aws:cdk:version-reporting, availability-zones:account=...), as no
// setting does.
func unknownKeys(ctx map[string]any) []error {
	var errs []error
	for k := range ctx {
		if strings.HasPrefix(k, "@") || strings.Contains(k, ":") || slices.Contains(knownKeys, k) || k == removedConnectionsPerSource {
			continue
		}
		errs = append(errs, fmt.Errorf("context %s: unknown key: did you mean %s? (docs/deploy.md lists the settings)", k, nearestKey(k)))
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errs
}

// nearestKey is the setting whose name is fewest edits from k, ignoring case; the first in
// knownKeys' order on a tie.
func nearestKey(k string) string {
	best, bestD := "", -1
	for _, known := range knownKeys {
		if d := editDistance(strings.ToLower(k), strings.ToLower(known)); bestD < 0 || d < bestD {
			best, bestD = known, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes (keys are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
