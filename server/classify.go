package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/problem"
	"wenshu/search"
	"wenshu/templates"
)

// errorClass is what an error means to the person who caused it: the HTTP
// status, a stable code, a Chinese message safe to show, the offending
// field if there is one and, for 422, every field error. classify is the
// only place that decides it; the JSON error handler (handleError), the
// web error page (webError) and the pages that show an error inline (the
// draft editor, the draft page, the admin form, the search form) all ask
// classify and only choose how to show the answer.
type errorClass struct {
	Status  int
	Code    string
	Message string
	Field   string
	// Fields lists the field errors of a 422; nil for every other status.
	Fields templates.FieldErrors
	// Title heads the web error page.
	Title string
	// RetryAfter, in seconds, is sent as Retry-After (setRetryAfter) by
	// both faces. Every 503 has one: storageRetryAfter for a storage
	// outage and any 503 that names none, the heavy gate's wait for busy.
	RetryAfter int
}

// storageRetryAfter is the Retry-After of a storage outage, in seconds:
// about one storage timeout, the time recovery needs to try again.
const storageRetryAfter = 5

// internal reports whether the error is the server's fault: logged with
// the request id, and shown to the user only as that id.
func (e errorClass) internal() bool { return e.Status == fiber.StatusInternalServerError }

// internalClass is every error classify does not know. Its text may name
// SQL, object keys or MinIO endpoints, so only this class is shown.
var internalClass = errorClass{Status: fiber.StatusInternalServerError, Code: "internal",
	Message: "服务器内部错误，请将请求编号告知管理员", Title: "服务器内部错误"}

// statusTitles head the web error page of each status.
var statusTitles = map[int]string{
	fiber.StatusBadRequest:            "输入有误",
	fiber.StatusUnauthorized:          "需要登录",
	fiber.StatusForbidden:             "无权访问",
	fiber.StatusNotFound:              "未找到",
	fiber.StatusMethodNotAllowed:      "无法完成",
	fiber.StatusConflict:              "无法完成",
	fiber.StatusRequestEntityTooLarge: "内容过大",
	fiber.StatusUnsupportedMediaType:  "无法完成",
	fiber.StatusUnprocessableEntity:   "输入有误",
	fiber.StatusServiceUnavailable:    "暂不可用",
}

// classify maps an error to its class. Errors are matched by type and
// sentinel only, never by their text:
//
//	templates.FieldErrors                422 with the list
//	templates.ErrUnknownTemplate         404 template_not_found
//	*apiError (the server's own)         its status and code
//	*requestDecodeError (a JSON body)    422 unknown_field / bad_type, 400 bad_json
//	*search.QueryError                   400 with its code and field
//	*archive.Error                       by kind: ErrNotFound 404, ErrForbidden 403,
//	                                     ErrConflict 409, ErrInvalid 422 with a field
//	                                     (400 without), ErrUnauthenticated 401,
//	                                     ErrTooLarge 413, ErrUnavailable 503 (a
//	                                     storage outage; an *archive.FilingPending
//	                                     is one too, where a handler does not
//	                                     answer it with 202)
//	*fiber.Error                         413 body_too_large, 404 not_found,
//	                                     405 method_not_allowed, other 4xx bad_request
//
// and anything else is internalClass (500). Every 503 carries a
// RetryAfter.
func classify(err error) errorClass {
	var (
		fe   templates.FieldErrors
		own  *apiError
		de   *requestDecodeError
		qe   *search.QueryError
		ae   *problem.Error
		ferr *fiber.Error
	)
	var c errorClass
	switch {
	case errors.As(err, &fe):
		c = fieldClass(fe)
	case errors.Is(err, templates.ErrUnknownTemplate):
		c = errorClass{Status: fiber.StatusNotFound, Code: "template_not_found", Message: "模板不存在"}
	case errors.As(err, &own):
		c = errorClass{Status: own.Status, Code: own.Code, Field: own.Field, Message: own.Message, RetryAfter: own.RetryAfter}
	case errors.As(err, &de):
		c = de.class()
	case errors.As(err, &qe):
		c = errorClass{Status: fiber.StatusBadRequest, Code: qe.Code, Field: qe.Field, Message: qe.Message, Title: "检索条件有误"}
	case errors.As(err, &ae):
		c = archiveClass(ae)
	case errors.As(err, &ferr):
		c = fiberClass(ferr)
	default:
		return internalClass
	}
	if c.internal() {
		return internalClass
	}
	if c.Status == fiber.StatusServiceUnavailable && c.RetryAfter <= 0 {
		c.RetryAfter = storageRetryAfter
	}
	if c.Title == "" {
		c.Title = statusTitles[c.Status]
		if c.Title == "" {
			c.Title = "无法完成"
		}
	}
	return c
}

// fieldClass is a 422 listing every bad field.
func fieldClass(fe templates.FieldErrors) errorClass {
	return errorClass{Status: fiber.StatusUnprocessableEntity, Code: "invalid_fields", Message: "输入有误，请按提示修改", Fields: fe}
}

