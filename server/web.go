package server

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/search"
)

// The web UI: server-rendered pages in Chinese (html/template, so every
// value is escaped for its context), with the templates, the style sheet
// and one small script embedded in the binary — no CDN, no web fonts, no
// build step. Pages authenticate with a session cookie (identity.Directory.Login);
// every POST carries the session's CSRF token in a hidden field; each
// handler checks the caller's role exactly as the matching API handler
// does and reads data through the same Store methods, which check unit
// and clearance, so a page can show no more than the API would.

//go:embed web/templates/*.html web/static/*
var webFS embed.FS

const (
	sessionCookie    = "wenshu_session"
	loginCSRFCookie  = "wenshu_login"
	localCSRF        = "csrf"
	csrfField        = "csrf"
	maxWebFormFields = 2000
)

// contentSecurityPolicy allows nothing but this origin: no inline script
// or style, no framing, forms only to ourselves.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// view is what every page template receives.
type view struct {
	Title  string
	Active string // the nav entry to mark
	User   *identity.User
	Unit   *identity.Unit
	CSRF   string
	Notice string // a one-line confirmation (已保存 …)
	Data   any
}

var webPages = mustParsePages()

// mustParsePages parses layout.html with each page template into its own
// set, so that every page can define "content" without clashes.
func mustParsePages() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(webFuncs).ParseFS(webFS, "web/templates/_*.html"))
	files, err := fs.Glob(webFS, "web/templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := path.Base(f)
		if strings.HasPrefix(name, "_") {
			continue
		}
		t := template.Must(template.Must(base.Clone()).ParseFS(webFS, f))
		pages[strings.TrimSuffix(name, ".html")] = t
	}
	return pages
}

var retentionNames = map[string]string{"Y": "永久", "D30": "定期30年", "D10": "定期10年"}

var draftStatusNames = map[archive.DraftStatus]string{
	archive.DraftOpen:     "待审批",
	archive.DraftReturned: "已退回",
	archive.DraftFiling:   "归档中",
	archive.DraftFiled:    "已归档",
}

var checkNames = map[string]string{
	archive.CheckObjects:   "对象与版本存在",
	archive.CheckSM3:       "SM3 摘要一致",
	archive.CheckSHA256:    "SHA-256 摘要一致",
	archive.CheckSignature: "SM2 签名有效",
	archive.CheckRetention: "合规保留（COMPLIANCE）锁定",
	archive.CheckChain:     "清单链完整",
	archive.CheckCatalog:   "目录与清单一致",
	archive.CheckDisposed:  "已按销毁清册销毁",
}

var webFuncs = template.FuncMap{
	"roleName":      identity.Role.Name,
	"retentionName": func(r any) string { return retentionNames[toString(r)] },
	"statusName":    func(s archive.DraftStatus) string { return draftStatusNames[s] },
	"checkName": func(n string) string {
		if v, ok := checkNames[n]; ok {
			return v
		}
		return n
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(chinaTime).Format("2006-01-02 15:04")
	},
	// marked is the one place where a string reaches a page unescaped: a
	// search highlight, which search.Index produces HTML-escaped with only
	// <mark> and </mark> added (see search/highlight.go and the escaping
	// tests in web_test.go). Nothing else may be passed to it.
	"marked":    func(s string) template.HTML { return template.HTML(s) },
	"add":       func(a, b int) int { return a + b },
	"join":      strings.Join,
	"pathEsc":   url.PathEscape,
	"queryEsc":  url.QueryEscape,
	"citesList": citesList, // web_case.go
	"hasRole": func(u *identity.User, roles ...string) bool {
		if u == nil {
			return false
		}
		for _, r := range roles {
			if string(u.Role) == r {
				return true
			}
		}
		return false
	},
	"classifications": func() []string { return search.Classifications },
	"retentions":      func() []string { return search.Retentions },
	"roles": func() []identity.Role {
		return []identity.Role{identity.RoleClerk, identity.RoleApprover, identity.RoleArchivist, identity.RoleAuditor, identity.RoleAdmin}
	},
	// The lifecycle pages (web_lifecycle.go).
	"resultName":     func(r string) string { return fourPropResultNames[r] },
	"disposalStatus": archive.DisposalStatusName,
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case archive.Retention:
		return string(x)
	}
	return ""
}

