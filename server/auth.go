package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
)

// authenticate requires "Authorization: Bearer <token>" on every /api
// route and puts the caller's user and unit (from the catalog, never from
// the request) into the context.
func (s *Server) authenticate(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="wenshu"`)
		return apiErr(fiber.StatusUnauthorized, "unauthenticated", "Authorization", "需要登录：请在 Authorization 头中提供 Bearer 令牌")
	}
	u, unit, err := s.store.Authenticate(c.UserContext(), token)
	if err != nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="wenshu", error="invalid_token"`)
		return err
	}
	c.Locals(localUser, u)
	c.Locals(localUnit, unit)
	return c.Next()
}

// caller returns the authenticated user and unit.
func caller(c *fiber.Ctx) (*archive.User, *archive.Unit) {
	u, _ := c.Locals(localUser).(*archive.User)
	n, _ := c.Locals(localUnit).(*archive.Unit)
	return u, n
}

var roleNames = map[archive.Role]string{
	archive.RoleClerk:     "承办人",
	archive.RoleApprover:  "审批人",
	archive.RoleArchivist: "档案员",
	archive.RoleAuditor:   "审计员",
	archive.RoleAdmin:     "管理员",
}

// requireRole answers 403 unless the caller holds one of roles.
func requireRole(c *fiber.Ctx, roles ...archive.Role) error {
	u, _ := caller(c)
	if u == nil {
		return apiErr(fiber.StatusUnauthorized, "unauthenticated", "", "需要登录")
	}
	for _, r := range roles {
		if u.Role == r {
			return nil
		}
	}
	names := make([]string, 0, len(roles))
	for _, r := range roles {
		names = append(names, roleNames[r])
	}
	return apiErr(fiber.StatusForbidden, "forbidden_role", "", "当前角色（"+roleNames[u.Role]+"）无权执行此操作，需要："+strings.Join(names, "、"))
}
