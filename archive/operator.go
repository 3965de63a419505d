package archive

// OperatorForUnit is Operator acting for one unit: what it files (an
// import from the shell, say) belongs to that unit.
func OperatorForUnit(name string, unitID int64) *User {
	u := Operator(name)
	u.UnitID = unitID
	return u
}