// webRoutes registers the pages. Called from routes before the API's 404.
func (s *Server) webRoutes() {
	app := s.app
	app.Get("/static/*", s.webHeaders, s.static)
	app.Get("/login", s.webHeaders, s.loginPage)
	app.Post("/login", s.webHeaders, s.preAuthBody, s.loginSubmit)
	app.Post("/logout", s.webHeaders, s.webSession, s.page(s.logout))
	app.Get("/", s.webHeaders, s.webSession, s.page(s.home))

	get := func(p string, h fiber.Handler) { app.Get(p, s.webHeaders, s.webSession, s.page(h)) }
	post := func(p string, h fiber.Handler) { app.Post(p, s.webHeaders, s.webSession, s.page(h)) }

	get("/drafts", s.draftsPage)
	get("/drafts/new", s.newDraftPage)
	post("/drafts/new", s.newDraftSubmit)
	get("/drafts/:id", s.draftPage)
	get("/drafts/:id/edit", s.editDraftPage)
	post("/drafts/:id/edit", s.editDraftSubmit)
	get("/drafts/:id/preview", s.webPreview)
	post("/drafts/:id/approve", s.heavyPage(s.webApprove))
	post("/drafts/:id/return", s.webReturn)
	get("/queue", s.queuePage)

	get("/records", s.recordsPage)
	s.exportRoutes(get, post) // before /records/:id
	get("/records/:id", s.recordPage)
	get("/records/:id/content", s.recordContent) // the API handler: same bytes, same headers
	get("/records/:id/audit", s.recordAuditPage)
	post("/records/:id/supersede", s.webSupersede)

	get("/search", s.searchPage)
	get("/persons/:name", s.personPage)
	get("/cases/:case", s.casePage)
	post("/search/saved", s.saveSearchSubmit)
	post("/search/saved/:id/delete", s.deleteSearchSubmit)

	get("/audit", s.auditPage)
	s.webLifecycleRoutes(get, post)

	get("/admin", s.adminPage)
	post("/admin/users", s.adminAddUser)
	post("/admin/users/:id/disable", s.adminDisable(true))
	post("/admin/users/:id/enable", s.adminDisable(false))
	post("/admin/users/:id/password", s.adminPassword)
	s.caseWebRoutes(get, post)

	// Any other path outside /api is a page that does not exist.
	app.Use(func(c *fiber.Ctx) error {
		if strings.HasPrefix(c.Path(), "/api/") || c.Path() == "/api" {
			return c.Next()
		}
		s.setWebHeaders(c)
		return s.errorPage(c, fiber.StatusNotFound, "页面不存在", "您访问的地址不存在。")
	})
}

func (s *Server) setWebHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", contentSecurityPolicy)
	c.Set("X-Frame-Options", "DENY")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// webHeaders sets the security headers of every page and asset.
func (s *Server) webHeaders(c *fiber.Ctx) error {
	s.setWebHeaders(c)
	if !strings.HasPrefix(c.Path(), "/static/") {
		// Pages show records: never keep them in a shared cache or on disk.
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return c.Next()
}

func (s *Server) static(c *fiber.Ctx) error {
	name := path.Clean("/" + c.Params("*"))
	b, err := webFS.ReadFile("web/static" + name)
	if err != nil {
		return s.errorPage(c, fiber.StatusNotFound, "页面不存在", "您访问的地址不存在。")
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(b)
}

// secure reports whether cookies must be Secure: under TLS, or when the
// server is configured to be behind a TLS-terminating proxy.
func (s *Server) secure(c *fiber.Ctx) bool { return s.secureCookies || c.Protocol() == "https" }

func (s *Server) setCookie(c *fiber.Ctx, name, value, p string, maxAge int) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: p, MaxAge: maxAge,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: s.secure(c),
	})
}

func (s *Server) clearCookie(c *fiber.Ctx, name, p string) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: "", Path: p, MaxAge: -1, Expires: time.Unix(1, 0),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: s.secure(c),
	})
}

