package main

import (
	"math"
	"runtime/debug"
)

// The collector settings serve runs with, unless the operator sets GOGC or
// GOMEMLIMIT. A search allocates several megabytes of short-lived postings
// and doc-values buffers; at Go's default (GOGC=100) collection took a
// quarter of the CPU of a search over many units (search/BENCH.md). A
// higher percentage collects less often, and the soft limit keeps the heap
// from growing past it however large the live set gets (the runtime then
// collects more often instead).
const (
	serveGCPercent   = 400
	serveMemoryLimit = 1 << 30 // bytes of Go memory (heap, stacks), not the index's mmapped files
)

// tuneGC applies the serve settings that getenv does not override and
// returns the percentage and limit in force ("" means unset).
func tuneGC(getenv func(string) string) (gcPercent int, memoryLimit int64) {
	gcPercent = -1 // as set by GOGC, not known without changing it
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
		gcPercent = serveGCPercent
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
	memoryLimit = debug.SetMemoryLimit(-1) // a negative limit only reads it
	if memoryLimit == math.MaxInt64 {
		memoryLimit = 0
	}
	return gcPercent, memoryLimit
}
