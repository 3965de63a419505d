package server

import (
	"os"
	"runtime"
	"sync"
)

// ProcsPerCPU is how many Go processors (GOMAXPROCS) `wenshu serve` runs
// per CPU it may use, unless the GOMAXPROCS environment variable says
// otherwise. With one processor per CPU, a search waits behind filing
// work — Bleve's segment merges, jieba (cgo, which holds its processor),
// rendering and signing — in Go's own run queues, 10 ms slices at a time;
// with more processors than CPUs every runnable goroutine has a thread
// and the kernel, which lets a thread that wakes (a search) run before one
// that has been computing for long (a merge), shares the CPUs at a much
// finer grain. On the 2-core machine this cut search p99 under 8 filers
// from 8–14× to about 5× its idle p99 and raised filings/s
// (bench/README.md, "Search under filing load").
const ProcsPerCPU = 4

// RaiseProcs sets GOMAXPROCS to ProcsPerCPU × the CPUs this process may
// use (GOMAXPROCS as the process started with it) unless the GOMAXPROCS
// environment variable is set, and returns that CPU count, from which
// the limits that bound work per CPU (MaxHeavy) are computed. Calling it
// again changes nothing.
func RaiseProcs() (cpus int) {
	procsOnce.Do(func() {
		startCPUs = runtime.GOMAXPROCS(0)
		if os.Getenv("GOMAXPROCS") == "" {
			runtime.GOMAXPROCS(startCPUs * ProcsPerCPU)
		}
	})
	return startCPUs
}

var (
	procsOnce sync.Once
	startCPUs int
)
