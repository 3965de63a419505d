package main

import (
	"runtime/debug"
	"testing"
)

// serve's collector settings apply unless the operator's GOGC or
// GOMEMLIMIT says otherwise.
func TestTuneGC(t *testing.T) {
	oldPercent := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) })

	p, l := tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != serveGCPercent || p != serveGCPercent {
		t.Errorf("GC percent %d (reported %d), want %d", got, p, serveGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != serveMemoryLimit || l != serveMemoryLimit {
		t.Errorf("memory limit %d (reported %d), want %d", got, l, serveMemoryLimit)
	}

	debug.SetGCPercent(50)
	debug.SetMemoryLimit(123 << 20)
	set := map[string]string{"GOGC": "50", "GOMEMLIMIT": "123MiB"}
	p, l = tuneGC(func(k string) string { return set[k] })
	if got := debug.SetGCPercent(100); got != 50 || p != -1 {
		t.Errorf("with GOGC set: percent %d (reported %d), want 50 untouched", got, p)
	}
	if got := debug.SetMemoryLimit(-1); got != 123<<20 || l != 123<<20 {
		t.Errorf("with GOMEMLIMIT set: limit %d (reported %d), want 123 MiB untouched", got, l)
	}
}