// webSession resolves the session cookie to the caller (as authenticate
// does for tokens) and checks the CSRF token of every POST. Without a
// valid session, a GET goes to the login page and anything else is 403.
func (s *Server) webSession(c *fiber.Ctx) error {
	u, unit, csrf, err := s.store.Identity().SessionUser(c.UserContext(), c.Cookies(sessionCookie))
	if err != nil {
		if !errors.Is(err, archive.ErrUnauthenticated) {
			return s.webError(c, err)
		}
		if c.Cookies(sessionCookie) != "" {
			s.clearCookie(c, sessionCookie, "/")
		}
		if c.Method() == fiber.MethodGet {
			next := c.OriginalURL()
			if next == "/" {
				return c.Redirect("/login", fiber.StatusSeeOther)
			}
			return c.Redirect("/login?next="+url.QueryEscape(next), fiber.StatusSeeOther)
		}
		return s.errorPage(c, fiber.StatusForbidden, "登录已失效", "登录已过期或已退出，请重新登录后再提交。")
	}
	c.Locals(localUser, u)
	c.Locals(localUnit, unit)
	c.Locals(localCSRF, csrf)
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		// The caller is known: the form may now be read, up to BodyLimit.
		if err := s.loadBody(c, s.webBodyLimit(c)); err != nil {
			return s.webError(c, err)
		}
		if !sameToken(postedCSRF(c), csrf) {
			s.log.Warn("csrf mismatch", slog.String("request_id", requestIDOf(c)), slog.String("path", c.Path()), slog.Int64("user", u.ID))
			return s.errorPage(c, fiber.StatusForbidden, "请求已被拒绝", "表单已过期或来源不明（CSRF 校验失败）。请返回上一页刷新后重试。")
		}
	}
	return c.Next()
}

// preAuthBody reads the login form, which comes before any session, up to
// the pre-auth limit.
func (s *Server) preAuthBody(c *fiber.Ctx) error {
	if err := s.loadBody(c, s.preAuthLimit); err != nil {
		return s.webError(c, err)
	}
	return c.Next()
}

func sameToken(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func requestIDOf(c *fiber.Ctx) string {
	rid, _ := c.Locals(localRequestID).(string)
	return rid
}

// page wraps a page handler: an error becomes an HTML error page.
func (s *Server) page(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := h(c); err != nil {
			return s.webError(c, err)
		}
		return nil
	}
}

// newView starts a page's data with the caller.
func newView(c *fiber.Ctx, title, active string, data any) *view {
	u, unit := caller(c)
	csrf, _ := c.Locals(localCSRF).(string)
	return &view{Title: title, Active: active, User: u, Unit: unit, CSRF: csrf, Data: data}
}

func (s *Server) render(c *fiber.Ctx, status int, name string, v *view) error {
	t, ok := webPages[name]
	if !ok {
		return errors.New("server: no page template " + name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return err
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf.Bytes())
}

type errorData struct {
	Status    int
	Heading   string
	Message   string
	RequestID string
}

func (s *Server) errorPage(c *fiber.Ctx, status int, heading, msg string) error {
	v := newView(c, heading, "", errorData{Status: status, Heading: heading, Message: msg, RequestID: requestIDOf(c)})
	if err := s.render(c, status, "error", v); err != nil {
		s.log.Error("error page", slog.String("request_id", requestIDOf(c)), slog.Any("err", err))
		return c.Status(status).SendString(heading)
	}
	return nil
}

// webError is the page face of classify: the same status as the API
// gives for the same error, with its title, message and Retry-After. A 401 (the
// session ended) goes to the login page instead; anything unexpected is
// logged and shown as 500 with the request id.
func (s *Server) webError(c *fiber.Ctx, err error) error {
	class := classify(err)
	class.setRetryAfter(c)
	switch {
	case class.Status == fiber.StatusUnauthorized:
		s.clearCookie(c, sessionCookie, "/")
		return c.Redirect("/login", fiber.StatusSeeOther)
	case class.internal():
		s.logInternal(c, err)
		return s.errorPage(c, class.Status, class.Title, "请将下方的请求编号告知管理员。")
	case class.Fields != nil:
		msgs := make([]string, 0, len(class.Fields))
		for _, e := range class.Fields {
			msgs = append(msgs, e.Field+"："+e.Message)
		}
		return s.errorPage(c, class.Status, class.Title, strings.Join(msgs, "；"))
	}
	return s.errorPage(c, class.Status, class.Title, class.Message)
}

var notices = map[string]string{
	"saved":    "已保存草稿。",
	"returned": "已退回承办人。",
	"created":  "已添加用户。",
	"disabled": "已停用该用户。",
	"enabled":  "已启用该用户。",
	"password": "已重设密码，该用户的登录会话已结束。",
	"search":   "已保存检索。",
	"deleted":  "已删除保存的检索。",
	"filed":    "已签发并归档。",
}

func noticeText(k string) string { return notices[k] }

// logPartial logs an error that leaves a page without one of its parts
// (an author's name, an audit list …) rather than failing the page.
func (s *Server) logPartial(c *fiber.Ctx, part string, err error) {
	s.log.Warn("page part missing", slog.String("request_id", requestIDOf(c)), slog.String("path", c.Path()),
		slog.String("part", part), slog.Any("err", err))
}

// --- login and logout ---

type loginData struct {
	Name  string
	Next  string
	Error string
}

// safeNext keeps a post-login redirect on this site: next (already
// decoded from the query or form) must be a path that starts with exactly
// one "/" followed by a character that is not "/", "\\" or a control
// character, and holds no control character anywhere (browsers drop tabs
// and newlines, so "/\t/evil.example" would become "//evil.example").
// Anything else — "//evil", "/\\evil", "https://evil", "%2F%2Fevil" once
// decoded, empty, the login page itself — gives "/".
func safeNext(next string) string {
	if len(next) < 2 || next[0] != '/' || next[1] == '/' || next[1] == '\\' ||
		!utf8.ValidString(next) || strings.IndexFunc(next, isControl) >= 0 || strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}

// isControl reports a C0 or C1 control character or DEL.
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7F && r <= 0x9F) }

