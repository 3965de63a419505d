package identity

import "strings"

// Role is what a user may do (角色).
type Role string

// Roles.
const (
	RoleClerk     Role = "clerk"     // 承办人
	RoleApprover  Role = "approver"  // 审批人
	RoleArchivist Role = "archivist" // 档案员
	RoleAuditor   Role = "auditor"   // 审计员
	RoleAdmin     Role = "admin"     // 管理员
)

var roleNames = map[Role]string{
	RoleClerk:     "承办人",
	RoleApprover:  "审批人",
	RoleArchivist: "档案员",
	RoleAuditor:   "审计员",
	RoleAdmin:     "管理员",
}

// Valid reports whether r is one of the five roles.
func (r Role) Valid() bool {
	_, ok := roleNames[r]
	return ok
}

// Name returns the Chinese name of the role (承办人 …), or the code itself
// for an unknown role.
func (r Role) Name() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return string(r)
}

// RoleNames joins the Chinese names of roles with 、, for messages that
// say which roles an action needs.
func RoleNames(roles ...Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Name()
	}
	return strings.Join(names, "、")
}

// HasRole reports whether u holds one of roles. It is the plain role test;
// RequireRole adds the rules for missing, disabled and operator callers.
func HasRole(u *User, roles ...Role) bool {
	if u == nil {
		return false
	}
	for _, r := range roles {
		if u.Role == r {
			return true
		}
	}
	return false
}
