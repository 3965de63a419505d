package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/problem"
	"wenshu/search"
	"wenshu/templates"
)

// errorKinds is one error value of every kind the server meets, with the
// status and code both faces must give it.
var errorKinds = []struct {
	name   string
	err    error
	status int
	code   string // of {"error": …}, or of the first {"errors": […]}
}{
	{"field errors", templates.FieldErrors{{Field: "phone", Code: "bad_phone", Message: "电话格式不正确"}}, 422, "bad_phone"},
	{"wrapped field errors", fmt.Errorf("archive: create: %w", templates.FieldErrors{{Field: "a", Code: "required", Message: "必填"}}), 422, "required"},
	{"unknown template", fmt.Errorf("%w: %q", templates.ErrUnknownTemplate, "nope"), 404, "template_not_found"},
	{"server 400", apiErr(400, "bad_limit", "limit", "参数 limit 应为整数"), 400, "bad_limit"},
	{"server 403", apiErr(403, "forbidden_role", "", "当前角色无权执行此操作"), 403, "forbidden_role"},
	{"server 404", apiErr(404, "not_found", "", "保存的检索不存在"), 404, "not_found"},
	{"server 409", apiErr(409, "content_mismatch", "", "存储的文件与签名清单不一致"), 409, "content_mismatch"},
	{"server 413", apiErr(413, "too_many_fields", "", "表单字段过多"), 413, "too_many_fields"},
	{"server 415", apiErr(415, "bad_content_type", "Content-Type", "请求内容应为 application/json"), 415, "bad_content_type"},
	{"server 503", apiErr(503, "search_unavailable", "", "检索服务未启用"), 503, "search_unavailable"},
	{"busy", &apiError{Status: 503, Code: "busy", RetryAfter: 2, Message: "服务器正忙"}, 503, "busy"},
	{"storage unavailable", fmt.Errorf("archive: read content: %w", problem.New(problem.ErrUnavailable, "storage_unavailable", "存储服务暂不可用，请稍后重试")), 503, "storage_unavailable"},
	{"filing pending", &archive.FilingPending{FilingID: "f1", DraftID: "d1", Status: "rendered"}, 503, "filing_pending"},
	{"unknown JSON field", &requestDecodeError{UnknownField: "unit", Err: errors.New("json: unknown field \"unit\"")}, 422, "unknown_field"},
	{"JSON type", &requestDecodeError{Err: &json.UnmarshalTypeError{Value: "number", Field: "persons"}}, 422, "bad_type"},
	{"JSON syntax", &requestDecodeError{Err: &json.SyntaxError{Offset: 3}}, 400, "bad_json"},
	{"query error", fmt.Errorf("search: %w", &search.QueryError{Field: "q", Code: search.CodeUnbalancedQuote, Message: "引号未闭合"}), 400, "unbalanced_quote"},
	{"archive not found", &problem.Error{Kind: archive.ErrNotFound, Code: "not_found", Message: "档案不存在或无权查看"}, 404, "not_found"},
	{"archive forbidden", &problem.Error{Kind: archive.ErrForbidden, Code: "above_clearance", Message: "不能起草高于本人密级的文书"}, 403, "above_clearance"},
	{"archive conflict", fmt.Errorf("wrapped: %w", &problem.Error{Kind: archive.ErrConflict, Code: "self_approval", Message: "不能签发本人起草的文书"}), 409, "self_approval"},
	{"archive invalid field", &problem.Error{Kind: archive.ErrInvalid, Code: "bad_reason", Field: "reason", Message: "请填写退回理由"}, 422, "bad_reason"},
	{"archive invalid", &problem.Error{Kind: archive.ErrInvalid, Code: "bad_request", Message: "请求无效"}, 400, "bad_request"},
	{"archive unauthenticated", &problem.Error{Kind: archive.ErrUnauthenticated, Code: "bad_token", Message: "令牌无效"}, 401, "bad_token"},
	{"archive too large", &problem.Error{Kind: archive.ErrTooLarge, Code: "file_too_large", Message: "文件过大"}, 413, "file_too_large"},
	{"archive error of no kind", &problem.Error{Code: "odd", Message: "内部"}, 500, "internal"},
	{"fiber body limit", fiber.ErrRequestEntityTooLarge, 413, "body_too_large"},
	{"fiber no route", fiber.ErrNotFound, 404, "not_found"},
	{"fiber method", fiber.ErrMethodNotAllowed, 405, "method_not_allowed"},
	{"fiber bad request", fiber.ErrBadRequest, 400, "bad_request"},
	{"fiber 500", fiber.ErrInternalServerError, 500, "internal"},
	{"plain error", errors.New("sql: database is locked at /data/catalog.db"), 500, "internal"},
	// A JSON error from deeper down is the server's fault, not the caller's.
	{"catalog JSON", fmt.Errorf("archive: load draft: %w", &json.UnmarshalTypeError{Value: "string", Field: "fields"}), 500, "internal"},
}

