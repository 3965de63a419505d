package server

import (
	"errors"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Request bodies (请求体) are read only as far as the caller may send them.
// The app streams bodies (fiber.Config.StreamRequestBody), so handlers run
// once the headers are in, and:
//
//   - bodyGate, the first middleware, reads a body whose Content-Length is
//     at most the pre-auth limit (Config.PreAuthBodyLimit) into memory at
//     once, as every handler expects. A larger body, or one of unknown
//     length (chunked), is left on the connection.
//   - Once authenticate or webSession knows the caller, loadBody reads a
//     body left there into memory up to the route's limit (BodyLimit); the
//     import handler instead streams its multipart body to a temporary
//     file (readUpload, upload.go). A body declared larger than the limit
//     is refused (413 body_too_large) without being read; one of unknown
//     length is read to at most limit+1 bytes.
//   - An answer given before that (401, 403, 404, 413 …) leaves the body
//     unread, and bodyGate closes the connection after the answer
//     (Connection: close): the unread bytes would otherwise be taken for
//     the next request.
//
// So no handler may call c.Body, c.FormValue or c.MultipartForm before
// loadBody has run: on a body left on the connection they would read all
// of it into memory.

// pendingBody marks a request whose body bodyGate left on the connection.
type pendingBody struct {
	read bool // loadBody or readUpload consumed it to its end
}

const localBody = "pending_body"

// bodyGate reads small bodies, leaves the others for later, and closes the
// connection after a request whose body nobody read. Compressed request
// bodies (Content-Encoding) are refused: Fiber would inflate them in
// memory without a bound.
func (s *Server) bodyGate(c *fiber.Ctx) error {
	n := c.Request().Header.ContentLength() // -1: chunked
	if n == 0 {
		return c.Next()
	}
	if enc := strings.TrimSpace(c.Get(fiber.HeaderContentEncoding)); enc != "" && !strings.EqualFold(enc, "identity") {
		c.Context().SetConnectionClose()
		return apiErr(fiber.StatusUnsupportedMediaType, "unsupported_encoding", "Content-Encoding", "不接受压缩的请求内容（Content-Encoding）")
	}
	if n > 0 && n <= s.preAuthLimit {
		if err := readWholeBody(c, n); err != nil {
			c.Context().SetConnectionClose()
			return err
		}
		return c.Next()
	}
	p := &pendingBody{}
	c.Locals(localBody, p)
	err := c.Next()
	if !p.read {
		c.Context().SetConnectionClose()
	}
	return err
}

// readWholeBody reads a body of n declared bytes into memory.
func readWholeBody(c *fiber.Ctx, n int) error {
	r := c.Context().RequestBodyStream()
	if r == nil { // already in memory
		return nil
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return errBodyIncomplete
	}
	c.Request().SetBodyRaw(buf)
	return nil
}

// errBodyIncomplete: the client stopped sending (or was too slow) before
// the end of the body it declared.
var errBodyIncomplete = apiErr(fiber.StatusBadRequest, "body_incomplete", "body", "请求内容不完整（连接中断或超时）")

func bodyTooLarge(field string, limit int) error {
	return apiErr(fiber.StatusRequestEntityTooLarge, "body_too_large", field, "请求内容超过上限（"+humanBytes(limit)+"）")
}

// pending returns the request's body left on the connection, or nil when
// it is in memory (or there is none).
func pending(c *fiber.Ctx) *pendingBody {
	p, _ := c.Locals(localBody).(*pendingBody)
	if p == nil || p.read {
		return nil
	}
	return p
}

// loadBody makes the request body available in memory (c.Body), reading
// it from the connection if bodyGate left it there, and refuses one over
// limit bytes with 413. Called once the caller is known.
func (s *Server) loadBody(c *fiber.Ctx, limit int) error {
	p := pending(c)
	if p == nil {
		if len(c.Request().Body()) > limit {
			return bodyTooLarge("body", limit)
		}
		return nil
	}
	if n := c.Request().Header.ContentLength(); n > limit {
		return bodyTooLarge("body", limit)
	}
	rs := c.Context().RequestBodyStream()
	if rs == nil { // not streamed after all: in memory
		p.read = true
		return s.loadBody(c, limit)
	}
	b, err := io.ReadAll(&cappedReader{r: rs, left: int64(limit)})
	switch {
	case errors.Is(err, errOverCap):
		return bodyTooLarge("body", limit)
	case err != nil:
		return errBodyIncomplete
	}
	p.read = true
	c.Request().SetBodyRaw(b)
	return nil
}

// errOverCap is a body longer than its cappedReader allows.
var errOverCap = errors.New("server: request body over its limit")

// cappedReader reads at most left bytes of r and then fails with
// errOverCap if r has more: a body of exactly the limit passes.
type cappedReader struct {
	r    io.Reader
	left int64
}

func (r *cappedReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		var one [1]byte
		n, err := r.r.Read(one[:])
		if n > 0 {
			return 0, errOverCap
		}
		return 0, err
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.r.Read(p)
	r.left -= int64(n)
	return n, err
}

func isMultipart(c *fiber.Ctx) bool {
	return strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEMultipartForm)
}
