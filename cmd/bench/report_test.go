package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/e2e/smoke"
)

// The "On AWS" section carries make smoke's timed moves as this machine's row, with a row for
// readers' numbers; without a smoke run there is no section to mislead.
func TestOnAWSSection(t *testing.T) {
	tests := []struct {
		name  string
		smoke *smoke.Latency
		want  []string
	}{
		{"measured", &smoke.Latency{Moves: 18, MoverP50: 4200 * time.Microsecond, MoverP99: 9 * time.Millisecond, BothP50: 5 * time.Millisecond, BothP99: 11 * time.Millisecond},
			[]string{"## On AWS", "make smoke SITE=", "| `make dev` on this machine", "| 18 | 4.2 ms | 9.0 ms | 5.0 ms | 11.0 ms |", "| your deployment:"}},
		{"not measured", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			r := &report{smoke: tc.smoke}
			r.onAWSSection(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) })
			got := b.String()
			if tc.want == nil && got != "" {
				t.Fatalf("a section without a smoke run:\n%s", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("the section lacks %q:\n%s", w, got)
				}
			}
		})
	}
}
