package identity

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
	// (授权查阅); loaded by Authenticate and SessionUser.
	Grants []int64 `json:"grants,omitempty"`

	system bool // an operator on the server host (see Operator)
}

// Operator returns the caller identity for commands run by an operator on
// the server host (`wenshu verify`, `wenshu import`, …): it may read and
// verify every record, and its actions are audited under name (for example
// "cli:" + the OS user). It cannot be obtained from a token or a session,
// so an HTTP handler can never hold one.
func Operator(name string) *User {
	if name == "" {
		name = "operator"
	}
	return &User{Name: name, Role: RoleAdmin, Clearance: ClearanceConfidential, system: true}
}

// OperatorForUnit is Operator acting for one unit: what it files (an
// import from the shell, say) belongs to that unit.
func OperatorForUnit(name string, unitID int64) *User {
	u := Operator(name)
	u.UnitID = unitID
	return u
}

// IsOperator reports whether u came from Operator.
func (u *User) IsOperator() bool { return u != nil && u.system }
