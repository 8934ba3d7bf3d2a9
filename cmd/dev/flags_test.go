package main

import (
	"flag"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/internal/doctable"
	"github.com/serverless-tictactoe/tictactoe/localgw/devstack"
)

// docFlags is docs/local.md's table of cmd/dev's flags: each flag named in a row's first cell →
// the default that row states for it ("`10m`, `2h`" gives each of two flags its own).
func docFlags(t *testing.T) map[string]string {
	t.Helper()
	name := regexp.MustCompile("`-([a-z-]+)")
	out := map[string]string{}
	for _, cells := range doctable.Rows(t, "../../docs/local.md", "| flag | default | |") {
		names := name.FindAllStringSubmatch(cells[0], -1)
		defaults := strings.Split(cells[1], ", ")
		for k, n := range names {
			d := cells[1]
			if len(defaults) == len(names) {
				d = defaults[k]
			}
			out[n[1]] = strings.Trim(d, "`")
		}
	}
	return out
}

// docs/local.md lists every flag of cmd/dev with the default it has: a value where the flag
// has one, words ("in memory", "free port") where its zero value means the stack picks.
func TestLocalDocStatesEveryFlagsDefault(t *testing.T) {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	defineFlags(fs, &devstack.Options{})
	doc := docFlags(t)
	fs.VisitAll(func(f *flag.Flag) {
		stated, ok := doc[f.Name]
		if !ok {
			t.Errorf("docs/local.md has no row for -%s", f.Name)
			return
		}
		delete(doc, f.Name)
		switch {
		case f.DefValue == "" || f.DefValue == "0":
			if regexp.MustCompile(`^[0-9]`).MatchString(stated) {
				t.Errorf("docs/local.md: -%s defaults to %q, but the flag's zero value lets the stack choose", f.Name, stated)
			}
		case strings.ContainsAny(f.DefValue, "hms") && strings.HasSuffix(f.DefValue, "s"):
			d, err := time.ParseDuration(stated)
			if err != nil || d.String() != f.DefValue {
				t.Errorf("docs/local.md: -%s defaults to %q, the flag to %s", f.Name, stated, f.DefValue)
			}
		case stated != f.DefValue:
			t.Errorf("docs/local.md: -%s defaults to %q, the flag to %s", f.Name, stated, f.DefValue)
		}
	})
	for name := range doc {
		t.Errorf("docs/local.md lists -%s, which cmd/dev does not have", name)
	}
}