// csrfHeader carries the CSRF token of a script's POST.
const csrfHeader = "X-CSRF-Token"

// postedCSRF is the CSRF token a POST carries: the X-CSRF-Token header,
// else the csrf field of a urlencoded or multipart body. Never the query
// string: a token in a URL leaks through logs, history and Referer.
func postedCSRF(c *fiber.Ctx) string {
	if v := c.Get(csrfHeader); v != "" {
		return v
	}
	if v := c.Request().PostArgs().Peek(csrfField); len(v) > 0 {
		return string(v)
	}
	if mf, err := c.MultipartForm(); err == nil && len(mf.Value[csrfField]) > 0 {
		return mf.Value[csrfField][0]
	}
	return ""
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	if _, _, _, err := s.store.Identity().SessionUser(c.UserContext(), c.Cookies(sessionCookie)); err == nil {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	return s.showLogin(c, fiber.StatusOK, loginData{Next: safeNext(c.Query("next"))})
}

// showLogin renders the login form with a fresh login CSRF token, kept in
// a cookie scoped to /login (double submit: there is no session yet).
func (s *Server) showLogin(c *fiber.Ctx, status int, d loginData) error {
	tok := newCSRFToken()
	s.setCookie(c, loginCSRFCookie, tok, "/login", 3600)
	v := &view{Title: "登录", CSRF: tok, Data: d}
	return s.render(c, status, "login", v)
}

func newCSRFToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *Server) loginSubmit(c *fiber.Ctx) error {
	d := loginData{Name: strings.TrimSpace(c.FormValue("name")), Next: safeNext(c.FormValue("next"))}
	if !sameToken(postedCSRF(c), c.Cookies(loginCSRFCookie)) {
		return s.errorPage(c, fiber.StatusForbidden, "请求已被拒绝", "登录表单已过期或来源不明（CSRF 校验失败）。请刷新登录页后重试。")
	}
	sess, err := s.store.Identity().Login(c.UserContext(), d.Name, c.FormValue("password"), c.IP())
	if err != nil {
		if class := classify(err); class.Status == fiber.StatusUnauthorized {
			d.Error = class.Message
			return s.showLogin(c, class.Status, d)
		}
		return s.webError(c, err)
	}
	s.clearCookie(c, loginCSRFCookie, "/login")
	s.setCookie(c, sessionCookie, sess.ID, "/", 0)
	return c.Redirect(d.Next, fiber.StatusSeeOther)
}

func (s *Server) logout(c *fiber.Ctx) error {
	if err := s.store.Identity().Logout(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	s.clearCookie(c, sessionCookie, "/")
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// home sends each role to its first page.
func (s *Server) home(c *fiber.Ctx) error {
	u, _ := caller(c)
	switch u.Role {
	case identity.RoleClerk:
		return c.Redirect("/drafts", fiber.StatusSeeOther)
	case identity.RoleApprover:
		return c.Redirect("/queue", fiber.StatusSeeOther)
	case identity.RoleAuditor:
		return c.Redirect("/audit", fiber.StatusSeeOther)
	case identity.RoleAdmin:
		return c.Redirect("/admin", fiber.StatusSeeOther)
	}
	return c.Redirect("/search", fiber.StatusSeeOther)
}
