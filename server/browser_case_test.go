package server

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chrome is a headless Chromium on a test server.
type chrome struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

func newChrome(t *testing.T, e *env) *chrome {
	t.Helper()
	exe := chromiumPath
	if _, err := os.Stat(exe); err != nil {
		p, lerr := exec.LookPath("chromium")
		if lerr != nil {
			t.Fatalf("chromium not found at %s (%v): run scripts/deps.sh", chromiumPath, err)
		}
		exe = p
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.srv.App().Listener(ln) }()
	t.Cleanup(func() { _ = e.srv.App().ShutdownWithTimeout(5 * time.Second) })
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("no-proxy-server", true),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium (%s): %v — run scripts/deps.sh", exe, err)
	}
	return &chrome{t: t, ctx: bctx, base: "http://" + ln.Addr().String(), shots: screenshotDir(t)}
}

func (b *chrome) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	sctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		url, _ := chromedp.Run(b.ctx, chromedp.Location())
		shot(b.t, b.ctx, b.shots, "case-failed-"+strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v (at %s)", what, err, url)
	}
}

func (b *chrome) text(sel string) string {
	b.t.Helper()
	sctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return v
}

func (b *chrome) login(name string) {
	b.t.Helper()
	b.run("login "+name,
		chromedp.Navigate(b.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#name`)),
		chromedp.SetValue(chromedp.CSS(`#name`), name),
		chromedp.SetValue(chromedp.CSS(`#password`), webPassword),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`#logout`)),
	)
}

// TestBrowserInquiryLoop drives Chromium through the loop after signing:
// from the letter's record page the clerk records service, sees the
// deadline, finds it on the 期限 page, uploads the reply, and follows the
// case in loop order. Screenshots in .screenshots/case-*.png.
func TestBrowserInquiryLoop(t *testing.T) {
	e := newWebCaseEnv(t)
	e.setDay(2026, 9, 28) // the clock stands still: sessions stay fresh
	pf := example(t, e.reg, "talk-plan")
	pf["method"] = "函询"
	plan := e.approve(t, "approver", e.draft(t, "talk-plan", pf))
	lf := example(t, e.reg, "inquiry-letter")
	lf["plan_record_id"] = plan.ID
	letter := e.approve(t, "approver", e.draft(t, "inquiry-letter", lf))
	replyFile := filepath.Join(t.TempDir(), "回复.txt")
	if err := os.WriteFile(replyFile, []byte("本人就函询所列问题说明如下。以上情况属实。"), 0o600); err != nil {
		t.Fatal(err)
	}

	b := newChrome(t, e.env)
	b.login(userNames["clerk"])
	b.run("letter page → 送达与回复",
		chromedp.Navigate(b.base+"/records/"+letter.ID),
		chromedp.WaitVisible(chromedp.CSS(`#letter-case`)),
		chromedp.Click(chromedp.CSS(`#letter-case`)),
		chromedp.WaitVisible(chromedp.CSS(`#service-form`)),
		chromedp.SetValue(chromedp.CSS(`#served_on`), "2026-09-28"),
		chromedp.Click(chromedp.CSS(`#serve`)),
		chromedp.WaitVisible(chromedp.CSS(`#due`)),
	)
	if due := b.text(`#due`); due != "2026-10-23" {
		t.Fatalf("due %q, want 2026-10-23 (15 working days across 国庆)", due)
	}
	shot(t, b.ctx, b.shots, "case-01-served")
	b.run("期限 page",
		chromedp.Click(chromedp.CSS(`a[href="/deadlines"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#deadlines tbody tr[data-deadline]`)),
	)
	if row := b.text(`#deadlines tbody tr[data-deadline]`); !strings.Contains(row, "张建国") || !strings.Contains(row, "未到期") {
		t.Fatalf("deadline row %q", row)
	}
	shot(t, b.ctx, b.shots, "case-02-deadlines")
	b.run("upload the reply",
		chromedp.Navigate(b.base+"/records/"+letter.ID+"/case"),
		chromedp.WaitVisible(chromedp.CSS(`#reply-form`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#reply-file`), []string{replyFile}),
		chromedp.SetValue(chromedp.CSS(`#received_on`), "2026-09-28"),
		chromedp.Click(chromedp.CSS(`#opinion_signed`)),
		chromedp.Click(chromedp.CSS(`#file-reply`)),
		chromedp.WaitVisible(chromedp.CSS(`#reply-record`)),
	)
	if st := b.text(`#deadline-status`); !strings.Contains(st, "已办结") {
		t.Fatalf("deadline after the reply: %q", st)
	}
	shot(t, b.ctx, b.shots, "case-03-replied")
	b.run("case in loop order",
		chromedp.Click(chromedp.CSS(`#case-loop`)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-step="reply"] a`)),
	)
	if s := b.text(`li[data-step="service"]`); !strings.Contains(s, "送达 2026-09-28") || !strings.Contains(s, "已办结") {
		t.Fatalf("service step %q", s)
	}
	shot(t, b.ctx, b.shots, "case-04-loop")
}
