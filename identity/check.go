package identity

import "wenshu/problem"

// RequireUser refuses a missing or disabled caller (ErrUnauthenticated).
func RequireUser(u *User) error {
	if u == nil {
		return problem.Unauthenticated("unauthenticated", "需要登录")
	}
	if u.Disabled {
		return problem.Unauthenticated("user_disabled", "该用户已停用")
	}
	return nil
}

// RequireRole is RequireUser plus one of roles (ErrForbidden, code
// wrong_role, otherwise). Operators hold every role.
func RequireRole(u *User, roles ...Role) error {
	if err := RequireUser(u); err != nil {
		return err
	}
	if u.system || HasRole(u, roles...) {
		return nil
	}
	return problem.Forbidden("wrong_role", "此操作需要以下角色之一："+RoleNames(roles...))
}
