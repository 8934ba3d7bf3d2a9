// Package sysload says how busy the machine was while a benchmark ran, so a report can tell a
// slow stack from a busy machine: the whole machine's CPU (/proc/stat), the 1-minute load
// average at either end (/proc/loadavg), and the CPU this process and its descendants used
// (/proc/<pid>/stat; the local stack's dynalite is a child process). What the machine was busy
// with beyond that is someone else's work. Linux only: elsewhere a Usage says it was not
// measured.
package sysload

import (
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Sample is the machine's and this process tree's CPU counters at one instant.
type Sample struct {
	at    time.Time
	cpu   cpuTimes
	load1 float64
	own   uint64 // ticks of this process and its descendants, the reaped ones included
	err   error
}

// Take samples the machine now.
func Take() Sample { return take(os.DirFS("/proc"), os.Getpid(), time.Now()) }

func take(proc fs.FS, self int, now time.Time) Sample {
	s := Sample{at: now}
	var err error
	if s.cpu, err = readCPU(proc); err != nil {
		s.err = err
		return s
	}
	if s.load1, err = readLoad1(proc); err != nil {
		s.err = err
		return s
	}
	if s.own, err = treeTicks(proc, self); err != nil {
		s.err = err
	}
	return s
}

// Usage is what the machine did between two samples. Busy and Own are fractions of all the
// cores' time (0.5 on 2 cores: one core's worth).
type Usage struct {
	// Measured is false where /proc could not be read; NotMeasured then says why.
	Measured    bool
	NotMeasured string
	Cores       int
	Wall        time.Duration
	// Busy is the whole machine's CPU, everything but idle and I/O wait.
	Busy float64
	// Own is this process's and its descendants': the load clients, the gateway, the
	// handlers and dynalite.
	Own                  float64
	Load1Start, Load1End float64
}

// Between is the usage from a to b.
func Between(a, b Sample) Usage {
	if err := firstErr(a.err, b.err); err != nil {
		return Usage{NotMeasured: err.Error()}
	}
	total := b.cpu.total - a.cpu.total
	if total == 0 || b.cpu.total < a.cpu.total {
		return Usage{NotMeasured: "no CPU time passed between the samples"}
	}
	busy := total - (b.cpu.idle - a.cpu.idle)
	return Usage{
		Measured:   true,
		Cores:      b.cpu.cores,
		Wall:       b.at.Sub(a.at),
		Busy:       float64(busy) / float64(total),
		Own:        min(float64(b.own-a.own)/float64(total), 1),
		Load1Start: a.load1,
		Load1End:   b.load1,
	}
}

// Others is the share of the machine that went to work other than this process tree's.
func (u Usage) Others() float64 { return max(u.Busy-u.Own, 0) }

// String reads as a sentence fragment: "machine 93% busy of 2 cores (this bench 61%, other
// work 32%), load average 2.10 → 3.40".
func (u Usage) String() string {
	if !u.Measured {
		return "machine load not measured: " + u.NotMeasured
	}
	return fmt.Sprintf("machine %.0f%% busy of %d cores (this bench %.0f%%, other work %.0f%%), 1-minute load average %.2f → %.2f",
		100*u.Busy, u.Cores, 100*u.Own, 100*u.Others(), u.Load1Start, u.Load1End)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
