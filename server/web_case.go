package server

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/identity"
)

// Web pages of the 谈话函询 loop: the 期限 page, a letter's service and
// reply, spot-checks, and the admin's head and holiday tables. The rules
// are archive's; a refusal is shown on the page it came from.

func (s *Server) caseWebRoutes(get, post func(string, fiber.Handler)) {
	get("/deadlines", s.deadlinesPage)
	get("/records/:id/case", s.letterCasePage)
	post("/records/:id/service", s.letterServiceSubmit)
	post("/records/:id/replies", s.letterReplySubmit)
	get("/spot-checks", s.spotChecksPage)
	post("/spot-checks", s.spotCheckSubmit)
	get("/spot-checks/:id", s.spotCheckPage)
	post("/spot-checks/:id/results", s.spotCheckResultSubmit)
	get("/cases/:case/loop", s.caseLoopPage)
	get("/admin/casework", s.adminCaseworkPage)
	post("/admin/head", s.adminHeadSubmit)
	post("/admin/holidays", s.adminHolidaysSubmit)
}

var caseNotices = map[string]string{
	"served":   "已登记送达，回复期限已计算。",
	"replied":  "已登记函询回复并归档，期限已办结。",
	"drawn":    "已抽取并归档抽查名单。",
	"result":   "已登记核实结论。",
	"head":     "已指定主要负责人。",
	"holidays": "已添加节假日安排表。",
}

// inlineError returns the message of a refusal to show on the page, or
// the error itself when it is not one (an internal failure, a 404).
func inlineError(err error) (string, error) {
	class, ok := shownInline(err)
	if !ok {
		return "", err
	}
	if class.Fields != nil {
		msgs := make([]string, 0, len(class.Fields))
		for _, e := range class.Fields {
			msgs = append(msgs, e.Message)
		}
		return strings.Join(msgs, "；"), nil
	}
	return class.Message, nil
}

// --- 期限 ---

type deadlineRow struct {
	archive.Deadline
	Class string // overdue (red), soon (due within 3 working days) or ""
	State string // 逾期, 未到期, 已办结（日期，按期/逾期）
}

func deadlineState(d archive.Deadline) string {
	switch {
	case d.Status == archive.DeadlineOverdue:
		return "逾期"
	case d.Status != archive.DeadlineDone:
		return "未到期"
	case d.OnTime != nil && *d.OnTime:
		return "已办结（" + d.DoneOn + "，按期）"
	}
	return "已办结（" + d.DoneOn + "，逾期）"
}

type deadlinesData struct {
	AsOf   string
	Status string
	Rows   []deadlineRow
}

func (s *Server) deadlinesPage(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleClerk, identity.RoleApprover, identity.RoleAuditor); err != nil {
		return err
	}
	u, _ := caller(c)
	today := s.store.Today()
	list, err := s.store.ListDeadlines(c.UserContext(), u, archive.DeadlineFilter{Status: c.Query("status"), AsOf: today})
	if err != nil {
		return err
	}
	soon, _, _ := s.templates.Calendar().AddWorkdaysProvisional(today, 3)
	d := &deadlinesData{AsOf: today.Format(archive.DayLayout), Status: c.Query("status")}
	for _, x := range list {
		d.Rows = append(d.Rows, deadlineRow{Deadline: x, State: deadlineState(x), Class: dueClass(x.Status, x.Status == archive.DeadlineOpen && x.Due <= soon.Format(archive.DayLayout))})
	}
	return s.render(c, fiber.StatusOK, "deadlines", newView(c, "期限", "deadlines", d))
}

// --- a letter's service and reply ---

type letterCaseData struct {
	Record  *archive.Record
	Service *archive.Service
	Reply   string // the reply record's id, once filed
	Today   string
	Error   string
}

func (s *Server) letterCasePage(c *fiber.Ctx) error { return s.showLetterCase(c, fiber.StatusOK, "") }

func (s *Server) showLetterCase(c *fiber.Ctx, status int, msg string) error {
	u, _ := caller(c)
	ctx := c.UserContext()
	rec, err := s.store.GetRecord(ctx, u, c.Params("id"))
	if err != nil {
		return err
	}
	if rec.TemplateID != archive.LetterTemplateID {
		return s.errorPage(c, fiber.StatusNotFound, "不是函询通知书", "只有函询通知书有送达与回复。")
	}
	svc, err := s.store.LetterService(ctx, u, rec.ID)
	if err != nil {
		return err
	}
	d := &letterCaseData{Record: rec, Service: svc, Today: s.store.Today().Format(archive.DayLayout), Error: msg}
	if svc != nil && svc.Deadline != nil {
		d.Reply = svc.Deadline.ClosedBy
	}
	v := newView(c, "送达与回复", "records", d)
	v.Notice = caseNotices[c.Query("notice")]
	return s.render(c, status, "letter_case", v)
}

