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

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, installed by scripts/deps.sh.
const chromiumPath = "/usr/bin/chromium"

// screenshotDir is .screenshots/ at the repository root (git-ignored).
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowserJourney drives a real Chromium through the web UI, one role
// after another, as issue 5 describes: a clerk fills the 函询通知书 form,
// meets a validation error, fixes it and saves; an approver signs it off;
// an archivist finds it with a highlight; an auditor sees every check ✓;
// a user of another unit finds nothing and gets a 404 by URL. Each step
// leaves a screenshot in .screenshots/.
func TestBrowserJourney(t *testing.T) {
	exe := chromiumPath
	if _, err := os.Stat(exe); err != nil {
		if p, lerr := exec.LookPath("chromium"); lerr == nil {
			exe = p
		} else {
			t.Fatalf("chromium not found at %s (%v): run scripts/deps.sh", chromiumPath, err)
		}
	}
	e := newWebEnv(t)
	// The 谈话方案 that the letter must cite, filed through the API.
	planFields := withoutNumber(example(t, e.reg, "talk-plan"))
	planFields["method"] = "函询" // the plan of an inquiry letter
	plan := fileOne(t, e, "talk-plan", planFields)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.srv.App().Listener(ln) }()
	t.Cleanup(func() { _ = e.srv.App().ShutdownWithTimeout(5 * time.Second) })
	base := "http://" + ln.Addr().String()
	shots := screenshotDir(t)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	defer bcancel()
	// Start the browser on a context without a deadline of its own, then
	// accept the confirm dialogs (签发 asks first) from another goroutine.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium (%s): %v — run scripts/deps.sh", exe, err)
	}
	dialogs := chromedp.Events(bctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()

	start := time.Now()
	step := 0
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, scancel := context.WithTimeout(bctx, 20*time.Second)
		defer scancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			url, _ := chromedp.Run(bctx, chromedp.Location())
			shot(t, bctx, shots, "failed-"+strings.ReplaceAll(what, " ", "-"))
			t.Fatalf("%s: %v (at %s)", what, err, url)
		}
	}
	snap := func(name string) {
		t.Helper()
		step++
		shot(t, bctx, shots, "journey-"+twoDigits(step)+"-"+name)
	}
	login := func(who string) {
		t.Helper()
		run("login "+who,
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(chromedp.CSS(`#name`)),
			chromedp.SetValue(chromedp.CSS(`#name`), userNames[who]),
			chromedp.SetValue(chromedp.CSS(`#password`), webPassword),
			chromedp.Submit(chromedp.CSS(`#password`)),
			chromedp.WaitVisible(chromedp.CSS(`#logout`)),
		)
	}
	logout := func() {
		t.Helper()
		run("logout", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`#password`)))
	}
	get := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		sctx, scancel := context.WithTimeout(bctx, 10*time.Second)
		defer scancel()
		v, err := chromedp.Run(sctx, a)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	text := func(sel string) string {
		t.Helper()
		return get("read "+sel, chromedp.Text(chromedp.CSS(sel)))
	}

	// 1. The clerk: template list, the generated form, a validation error,
	// the fix, the saved draft.
	login("clerk")
	snap("clerk-templates")
	run("open the 函询通知书 form",
		chromedp.Click(chromedp.CSS(`a[href="/drafts/new?template=inquiry-letter"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#draft-form`)),
		chromedp.SetValue(chromedp.CSS(`#f-plan-record-id`), plan),
		chromedp.SetValue(chromedp.CSS(`#f-person-name`), "张建国"),
		chromedp.SetValue(chromedp.CSS(`#f-person-unit`), "省财政厅预算处"),
		chromedp.SetValue(chromedp.CSS(`#f-person-position`), "处长"),
		chromedp.SetValue(chromedp.CSS(`#f-reported-issues-0`), "2025年在省级专项资金分配中，违反“三重一大”决策制度，未经集体研究确定资金分配方案"),
		chromedp.Click(chromedp.CSS(`[data-add-row="f-reported-issues"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-reported-issues-1`)),
		chromedp.SetValue(chromedp.CSS(`#f-reported-issues-1`), "接受下属单位负责人安排的宴请，违反中央八项规定精神"),
		chromedp.SetValue(chromedp.CSS(`#f-contact`), "李华"),
		chromedp.SetValue(chromedp.CSS(`#f-phone`), "请致电"),         // not a phone number
		chromedp.SetValue(chromedp.CSS(`#case_no`), "AJ-2026-007"), // the plan's case
		chromedp.SetValue(chromedp.CSS(`#persons`), "张建国"),
	)
	snap("clerk-form-filled")
	run("save with errors", chromedp.Click(chromedp.CSS(`#save`)), chromedp.WaitVisible(chromedp.CSS(`#error-summary`)))
	summary := text(`#error-summary`)
	if !strings.Contains(summary, "联系电话") || !strings.Contains(summary, "抄送") {
		t.Fatalf("error summary: %q", summary)
	}
	kept := get("values kept", chromedp.Value(chromedp.CSS(`#f-reported-issues-1`)))
	if !strings.Contains(kept, "八项规定") {
		t.Fatalf("the second issue was lost: %q", kept)
	}
	snap("clerk-validation-error")
	run("fix and save",
		chromedp.SetValue(chromedp.CSS(`#f-phone`), "0571-87000000"),
		chromedp.SetValue(chromedp.CSS(`#f-party-org-head`), "省财政厅党组书记王明同志"),
		chromedp.Click(chromedp.CSS(`#save`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)),
	)
	draftURL := get("draft url", chromedp.Location())
	draftPath := strings.TrimPrefix(strings.SplitN(draftURL, "?", 2)[0], base)
	if !strings.HasPrefix(draftPath, "/drafts/") || !strings.Contains(text(`main`), "违反中央八项规定精神") {
		t.Fatalf("saved draft at %s", draftURL)
	}
	snap("clerk-draft-saved")
	logout()

	// 2. The approver signs it off and lands on the record.
	login("approver")
	run("queue lists the draft", chromedp.WaitVisible(chromedp.CSS(`a[href="`+draftPath+`"]`)))
	snap("approver-queue")
	run("approve",
		chromedp.Navigate(base+draftPath),
		chromedp.WaitVisible(chromedp.CSS(`#approve`)),
		chromedp.Click(chromedp.CSS(`#approve`)),
		chromedp.WaitVisible(chromedp.CSS(`#verify-ok`)),
	)
	recURL := get("record url", chromedp.Location())
	recPath := strings.TrimPrefix(strings.SplitN(recURL, "?", 2)[0], base)
	recID := strings.TrimPrefix(recPath, "/records/")
	if !strings.HasPrefix(recPath, "/records/") || !strings.Contains(text(`main`), "驻财纪") {
		t.Fatalf("after approval at %s", recURL)
	}
	snap("approver-filed")
	logout()

	// 3. The archivist searches and sees the highlight.
	login("archivist")
	run("search",
		chromedp.Navigate(base+"/search"),
		chromedp.WaitVisible(chromedp.CSS(`#q`)),
		chromedp.SetValue(chromedp.CSS(`#q`), "三重一大"),
		chromedp.Click(chromedp.CSS(`#do-search`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.hits mark`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="`+recPath+`"]`)),
	)
	if m := text(`ol.hits mark`); m != "三重一大" {
		t.Errorf("highlight %q", m)
	}
	snap("archivist-search-highlight")
	logout()

	// 4. The auditor verifies the record by id: every check ✓.
	login("auditor")
	run("verify by id",
		chromedp.WaitVisible(chromedp.CSS(`#audit-id`)),
		chromedp.SetValue(chromedp.CSS(`#audit-id`), recID),
		chromedp.Submit(chromedp.CSS(`#audit-id`)),
		chromedp.WaitVisible(chromedp.CSS(`#verify-ok`)),
	)
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('`+sel+`').length`))
		if err != nil {
			t.Fatalf("count %s: %v", sel, err)
		}
		return n
	}
	okChecks, badChecks := count("ul.checks li.ok"), count("ul.checks li.bad")
	if okChecks < 7 || badChecks != 0 {
		t.Fatalf("checks: %d ✓, %d ✗", okChecks, badChecks)
	}
	snap("auditor-verified")
	run("audit events", chromedp.Click(chromedp.CSS(`#audit-events`)), chromedp.WaitVisible(chromedp.CSS(`#events`)))
	if ev := text(`#events`); !strings.Contains(ev, "record.file") || !strings.Contains(ev, "record.verify") {
		t.Errorf("audit events: %q", ev)
	}
	snap("auditor-audit-events")
	logout()

	// 5. A user of another unit: nothing by search, 404 by URL.
	login("other")
	run("other unit searches",
		chromedp.Navigate(base+"/search?q="+"%E4%B8%89%E9%87%8D%E4%B8%80%E5%A4%A7"),
		chromedp.WaitVisible(chromedp.CSS(`#total`)),
	)
	if tot := text(`#total`); !strings.Contains(tot, "共 0 件") {
		t.Fatalf("another unit's search: %q", tot)
	}
	snap("other-unit-search-empty")
	run("other unit opens the record", chromedp.Navigate(base+recPath), chromedp.WaitVisible(chromedp.CSS(`.errorpage`)))
	if h := text(`.errorpage h1`); !strings.Contains(h, "404") {
		t.Fatalf("another unit's record page: %q", h)
	}
	if body := text(`main`); strings.Contains(body, "张建国") {
		t.Fatal("the 404 page leaks the record")
	}
	snap("other-unit-404")
	logout()
	t.Logf("journey took %s; screenshots in %s", time.Since(start).Round(time.Millisecond), shots)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + string(rune('0'+n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	buf, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// fileOne files a draft of template through the API (clerk drafts,
// approver signs) and returns the record id.
func fileOne(t *testing.T, e *env, template string, fields map[string]any) string {
	t.Helper()
	r := e.do(t, "clerk", "POST", "/api/v1/drafts", draftBody(fields, template))
	if r.status != 201 {
		t.Fatalf("draft %s: %d %s", template, r.status, r.body)
	}
	var d struct{ ID string }
	r.json(t, &d)
	r = e.do(t, "approver", "POST", "/api/v1/drafts/"+d.ID+"/approve", nil)
	if r.status != 201 {
		t.Fatalf("approve %s: %d %s", template, r.status, r.body)
	}
	var rec struct{ ID string }
	r.json(t, &rec)
	return rec.ID
}
