package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
)

// The archive's later life (issue 13): legal holds (法律保全), the expiry
// list, appraisal (鉴定), 销毁清册 and 四性检测 reports. The archive checks
// roles and units; the handlers only decode.
func (s *Server) lifecycleRoutes(api fiber.Router) {
	api.Get("/records/:id/legal-hold", s.listLegalHolds)
	api.Post("/records/:id/legal-hold", s.placeLegalHold)
	api.Delete("/records/:id/legal-hold", s.liftLegalHold)
	api.Post("/records/:id/appraisal", s.appraiseRecord)
	api.Get("/records/:id/four-properties", s.recordFourProperties)
	api.Post("/records/:id/four-properties", s.recordFourProperties)
	api.Post("/four-properties", s.batchFourProperties)
	api.Get("/retention/expired", s.expiredRecords)
	api.Get("/disposals", s.listDisposals)
	api.Post("/disposals", s.proposeDisposal)
	api.Get("/disposals/:id", s.getDisposal)
	api.Post("/disposals/:id/approve", s.approveDisposal)
	api.Post("/disposals/:id/execute", s.executeDisposal)
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) placeLegalHold(c *fiber.Ctx) error {
	var req reasonRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	u, _ := caller(c)
	h, err := s.store.PlaceLegalHold(c.UserContext(), u, c.Params("id"), req.Reason)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(h)
}

func (s *Server) liftLegalHold(c *fiber.Ctx) error {
	var req reasonRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	u, _ := caller(c)
	h, err := s.store.LiftLegalHold(c.UserContext(), u, c.Params("id"), req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(h)
}

func (s *Server) listLegalHolds(c *fiber.Ctx) error {
	u, _ := caller(c)
	hs, err := s.store.LegalHolds(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"holds": nonNil(hs)})
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func (s *Server) expiredRecords(c *fiber.Ctx) error {
	u, _ := caller(c)
	rs, err := s.store.ExpiredRecords(c.UserContext(), u)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"records": nonNil(rs)})
}

type appraisalRequest struct {
	Decision    string `json:"decision"`
	RetainUntil string `json:"retain_until"` // YYYY-MM-DD or RFC 3339, for extend
	Reason      string `json:"reason"`
}

func (s *Server) appraiseRecord(c *fiber.Ctx) error {
	var req appraisalRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	in := archive.AppraisalInput{Decision: req.Decision, Reason: req.Reason}
	if req.RetainUntil != "" {
		t, err := parseDateOrTime(req.RetainUntil)
		if err != nil {
			return apiErr(fiber.StatusUnprocessableEntity, "bad_retain_until", "retain_until", "新保管期限须为 YYYY-MM-DD 或 RFC 3339 时间")
		}
		in.RetainUntil = t
	}
	u, _ := caller(c)
	a, err := s.store.Appraise(c.UserContext(), u, c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(a)
}

func parseDateOrTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.ParseInLocation(time.DateOnly, v, time.FixedZone("CST", 8*3600))
}

type disposalRequest struct {
	RecordIDs []string `json:"record_ids"`
}

func (s *Server) proposeDisposal(c *fiber.Ctx) error {
	var req disposalRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	u, _ := caller(c)
	l, err := s.store.ProposeDisposal(c.UserContext(), u, req.RecordIDs)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(l)
}

func (s *Server) listDisposals(c *fiber.Ctx) error {
	u, _ := caller(c)
	ls, err := s.store.ListDisposalLists(c.UserContext(), u)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"disposals": nonNil(ls)})
}

func (s *Server) getDisposal(c *fiber.Ctx) error { return answerByID(c, s.store.GetDisposalList) }

func (s *Server) approveDisposal(c *fiber.Ctx) error { return answerByID(c, s.store.ApproveDisposal) }

func (s *Server) executeDisposal(c *fiber.Ctx) error { return answerByID(c, s.store.ExecuteDisposal) }

func (s *Server) recordFourProperties(c *fiber.Ctx) error {
	u, _ := caller(c)
	if c.Query("latest") == "1" { // the report kept with the record (at filing, or kept later)
		if c.Method() != fiber.MethodGet || c.Query("keep") != "" {
			return apiErr(fiber.StatusMethodNotAllowed, "latest_needs_get", "latest", "读取已保存的检测报告须用 GET，且不能同时保存")
		}
		rep, err := s.store.LatestFourPropReport(c.UserContext(), u, c.Params("id"))
		if err != nil {
			return err
		}
		return c.JSON(rep)
	}
	rep, err := s.store.RecordFourProperties(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	return s.keepReport(c, rep)
}

type batchRequest struct {
	Unit string `json:"unit"`
	Year int    `json:"year"`
}

func (s *Server) batchFourProperties(c *fiber.Ctx) error {
	var req batchRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	u, _ := caller(c)
	rep, err := s.store.BatchFourProperties(c.UserContext(), u, req.Unit, req.Year)
	if err != nil {
		return err
	}
	return s.keepReport(c, rep)
}

// keepReport answers with the report; with ?keep=1 it is first filed as
// a signed record (kept_as names it) and the answer is 201.
func (s *Server) keepReport(c *fiber.Ctx, rep *archive.FourPropReport) error {
	if c.Query("keep") != "1" {
		return c.JSON(rep)
	}
	if c.Method() != fiber.MethodPost {
		return apiErr(fiber.StatusMethodNotAllowed, "keep_needs_post", "keep", "保存检测报告须用 POST")
	}
	u, _ := caller(c)
	rec, err := s.store.KeepFourPropertiesReport(c.UserContext(), u, rep)
	if err != nil {
		return err
	}
	rep.KeptAs = rec.ID
	return c.Status(fiber.StatusCreated).JSON(rep)
}