func (s *Server) letterServiceSubmit(c *fiber.Ctx) error {
	return s.submitLetterCase(c, s.webService, "served")
}

func (s *Server) letterReplySubmit(c *fiber.Ctx) error {
	return s.submitLetterCase(c, s.webReply, "replied")
}

// submitLetterCase runs one step of a letter's 送达与回复 for the caller: a
// refusal is shown on the letter's case page, success goes back to it with
// notice.
func (s *Server) submitLetterCase(c *fiber.Ctx, step func(*fiber.Ctx, *identity.User) error, notice string) error {
	u, _ := caller(c)
	err := step(c, u)
	if err != nil {
		class := classify(err)
		msg, err := inlineError(err)
		if err != nil {
			return err
		}
		return s.showLetterCase(c, class.Status, msg)
	}
	return c.Redirect("/records/"+url.PathEscape(c.Params("id"))+"/case?notice="+notice, fiber.StatusSeeOther)
}

// webService records service, with the 送达回执 when one is uploaded.
func (s *Server) webService(c *fiber.Ctx, u *identity.User) error {
	day, err := parseDay("served_on", "送达日期", c.FormValue("served_on"))
	if err != nil {
		return err
	}
	fh, ferr := c.FormFile("receipt")
	if ferr != nil || fh.Size == 0 {
		_, err = s.store.RecordService(c.UserContext(), u, c.Params("id"), day)
		return err
	}
	data, err := readFormFile(fh)
	if err != nil {
		return err
	}
	_, _, err = s.store.RecordServiceWithReceipt(c.UserContext(), u, c.Params("id"), day, fh.Filename, data)
	return err
}

// readFormFile reads an uploaded file of a web form whole; its size is
// already bounded by the body limit, and by the caller where it sets a
// smaller one (fh.Size is the bytes actually received).
func readFormFile(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("server: open upload: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("server: read upload: %w", err)
	}
	return data, nil
}

func (s *Server) webReply(c *fiber.Ctx, u *identity.User) error {
	day, err := parseDay("received_on", "收到回复日期", c.FormValue("received_on"))
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return apiErr(fiber.StatusUnprocessableEntity, "required", "file", "请选择回复文件（.docx、.pdf、.jpg、.png 或 .txt）")
	}
	data, err := readFormFile(fh)
	if err != nil {
		return err
	}
	_, err = s.store.FileReply(c.UserContext(), u, c.Params("id"), archive.ReplyInput{
		FileName: fh.Filename, Data: data, ReceivedOn: day, OpinionSigned: c.FormValue("opinion_signed") == "true"})
	return err
}

// --- spot-checks ---

type spotChecksData struct {
	Year  int
	Seed  string
	Error string
}

func (s *Server) spotChecksPage(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleApprover, identity.RoleAuditor); err != nil {
		return err
	}
	d := &spotChecksData{Year: s.store.Today().Year()}
	return s.render(c, fiber.StatusOK, "spot_checks", newView(c, "抽查", "spot-checks", d))
}

func (s *Server) spotCheckSubmit(c *fiber.Ctx) error {
	u, _ := caller(c)
	year, _ := strconv.Atoi(strings.TrimSpace(c.FormValue("year")))
	sc, err := s.store.CreateSpotCheck(c.UserContext(), u, year, c.FormValue("seed"))
	if err != nil {
		class := classify(err)
		msg, err := inlineError(err)
		if err != nil {
			return err
		}
		d := &spotChecksData{Year: year, Seed: c.FormValue("seed"), Error: msg}
		return s.render(c, class.Status, "spot_checks", newView(c, "抽查", "spot-checks", d))
	}
	return c.Redirect("/spot-checks/"+url.PathEscape(sc.ID)+"?notice=drawn", fiber.StatusSeeOther)
}

type spotCheckData struct {
	Check  *archive.SpotCheck
	Verify *archive.SpotCheckVerification
	Done   map[string]string // reply id → 核实结论
	Error  string
}

func (s *Server) spotCheckPage(c *fiber.Ctx) error { return s.showSpotCheck(c, fiber.StatusOK, "") }

func (s *Server) showSpotCheck(c *fiber.Ctx, status int, msg string) error {
	u, _ := caller(c)
	ctx := c.UserContext()
	sc, err := s.store.GetSpotCheck(ctx, u, c.Params("id"))
	if err != nil {
		return err
	}
	v, err := s.store.VerifySpotCheck(ctx, u, sc.ID)
	if err != nil {
		return err
	}
	d := &spotCheckData{Check: sc, Verify: v, Done: map[string]string{}, Error: msg}
	for _, r := range sc.Results {
		d.Done[r.ReplyID] = r.Conclusion
	}
	view := newView(c, "抽查名单", "spot-checks", d)
	view.Notice = caseNotices[c.Query("notice")]
	return s.render(c, status, "spot_check", view)
}

