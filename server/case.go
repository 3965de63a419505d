package server

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/templates"
)

// The 谈话函询 loop after signing (issue 11): service of a letter, the
// deadlines ledger, replies, the ≥5 % spot-check and holiday tables. The
// rules are archive's (Store.RecordService, FileReply, ListDeadlines,
// CreateSpotCheck, …); the handlers decode, check the role and map.

func (s *Server) caseRoutes(api fiber.Router) {
	if err := s.store.LoadHolidayTables(); err != nil {
		s.log.Error("stored holiday tables", "err", err)
	}
	api.Post("/records/:id/service", s.recordService)
	api.Get("/records/:id/service", s.letterService)
	api.Post("/records/:id/replies", s.fileReply)
	api.Get("/deadlines", s.listDeadlines)
	api.Post("/spot-checks", s.createSpotCheck)
	api.Get("/spot-checks/:id", s.getSpotCheck)
	api.Get("/spot-checks/:id/verify", s.verifySpotCheck)
	api.Post("/spot-checks/:id/results", s.spotCheckResult)
	api.Post("/holidays", s.addHolidayTable)
	api.Get("/warnings", s.warnings)
}

// parseDay reads a required YYYY-MM-DD value of field.
func parseDay(field, label, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, templates.FieldErrors{{Field: field, Code: "required", Message: "请填写" + label + "（YYYY-MM-DD）"}}
	}
	t, err := time.Parse(archive.DayLayout, v)
	if err != nil {
		return time.Time{}, templates.FieldErrors{{Field: field, Code: "bad_date", Message: label + "应为 YYYY-MM-DD 格式的日期"}}
	}
	return t, nil
}

func (s *Server) recordService(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleClerk, identity.RoleApprover); err != nil {
		return err
	}
	if strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEMultipartForm) {
		return s.recordServiceWithReceipt(c)
	}
	var req struct {
		ServedOn string `json:"served_on"`
	}
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	day, err := parseDay("served_on", "送达日期", req.ServedOn)
	if err != nil {
		return err
	}
	u, _ := caller(c)
	d, err := s.store.RecordService(c.UserContext(), u, c.Params("id"), day)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"deadline": d})
}

// recordServiceWithReceipt is the multipart variant: served_on and an
// optional receipt file (the signed 送达回执), filed as a record.
func (s *Server) recordServiceWithReceipt(c *fiber.Ctx) error {
	up, err := s.readUpload(c)
	if err != nil {
		return err
	}
	defer up.Close()
	day, err := parseDay("served_on", "送达日期", up.value(c, "served_on"))
	if err != nil {
		return err
	}
	u, _ := caller(c)
	if up.file == nil {
		d, err := s.store.RecordService(c.UserContext(), u, c.Params("id"), day)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"deadline": d})
	}
	release, err := s.heavy.acquire(c)
	if err != nil {
		return err
	}
	defer release()
	data, err := up.data()
	if err != nil {
		return err
	}
	d, rec, err := s.store.RecordServiceWithReceipt(c.UserContext(), u, c.Params("id"), day, up.fileName, data)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"deadline": d, "receipt": rec})
}

func (s *Server) letterService(c *fiber.Ctx) error {
	u, _ := caller(c)
	svc, err := s.store.LetterService(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	if svc == nil {
		return apiErr(fiber.StatusNotFound, "not_served", "", "该函询通知书尚未登记送达")
	}
	return c.JSON(svc)
}

func (s *Server) fileReply(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleClerk, identity.RoleApprover); err != nil {
		return err
	}
	up, err := s.readUpload(c)
	if err != nil {
		return err
	}
	defer up.Close()
	if up.file == nil {
		return templates.FieldErrors{{Field: "file", Code: "required", Message: "请在表单字段 file 中上传 .docx、.pdf、.jpg、.png 或 .txt 文件"}}
	}
	day, err := parseDay("received_on", "收到回复日期", up.value(c, "received_on"))
	if err != nil {
		return err
	}
	in := archive.ReplyInput{FileName: up.fileName, ReceivedOn: day}
	switch v := up.value(c, "opinion_signed"); v {
	case "true", "1", "on":
		in.OpinionSigned = true
	case "false", "0", "":
	default:
		return templates.FieldErrors{{Field: "opinion_signed", Code: "bad_bool", Message: "opinion_signed 应为 true 或 false"}}
	}
	release, err := s.heavy.acquire(c) // OCR is the heaviest thing a request does
	if err != nil {
		return err
	}
	defer release()
	if in.Data, err = up.data(); err != nil {
		return err
	}
	u, _ := caller(c)
	res, err := s.store.FileReply(c.UserContext(), u, c.Params("id"), in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/records/" + res.Record.ID)
	return c.Status(fiber.StatusCreated).JSON(res)
}

func (s *Server) listDeadlines(c *fiber.Ctx) error {
	f := archive.DeadlineFilter{Status: c.Query("status"), CaseNo: c.Query("case"), Person: c.Query("person")}
	if v := c.Query("as_of"); v != "" {
		day, err := parseDay("as_of", "基准日期", v)
		if err != nil {
			return err
		}
		f.AsOf = day
	}
	u, _ := caller(c)
	list, err := s.store.ListDeadlines(c.UserContext(), u, f)
	if err != nil {
		return err
	}
	return c.JSON(list)
}

func (s *Server) createSpotCheck(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleApprover, identity.RoleAuditor); err != nil {
		return err
	}
	var req struct {
		Year int    `json:"year"`
		Seed string `json:"seed"`
	}
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	u, _ := caller(c)
	sc, err := s.store.CreateSpotCheck(c.UserContext(), u, req.Year, req.Seed)
	if err != nil {
		return err
	}
	c.Location("/api/v1/spot-checks/" + sc.ID)
	return c.Status(fiber.StatusCreated).JSON(sc)
}

func (s *Server) getSpotCheck(c *fiber.Ctx) error { return answerByID(c, s.store.GetSpotCheck) }

func (s *Server) verifySpotCheck(c *fiber.Ctx) error { return answerByID(c, s.store.VerifySpotCheck) }

func (s *Server) spotCheckResult(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleApprover, identity.RoleAuditor); err != nil {
		return err
	}
	var req struct {
		ReplyID    string `json:"reply_id"`
		Conclusion string `json:"conclusion"`
	}
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	u, _ := caller(c)
	r, err := s.store.RecordSpotCheckResult(c.UserContext(), u, c.Params("id"), req.ReplyID, req.Conclusion)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

// addHolidayTable takes a holiday table (the JSON of holidays-cn.json) as
// the request body. Admins only.
func (s *Server) addHolidayTable(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleAdmin); err != nil {
		return err
	}
	if _, err := s.jsonObject(c); err != nil {
		return err
	}
	u, _ := caller(c)
	if err := s.store.AddHolidayTable(c.UserContext(), u, c.Body()); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"years": s.templates.Calendar().Years()})
}

// warnings lists what an admin must act on (archive.Store.Warnings); the
// same list is what /readyz reports.
func (s *Server) warnings(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"warnings": nonNilWarnings(s.store.Warnings())})
}

func nonNilWarnings(w []archive.Warning) []archive.Warning {
	if w == nil {
		return []archive.Warning{}
	}
	return w
}
