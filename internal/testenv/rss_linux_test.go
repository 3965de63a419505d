//go:build linux

package testenv

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// allocSize is what the "alloc" child allocates and touches.
const allocSize = 200 << 20

// rssSlack is how far below the allocation a measured growth may be: the
// kernel updates a process's RSS counters in per-thread batches, so VmRSS
// and VmHWM may lag the truth by some pages per thread.
const rssSlack = 4 << 20

func init() { childModes["alloc"] = allocChild }

// allocChild says "ready", then on "alloc" maps and touches allocSize bytes
// (resident at once) and says "allocated", on "free" unmaps them and says
// "freed"; it exits when stdin closes.
func allocChild() {
	in := bufio.NewScanner(os.Stdin)
	fmt.Println("ready")
	var mem []byte
	for in.Scan() {
		switch in.Text() {
		case "alloc":
			var err error
			mem, err = syscall.Mmap(-1, 0, allocSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
			if err != nil {
				fmt.Println("mmap:", err)
				os.Exit(1)
			}
			for i := 0; i < len(mem); i += os.Getpagesize() {
				mem[i] = 1
			}
			fmt.Println("allocated")
		case "free":
			if err := syscall.Munmap(mem); err != nil {
				fmt.Println("munmap:", err)
				os.Exit(1)
			}
			fmt.Println("freed")
		}
	}
}

func TestRSSOfThisProcessIsPlausible(t *testing.T) {
	rss, err := RSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if rss <= 1<<20 || rss >= 24<<30 {
		t.Fatalf("RSS = %d bytes, want between 1 MB and 24 GB", rss)
	}
	peak, err := PeakRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if peak < rss {
		t.Fatalf("PeakRSS %d < RSS %d", peak, rss)
	}
	done := exec.Command("true")
	if err := done.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := RSS(done.Process.Pid); err == nil {
		t.Fatalf("RSS of exited pid %d: no error", done.Process.Pid)
	}
}

// child is a running "alloc" child and its pipes.
type child struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startAllocChild(t *testing.T) *child {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChildMode+"=alloc")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	t.Cleanup(func() { in.Close(); _ = cmd.Wait() })
	c.expect(t, "ready")
	return c
}

func (c *child) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(c.in, line+"\n"); err != nil {
		t.Fatalf("to child: %v", err)
	}
}

func (c *child) expect(t *testing.T, want string) {
	t.Helper()
	if !c.out.Scan() {
		t.Fatalf("child ended before %q: %v", want, c.out.Err())
	}
	if got := c.out.Text(); got != want {
		t.Fatalf("child said %q, want %q", got, want)
	}
}

// The sampling alone (VmHWM not used) sees a peak that lasts several
// sampling periods, and the memory given back is gone from RSS afterwards.
func TestPeakRSSDuringSamplesAChildsAllocation(t *testing.T) {
	c := startAllocChild(t)
	pid := c.cmd.Process.Pid
	before, err := RSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	peak, err := peakRSSDuring(pid, func() {
		c.send(t, "alloc")
		c.expect(t, "allocated")
		time.Sleep(50 * time.Millisecond) // several sampling periods
		c.send(t, "free")
		c.expect(t, "freed")
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	after, err := RSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("child RSS: before %d MiB, peak %d MiB, after %d MiB", before>>20, peak>>20, after>>20)
	if peak-before < allocSize-rssSlack {
		t.Fatalf("peak %d - before %d = %d bytes, want about the %d allocated", peak, before, peak-before, allocSize)
	}
	if after > before+allocSize/4 {
		t.Fatalf("RSS after the unmap %d, before %d: the child should have given the memory back", after, before)
	}
}

// With VmHWM reset (possible here: the child is ours), a peak that ends
// before the next sample is seen too.
func TestPeakRSSDuringCatchesAPeakBetweenSamples(t *testing.T) {
	c := startAllocChild(t)
	pid := c.cmd.Process.Pid
	if !resetPeakRSS(pid) {
		t.Fatalf("cannot reset VmHWM of child %d through /proc/%d/clear_refs", pid, pid)
	}
	before, err := RSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	peak, err := PeakRSSDuring(pid, func() {
		c.send(t, "alloc")
		c.expect(t, "allocated")
		c.send(t, "free")
		c.expect(t, "freed")
	})
	if err != nil {
		t.Fatal(err)
	}
	if peak-before < allocSize-rssSlack {
		t.Fatalf("peak %d - before %d = %d bytes, want about the %d allocated", peak, before, peak-before, allocSize)
	}
}
