package textract

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func zipOf(t *testing.T, name, content string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(content))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngHeader is a PNG signature and IHDR chunk declaring w×h grey pixels,
// followed by no image data: what a decoder reads before it allocates.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8] = 8 // bit depth; colour type 0 (grey), compression, filter, interlace 0
	chunk := append([]byte("IHDR"), ihdr...)
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// jpegHeader is SOI, a JFIF APP0 and a baseline SOF0 declaring w×h grey
// pixels.
func jpegHeader(w, h uint16) []byte {
	b := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	b = append(b, 0xFF, 0xC0, 0x00, 0x0B, 8)
	b = binary.BigEndian.AppendUint16(b, h)
	b = binary.BigEndian.AppendUint16(b, w)
	return append(b, 1, 1, 0x11, 0)
}

// countStarts counts the tools started while f runs and returns their pids.
func countStarts(f func()) []int {
	var mu sync.Mutex
	var pids []int
	startHook = func(pid int) { mu.Lock(); pids = append(pids, pid); mu.Unlock() }
	defer func() { startHook = nil }()
	f()
	return pids
}

func TestHugeImageRefusedBeforeOCR(t *testing.T) {
	x := New(Options{})
	for name, data := range map[string][]byte{
		"scan.png": pngHeader(20000, 20000),
		"scan.jpg": jpegHeader(20000, 20000),
	} {
		var err error
		pids := countStarts(func() { _, err = extract(t, x, name, data) })
		e := wantCode(t, err, ErrImageTooLarge)
		if !strings.Contains(e.Message, "20000×20000") {
			t.Errorf("%s: message %q does not give the size", name, e.Message)
		}
		if len(pids) != 0 {
			t.Errorf("%s: %d tools started for a refused image", name, len(pids))
		}
	}
}

func TestTooManyScannedPagesRefusedBeforeOCR(t *testing.T) {
	s := loadSamples(t)
	var err error
	pids := countStarts(func() { _, err = extract(t, New(Options{MaxOCRPages: 1}), "回复.pdf", s.twoScans) })
	wantCode(t, err, ErrTooManyPages)
	if len(pids) != 1 { // pdftotext only
		t.Errorf("%d tools started, want 1 (pdftotext)", len(pids))
	}
}

// groupGone reports whether no live process is left in process group
// pgid. Zombies are dead already (they wait for init to reap them, which
// a container's init may do late) and are not counted.
func groupGone(pgid int) bool {
	if errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) {
		return true
	}
	return len(liveMembers(pgid)) == 0
}

// liveMembers lists "pid state comm" of the processes of group pgid that
// are not zombies, read from /proc/*/stat.
func liveMembers(pgid int) []string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var live []string
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid pgrp …; comm may hold spaces.
		s := string(b)
		end := strings.LastIndexByte(s, ')')
		if end < 0 {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			live = append(live, s[:end+1]+" "+f[0])
		}
	}
	return live
}

func TestDeadlineKillsTheProcessGroup(t *testing.T) {
	s := loadSamples(t)
	for _, tc := range []struct {
		what string
		opts Options
		name string
		data []byte
	}{
		{"pdftotext 1 ms", Options{PDFTextTimeout: time.Millisecond}, "回复.pdf", s.pdf},
		{"tesseract 200 ms", Options{OCRPageTimeout: 200 * time.Millisecond}, "回复.png", s.png},
		{"pdftoppm 1 ms", Options{RasterTimeout: time.Millisecond}, "回复.pdf", s.scanPDF},
		{"file 300 ms", Options{FileTimeout: 300 * time.Millisecond}, "回复.pdf", s.mixedPDF},
	} {
		var err error
		start := time.Now()
		pids := countStarts(func() { _, err = extract(t, New(tc.opts), tc.name, tc.data) })
		took := time.Since(start)
		wantCode(t, err, ErrTimeout)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v does not wrap context.DeadlineExceeded", tc.what, err)
		}
		for _, pid := range pids {
			if !groupGone(pid) {
				t.Errorf("%s: process group %d still has processes", tc.what, pid)
			}
		}
		t.Logf("%s: %v after %v, %d tools started", tc.what, err, took, len(pids))
	}
}

func TestCancelledContextIsNotATimeout(t *testing.T) {
	s := loadSamples(t)
	ctx, cancel := context.WithCancel(context.Background())
	startHook = func(int) { cancel() }
	defer func() { startHook = nil }()
	_, err := New(Options{}).Extract(ctx, "回复.png", bytes.NewReader(s.png))
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}

