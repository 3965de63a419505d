package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"os"

	"github.com/gofiber/fiber/v2"
)

// An import's multipart form (上传表单) is read once the caller is known,
// straight from the connection: the file part into a temporary file (mode
// 0600 under Config.TempDir, removed when the request ends), the other
// fields into memory, each bounded. Nothing of the upload is held in
// memory before the import itself reads the file.

const (
	// uploadFormSlack is what an import body may hold beside the file:
	// the other fields and the multipart framing.
	uploadFormSlack = 1 << 20
	// maxUploadParts bounds the parts of an import form.
	maxUploadParts = 64
	// maxUploadField bounds one field other than the file.
	maxUploadField = 64 << 10
)

// uploadLimit is the largest import body: the file and its form.
func (s *Server) uploadLimit() int { return s.importLimit + uploadFormSlack }

// upload is a read import form.
type upload struct {
	fields   map[string]string // first value of each field but the file
	fileName string            // as the client named it (base name)
	file     *os.File          // nil if the form had no file part
	size     int64
}

// Close removes the temporary file.
func (u *upload) Close() {
	if u.file != nil {
		u.file.Close()
		os.Remove(u.file.Name())
	}
}

// data reads the uploaded file into memory.
func (u *upload) data() ([]byte, error) {
	b := make([]byte, u.size)
	if _, err := u.file.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("server: read upload: %w", err)
	}
	return b, nil
}

// value returns a form field; as c.FormValue did, a query parameter of the
// same name comes first.
func (u *upload) value(c *fiber.Ctx, name string) string {
	if v := c.Query(name); v != "" {
		return v
	}
	return u.fields[name]
}

// readUpload reads the request's multipart form. A body that is not
// multipart/form-data gives an empty form (the caller reports the missing
// file); one over uploadLimit, or a file over ImportLimit, is 413.
func (s *Server) readUpload(c *fiber.Ctx) (*upload, error) {
	up := &upload{fields: map[string]string{}}
	mediaType, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mediaType != fiber.MIMEMultipartForm || params["boundary"] == "" {
		return up, nil
	}
	body, err := s.uploadBody(c)
	if err != nil {
		return nil, err
	}
	if err := s.readParts(multipart.NewReader(body, params["boundary"]), up); err != nil {
		up.Close()
		return nil, err
	}
	// Whatever follows the closing boundary, so that the connection can
	// carry the next request.
	if _, err := io.Copy(io.Discard, body); err != nil {
		up.Close()
		return nil, s.uploadError(err)
	}
	if p := pending(c); p != nil {
		p.read = true
	}
	return up, nil
}

// uploadBody is the body to parse, capped at uploadLimit: from the
// connection if bodyGate left it there, else from memory.
func (s *Server) uploadBody(c *fiber.Ctx) (io.Reader, error) {
	limit := s.uploadLimit()
	if n := c.Request().Header.ContentLength(); n > limit {
		return nil, bodyTooLarge("body", limit)
	}
	var r io.Reader
	if rs := c.Context().RequestBodyStream(); pending(c) != nil && rs != nil {
		r = rs
	} else {
		r = bytes.NewReader(c.Request().Body())
	}
	return &cappedReader{r: r, left: int64(limit)}, nil
}

func (s *Server) readParts(mr *multipart.Reader, up *upload) error {
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return s.uploadError(err)
		}
		if i >= maxUploadParts {
			part.Close()
			return apiErr(fiber.StatusRequestEntityTooLarge, "too_many_fields", "", "表单字段过多")
		}
		err = s.readPart(part, up)
		part.Close()
		if err != nil {
			return err
		}
	}
}

func (s *Server) readPart(part *multipart.Part, up *upload) error {
	name := part.FormName()
	if (name == "file" || name == "receipt") && part.FileName() != "" && up.file == nil { // receipt: the 送达回执 of a service (case.go)
		return s.spoolFile(part, up)
	}
	b, err := io.ReadAll(io.LimitReader(part, maxUploadField+1))
	if err != nil {
		return s.uploadError(err)
	}
	if len(b) > maxUploadField {
		return bodyTooLarge(name, maxUploadField)
	}
	if _, seen := up.fields[name]; !seen {
		up.fields[name] = string(b)
	}
	return nil
}

// spoolFile copies the file part into a temporary file.
func (s *Server) spoolFile(part *multipart.Part, up *upload) error {
	f, err := os.CreateTemp(s.tempDir, "wenshu-upload-*")
	if err != nil {
		return fmt.Errorf("server: upload temporary file: %w", err)
	}
	up.file, up.fileName = f, part.FileName()
	n, err := io.Copy(diskWriter{f}, io.LimitReader(part, int64(s.importLimit)+1))
	up.size = n
	var de diskError
	switch {
	case errors.As(err, &de):
		return fmt.Errorf("server: write upload: %w", de.err)
	case err != nil:
		return s.uploadError(err)
	case n > int64(s.importLimit):
		return bodyTooLarge("file", s.importLimit)
	}
	return nil
}

// uploadError is a failed read of the form: over the limit (413), or a
// form that is broken or was cut off (400).
func (s *Server) uploadError(err error) error {
	if errors.Is(err, errOverCap) {
		return bodyTooLarge("body", s.uploadLimit())
	}
	return apiErr(fiber.StatusBadRequest, "bad_multipart", "body", "上传内容不是完整有效的 multipart/form-data 表单")
}

// diskWriter tells a failed write of the temporary file (the server's
// fault) from a failed read of the request.
type diskWriter struct{ f *os.File }

type diskError struct{ err error }

func (e diskError) Error() string { return e.err.Error() }

func (w diskWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		return n, diskError{err}
	}
	return n, nil
}
