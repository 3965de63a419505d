package indexer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wenshu/search"
)

// Concurrent filings are written together, never more than the writers
// at once, each record once, and every call returns after its batch.
func TestWriteQueueBatches(t *testing.T) {
	var mu sync.Mutex
	written := map[string]int{}
	var calls, running, most atomic.Int32
	write := func(_ context.Context, docs ...search.Doc) error {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		calls.Add(1)
		if len(docs) > 5 {
			t.Errorf("batch of %d records, max 5", len(docs))
		}
		time.Sleep(5 * time.Millisecond) // a sync
		mu.Lock()
		for _, d := range docs {
			written[d.ID]++
		}
		mu.Unlock()
		return nil
	}
	q := newWriteQueue(write, 2, 5)
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprint("r", i)
			if err := q.index(context.Background(), []search.Doc{{ID: id}}); err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if written[id] != 1 {
				t.Errorf("%s returned before it was written (%d)", id, written[id])
			}
		}()
	}
	wg.Wait()
	if len(written) != 40 {
		t.Errorf("%d records written, want 40", len(written))
	}
	if c := calls.Load(); c >= 40 || c < 8 {
		t.Errorf("%d writes for 40 filings (batches of at most 5)", c)
	}
	if m := most.Load(); m > 2 {
		t.Errorf("%d writers at once, max 2", m)
	}
}

// A failed batch fails every call in it; a call cancelled before it is
// taken returns its context's error and its record is not written.
func TestWriteQueueErrorsAndCancel(t *testing.T) {
	boom := errors.New("disk full")
	release := make(chan struct{})
	var mu sync.Mutex
	var seen []string
	write := func(_ context.Context, docs ...search.Doc) error {
		mu.Lock()
		for _, d := range docs {
			seen = append(seen, d.ID)
		}
		mu.Unlock()
		<-release
		return boom
	}
	q := newWriteQueue(write, 1, 10)
	first := make(chan error, 1)
	go func() { first <- q.index(context.Background(), []search.Doc{{ID: "a"}}) }()
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	// "a" is being written: "b" and "c" wait, "c" gives up
	second := make(chan error, 1)
	go func() { second <- q.index(context.Background(), []search.Doc{{ID: "b"}}) }()
	ctx, cancel := context.WithCancel(context.Background())
	third := make(chan error, 1)
	go func() { third <- q.index(ctx, []search.Doc{{ID: "c"}}) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-third; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call: %v", err)
	}
	close(release)
	if err := <-first; !errors.Is(err, boom) {
		t.Errorf("first: %v", err)
	}
	if err := <-second; !errors.Is(err, boom) {
		t.Errorf("second: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(seen) != "[a b]" {
		t.Errorf("written %v, want [a b]", seen)
	}
}

// With BatchLinger, a filing after a quiet spell is written at once; one
// that follows the last write closely waits, and the filings that arrive
// meanwhile share its batch.
func TestWriteQueueLingersWhenBusy(t *testing.T) {
	var mu sync.Mutex
	var batches []string
	write := func(_ context.Context, docs ...search.Doc) error {
		mu.Lock()
		defer mu.Unlock()
		var ids []string
		for _, d := range docs {
			ids = append(ids, d.ID)
		}
		batches = append(batches, fmt.Sprint(ids))
		return nil
	}
	q := newWriteQueue(write, 1, 10)
	q.linger = time.Hour // every write after the first follows "closely"
	var slept atomic.Int32
	release := make(chan struct{})
	q.sleep = func(time.Duration) { slept.Add(1); <-release }
	if err := q.index(context.Background(), []search.Doc{{ID: "a"}}); err != nil {
		t.Fatal(err)
	}
	if slept.Load() != 0 {
		t.Fatal("the first filing waited")
	}
	var wg sync.WaitGroup
	file := func(id string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := q.index(context.Background(), []search.Doc{{ID: id}}); err != nil {
				t.Error(err)
			}
		}()
	}
	file("b")
	waitFor(t, func() bool { return slept.Load() == 1 })
	file("c")
	file("d")
	waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.pending) == 3 })
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(batches) != 2 || batches[0] != "[a]" || len(batches[1]) != len("[b c d]") {
		t.Fatalf("batches %q, want [a] then b, c and d together", batches)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i > 10000 {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}
