package server

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/problem"
	"wenshu/transfer"
)

// Transfer packages (移交包, package transfer) for archivists: a form on
// the records area (/records/export) and the same download over the API
// (POST /api/v1/exports). Both check the role here; archive.OpenExport
// checks the unit (own or granted), the clearance and audits
// record.export before a byte is sent, so every refusal is a proper 4xx.
// The zip is then streamed as transfer.Write produces it; a failure while
// streaming is logged and leaves a package without manifest.json, which
// verify-package refuses.

// exportTimeout bounds one streamed package.
const exportTimeout = time.Hour

// exportRoutes registers the export page and downloads (called from
// webRoutes with its page helpers).
func (s *Server) exportRoutes(get, post func(string, fiber.Handler)) {
	get("/records/export", s.exportPage)
	post("/records/export", s.exportSubmit)
	s.app.Post("/api/v1/exports", s.apiExport)
}

type exportData struct {
	Units []*identity.Unit
	Year  int
}

func (s *Server) exportPage(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleArchivist); err != nil {
		return err
	}
	u, _ := caller(c)
	ctx := c.UserContext()
	ids, err := s.store.Identity().VisibleUnits(ctx, u)
	if err != nil {
		return err
	}
	d := exportData{Year: time.Now().In(chinaTime).Year()}
	for _, id := range ids {
		n, err := s.store.Identity().GetUnit(ctx, id)
		if err != nil {
			return err
		}
		d.Units = append(d.Units, n)
	}
	return s.render(c, fiber.StatusOK, "export", newView(c, "导出移交包", "records", d))
}

func (s *Server) exportSubmit(c *fiber.Ctx) error {
	return s.export(c, c.FormValue("unit"), c.FormValue("year"), c.FormValue("retention"))
}

// apiExport takes {"unit_id": 1, "year": 2026, "retention": "D30"} (or
// the same as form values) and answers the zip.
func (s *Server) apiExport(c *fiber.Ctx) error {
	var in struct {
		UnitID    int64  `json:"unit_id" form:"unit_id"`
		Year      int    `json:"year" form:"year"`
		Retention string `json:"retention" form:"retention"`
	}
	if err := c.BodyParser(&in); err != nil {
		return apiErr(fiber.StatusBadRequest, "bad_body", "", "请求体应为 JSON：unit_id、year、retention")
	}
	return s.export(c, strconv.FormatInt(in.UnitID, 10), strconv.Itoa(in.Year), in.Retention)
}

// export checks the request, opens the export and streams the package.
func (s *Server) export(c *fiber.Ctx, unit, year, retention string) error {
	if err := requireRole(c, identity.RoleArchivist); err != nil {
		return err
	}
	unitID, err := strconv.ParseInt(strings.TrimSpace(unit), 10, 64)
	if err != nil || unitID <= 0 {
		return problem.Invalid("bad_unit", "unit_id", "请选择单位")
	}
	y, err := strconv.Atoi(strings.TrimSpace(year))
	if err != nil {
		return problem.Invalid("bad_year", "year", "年度应为四位数字")
	}
	u, _ := caller(c)
	x, err := s.store.OpenExport(c.UserContext(), u, archive.ExportSelection{UnitID: unitID, Year: y,
		Retention: archive.Retention(strings.TrimSpace(retention))})
	if err != nil {
		return err
	}
	name := fmt.Sprintf("移交包 %s %d", x.Unit.Name, y)
	if x.Selection.Retention != "" {
		name += " " + string(x.Selection.Retention)
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, contentDisposition(name+".zip"))
	c.Set("X-Wenshu-Package", x.PackageID)
	log := s.log.With(slog.String("request_id", requestIDOf(c)), slog.String("package", x.PackageID))
	ctx := context.WithoutCancel(c.UserContext())
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(ctx, exportTimeout)
		defer cancel()
		if _, err := transfer.Write(ctx, w, x, transfer.WriteOptions{}); err != nil {
			log.Error("transfer package stream failed", slog.Any("err", err))
		}
		if err := w.Flush(); err != nil {
			log.Warn("transfer package stream not delivered", slog.Any("err", err))
		}
	})
	return nil
}
