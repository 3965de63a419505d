package archive

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Alert kinds (stable; the server's /readyz and the CLI show them).
const (
	// AlertTamper: a read was refused because the signed manifest does not
	// vouch for what the catalog or the bucket holds (篡改告警).
	AlertTamper = "tamper"
	// AlertCatalogMismatch: a catalog row disagrees with its manifest; the
	// read went ahead with the manifest's values.
	AlertCatalogMismatch = "catalog_mismatch"
	// AlertReconcile: a finding of the reconcile sweep (Finding.Kind says
	// which).
	AlertReconcile = "reconcile"
)

// Alert is one reported discrepancy. Every alert is logged at error level
// and appended to the audit trail (action alert.tamper for reads,
// alert.reconcile for sweep findings); Store.Alerts lists the current
// ones.
type Alert struct {
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Finding  string    `json:"finding,omitempty"` // Finding.Kind for AlertReconcile
	RecordID string    `json:"record_id,omitempty"`
	Detail   string    `json:"detail"`
}

// Bounds of the alert board: the recent read alerts kept for Alerts, and
// the alerts remembered so one discrepancy is audited once per process.
const (
	recentAlerts = 100
	seenAlerts   = 10000
)

// alertBoard holds the recent read-time alerts and the last sweep.
type alertBoard struct {
	mu     sync.Mutex
	recent []Alert
	seen   map[string]bool
	sweep  *ReconcileReport
}

// remember records a and reports whether it is new to this process.
func (b *alertBoard) remember(a Alert) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := a.Kind + "\x00" + a.Finding + "\x00" + a.RecordID + "\x00" + a.Detail
	if b.seen[key] {
		return false
	}
	if b.seen == nil || len(b.seen) >= seenAlerts {
		b.seen = map[string]bool{}
	}
	b.seen[key] = true
	if a.Kind != AlertReconcile {
		b.recent = append(b.recent, a)
		if len(b.recent) > recentAlerts {
			b.recent = b.recent[len(b.recent)-recentAlerts:]
		}
	}
	return true
}

// raiseAlert logs a at error level and audits it, once per process for the
// same discrepancy. A failure to audit is logged; the read's outcome does
// not depend on it.
func (s *Store) raiseAlert(ctx context.Context, a Alert) {
	if a.At.IsZero() {
		a.At = s.now()
	}
	if !s.trust.alerts.remember(a) {
		return
	}
	s.log.Error("archive: ALERT "+a.Kind, "record", a.RecordID, "finding", a.Finding, "detail", a.Detail)
	if s.cat == nil {
		return
	}
	action := "alert.tamper"
	switch a.Kind {
	case AlertReconcile, AlertFourProperties, AlertFixity:
		action = "alert." + a.Kind
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	detail := a.Detail
	if a.Finding != "" {
		detail = a.Finding + "：" + detail
	}
	if err := s.auditNow(actx, nil, action, a.RecordID, "", detail); err != nil {
		s.log.Error("archive: audit of an alert failed", "err", err, "detail", a.Detail)
	}
}

// Alerts returns what an operator must look at now: the read-time alerts
// of this process (the last 100, until a clean sweep or a rebuild)
// followed by the findings of the last reconcile sweep. Empty means nothing is known to be wrong. The server's
// /readyz shows them as warnings.
func (s *Store) Alerts() []Alert {
	b := &s.trust.alerts
	b.mu.Lock()
	defer b.mu.Unlock()
	out := append([]Alert{}, b.recent...)
	if b.sweep != nil {
		for _, f := range b.sweep.Findings {
			out = append(out, f.alert(b.sweep.At))
		}
	}
	return out
}

// LastSweep returns the report of the last reconcile sweep (nil before
// the first).
func (s *Store) LastSweep() *ReconcileReport {
	b := &s.trust.alerts
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sweep
}

// setLastSweep records a sweep. A clean one (and a rebuild, which makes
// the catalog what the bucket holds) also clears the read-time alerts:
// what they reported is no longer there, and a repetition is new.
func (s *Store) setLastSweep(r *ReconcileReport) {
	b := &s.trust.alerts
	b.mu.Lock()
	b.sweep = r
	if r.OK {
		b.recent, b.seen = nil, nil
	}
	b.mu.Unlock()
}

// clearReadAlerts forgets the read-time alerts (after a rebuild).
func (s *Store) clearReadAlerts() {
	b := &s.trust.alerts
	b.mu.Lock()
	b.recent, b.seen = nil, nil
	b.mu.Unlock()
}

// AlertWarnings sums up Alerts for a public page such as /readyz: one
// Chinese line per alert kind with its count, naming no record, key or
// detail (those are in the audit trail and `wenshu verify --catalog`).
// Nil when there is nothing to report.
func (s *Store) AlertWarnings() []Warning {
	counts := map[string]int{}
	for _, a := range s.Alerts() {
		k := a.Kind
		if a.Finding != "" {
			k = a.Finding
		}
		counts[k]++
	}
	var out []Warning
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		out = append(out, Warning{Code: "alert_" + k, Message: fmt.Sprintf("告警 %s：%d 项（详见审计记录与 wenshu verify --catalog）", k, counts[k])})
	}
	return out
}
