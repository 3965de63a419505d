package server

import (
	"strconv"
	"wenshu/identity"

	"github.com/gofiber/fiber/v2"
)

// Admin pages (管理): users, their state and their passwords.

type adminUser struct {
	*identity.User
	UnitName string
	Password bool
	Locked   bool
}

type adminData struct {
	Users []adminUser
	Units []*identity.Unit
	Form  struct{ Name, Role, Unit, Clearance string }
	Error string
}

func (s *Server) showAdmin(c *fiber.Ctx, status int, d *adminData) error {
	ctx := c.UserContext()
	users, err := s.store.Identity().ListUsers(ctx)
	if err != nil {
		return err
	}
	units, err := s.store.Identity().ListUnits(ctx)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, n := range units {
		names[n.ID] = n.Name
	}
	d.Units = units
	for _, u := range users {
		au := adminUser{User: u, UnitName: names[u.UnitID]}
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
	d := &adminData{}
	d.Form.Role, d.Form.Clearance = string(identity.RoleClerk), identity.ClearanceInternal
	return s.showAdmin(c, fiber.StatusOK, d)
}

func (s *Server) adminAddUser(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleAdmin); err != nil {
		return err
	}
	u, _ := caller(c)
	in := identity.NewUser{Name: c.FormValue("name"), Role: identity.Role(c.FormValue("role")), Unit: c.FormValue("unit"), Clearance: c.FormValue("clearance")}
	if _, err := s.store.Identity().AdminAddUser(c.UserContext(), u, in, c.FormValue("password")); err != nil {
		if class, ok := shownInline(err); ok {
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
		if err := requireRole(c, identity.RoleAdmin); err != nil {
			return err
		}
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
	if err := requireRole(c, identity.RoleAdmin); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return apiErr(fiber.StatusNotFound, "not_found", "", "用户不存在")
	}
	u, _ := caller(c)
	if err := s.store.Identity().AdminSetPassword(c.UserContext(), u, id, c.FormValue("password")); err != nil {
		if class, ok := shownInline(err); ok {
			return s.showAdmin(c, class.Status, &adminData{Error: class.detail()})
		}
		return err
	}
	return c.Redirect("/admin?notice=password", fiber.StatusSeeOther)
}
