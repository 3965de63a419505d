package server

import (
	"os"
	"runtime"
	"testing"
)

// RaiseProcs runs ProcsPerCPU processors per CPU unless GOMAXPROCS is set
// in the environment, and a second call changes nothing.
func TestRaiseProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	cpus := RaiseProcs()
	defer runtime.GOMAXPROCS(before)
	want := before * ProcsPerCPU
	if os.Getenv("GOMAXPROCS") != "" {
		want = before
	}
	if cpus != before || runtime.GOMAXPROCS(0) != want {
		t.Fatalf("RaiseProcs: cpus %d, GOMAXPROCS %d; want %d and %d", cpus, runtime.GOMAXPROCS(0), before, want)
	}
	if again := RaiseProcs(); again != cpus || runtime.GOMAXPROCS(0) != want {
		t.Fatalf("second call: cpus %d, GOMAXPROCS %d", again, runtime.GOMAXPROCS(0))
	}
}
