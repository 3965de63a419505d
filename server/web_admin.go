package server

import (
	"strconv"

	"wenshu/archive"
	"wenshu/identity"

	"github.com/gofiber/fiber/v2"
)

// Admin pages (管理): the users of the admin's own unit, their state and
// their passwords. The scope (own unit, not above the admin's clearance,
// never an admin) and the audit of every action, refused ones included,
// are identity's (Directory.Admin*); the page offers an action only where
// it would be allowed, and the handlers let identity refuse the rest.

type adminUser struct {
	*identity.User
	UnitName string
	Password bool
	Locked   bool
	Manage   bool // the admin may disable, enable and reset this user
}

type adminData struct {
	Users []adminUser
	Units []*identity.Unit
	Form  struct{ Name, Role, Unit, Clearance string }
	Error string
	// Warnings are what the admin must act on soon (archive.Store.Warnings:
	// a missing holiday table).
	Warnings []archive.Warning
}

func (s *Server) showAdmin(c *fiber.Ctx, status int, d *adminData) error {
	ctx := c.UserContext()
	admin, unit := caller(c)
	users, err := s.store.Identity().AdminListUsers(ctx, admin)
	if err != nil {
		return err
	}
	d.Units = []*identity.Unit{unit}
	d.Warnings = s.store.Warnings()
	for _, u := range users {
		au := adminUser{User: u, UnitName: unit.Name, Manage: identity.AdminMayManage(admin, u)}
		if au.Password, au.Locked, err = s.store.Identity().HasPassword(ctx, u.ID); err != nil {
			return err
		}
		d.Users = append(d.Users, au)
	}
	v := newView(c, "管理", "admin", d)
	v.Notice = noticeText(c.Query("notice"))
	return s.render(c, status, "admin", v)
}

func (s *Server) adminPage(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleAdmin); err != nil {
		return err
	}
	_, unit := caller(c)
	d := &adminData{}
	d.Form.Role, d.Form.Clearance, d.Form.Unit = string(identity.RoleClerk), identity.ClearanceInternal, unit.Name
	return s.showAdmin(c, fiber.StatusOK, d)
}

// The action handlers do not check the role themselves: identity refuses
// a caller who is not an admin and audits the attempt like any other
// refused admin action; that refusal is a 403 page, not the admin page.

func (s *Server) adminAddUser(c *fiber.Ctx) error {
	u, _ := caller(c)
	in := identity.NewUser{Name: c.FormValue("name"), Role: identity.Role(c.FormValue("role")), Unit: c.FormValue("unit"), Clearance: c.FormValue("clearance")}
	if _, err := s.store.Identity().AdminAddUser(c.UserContext(), u, in, c.FormValue("password")); err != nil {
		if class, ok := shownInline(err); ok && identity.HasRole(u, identity.RoleAdmin) {
			d := &adminData{Error: class.detail()}
			d.Form.Name, d.Form.Role, d.Form.Unit, d.Form.Clearance = in.Name, string(in.Role), in.Unit, in.Clearance
			return s.showAdmin(c, class.Status, d)
		}
		return err
	}
	return c.Redirect("/admin?notice=created", fiber.StatusSeeOther)
}

func (s *Server) adminDisable(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := strconv.ParseInt(c.Params("id"), 10, 64)
		if err != nil {
			return apiErr(fiber.StatusNotFound, "not_found", "", "用户不存在")
		}
		u, _ := caller(c)
		if err := s.store.Identity().AdminSetUserDisabled(c.UserContext(), u, id, disabled); err != nil {
			return err
		}
		if disabled {
			return c.Redirect("/admin?notice=disabled", fiber.StatusSeeOther)
		}
		return c.Redirect("/admin?notice=enabled", fiber.StatusSeeOther)
	}
}

func (s *Server) adminPassword(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return apiErr(fiber.StatusNotFound, "not_found", "", "用户不存在")
	}
	u, _ := caller(c)
	if err := s.store.Identity().AdminSetPassword(c.UserContext(), u, id, c.FormValue("password")); err != nil {
		if class, ok := shownInline(err); ok && identity.HasRole(u, identity.RoleAdmin) {
			return s.showAdmin(c, class.Status, &adminData{Error: class.detail()})
		}
		return err
	}
	return c.Redirect("/admin?notice=password", fiber.StatusSeeOther)
}