// archiveClass maps the kinds of archive.Error (see archive/errors.go).
// An Error of no known kind is the server's fault.
func archiveClass(ae *problem.Error) errorClass {
	c := errorClass{Code: ae.Code, Field: ae.Field, Message: ae.Message}
	switch {
	case errors.Is(ae, archive.ErrNotFound):
		c.Status = fiber.StatusNotFound
	case errors.Is(ae, archive.ErrForbidden):
		c.Status = fiber.StatusForbidden
	case errors.Is(ae, archive.ErrConflict):
		c.Status = fiber.StatusConflict
	case errors.Is(ae, archive.ErrInvalid) && ae.Field != "":
		return fieldClass(templates.FieldErrors{{Field: ae.Field, Code: ae.Code, Message: ae.Message}})
	case errors.Is(ae, archive.ErrInvalid):
		c.Status = fiber.StatusBadRequest
	case errors.Is(ae, archive.ErrUnauthenticated):
		c.Status = fiber.StatusUnauthorized
	case errors.Is(ae, archive.ErrTooLarge):
		c.Status = fiber.StatusRequestEntityTooLarge
	case errors.Is(ae, archive.ErrGone):
		c.Status = fiber.StatusGone
	case errors.Is(ae, problem.ErrUnavailable):
		c.Status, c.RetryAfter, c.Title = fiber.StatusServiceUnavailable, storageRetryAfter, "存储服务暂不可用"
	default:
		return internalClass
	}
	return c
}

// fiberClass maps the errors Fiber raises itself (body limit, no route,
// wrong method, a request it could not parse).
func fiberClass(ferr *fiber.Error) errorClass {
	switch {
	case ferr.Code == fiber.StatusRequestEntityTooLarge:
		return errorClass{Status: ferr.Code, Code: "body_too_large", Field: "body", Message: "请求内容过大"}
	case ferr.Code == fiber.StatusNotFound:
		return errorClass{Status: ferr.Code, Code: "not_found", Message: "请求的地址不存在"}
	case ferr.Code == fiber.StatusMethodNotAllowed:
		return errorClass{Status: ferr.Code, Code: "method_not_allowed", Message: "不支持该请求方法"}
	case ferr.Code >= 400 && ferr.Code < 500:
		return errorClass{Status: ferr.Code, Code: "bad_request", Message: "请求无效"}
	}
	return internalClass
}

// requestDecodeError is a JSON request body that did not decode into the
// struct the handler expects. Only the call site that decodes a request
// makes one, so that a JSON error from deeper down (a catalog row, say)
// stays a 500 instead of being blamed on the caller.
type requestDecodeError struct {
	// UnknownField is the first key (in the order encoding/json reports
	// them) that names no field of the struct; "" if the error is another.
	UnknownField string
	Err          error
}

func (e *requestDecodeError) Error() string { return "server: decode request: " + e.Err.Error() }
func (e *requestDecodeError) Unwrap() error { return e.Err }

// class: a wrong type or an unknown key is a field error (422) naming
// the key; a body that is not JSON at all is 400.
func (e *requestDecodeError) class() errorClass {
	var (
		te *json.UnmarshalTypeError
		se *json.SyntaxError
	)
	switch {
	case errors.As(e.Err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return fieldClass(templates.FieldErrors{{Field: field, Code: "bad_type", Message: "字段 " + field + " 的类型不正确"}})
	case e.UnknownField != "":
		return fieldClass(templates.FieldErrors{{Field: e.UnknownField, Code: "unknown_field", Message: "未知字段 " + e.UnknownField}})
	case errors.As(e.Err, &se):
		return errorClass{Status: fiber.StatusBadRequest, Code: "bad_json", Field: "body", Message: "请求内容不是有效的 JSON 对象"}
	}
	return fieldClass(templates.FieldErrors{{Field: "body", Code: "bad_type", Message: "字段 body 的类型不正确"}})
}

// decodeStrict decodes raw, the re-encoded JSON object obj, into v
// refusing unknown keys. Its error is a *requestDecodeError that names
// the unknown key, found by comparing obj's keys with v's JSON field
// names (encoding/json has no typed error for it).
func decodeStrict(obj map[string]any, raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &requestDecodeError{Err: err}
	}
	return &requestDecodeError{UnknownField: firstUnknownKey(obj, v), Err: err}
}

// firstUnknownKey returns the first key of obj, in sorted order (the order
// json.Marshal writes a map, so the one encoding/json reports), that
// matches no JSON field of the struct v points to. encoding/json matches
// names case-insensitively, and so does this. v's struct must not embed
// structs (their promoted fields are not looked at).
func firstUnknownKey(obj map[string]any, v any) string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		known := false
		for _, n := range names {
			if strings.EqualFold(k, n) {
				known = true
				break
			}
		}
		if !known {
			return k
		}
	}
	return ""
}

// setRetryAfter sets the class's Retry-After, if it has one, on the
// answer: the JSON error handler and the web error page both call it, so
// that every 503 tells when to try again.
func (e errorClass) setRetryAfter(c *fiber.Ctx) {
	if e.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(e.RetryAfter))
	}
}
