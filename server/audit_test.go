package server

import (
	"context"
	"database/sql"
	"net/url"
	"testing"
	"time"

	"wenshu/audit"
	"wenshu/catalog"
)

// TestAuditQueryAPI: an auditor sees the events of its unit, filtered by
// actor, action, record and time, and pages through them; other roles are
// refused; every bad parameter is a 400 naming it; the query is audited.
func TestAuditQueryAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	clerk, other := mustUser(t, e, "李华"), mustUser(t, e, "周志明")
	day := time.Date(2026, 3, 5, 2, 0, 0, 0, time.UTC)
	var evs []catalog.AuditEntry
	for i := range 5 {
		evs = append(evs, catalog.AuditEntry{At: day.Add(time.Duration(i) * time.Hour), ActorID: clerk, ActorName: "李华", Action: "record.read", RecordID: "R" + itoa(int64(i))})
	}
	evs = append(evs, catalog.AuditEntry{At: day, ActorID: other, ActorName: "周志明", Action: "record.read", RecordID: "RB"},
		catalog.AuditEntry{At: day.AddDate(0, 0, 1), ActorID: clerk, ActorName: "李华", Action: "record.verify", RecordID: "R1", Detail: "未通过：sm3"})
	db := e.store.AuditSink().Catalog()
	if err := db.Tx(ctx, func(tx *sql.Tx) error { return catalog.AppendAuditBatch(ctx, tx, evs) }); err != nil {
		t.Fatal(err)
	}
	get := func(who string, q url.Values) *resp { return e.do(t, who, "GET", "/api/v1/audit?"+q.Encode(), nil) }
	var page audit.Page
	r := get("auditor", url.Values{"actor": {"李华"}, "action": {"record.read"}, "size": {"2"}, "page": {"2"}})
	r.json(t, &page)
	if r.status != 200 || page.Total != 5 || len(page.Events) != 2 || page.Events[0].Target.RecordID != "R2" ||
		page.Events[0].Actor.Name != "李华" || page.Events[0].Actor.Role != "clerk" || page.Events[0].Outcome != "ok" {
		t.Fatalf("page 2: %d %s", r.status, r.body)
	}
	r = get("auditor", url.Values{"record": {"R1"}, "from": {"2026-03-06"}})
	r.json(t, &page)
	if page.Total != 1 || page.Events[0].Action != "record.verify" || page.Events[0].Outcome != "failed" || page.Events[0].Detail != "未通过：sm3" {
		t.Fatalf("record R1 from 3-06: %s", r.body)
	}
	r = get("auditor", url.Values{"from": {"2026-03-05T03:00:00Z"}, "to": {"2026-03-05T04:00:00Z"}, "action": {"record.read"}})
	if r.json(t, &page); page.Total != 2 {
		t.Fatalf("RFC 3339 range: %s", r.body)
	}
	// The other unit's clerk's read is not the auditor's unit's.
	page = audit.Page{}
	if get("auditor", url.Values{"actor": {"周志明"}}).json(t, &page); page.Total != 0 {
		t.Fatalf("another unit's events: %+v", page)
	}
	// The auditor's own queries are in the trail.
	if get("auditor", url.Values{"action": {"audit.query"}, "actor": {"孙伟"}}).json(t, &page); page.Total < 4 {
		t.Fatalf("audit.query events: %+v", page)
	}
	for _, who := range []string{"clerk", "archivist", "admin"} {
		if r := get(who, nil); r.status != 403 {
			t.Errorf("%s: %d", who, r.status)
		}
	}
	for _, bad := range []struct{ q, code string }{
		{"page=0", "bad_page"}, {"page=x", "bad_page"}, {"size=501", "bad_size"}, {"from=2026-13-01", "bad_from"},
		{"to=yesterday", "bad_to"}, {"from=2026-03-06&to=2026-03-05", "bad_to"}, {"action=DROP%20TABLE", "bad_action"},
		{"record=R1%27--", "bad_record"}, {"actor=%E2%80%AEx", "bad_actor"}, {"actor=%FF", "bad_actor"},
		{"unit=1", "unknown_parameter"}, {"actor=a&actor=b", "bad_actor"},
	} {
		r := e.do(t, "auditor", "GET", "/api/v1/audit?"+bad.q, nil)
		if r.status != 400 || r.errorCode(t) != bad.code {
			t.Errorf("%s: %d %s, want 400 %s", bad.q, r.status, r.body, bad.code)
		}
	}
}