// TestErrorFacesAgree drives the JSON error handler and the web error page
// with the same error values through real Fiber requests and checks that
// both give the status of the one classifier. The web face answers a 401
// (a session that ended) by sending the browser to the login page.
func TestErrorFacesAgree(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s.app = fiber.New(fiber.Config{ErrorHandler: s.handleError, DisableStartupMessage: true})
	s.app.Use(s.requestID)
	s.app.Get("/api/:i", func(c *fiber.Ctx) error {
		i, _ := strconv.Atoi(c.Params("i"))
		return errorKinds[i].err
	})
	s.app.Get("/web/:i", s.webHeaders, s.page(func(c *fiber.Ctx) error {
		i, _ := strconv.Atoi(c.Params("i"))
		return errorKinds[i].err
	}))
	get := func(path string) *resp {
		res, err := s.app.Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return &resp{status: res.StatusCode, header: res.Header, body: b}
	}
	for i, k := range errorKinds {
		t.Run(k.name, func(t *testing.T) {
			if got := classify(k.err).Status; got != k.status {
				t.Errorf("classify: %d, want %d", got, k.status)
			}
			api := get("/api/" + strconv.Itoa(i))
			if api.status != k.status {
				t.Errorf("API: %d, want %d: %s", api.status, k.status, api.body)
			}
			var body struct {
				Error struct {
					Code, Message string
					RequestID     string `json:"request_id"`
				} `json:"error"`
				Errors []templates.FieldError `json:"errors"`
			}
			api.json(t, &body)
			code, msg := body.Error.Code, body.Error.Message
			if len(body.Errors) > 0 {
				code, msg = body.Errors[0].Code, body.Errors[0].Message
			}
			if code != k.code || msg == "" {
				t.Errorf("API: code %q message %q, want code %q: %s", code, msg, k.code, api.body)
			}
			if k.status == 500 && (strings.Contains(string(api.body), "sql") || body.Error.RequestID == "") {
				t.Errorf("API 500 shows its cause or no request id: %s", api.body)
			}

			web := get("/web/" + strconv.Itoa(i))
			checkRetryAfter(t, k.err, k.status, api, web)
			if k.status == 401 {
				if web.status != 303 || web.header.Get("Location") != "/login" {
					t.Errorf("web 401: %d to %q, want 303 to /login", web.status, web.header.Get("Location"))
				}
				return
			}
			if web.status != k.status {
				t.Errorf("web: %d, want %d (API %d)", web.status, k.status, api.status)
			}
			page := string(web.body)
			if !strings.Contains(page, `class="errorpage"`) || !strings.Contains(page, "<h1>"+strconv.Itoa(k.status)+" · ") {
				t.Errorf("web: no error page of status %d:\n%s", k.status, page)
			}
			if k.status == 500 {
				if strings.Contains(page, "sql") || !strings.Contains(page, web.header.Get("X-Request-ID")) {
					t.Errorf("web 500 shows its cause or no request id:\n%s", page)
				}
			} else if !strings.Contains(page, msg) {
				t.Errorf("web: message %q not on the page:\n%s", msg, page)
			}
		})
	}
}

// checkRetryAfter: both faces answer every 503 with the Retry-After of
// its class (busy: the gate's wait; any other: storageRetryAfter), and
// nothing else with one.
func checkRetryAfter(t *testing.T, err error, status int, api, web *resp) {
	t.Helper()
	want := ""
	if status == 503 {
		want = strconv.Itoa(storageRetryAfter)
		if ae := (*apiError)(nil); errors.As(err, &ae) && ae.RetryAfter > 0 {
			want = strconv.Itoa(ae.RetryAfter)
		}
	}
	for face, r := range map[string]*resp{"API": api, "web": web} {
		if got := r.header.Get("Retry-After"); got != want {
			t.Errorf("%s: Retry-After %q, want %q", face, got, want)
		}
	}
}

func TestFirstUnknownKey(t *testing.T) {
	for _, c := range []struct {
		obj  map[string]any
		want string
	}{
		{map[string]any{"template": "x", "fields": map[string]any{}}, ""},
		{map[string]any{"Template": "x", "CASE_NO": "A"}, ""}, // encoding/json matches names case-insensitively
		{map[string]any{"unit": 1, "template": "x"}, "unit"},
		{map[string]any{"zz": 1, "aa": 2, "template": "x"}, "aa"}, // sorted, as json.Marshal writes a map
	} {
		if got := firstUnknownKey(c.obj, &draftRequest{}); got != c.want {
			t.Errorf("%v: %q, want %q", c.obj, got, c.want)
		}
		raw, _ := json.Marshal(c.obj)
		err := decodeStrict(c.obj, raw, &draftRequest{})
		if got := classify(err); c.want == "" && err != nil || c.want != "" && (got.Status != 422 || got.Fields[0].Field != c.want) {
			t.Errorf("%v: decodeStrict gives %v (%+v)", c.obj, err, got)
		}
	}
}
