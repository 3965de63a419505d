package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/problem"
	"wenshu/templates"
)

// apiError is an error the server itself raises, with its status.
type apiError struct {
	Status  int
	Code    string
	Field   string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func apiErr(status int, code, field, msg string) error {
	return &apiError{Status: status, Code: code, Field: field, Message: msg}
}

// errorBody is the JSON of every error but 422: {"error": {...}}.
type errorBody struct {
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
}

// handleError is the one place where errors become statuses. Field errors
// are 422 {"errors": [{field, code, message}]}; everything else is
// {"error": {code, field, message, request_id}}. Internal errors are
// logged with the request id and shown only as 服务器内部错误.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	rid, _ := c.Locals(localRequestID).(string)
	var (
		fe   templates.FieldErrors
		ae   *problem.Error
		own  *apiError
		ferr *fiber.Error
	)
	switch {
	case errors.As(err, &fe):
		return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"errors": fe})
	case errors.Is(err, templates.ErrUnknownTemplate):
		return s.writeErr(c, fiber.StatusNotFound, errorBody{Code: "template_not_found", Message: "模板不存在", RequestID: rid})
	case errors.As(err, &own):
		return s.writeErr(c, own.Status, errorBody{Code: own.Code, Field: own.Field, Message: own.Message, RequestID: rid})
	case errors.As(err, &ae):
		status := fiber.StatusInternalServerError
		switch {
		case errors.Is(err, archive.ErrNotFound):
			status = fiber.StatusNotFound
		case errors.Is(err, archive.ErrForbidden):
			status = fiber.StatusForbidden
		case errors.Is(err, archive.ErrConflict):
			status = fiber.StatusConflict
		case errors.Is(err, archive.ErrInvalid):
			if ae.Field != "" {
				return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"errors": []templates.FieldError{
					{Field: ae.Field, Code: ae.Code, Message: ae.Message}}})
			}
			status = fiber.StatusBadRequest
		case errors.Is(err, archive.ErrUnauthenticated):
			status = fiber.StatusUnauthorized
		case errors.Is(err, archive.ErrTooLarge):
			status = fiber.StatusRequestEntityTooLarge
		}
		if status != fiber.StatusInternalServerError {
			return s.writeErr(c, status, errorBody{Code: ae.Code, Field: ae.Field, Message: ae.Message, RequestID: rid})
		}
	case errors.As(err, &ferr):
		switch ferr.Code {
		case fiber.StatusRequestEntityTooLarge:
			return s.writeErr(c, ferr.Code, errorBody{Code: "body_too_large", Field: "body", Message: "请求内容过大", RequestID: rid})
		case fiber.StatusNotFound:
			return s.writeErr(c, ferr.Code, errorBody{Code: "not_found", Message: "请求的地址不存在", RequestID: rid})
		case fiber.StatusMethodNotAllowed:
			return s.writeErr(c, ferr.Code, errorBody{Code: "method_not_allowed", Message: "不支持该请求方法", RequestID: rid})
		}
		if ferr.Code >= 400 && ferr.Code < 500 {
			return s.writeErr(c, ferr.Code, errorBody{Code: "bad_request", Message: "请求无效", RequestID: rid})
		}
	}
	s.log.Error("internal error", slog.String("request_id", rid), slog.String("method", c.Method()),
		slog.String("path", c.Path()), slog.Any("err", err))
	return s.writeErr(c, fiber.StatusInternalServerError, errorBody{Code: "internal", Message: "服务器内部错误，请将请求编号告知管理员", RequestID: rid})
}

func (s *Server) writeErr(c *fiber.Ctx, status int, body errorBody) error {
	return c.Status(status).JSON(fiber.Map{"error": body})
}

const (
	localRequestID = "request_id"
	localUser      = "user"
	localUnit      = "unit"
)

// requestID gives every request an id, echoed in X-Request-ID and in
// error bodies, and carried by the log lines about it.
func (s *Server) requestID(c *fiber.Ctx) error {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	c.Locals(localRequestID, id)
	c.Set("X-Request-ID", id)
	return c.Next()
}

// accessLog writes one line per request: who asked for what and the
// answer. Query strings are not logged (they can carry case names).
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := s.handleError(c, err); herr != nil {
			return herr
		}
	}
	attrs := []any{
		slog.String("request_id", c.Locals(localRequestID).(string)),
		slog.String("method", c.Method()),
		slog.String("path", c.Path()),
		slog.Int("status", c.Response().StatusCode()),
		slog.Duration("took", time.Since(start)),
	}
	if u, ok := c.Locals(localUser).(*identity.User); ok {
		attrs = append(attrs, slog.Int64("user", u.ID), slog.String("role", string(u.Role)))
	}
	s.log.Info("http", attrs...)
	return nil
}

// recoverPanic turns a panic in a handler into a logged 500 with the
// request id, so that one bad request never takes the server down.
func (s *Server) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in handler", slog.String("request_id", requestIDOf(c)),
				slog.String("path", c.Path()), slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("server: panic: %v", r)
		}
	}()
	return c.Next()
}
