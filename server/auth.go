package server

import (
	"strings"
	"wenshu/identity"

	"github.com/gofiber/fiber/v2"
)

// authenticate requires "Authorization: Bearer <token>" on every /api
// route and puts the caller's user and unit (from the catalog, never from
// the request) into the context. Only then is a body larger than the
// pre-auth limit read (bodies.go): into memory up to BodyLimit, except a
// multipart form, which only the import handler reads (readUpload).
func (s *Server) authenticate(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="wenshu"`)
		return apiErr(fiber.StatusUnauthorized, "unauthenticated", "Authorization", "需要登录：请在 Authorization 头中提供 Bearer 令牌")
	}
	u, unit, err := s.store.Identity().Authenticate(c.UserContext(), token)
	if err != nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="wenshu", error="invalid_token"`)
		return err
	}
	c.Locals(localUser, u)
	c.Locals(localUnit, unit)
	if !isMultipart(c) {
		if err := s.loadBody(c, s.bodyLimit); err != nil {
			return err
		}
	}
	return c.Next()
}

// caller returns the authenticated user and unit.
func caller(c *fiber.Ctx) (*identity.User, *identity.Unit) {
	u, _ := c.Locals(localUser).(*identity.User)
	n, _ := c.Locals(localUnit).(*identity.Unit)
	return u, n
}

// requireRole answers 403 unless the caller holds one of roles.
func requireRole(c *fiber.Ctx, roles ...identity.Role) error {
	u, _ := caller(c)
	if u == nil {
		return apiErr(fiber.StatusUnauthorized, "unauthenticated", "", "需要登录")
	}
	if identity.HasRole(u, roles...) {
		return nil
	}
	return apiErr(fiber.StatusForbidden, "forbidden_role", "", "当前角色（"+u.Role.Name()+"）无权执行此操作，需要："+identity.RoleNames(roles...))
}
