package textract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// tool is an outside program and the Debian package that provides it.
type tool struct{ name, pkg string }

var (
	toolPDFToText = tool{"pdftotext", "poppler-utils"}
	toolPDFToPPM  = tool{"pdftoppm", "poppler-utils"}
	toolTesseract = tool{"tesseract", "tesseract-ocr"}
	toolPrlimit   = tool{"prlimit", "util-linux"}
)

// stderrCap bounds what is kept of a tool's stderr (for logs and for
// recognising a missing language).
const stderrCap = 16 << 10

// job is one run of an outside tool.
type job struct {
	tool    tool
	args    []string
	timeout time.Duration
	// outCap bounds stdout; more is ErrTooLarge.
	outCap int64
}

// startHook, when set (by tests), is called with the pid of every started
// tool, which is also its process group id.
var startHook func(pid int)

// run executes j under prlimit (address space e.MemoryLimit, files it
// writes e.MaxFileBytes, no core dumps) in its own process group, with
// stdin from /dev/null, the working directory dir, and a deadline. On
// timeout, on cancel and after it exits, the whole group is killed, so no
// child outlives the call. It returns stdout and, on failure, a *Error.
func (e *Extractor) run(ctx context.Context, dir string, j job) ([]byte, error) {
	path, err := exec.LookPath(j.tool.name)
	if err != nil {
		return nil, toolMissing(j.tool.name, j.tool.pkg, err)
	}
	prlimit, err := exec.LookPath(toolPrlimit.name)
	if err != nil {
		return nil, toolMissing(toolPrlimit.name, toolPrlimit.pkg, err)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, j.timeout)
	defer cancel()
	args := append([]string{
		"--as=" + strconv.FormatInt(e.opts.MemoryLimit, 10),
		"--fsize=" + strconv.FormatInt(e.opts.MaxFileBytes, 10),
		"--core=0", "--", path}, j.args...)
	cmd := exec.CommandContext(ctx, prlimit, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1", "LC_ALL=C.UTF-8")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 2 * time.Second
	var stderr capBuffer
	stderr.limit = stderrCap
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("textract: %s: stdout: %w", j.tool.name, err)
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, refuse(ErrTimeout, "", "before start of "+j.tool.name, ctx.Err())
		}
		return nil, refuse(ErrFailed, "", "start "+j.tool.name, err)
	}
	pid := cmd.Process.Pid
	defer killGroup(pid) // children that outlived the leader
	if startHook != nil {
		startHook(pid)
	}
	out, readErr := io.ReadAll(io.LimitReader(stdout, j.outCap+1))
	tooLarge := readErr == nil && int64(len(out)) > j.outCap
	if tooLarge || readErr != nil {
		killGroup(pid)
	}
	waitErr := cmd.Wait()
	return out, e.runError(parent, ctx, j, tooLarge, readErr, waitErr, stderr.String())
}

// runError classifies the end of a run: success, then timeout (a killed process
// also reports a wait error), then a too large output, then failure.
func (e *Extractor) runError(parent, ctx context.Context, j job, tooLarge bool, readErr, waitErr error, stderr string) error {
	switch {
	case waitErr == nil && readErr == nil && !tooLarge:
		return nil
	case errors.Is(parent.Err(), context.DeadlineExceeded):
		return refuse(ErrTimeout, "", j.tool.name+" stopped at the file's deadline", context.DeadlineExceeded)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return refuse(ErrTimeout, "", fmt.Sprintf("%s after %s", j.tool.name, j.timeout), context.DeadlineExceeded)
	case ctx.Err() != nil:
		return fmt.Errorf("textract: %s: %w", j.tool.name, ctx.Err())
	case tooLarge:
		return refuse(ErrTooLarge, fmt.Sprintf("提取的文字超过 %d 字节", j.outCap),
			fmt.Sprintf("%s printed more than %d bytes", j.tool.name, j.outCap), nil)
	case readErr != nil:
		return refuse(ErrFailed, "", j.tool.name+": read stdout", readErr)
	case waitErr != nil:
		if j.tool == toolTesseract && bytes.Contains([]byte(stderr), []byte("Failed loading language")) {
			return toolMissing("tesseract -l "+e.opts.OCRLanguages, languagePackages(e.opts.OCRLanguages), errors.New(stderr))
		}
		return refuse(ErrFailed, "", j.tool.name+": "+lastLine(stderr), waitErr)
	}
	return nil
}

// killGroup sends SIGKILL to the process group pgid; a group that is gone
// already is no error.
func killGroup(pgid int) error {
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// capBuffer keeps the first limit bytes written to it and drops the rest,
// so a chatty tool cannot fill memory through stderr.
type capBuffer struct {
	buf   bytes.Buffer
	limit int
}

func (b *capBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *capBuffer) String() string { return b.buf.String() }

// lastLine returns the last non-empty line of s, for a short log detail.
func lastLine(s string) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	return string(lines[len(lines)-1])
}

// languagePackages names the Debian packages of tesseract languages
// ("chi_sim+eng" → "tesseract-ocr-chi-sim tesseract-ocr-eng").
func languagePackages(langs string) string {
	var pkgs []string
	for _, l := range strings.Split(langs, "+") {
		pkgs = append(pkgs, "tesseract-ocr-"+strings.ReplaceAll(l, "_", "-"))
	}
	return strings.Join(pkgs, " ")
}
