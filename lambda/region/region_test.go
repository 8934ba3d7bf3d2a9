package region

import (
	"fmt"
	"testing"
)

func TestQualifyAndSplit(t *testing.T) {
	for _, tc := range []struct{ r, id string }{
		{"us-west-2", "GXLKAe7jFiACGgQ="},
		{"local-2", "c42"},
		{"", "GXLKAe7jFiACGgQ="}, // one Region: the id as API Gateway gave it
	} {
		q := Qualify(tc.r, tc.id)
		if r, raw := Split(q); r != tc.r || raw != tc.id {
			t.Errorf("Split(Qualify(%q, %q)) = %q, %q", tc.r, tc.id, r, raw)
		}
	}
	if r, raw := Split("a~b"); r != "" || raw != "a~b" { // not a Region before the mark
		t.Errorf("Split(a~b) = %q, %q", r, raw)
	}
}

// HomeOf spreads codes over the Regions and gives every function the same answer.
func TestHomeOf(t *testing.T) {
	regions := []string{"us-east-1", "us-west-2"}
	count := map[string]int{}
	for i := range 1000 {
		code := fmt.Sprintf("K%05d", i)
		h := HomeOf(code, regions)
		if h != HomeOf(code, regions) || h != HomeOf(fmt.Sprintf("k%05d", i), regions) {
			t.Fatalf("HomeOf(%s) is not stable", code)
		}
		count[h]++
	}
	if count["us-east-1"] < 400 || count["us-west-2"] < 400 {
		t.Errorf("codes spread %v", count)
	}
	if HomeOf("K7M2QX", nil) != "" {
		t.Error("one Region: no home")
	}
}