func TestToolsRunUnderTheMemoryLimit(t *testing.T) {
	const limit = 300 << 20
	x := New(Options{MemoryLimit: limit})
	// The limit reaches the tool itself: read back from its /proc.
	out, err := x.run(context.Background(), t.TempDir(), job{
		tool: tool{"cat", "coreutils"}, args: []string{"/proc/self/limits"},
		timeout: 5 * time.Second, outCap: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	var as, core string
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		switch {
		case strings.HasPrefix(l, "Max address space"):
			as = f[3]
		case strings.HasPrefix(l, "Max core file size"):
			core = f[4]
		}
	}
	if as != strconv.Itoa(limit) || core != "0" {
		t.Errorf("tool limits: address space %s (want %d), core %s (want 0)\n%s", as, limit, core, out)
	}
	// And it does limit: in 100 MiB tesseract starts, loads chi_sim and
	// then fails to allocate for the page (std::bad_alloc), while the
	// same page is read under the default limit (TestScansAreReadByOCR).
	s := loadSamples(t)
	_, err = extract(t, New(Options{MemoryLimit: 100 << 20}), "回复.png", s.png)
	wantCode(t, err, ErrFailed)
	if !strings.Contains(err.Error(), "bad_alloc") {
		t.Errorf("tesseract under 100 MiB: %v, want a failed allocation", err)
	}
}

func TestMissingToolsAreNamed(t *testing.T) {
	s := loadSamples(t)
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatal("prlimit not found: run scripts/deps.sh (util-linux)")
	}
	bin := t.TempDir()
	if err := os.Symlink(prlimit, filepath.Join(bin, "prlimit")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	x := New(Options{})
	for _, tc := range []struct {
		name      string
		data      []byte
		tool, pkg string
	}{
		{"回复.pdf", s.pdf, "pdftotext", "poppler-utils"},
		{"回复.png", s.png, "tesseract", "tesseract-ocr"},
	} {
		_, err := extract(t, x, tc.name, tc.data)
		e := wantCode(t, err, ErrToolMissing)
		if e.Tool != tc.tool || e.Package != tc.pkg || !strings.Contains(e.Message, tc.pkg) {
			t.Errorf("%s: tool %q package %q message %q, want %s from %s", tc.name, e.Tool, e.Package, e.Message, tc.tool, tc.pkg)
		}
	}
	present := map[string]bool{}
	for _, st := range x.Check(context.Background()) {
		present[st.Tool] = st.Present
	}
	want := map[string]bool{"prlimit": true, "pdftotext": false, "pdftoppm": false, "tesseract": false, "tesseract:chi_sim": false}
	for k, v := range want {
		if present[k] != v {
			t.Errorf("Check with PATH=%s: %s present = %v, want %v", bin, k, present[k], v)
		}
	}
}

func TestMissingLanguageIsNamed(t *testing.T) {
	s := loadSamples(t)
	x := New(Options{OCRLanguages: "chi_tra"})
	_, err := extract(t, x, "回复.png", s.png)
	e := wantCode(t, err, ErrToolMissing)
	if e.Package != "tesseract-ocr-chi-tra" {
		t.Errorf("package %q, want tesseract-ocr-chi-tra", e.Package)
	}
}

func TestCheckFindsEveryToolOnThisMachine(t *testing.T) {
	sts := Check(context.Background())
	if len(sts) != 5 {
		t.Fatalf("Check gave %d entries, want 5: %+v", len(sts), sts)
	}
	for _, st := range sts {
		if !st.Present {
			t.Errorf("%s missing (%s): run scripts/deps.sh (installs %s)", st.Tool, st.Detail, st.Package)
		}
	}
}

func TestChildrenOfATimedOutToolAreKilled(t *testing.T) {
	// A tool that forks: sh leaves a sleeping child holding stdout. At the
	// deadline the whole process group goes, not only sh.
	var err error
	pids := countStarts(func() {
		_, err = New(Options{}).run(context.Background(), t.TempDir(), job{
			tool: tool{"sh", "dash"}, args: []string{"-c", "sleep 30 & sleep 30 & wait"},
			timeout: 200 * time.Millisecond, outCap: 1 << 10})
	})
	wantCode(t, err, ErrTimeout)
	if len(pids) != 1 {
		t.Fatalf("%d starts, want 1", len(pids))
	}
	if !groupGone(pids[0]) {
		t.Errorf("process group %d still has processes: %v", pids[0], liveMembers(pids[0]))
	}
}
