package archive

// Retention is a 保管期限 code of DA/T 22-2015, a property of every record
// and draft: it decides the 档号's segment and the object-lock period.
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
