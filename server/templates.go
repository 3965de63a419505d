package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"wenshu/docgen"
	"wenshu/identity"
	"wenshu/templates"
)

// DocxType is the media type of a .docx.
const DocxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

type templateSummary struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Kind        string            `json:"kind"`
	Layout      docgen.Layout     `json:"layout"`
	Description string            `json:"description,omitempty"`
	Fields      []templates.Field `json:"fields"`
}

func summarize(t *templates.Template) templateSummary {
	return templateSummary{ID: t.ID, Name: t.Name, Kind: t.Kind, Layout: t.Layout, Description: t.Description, Fields: t.Fields}
}

func (s *Server) templateRoutes(api fiber.Router) {
	api.Get("/templates", s.listTemplates)
	api.Get("/templates/:id", s.getTemplate)
	api.Post("/templates/:id/render", s.renderTemplate)
}

func (s *Server) listTemplates(c *fiber.Ctx) error {
	all := s.templates.All()
	out := make([]templateSummary, 0, len(all))
	for _, t := range all {
		out = append(out, summarize(t))
	}
	return c.JSON(out)
}

func (s *Server) getTemplate(c *fiber.Ctx) error {
	t, err := s.templates.Get(c.Params("id"))
	if err != nil {
		return err
	}
	out := struct {
		templateSummary
		Example map[string]any `json:"example"`
	}{summarize(t), t.Example()}
	return c.JSON(out)
}

// jsonObject decodes a JSON object body, bounded by the server's body
// limit, into a map. A body over the limit is 413, a Content-Type other
// than JSON 415, and anything but one JSON object 400, each naming what
// was wrong.
func (s *Server) jsonObject(c *fiber.Ctx) (map[string]any, error) {
	if err := s.loadBody(c, s.bodyLimit); err != nil {
		return nil, err
	}
	body := c.Body()
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if ct != "" && !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		return nil, apiErr(fiber.StatusUnsupportedMediaType, "bad_content_type", "Content-Type", "请求内容应为 application/json")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, apiErr(fiber.StatusBadRequest, "bad_json", "body", "请求内容不是有效的 JSON 对象")
	}
	if dec.More() {
		return nil, apiErr(fiber.StatusBadRequest, "bad_json", "body", "请求内容在 JSON 对象之后还有多余内容")
	}
	return m, nil
}

// decodeJSON decodes the JSON object body strictly into v (unknown keys
// and wrong types are named); the casework and lifecycle handlers share it.
func (s *Server) decodeJSON(c *fiber.Ctx, v any) error {
	obj, err := s.jsonObject(c)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("server: re-encode body: %w", err)
	}
	return decodeStrict(obj, raw, v)
}

// renderTemplate renders a template's fields to a .docx without storing
// anything. The issuing organ is the caller's unit; the 发文字号 is left
// blank (〔2026〕 号) because numbers are allocated only when an approver
// files a document.
func (s *Server) renderTemplate(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleClerk, identity.RoleApprover, identity.RoleAdmin); err != nil {
		return err
	}
	t, err := s.templates.Get(c.Params("id"))
	if err != nil {
		return err
	}
	fields, err := s.jsonObject(c)
	if err != nil {
		return err
	}
	if v, ok := fields[templates.FieldDocNumber].(string); ok && strings.TrimSpace(v) != "" {
		return templates.FieldErrors{{Field: templates.FieldDocNumber, Code: "assigned_on_filing",
			Message: "发文字号在签发归档时自动编号，不能手工填写"}}
	}
	_, unit := caller(c)
	req := templates.RenderRequest{TemplateID: t.ID, Fields: fields, Preview: true}
	if unit != nil {
		req.IssuerName, req.UnitCode = unit.Name, unit.Code
	}
	out, err := s.templates.Render(req)
	if err != nil {
		return err
	}
	name := out.Title + ".docx"
	c.Set(fiber.HeaderContentType, DocxType)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(name))
	return c.Send(out.Docx)
}

// contentDisposition names a download with an ASCII fallback and the UTF-8
// name (RFC 6266 / RFC 5987).
func contentDisposition(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, name)
	ascii := "document.docx"
	if i := strings.LastIndex(name, "."); i >= 0 {
		ascii = "document" + name[i:]
	}
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + url.PathEscape(name)
}

func humanBytes(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " 字节"
}
