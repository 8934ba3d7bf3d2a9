package sysload

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// cpuTimes are /proc/stat's machine-wide ticks: all of them, and the idle ones (idle and
// I/O wait: a core waiting on the disk could have run something else).
type cpuTimes struct {
	total, idle uint64
	cores       int
}

// readCPU reads /proc/stat's "cpu" line (user nice system idle iowait irq softirq steal, then
// guest and guest_nice, which user and nice already count) and counts the "cpuN" lines.
func readCPU(proc fs.FS) (cpuTimes, error) {
	b, err := fs.ReadFile(proc, "stat")
	if err != nil {
		return cpuTimes{}, fmt.Errorf("reading /proc/stat: %w", err)
	}
	var t cpuTimes
	found := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0 || !strings.HasPrefix(f[0], "cpu"):
		case f[0] != "cpu":
			t.cores++
		case len(f) < 5:
			return cpuTimes{}, fmt.Errorf("/proc/stat: a cpu line of %d fields", len(f))
		default:
			found = true
			for i, v := range f[1:min(len(f), 9)] {
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					return cpuTimes{}, fmt.Errorf("/proc/stat cpu field %d: %w", i+1, err)
				}
				t.total += n
				if i == 3 || i == 4 { // idle, iowait
					t.idle += n
				}
			}
		}
	}
	if !found {
		return cpuTimes{}, fmt.Errorf("/proc/stat has no cpu line")
	}
	return t, nil
}

// readLoad1 is /proc/loadavg's first field.
func readLoad1(proc fs.FS) (float64, error) {
	b, err := fs.ReadFile(proc, "loadavg")
	if err != nil {
		return 0, fmt.Errorf("reading /proc/loadavg: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("/proc/loadavg is empty")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/loadavg: %w", err)
	}
	return v, nil
}

// procStat is what treeTicks needs of /proc/<pid>/stat.
type procStat struct {
	ppid  int
	ticks uint64 // utime + stime + cutime + cstime
}

// parseProcStat reads "pid (comm) state ppid … utime stime cutime cstime …". comm may hold
// spaces and parentheses, so the fields are counted from the last ')'. The reaped children's
// time (cutime, cstime) is counted so that a child exiting between two samples does not take
// its time with it.
func parseProcStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime…cstime fields 14-17.
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("%d fields after the command name", len(f))
	}
	var s procStat
	var err error
	if s.ppid, err = strconv.Atoi(f[1]); err != nil {
		return procStat{}, fmt.Errorf("ppid: %w", err)
	}
	for _, v := range f[11:15] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("cpu times: %w", err)
		}
		s.ticks += uint64(max(n, 0))
	}
	return s, nil
}

// treeTicks sums the CPU ticks of self and every process descended from it. A process that
// ends while /proc is listed is skipped.
func treeTicks(proc fs.FS, self int) (uint64, error) {
	entries, err := fs.ReadDir(proc, ".")
	if err != nil {
		return 0, fmt.Errorf("listing /proc: %w", err)
	}
	stats := map[int]procStat{}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := fs.ReadFile(proc, e.Name()+"/stat")
		if err != nil {
			continue
		}
		s, err := parseProcStat(b)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		stats[pid] = s
		children[s.ppid] = append(children[s.ppid], pid)
	}
	if _, ok := stats[self]; !ok {
		return 0, fmt.Errorf("/proc/%d/stat: not found", self)
	}
	var sum uint64
	for todo := []int{self}; len(todo) > 0; {
		pid := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		sum += stats[pid].ticks
		todo = append(todo, children[pid]...)
	}
	return sum, nil
}
