package archive

import (
	"time"

	"wenshu/catalog"
)

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

// retentionOverride is the test-only lock period of r (see
// Options.RetentionOverride), honoured only with AllowRetentionOverride.
func (s *Store) retentionOverride(r Retention) (time.Duration, bool) {
	if !s.opts.AllowRetentionOverride {
		return 0, false
	}
	d, ok := s.opts.RetentionOverride[r]
	return d, ok && d > 0
}

// expectedRetainOf is expectedRetain, or filed_at + the override in tests.
func (s *Store) expectedRetainOf(m *Manifest) (time.Time, bool) {
	if d, ok := s.retentionOverride(m.Retention); ok {
		return catalog.ParseTime(m.FiledAt).Add(d).Truncate(time.Second), true
	}
	return expectedRetain(m)
}
