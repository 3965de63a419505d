package archive

import (
	"slices"
	"strings"
)

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

// Valid reports whether r is one of the five roles.
func (r Role) Valid() bool {
	switch r {
	case RoleClerk, RoleApprover, RoleArchivist, RoleAuditor, RoleAdmin:
		return true
	}
	return false
}

// Clearance levels (密级), ordered 公开 < 内部 < 秘密 < 机密. The same words
// are used for a user's clearance and a document's classification.
const (
	ClearancePublic       = "公开"
	ClearanceInternal     = "内部"
	ClearanceSecret       = "秘密"
	ClearanceConfidential = "机密"
)

// ClearanceRank returns 0..3 for 公开..机密 and -1 for anything else.
func ClearanceRank(c string) int {
	switch c {
	case ClearancePublic:
		return 0
	case ClearanceInternal:
		return 1
	case ClearanceSecret:
		return 2
	case ClearanceConfidential:
		return 3
	}
	return -1
}

// Retention is a 保管期限 code of DA/T 22-2015.
type Retention string

// Retention periods.
const (
	RetentionPermanent Retention = "Y"   // 永久
	Retention30        Retention = "D30" // 定期30年
	Retention10        Retention = "D10" // 定期10年
)

// Valid reports whether r is Y, D30 or D10.
func (r Retention) Valid() bool {
	return r == RetentionPermanent || r == Retention30 || r == Retention10
}

// Unit is an issuing organ (单位 / 派驻机构).
type Unit struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`  // 全称, printed in the 发文机关标志 and 署名
	Code  string `json:"code"`  // 机关代字, e.g. 驻委纪, the prefix of the 文号
	Fonds string `json:"fonds"` // 全宗号, the first segment of the 档号
	Org   string `json:"org"`   // 机构(问题)代码, e.g. BGS; may be empty
	// Placeholder is set for a unit that `user add` created from a bare name;
	// nothing can be filed for it until its codes are set with UpdateUnit.
	Placeholder bool `json:"placeholder,omitempty"`
}

// User is an authenticated person.
type User struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Role      Role   `json:"role"`
	UnitID    int64  `json:"unit_id"`
	Clearance string `json:"clearance"`
	Disabled  bool   `json:"disabled,omitempty"`
	// Grants are the other units an archivist or auditor may read
	// (授权查阅); loaded by Authenticate.
	Grants []int64 `json:"grants,omitempty"`

	system bool // an operator on the server host (see Operator)
}

// Operator returns the caller identity for commands run by an operator on
// the server host (`wenshu verify`, `wenshu import`, …): it may read and
// verify every record, and its actions are audited under name (for example
// "cli:" + the OS user). It cannot be obtained from a token, so an HTTP
// handler can never hold one.
func Operator(name string) *User {
	if name == "" {
		name = "operator"
	}
	return &User{Name: name, Role: RoleAdmin, Clearance: ClearanceConfidential, system: true}
}

// IsOperator reports whether u came from Operator.
func (u *User) IsOperator() bool { return u != nil && u.system }

// CanRead reports whether u may see a record or draft of the given unit and
// classification. The rule, the same one search must apply to hits: the
// caller belongs to that unit (or, as an archivist or auditor, is granted
// it) and its clearance is at least the document's
// classification. Operators read everything. Disabled users read nothing.
func CanRead(u *User, unitID int64, classification string) bool {
	return canSee(u, unitID, classification, true)
}

// CanReadDraft is CanRead for drafts: grants do not extend to drafts,
// which stay within their own unit until filed.
func CanReadDraft(u *User, unitID int64, classification string) bool {
	return canSee(u, unitID, classification, false)
}

// canSee is the one visibility rule: the unit (own, or granted when grants
// apply) and a clearance at least the document's classification.
func canSee(u *User, unitID int64, classification string, grants bool) bool {
	if u == nil || u.Disabled {
		return false
	}
	if u.system {
		return true
	}
	own := u.UnitID == unitID || (grants && mayUseGrants(u) && slices.Contains(u.Grants, unitID))
	return own && ClearanceRank(u.Clearance) >= ClearanceRank(classification) && ClearanceRank(classification) >= 0
}

func requireUser(u *User) error {
	if u == nil {
		return newErr(ErrUnauthenticated, "unauthenticated", "需要登录")
	}
	if u.Disabled {
		return newErr(ErrUnauthenticated, "user_disabled", "该用户已停用")
	}
	return nil
}

func requireRole(u *User, roles ...Role) error {
	if err := requireUser(u); err != nil {
		return err
	}
	if u.system {
		return nil
	}
	for _, r := range roles {
		if u.Role == r {
			return nil
		}
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = roleNames[r]
	}
	return forbidden("wrong_role", "此操作需要以下角色之一："+strings.Join(names, "、"))
}

var roleNames = map[Role]string{
	RoleClerk:     "承办人",
	RoleApprover:  "审批人",
	RoleArchivist: "档案员",
	RoleAuditor:   "审计员",
	RoleAdmin:     "管理员",
}

// retentionYears returns the lock period in years for r.
func (s *Store) retentionYears(r Retention) int {
	switch r {
	case Retention10:
		return 10
	case Retention30:
		return 30
	}
	return s.opts.PermanentRetentionYears
}
