package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Where a soak's CPU goes: each process of the deployment read from
// /proc/{pid}/stat at the load's start and end, with what the machine's
// cores did in all (/proc/stat), so that a run's cost is known per part of
// the deployment and beside what else the machine was doing.

// clockTicks is the unit of /proc's CPU times (USER_HZ, 100 on Linux).
const clockTicks = 100

// cpuPart is a part of a soak's deployment: its processes, each with what
// it reaped of its children (a PostgreSQL backend that ends is counted in
// its postmaster).
type cpuPart struct {
	name  string
	roots []int // the part's main processes; their children count too
	alone bool  // the processes alone, not their children (the test's own process)
}

// cpuSnapshot is, per part, its CPU time so far, and the machine's busy and
// idle time.
type cpuSnapshot struct {
	at         time.Time
	parts      map[string]time.Duration
	busy, idle time.Duration
}

// procCPU reads a process's stat: its own user and system time, what it
// reaped of its children's, and its parent.
func procCPU(pid int) (own, reaped time.Duration, ppid int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0, false
	}
	// The command may hold spaces and parentheses: the fields follow the
	// last ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return 0, 0, 0, false
	}
	tick := func(i int) time.Duration {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		return time.Duration(n) * time.Second / clockTicks
	}
	ppid, _ = strconv.Atoi(f[1])
	// f[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
	return tick(11) + tick(12), tick(13) + tick(14), ppid, true
}

// children maps each process to its children, as /proc shows them now.
func children() map[int][]int {
	out := map[int][]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if _, _, ppid, ok := procCPU(pid); ok {
			out[ppid] = append(out[ppid], pid)
		}
	}
	return out
}

// snapshot reads the parts' CPU times and the machine's.
func snapshot(parts []cpuPart) cpuSnapshot {
	s := cpuSnapshot{at: time.Now(), parts: map[string]time.Duration{}}
	kids := children()
	var tree func(pid int) time.Duration
	tree = func(pid int) time.Duration {
		own, reaped, _, ok := procCPU(pid)
		if !ok {
			return 0
		}
		total := own + reaped
		for _, c := range kids[pid] {
			total += tree(c)
		}
		return total
	}
	for _, p := range parts {
		for _, pid := range p.roots {
			if p.alone {
				own, _, _, _ := procCPU(pid)
				s.parts[p.name] += own
			} else {
				s.parts[p.name] += tree(pid)
			}
		}
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal
		for i := 1; i < len(f) && i <= 8; i++ {
			n, _ := strconv.ParseInt(f[i], 10, 64)
			d := time.Duration(n) * time.Second / clockTicks
			if i == 4 || i == 5 {
				s.idle += d
			} else {
				s.busy += d
			}
		}
	}
	return s
}

// cpuReport says where the cores' time went between two snapshots: per part,
// in seconds, as a share of the cores, and per run.
func cpuReport(parts []cpuPart, from, to cpuSnapshot, runs int64) string {
	elapsed := to.at.Sub(from.at)
	capacity := time.Duration(float64(elapsed) * float64(cores()))
	var b strings.Builder
	var ours time.Duration
	perRun := func(d time.Duration) string {
		if runs == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f ms/run", float64(d.Microseconds())/1000/float64(runs))
	}
	fmt.Fprintf(&b, "soak cpu over %.0f s on %d cores (%.0f core-s):", elapsed.Seconds(), cores(), capacity.Seconds())
	for _, p := range parts {
		d := to.parts[p.name] - from.parts[p.name]
		ours += d
		fmt.Fprintf(&b, " %s %.1f s (%.0f%%, %s);", p.name, d.Seconds(), 100*d.Seconds()/capacity.Seconds(), perRun(d))
	}
	busy, idle := to.busy-from.busy, to.idle-from.idle
	fmt.Fprintf(&b, " the soak %.1f s (%s); the machine busy %.1f s, of which other work %.1f s; idle %.1f s",
		ours.Seconds(), perRun(ours), busy.Seconds(), max(0, busy-ours).Seconds(), idle.Seconds())
	return b.String()
}

// cores is the number of the machine's cores.
func cores() int {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 1
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "cpu") && len(l) > 3 && l[3] >= '0' && l[3] <= '9' {
			n++
		}
	}
	return max(1, n)
}
