package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
	"wenshu/identity"

	"github.com/gofiber/fiber/v2"
)

// apiError is an error the server itself raises, with its status.
type apiError struct {
	Status  int
	Code    string
	Field   string
	Message string
	// RetryAfter, in seconds, for a 503 that knows when to retry (busy);
	// 0 takes classify's default.
	RetryAfter int
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

// handleError is the JSON face of classify. Field errors are 422
// {"errors": [{field, code, message}]}; everything else is
// {"error": {code, field, message, request_id}}. Internal errors are
// logged with the request id and shown only as 服务器内部错误.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	rid := requestIDOf(c)
	class := classify(err)
	if class.internal() {
		s.logInternal(c, err)
	}
	class.setRetryAfter(c)
	if class.Fields != nil {
		return c.Status(class.Status).JSON(fiber.Map{"errors": class.Fields})
	}
	return s.writeErr(c, class.Status, errorBody{Code: class.Code, Field: class.Field, Message: class.Message, RequestID: rid})
}

// logInternal logs an error that is the server's fault, with the request
// id that the answer shows.
func (s *Server) logInternal(c *fiber.Ctx, err error) {
	s.log.Error("internal error", slog.String("request_id", requestIDOf(c)), slog.String("method", c.Method()),
		slog.String("path", c.Path()), slog.Any("err", err))
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
