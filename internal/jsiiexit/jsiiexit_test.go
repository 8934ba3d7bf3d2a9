package jsiiexit

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestFilterDropsOnlyTheRaceMessage(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"alone", RaceMessage, ""},
		{"glued to the next line", "Successfully synthesized\n" + RaceMessage + "Supply a stack id\n", "Successfully synthesized\nSupply a stack id\n"},
		{"twice", RaceMessage + "x" + RaceMessage, "x"},
		{"other exits kept", "Runtime process exited abnormally: exit status 1", "Runtime process exited abnormally: exit status 1"},
		{"a prefix at the end kept", "warning: Runtime process", "warning: Runtime process"},
		{"nothing", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte per read: the message arrives split at every point.
			for name, r := range map[string]io.Reader{"whole": strings.NewReader(tt.in), "byte by byte": iotest.OneByteReader(strings.NewReader(tt.in))} {
				var out bytes.Buffer
				if err := Filter(&out, r); err != nil {
					t.Fatal(err)
				}
				if out.String() != tt.want {
					t.Errorf("%s: %q, want %q", name, out.String(), tt.want)
				}
			}
		})
	}
}
