package sysload

import (
	"math"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// TestBetweenSplitsTheMachineFromTheBench: from two /proc snapshots, the report can say how
// busy the machine was and how much of that was the bench's own process tree (a child that
// exited between the samples included, an unrelated build not).
func TestBetweenSplitsTheMachineFromTheBench(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		start, end Sample
		want       Usage
		says       string
	}{
		{
			name:  "fixtures",
			start: take(os.DirFS("testdata/start"), 100, t0),
			end:   take(os.DirFS("testdata/end"), 100, t0.Add(5*time.Second)),
			// 1000 ticks passed, 200 of them idle or waiting on I/O; the bench's tree used
			// 410 (200 itself, 200 the child, 10 the grandchild before it exited).
			want: Usage{Measured: true, Cores: 2, Wall: 5 * time.Second, Busy: 0.8, Own: 0.41, Load1Start: 1.5, Load1End: 2.75},
			says: "machine 80% busy of 2 cores (this bench 41%, other work 39%), 1-minute load average 1.50 → 2.75",
		},
		{
			name:  "no /proc",
			start: take(fstest.MapFS{}, 100, t0),
			end:   take(fstest.MapFS{}, 100, t0.Add(time.Second)),
			want:  Usage{NotMeasured: "reading /proc/stat: open stat: file does not exist"},
			says:  "machine load not measured: reading /proc/stat",
		},
		{
			name:  "no time passed",
			start: take(os.DirFS("testdata/start"), 100, t0),
			end:   take(os.DirFS("testdata/start"), 100, t0),
			want:  Usage{NotMeasured: "no CPU time passed between the samples"},
			says:  "machine load not measured: no CPU time passed",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Between(c.start, c.end)
			near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
			if got.Measured != c.want.Measured || got.NotMeasured != c.want.NotMeasured || got.Cores != c.want.Cores || got.Wall != c.want.Wall ||
				!near(got.Busy, c.want.Busy) || !near(got.Own, c.want.Own) || got.Load1Start != c.want.Load1Start || got.Load1End != c.want.Load1End {
				t.Errorf("Between = %+v, want %+v", got, c.want)
			}
			if s := got.String(); !strings.HasPrefix(s, c.says) {
				t.Errorf("String() = %q, want it to start %q", s, c.says)
			}
		})
	}
}

func TestParseProcStat(t *testing.T) {
	cases := []struct {
		name, line string
		want       procStat
		wantErr    bool
	}{
		{"plain", "7 (go) R 1 7 7 0 -1 0 0 0 0 0 11 22 3 4 20 0 1 0", procStat{ppid: 1, ticks: 40}, false},
		{"a name with spaces and parentheses", "8 (a) b (c) S 7 8 8 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0", procStat{ppid: 7, ticks: 3}, false},
		{"truncated", "9 (x) S 1 9 9 0", procStat{}, true},
		{"no name", "9 x S 1", procStat{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(c.line))
			if (err != nil) != c.wantErr || got != c.want {
				t.Errorf("parseProcStat = %+v, %v; want %+v, error %v", got, err, c.want, c.wantErr)
			}
		})
	}
}

// TestTakeOnThisMachine: on Linux the real /proc reads, and this process counts itself.
func TestTakeOnThisMachine(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc here")
	}
	a := Take()
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
	}
	u := Between(a, Take())
	if !u.Measured || u.Cores < 1 || u.Busy <= 0 || u.Own <= 0 || u.Own > 1 {
		t.Fatalf("Between = %+v", u)
	}
}
