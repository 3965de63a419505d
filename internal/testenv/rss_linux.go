//go:build linux

package testenv

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sync"
	"time"
)

// rssSampleEvery is how often PeakRSSDuring reads the resident set size.
const rssSampleEvery = 10 * time.Millisecond

// RSS returns the resident set size of process pid in bytes (VmRSS in
// /proc/<pid>/status): the memory a memory test of a server process
// compares before and after a hostile input.
func RSS(pid int) (int64, error) { return procStatusBytes(pid, "VmRSS") }

// PeakRSS returns the highest resident set size of process pid since it
// started, or since PeakRSSDuring last reset it, in bytes (VmHWM).
func PeakRSS(pid int) (int64, error) { return procStatusBytes(pid, "VmHWM") }

// PeakRSSDuring runs fn and returns the highest resident set size of
// process pid seen while it ran, in bytes. It reads VmRSS before fn, every
// 10 ms during it and after it; where the kernel lets this process reset
// pid's VmHWM (/proc/<pid>/clear_refs, Linux 4.0 and later, same user) it
// also reads VmHWM afterwards, so a peak shorter than the sampling period
// is seen as well. fn runs on the calling goroutine. The error is the
// first failed reading (for instance pid exited); fn has run regardless.
func PeakRSSDuring(pid int, fn func()) (int64, error) {
	return peakRSSDuring(pid, fn, resetPeakRSS(pid))
}

// peakRSSDuring is PeakRSSDuring; with useHWM false it relies on sampling
// alone (what happens where VmHWM cannot be reset).
func peakRSSDuring(pid int, fn func(), useHWM bool) (int64, error) {
	var (
		mu       sync.Mutex
		peak     int64
		firstErr error
	)
	sample := func() {
		rss, err := RSS(pid)
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		peak = max(peak, rss)
	}
	sample()
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(rssSampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				sample()
			}
		}
	}()
	fn()
	close(stop)
	<-sampled
	sample()
	if useHWM {
		if hwm, err := PeakRSS(pid); err == nil {
			peak = max(peak, hwm)
		}
	}
	return peak, firstErr
}

// resetPeakRSS sets VmHWM of pid back to its current VmRSS and reports
// whether the kernel allowed it.
func resetPeakRSS(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// procStatusBytes reads one "Name:   1234 kB" line of /proc/<pid>/status.
func procStatusBytes(pid int, name string) (int64, error) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("testenv: %s of pid %d: %w", name, pid, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	prefix := name + ":"
	for sc.Scan() {
		line := sc.Text()
		if len(line) <= len(prefix) || line[:len(prefix)] != prefix {
			continue
		}
		var kb int64
		var unit string
		if _, err := fmt.Sscan(line[len(prefix):], &kb, &unit); err != nil || unit != "kB" {
			return 0, fmt.Errorf("testenv: %s: cannot read %q", path, line)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("testenv: %s has no %s line (a kernel thread, or a zombie)", path, name)
}