func (s *Server) spotCheckResultSubmit(c *fiber.Ctx) error {
	u, _ := caller(c)
	_, err := s.store.RecordSpotCheckResult(c.UserContext(), u, c.Params("id"), c.FormValue("reply_id"), c.FormValue("conclusion"))
	if err != nil {
		class := classify(err)
		msg, err := inlineError(err)
		if err != nil {
			return err
		}
		return s.showSpotCheck(c, class.Status, msg)
	}
	return c.Redirect("/spot-checks/"+url.PathEscape(c.Params("id"))+"?notice=result", fiber.StatusSeeOther)
}

// --- admin: the head and the holiday tables ---

type caseworkAdminData struct {
	Head      *identity.User
	Approvers []*identity.User
	Warnings  []archive.Warning
	Years     []int
	Error     string
}

func (s *Server) adminCaseworkPage(c *fiber.Ctx) error {
	return s.showCaseworkAdmin(c, fiber.StatusOK, "")
}

func (s *Server) showCaseworkAdmin(c *fiber.Ctx, status int, msg string) error {
	if err := requireRole(c, identity.RoleAdmin); err != nil {
		return err
	}
	admin, unit := caller(c)
	ctx := c.UserContext()
	users, err := s.store.Identity().AdminListUsers(ctx, admin)
	if err != nil {
		return err
	}
	d := &caseworkAdminData{Warnings: s.store.Warnings(), Years: s.templates.Calendar().Years(), Error: msg}
	for _, u := range users {
		if u.Role == identity.RoleApprover && !u.Disabled {
			d.Approvers = append(d.Approvers, u)
		}
	}
	if d.Head, err = s.store.Identity().UnitHead(ctx, unit.ID); err != nil {
		return err
	}
	v := newView(c, "主要负责人与节假日", "admin", d)
	v.Notice = caseNotices[c.Query("notice")]
	return s.render(c, status, "case_admin", v)
}

func (s *Server) adminHeadSubmit(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleAdmin); err != nil {
		return err
	}
	admin, unit := caller(c)
	if _, err := s.store.Identity().SetUnitHead(c.UserContext(), admin, unit.ID, c.FormValue("name")); err != nil {
		class := classify(err)
		msg, err := inlineError(err)
		if err != nil {
			return err
		}
		return s.showCaseworkAdmin(c, class.Status, msg)
	}
	return c.Redirect("/admin/casework?notice=head", fiber.StatusSeeOther)
}

func (s *Server) adminHolidaysSubmit(c *fiber.Ctx) error {
	u, _ := caller(c)
	err := s.webHolidayTable(c, u)
	if err != nil {
		class := classify(err)
		msg, err := inlineError(err)
		if err != nil {
			return err
		}
		return s.showCaseworkAdmin(c, class.Status, msg)
	}
	return c.Redirect("/admin/casework?notice=holidays", fiber.StatusSeeOther)
}

func (s *Server) webHolidayTable(c *fiber.Ctx, u *identity.User) error {
	if err := requireRole(c, identity.RoleAdmin); err != nil {
		return err
	}
	fh, err := c.FormFile("table")
	if err != nil {
		return apiErr(fiber.StatusUnprocessableEntity, "required", "table", "请选择节假日安排表文件（JSON）")
	}
	if fh.Size > 1<<20 {
		return apiErr(fiber.StatusRequestEntityTooLarge, "too_large", "table", "节假日安排表不超过 1 MiB")
	}
	data, err := readFormFile(fh)
	if err != nil {
		return err
	}
	return s.store.AddHolidayTable(c.UserContext(), u, data)
}

// dueClass is the CSS class of a deadline row.
func dueClass(status string, soon bool) string {
	switch {
	case status == archive.DeadlineOverdue:
		return "overdue"
	case soon:
		return "soon"
	}
	return ""
}

// citesList is the id of the datalist of records a record_id field citing
// template cited may name ("plan-records" for the 谈话方案).
func citesList(cited string) string {
	if cited == archive.PlanTemplateID {
		return "plan-records"
	}
	return "cites-" + cited
}

// caseLoopPage shows a case in the order of the loop: plan → letter →
// service → reply → report → spot-check.
func (s *Server) caseLoopPage(c *fiber.Ctx) error {
	u, _ := caller(c)
	loop, err := s.store.CaseLoop(c.UserContext(), u, pathParam(c, "case"))
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "case_loop", newView(c, "办理进程："+loop.CaseNo, "records", loop))
}

// webUploadRoutes are the web forms that carry a file of a case (a reply,
// a 送达回执): their bodies may be as large as an import's.
var webUploadRoutes = map[string]bool{"/records/:id/replies": true, "/records/:id/service": true}

// webBodyLimit is how much of a web POST's body webSession reads, once the
// session is known: BodyLimit, or the upload limit for webUploadRoutes.
func (s *Server) webBodyLimit(c *fiber.Ctx) int {
	if webUploadRoutes[c.Route().Path] {
		return s.uploadLimit()
	}
	return s.bodyLimit
}
