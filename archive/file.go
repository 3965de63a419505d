package archive

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/problem"
	"wenshu/templates"
)

// Filing: see doc.go ("Filing and crash safety") for the whole sequence.

// Journal states of a filing.
const (
	filingAllocated = "allocated" // numbers taken, nothing stored
	filingRendered  = "rendered"  // content digests and unsigned manifest journaled; content may be stored
	filingSigned    = "signed"    // content stored, manifest chained and signed (journaled); manifest may be stored
	filingFiled     = "filed"     // manifest stored, catalog row committed
	filingVoid      = "void"      // numbers void (作废), nothing filed
)

// MediaTypeDocx is the media type of Word documents.
const MediaTypeDocx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// MediaTypeText is the media type of imported plain-text records.
const MediaTypeText = "text/plain; charset=utf-8"

// filingRow is one row of the filings journal.
type filingRow struct {
	ID, DraftID, Source, Owner, Status string
	alloc                              allocation
	FiledAt                            time.Time
	ContentKey                         string
	ContentSM3, ContentSHA256          string
	ContentSize                        int64
	ContentVersion                     string
	Pending, Manifest                  []byte
	ChainSeq                           int64
	ManifestVersion                    string
}

const filingCols = `id, draft_id, source, owner, status, doc_number, doc_agency, doc_seq, archive_code, fonds, year, retention,
	org, item_no, filed_at, content_key, content_sm3, content_sha256, content_size, content_version, pending_manifest,
	manifest, chain_seq, manifest_version`

func scanFiling(row interface{ Scan(...any) error }) (*filingRow, error) {
	var f filingRow
	var draft, doc, agency, csm3, csha, cver, pending, manifest, mver sql.NullString
	var docSeq, csize, seq sql.NullInt64
	var ret, filed string
	if err := row.Scan(&f.ID, &draft, &f.Source, &f.Owner, &f.Status, &doc, &agency, &docSeq, &f.alloc.ArchiveCode,
		&f.alloc.Fonds, &f.alloc.Year, &ret, &f.alloc.Org, &f.alloc.ItemNo, &filed, &f.ContentKey, &csm3, &csha, &csize,
		&cver, &pending, &manifest, &seq, &mver); err != nil {
		return nil, err
	}
	f.DraftID, f.alloc.DocNumber, f.alloc.DocAgency, f.alloc.DocSeq = draft.String, doc.String, agency.String, int(docSeq.Int64)
	f.alloc.Retention, f.FiledAt = Retention(ret), catalog.ParseTime(filed)
	f.ContentSM3, f.ContentSHA256, f.ContentSize, f.ContentVersion = csm3.String, csha.String, csize.Int64, cver.String
	if pending.Valid {
		f.Pending = []byte(pending.String)
	}
	if manifest.Valid {
		f.Manifest = []byte(manifest.String)
	}
	f.ChainSeq, f.ManifestVersion = seq.Int64, mver.String
	return &f, nil
}

func (s *Store) loadFiling(ctx context.Context, q catalog.QueryRower, id string) (*filingRow, error) {
	return scanFiling(q.QueryRowContext(ctx, `SELECT `+filingCols+` FROM filings WHERE id = ?`, id))
}

func insertFiling(ctx context.Context, tx *sql.Tx, f *filingRow, now time.Time) error {
	var pending any
	status := filingAllocated
	if f.Pending != nil {
		pending, status = string(f.Pending), filingRendered
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO filings (id, draft_id, source, owner, status, doc_number, doc_agency, doc_seq,
			archive_code, fonds, year, retention, org, item_no, filed_at, content_key, content_sm3, content_sha256,
			content_size, pending_manifest, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, catalog.NullString(f.DraftID), f.Source, f.Owner, status, catalog.NullString(f.alloc.DocNumber), catalog.NullString(f.alloc.DocAgency),
		catalog.NullInt(int64(f.alloc.DocSeq)), f.alloc.ArchiveCode, f.alloc.Fonds, f.alloc.Year, string(f.alloc.Retention),
		f.alloc.Org, f.alloc.ItemNo, catalog.FormatTime(f.FiledAt), f.ContentKey, catalog.NullString(f.ContentSM3), catalog.NullString(f.ContentSHA256),
		catalog.NullInt(f.ContentSize), pending, catalog.FormatTime(now), catalog.FormatTime(now))
	f.Status = status
	return err
}

// retainUntil is filedAt + the retention period, to the second.
func (s *Store) retainUntil(filedAt time.Time, r Retention) time.Time {
	if d, ok := s.retentionOverride(r); ok {
		return filedAt.UTC().Add(d).Truncate(time.Second)
	}
	return filedAt.UTC().AddDate(s.retentionYears(r), 0, 0).Truncate(time.Second)
}

// ApproveDraft signs off a draft (签发) and files it: it allocates the 文号
// and 档号, renders the final .docx, digests and signs it, stores the .docx
// and its manifest under COMPLIANCE object lock, commits the catalog row and
// an audit event, then calls Options.OnFiled. The approver must hold the
// approver role in the draft's unit and must not be its author. Returns the
// filed record. See Approve for what happens when storage does not answer
// and when the draft was approved before.
func (s *Store) ApproveDraft(ctx context.Context, u *identity.User, id string) (*Record, error) {
	res, err := s.Approve(ctx, u, id)
	if err != nil {
		return nil, err
	}
	return res.Record, nil
}

// Approval is the outcome of Approve.
type Approval struct {
	Record *Record
	// AlreadyFiled: an earlier approval filed the draft; nothing new was
	// filed and no number was allocated.
	AlreadyFiled bool
}

// Approve is ApproveDraft, telling a new filing from an earlier one. When
// storage does not answer after the numbers were allocated, the error is a
// *FilingPending: the filing stays open and background recovery finishes
// or voids it. Approving a draft whose filing is open returns the same
// *FilingPending (never a second number); approving a filed draft returns
// its record with AlreadyFiled.
func (s *Store) Approve(ctx context.Context, u *identity.User, id string) (*Approval, error) {
	ap, err := s.checkApproval(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if ap.draft.Status != DraftOpen {
		return s.earlierApproval(ctx, ap.draft)
	}
	rec, err := s.fileDraft(ctx, ap)
	var pe *problem.Error
	if errors.As(err, &pe) && pe.Code == "draft_changed" {
		// A concurrent approval of the same draft (a double click) won the
		// claim: answer with its filing.
		if d, gerr := s.GetDraft(ctx, u, id); gerr == nil && (d.Status == DraftFiling || d.Status == DraftFiled) {
			return s.earlierApproval(ctx, d)
		}
	}
	if err != nil {
		return nil, err
	}
	return &Approval{Record: rec}, nil
}

// earlierApproval answers for a draft that is filing (its open filing, as
// a *FilingPending) or filed (its record).
func (s *Store) earlierApproval(ctx context.Context, d *Draft) (*Approval, error) {
	if d.Status == DraftFiled {
		rec, err := s.loadRecord(ctx, s.cat.Reader(), d.RecordID)
		if err != nil {
			return nil, err
		}
		return &Approval{Record: rec, AlreadyFiled: true}, nil
	}
	var fid, status string
	err := s.cat.Reader().QueryRowContext(ctx, `SELECT id, status FROM filings WHERE draft_id = ?
		AND status IN ('allocated', 'rendered', 'signed') ORDER BY created_at DESC LIMIT 1`, d.ID).Scan(&fid, &status)
	if errors.Is(err, sql.ErrNoRows) {
		// It ended between the two reads.
		return nil, problem.Conflict("draft_changed", "草稿已被修改、退回或签发，请刷新后重试")
	}
	if err != nil {
		return nil, internal("approve", err)
	}
	return nil, &FilingPending{FilingID: fid, DraftID: d.ID, Status: status}
}

// fileDraft runs the filing sequence for a checked, open draft.
func (s *Store) fileDraft(ctx context.Context, ap *approval) (*Record, error) {
	now := s.now().Truncate(time.Millisecond)
	year := now.In(s.opts.Location).Year()
	f := &filingRow{ID: newID(), DraftID: ap.draft.ID, Source: SourceGenerated, Owner: s.instance, FiledAt: now}
	f.ContentKey = contentKey(year, f.ID, ".docx")
	if err := s.storageChecked(); err != nil {
		return nil, err // storage was unreachable at start: no number is taken for a filing that cannot be stored
	}
	s.setActive(f.ID, true)
	defer s.setActive(f.ID, false)

	if err := s.claimAndAllocate(ctx, ap, f, year); err != nil {
		return nil, internal("approve", err)
	}
	s.crashPoint("allocated")

	d, unit := ap.draft, ap.unit
	rendered, err := s.opts.Templates.Render(templates.RenderRequest{
		TemplateID: d.TemplateID, Fields: d.Fields, IssuerName: unit.Name, DocNumber: f.alloc.DocNumber,
		Classification: d.Classification, Date: now.In(s.opts.Location),
	})
	if err != nil {
		s.voidNow(ctx, f, "渲染失败")
		return nil, internal("render", err)
	}
	m := s.generatedManifest(ap, f, rendered, year)
	pending, err := canonicalJSON(m)
	if err != nil {
		s.voidNow(ctx, f, "清单无法编码")
		return nil, internal("manifest", err)
	}
	f.ContentSM3, f.ContentSHA256, f.ContentSize, f.Pending = m.Content.SM3, m.Content.SHA256, m.Content.Size, pending
	if err := s.journalRendered(ctx, f); err != nil {
		return s.filingFailed(ctx, f, internal("journal", err))
	}
	s.crashPoint("rendered")
	return s.storeAndFinish(ctx, f, rendered.Docx, MediaTypeDocx, rendered.Text)
}

// approval is a draft that may be approved now, with its unit, its author
// and the approver.
type approval struct {
	draft    *Draft
	unit     *identity.Unit
	author   *identity.User
	approver *identity.User
}

// checkApproval applies the approval rules: an approver of the draft's
// unit who is not its author, an open draft, a unit with real codes, valid
// fields and the plan rule. A draft that is filing or filed passes the
// caller checks only (Approve then reports the earlier approval).
func (s *Store) checkApproval(ctx context.Context, u *identity.User, id string) (*approval, error) {
	if err := identity.RequireRole(u, identity.RoleApprover); err != nil {
		return nil, err
	}
	d, err := s.GetDraft(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if d.AuthorID == u.ID && !u.IsOperator() {
		return nil, problem.Conflict("self_approval", "不能签发本人起草的文书，请由本单位其他审批人签发")
	}
	switch d.Status {
	case DraftFiling, DraftFiled:
		// Approved before: Approve answers with that filing.
		return &approval{draft: d, approver: u}, nil
	case DraftReturned:
		return nil, problem.Conflict("not_approvable", "草稿已退回，须经起草人修改后重新提交")
	case DraftOpen:
	default:
		return nil, problem.Conflict("not_approvable", "该草稿当前不能签发")
	}
	unit, err := s.id.GetUnit(ctx, d.UnitID)
	if err != nil {
		return nil, err
	}
	if unit.Placeholder {
		return nil, problem.Conflict("unit_placeholder", "单位「"+unit.Name+"」尚未设置机关代字、全宗号和机构代码，不能归档")
	}
	if err := s.checkHeadApproval(ctx, u, d, unit); err != nil {
		return nil, err
	}
	if err := s.validateFields(d.TemplateID, d.Fields); err != nil {
		return nil, err
	}
	if err := s.checkPlanRule(ctx, d); err != nil {
		return nil, err
	}
	author, err := s.id.GetUser(ctx, d.AuthorID)
	if err != nil {
		return nil, err
	}
	return &approval{draft: d, unit: unit, author: author, approver: u}, nil
}

// claimAndAllocate is TX1 (durable): the draft goes draft → filing (only
// at the revision that was checked), both numbers are allocated and the
// journal row is inserted (allocated). Templates that print no 发文字号
// (internal papers) get a 档号 only.
func (s *Store) claimAndAllocate(ctx context.Context, ap *approval, f *filingRow, year int) error {
	d, unit := ap.draft, ap.unit
	numbered := s.opts.Templates.Numbered(d.TemplateID)
	return s.cat.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE drafts SET status = 'filing', approver_id = ?, revision = revision + 1,
			updated_at = ? WHERE id = ? AND status = 'draft' AND revision = ?`, ap.approver.ID, catalog.FormatTime(f.FiledAt), d.ID, d.Revision)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.Conflict("draft_changed", "草稿已被修改、退回或签发，请刷新后重试")
		}
		a := allocation{Fonds: unit.Fonds, Year: year, Retention: d.Retention, Org: unit.Org, DocAgency: s.docAgencyKey(unit.Code, d.TemplateID)}
		if numbered {
			if a.DocNumber, a.DocSeq, err = allocDocNumber(ctx, tx, a.DocAgency, year); err != nil {
				return err
			}
		}
		if a.ItemNo, err = allocItem(ctx, tx, a.Fonds, year, a.Retention, a.Org); err != nil {
			return err
		}
		a.ArchiveCode = FormatArchiveCode(a.Fonds, year, a.Retention, a.Org, a.ItemNo)
		f.alloc = a
		if err := insertFiling(ctx, tx, f, f.FiledAt); err != nil {
			return err
		}
		return s.audit(ctx, tx, ap.approver, "draft.approve", f.ID, d.ID, strings.TrimSpace(a.DocNumber+" "+a.ArchiveCode))
	})
}

// generatedManifest is the unsigned manifest of a generated record: the
// draft's metadata, the allocated numbers and the rendered content's
// digests. The content's version id, the chain and the signature are
// filled in by chainAndSign.
func (s *Store) generatedManifest(ap *approval, f *filingRow, rendered *templates.Rendered, year int) *Manifest {
	d, unit, now := ap.draft, ap.unit, f.FiledAt
	return &Manifest{
		Approver: &PersonRef{ID: ap.approver.ID, Name: ap.approver.Name}, ArchiveCode: f.alloc.ArchiveCode,
		Author: PersonRef{ID: ap.author.ID, Name: ap.author.Name}, CaseNo: d.CaseNo, Classification: d.Classification,
		Content: ObjectRef{Key: f.ContentKey, MediaType: MediaTypeDocx, SHA256: sha256Hex(rendered.Docx),
			Size: int64(len(rendered.Docx)), SM3: sm3Hex(rendered.Docx)},
		DocNumber: f.alloc.DocNumber, DraftID: d.ID, Fields: d.Fields, FiledAt: catalog.FormatTime(now), Fonds: f.alloc.Fonds,
		Format: ManifestFormat, ItemNo: f.alloc.ItemNo, Kind: rendered.Kind, ManifestKey: manifestKey(year, f.ID),
		Org: f.alloc.Org, Persons: d.Persons, RecordID: f.ID,
		RetainUntil: s.retainUntil(now, d.Retention).Format(retainLayout), Retention: d.Retention,
		Source: SourceGenerated, Supersedes: d.Supersedes, Template: d.TemplateID, Title: rendered.Title,
		Unit: UnitRef{Code: unit.Code, Fonds: unit.Fonds, ID: unit.ID, Name: unit.Name, Org: unit.Org}, Year: year,
	}
}

// journalRendered is TX2: journal the digests and the unsigned manifest
// before any upload. Lazy commit: if power loss drops it, the filing is
// back to allocated and Recover voids its numbers (a stored .docx then
// stays an orphan that the void marker accounts for); numbers are never
// reused.
func (s *Store) journalRendered(ctx context.Context, f *filingRow) error {
	err := s.cat.TxLazy(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE filings SET status = 'rendered', content_sm3 = ?, content_sha256 = ?,
			content_size = ?, pending_manifest = ?, updated_at = ? WHERE id = ? AND status = 'allocated'`,
			f.ContentSM3, f.ContentSHA256, f.ContentSize, string(f.Pending), catalog.FormatTime(s.now()), f.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errors.New("filing left the allocated state")
		}
		return nil
	})
	if err != nil {
		return err
	}
	f.Status = filingRendered
	return nil
}

// storeAndFinish stores the content of a rendered filing, then chains,
// signs, stores the manifest and catalogues it. A failure leaves the
// filing to recovery (filingFailed).
func (s *Store) storeAndFinish(ctx context.Context, f *filingRow, content []byte, mediaType, text string) (*Record, error) {
	until := s.retainUntil(f.FiledAt, f.alloc.Retention)
	ver, err := s.putLocked(ctx, s.bucket, f.ContentKey, content, mediaType, until)
	if err != nil {
		return s.filingFailed(ctx, f, internal("store content", err))
	}
	s.crashPoint("content_stored")
	rec, err := s.finish(ctx, f, ver)
	if err != nil {
		return s.filingFailed(ctx, f, err)
	}
	s.afterFiled(ctx, rec, text)
	return rec, nil
}

// filingFailed decides what the caller of a filing of this process that
// failed with err is told, and hands the filing to recovery. If the
// journal row is still open (storage did not answer, or answered too late
// for the deadline) the answer is a *FilingPending: the outcome is not
// known and recovery, kicked once this filing is no longer active, drives
// it to filed or void. Without background recovery (RecoverInterval 0)
// one recovery attempt runs right away, as before; if it files the
// record, that is the answer.
func (s *Store) filingFailed(ctx context.Context, f *filingRow, err error) (*Record, error) {
	s.log.Warn("filing interrupted; left to recovery", "record", f.ID, "err", err)
	s.setActive(f.ID, false)
	if s.opts.RecoverInterval <= 0 {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*s.storageTimeout())
		if _, rerr := s.recoverOne(rctx, f.ID); rerr != nil {
			s.log.Warn("filing left for a later Recover", "record", f.ID, "err", rerr)
		}
		cancel()
	} else {
		s.kickRecover()
	}
	rctx := context.WithoutCancel(ctx)
	now, lerr := s.loadFiling(rctx, s.cat.Reader(), f.ID)
	if lerr != nil {
		return nil, err
	}
	switch now.Status {
	case filingAllocated, filingRendered, filingSigned:
		return nil, &FilingPending{FilingID: f.ID, DraftID: f.DraftID, Status: now.Status}
	case filingFiled:
		if rec, rerr := s.loadRecord(rctx, s.cat.Reader(), f.ID); rerr == nil {
			return rec, nil
		}
	case filingVoid:
		if isUnavailable(err) {
			return nil, errStorageUnavailable
		}
	}
	return nil, err
}

// finish chains and signs a filing whose content is stored (as version
// contentVersion), stores the manifest and commits the catalog row.
func (s *Store) finish(ctx context.Context, f *filingRow, contentVersion string) (*Record, error) {
	if f.Status == filingRendered {
		if err := s.chainAndSign(ctx, f, contentVersion); err != nil {
			return nil, internal("sign", err)
		}
		s.crashPoint("signed")
	}
	return s.finishSigned(ctx, f)
}

// chainAndSign is TX3: read the chain head, complete and sign the manifest,
// advance the head and journal the signed bytes — all in one serialised
// write transaction, so chain order is signing order and has no forks.
func (s *Store) chainAndSign(ctx context.Context, f *filingRow, contentVersion string) error {
	return s.cat.Tx(ctx, func(tx *sql.Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM filings WHERE id = ?`, f.ID).Scan(&status); err != nil {
			return err
		}
		if status != filingRendered {
			return fmt.Errorf("filing %s is %s, not rendered", f.ID, status)
		}
		var seq int64
		var prev string
		err := tx.QueryRowContext(ctx, `SELECT seq, manifest_sm3 FROM chain_head WHERE id = 1`).Scan(&seq, &prev)
		if errors.Is(err, sql.ErrNoRows) {
			seq, prev = 0, ""
		} else if err != nil {
			return err
		}
		m, err := decodePending(f.Pending)
		if err != nil {
			return err
		}
		m.Content.VersionID = contentVersion
		m.ChainSeq = seq + 1
		m.PrevManifestSM3 = prev
		b, err := s.sealManifest(m)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chain_head (id, seq, manifest_sm3, record_id) VALUES (1, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, manifest_sm3 = excluded.manifest_sm3, record_id = excluded.record_id`,
			m.ChainSeq, sm3Hex(b), f.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE filings SET status = 'signed', content_version = ?, manifest = ?, chain_seq = ?,
			updated_at = ? WHERE id = ? AND status = 'rendered'`, contentVersion, string(b), m.ChainSeq, catalog.FormatTime(s.now()), f.ID); err != nil {
			return err
		}
		f.Status, f.ContentVersion, f.Manifest, f.ChainSeq = filingSigned, contentVersion, b, m.ChainSeq
		return nil
	})
}

func decodePending(b []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("pending manifest: %w", err)
	}
	return &m, nil
}

// finishSigned stores the signed manifest (unless a stored version already
// holds exactly these bytes) and commits the catalog row (TX4).
func (s *Store) finishSigned(ctx context.Context, f *filingRow) (*Record, error) {
	m, err := ParseManifest(f.Manifest)
	if err != nil {
		return nil, internal("manifest", err)
	}
	if err := s.waitChainTurn(ctx, f.ChainSeq, !s.isActive(f.ID)); err != nil {
		return nil, err
	}
	ver, err := s.storeManifest(ctx, m, f.Manifest, !s.isActive(f.ID))
	if err != nil {
		return nil, internal("store manifest", err)
	}
	s.manifestStored(f.ChainSeq)
	defer s.forgetStored(f.ChainSeq)
	s.crashPoint("manifest_stored")
	rec := recordFromManifest(m, ver, sm3Hex(f.Manifest))
	actor := &identity.User{ID: m.Author.ID, Name: m.Author.Name}
	if m.Approver != nil {
		actor = &identity.User{ID: m.Approver.ID, Name: m.Approver.Name}
	}
	// TX4, lazy: if power loss drops it the filing is signed again and
	// Recover finds the stored manifest by its bytes and commits this again.
	err = s.cat.TxLazy(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE filings SET status = 'filed', manifest_version = ?, updated_at = ?
			WHERE id = ? AND status = 'signed'`, ver, catalog.FormatTime(s.now()), f.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("filing %s is no longer signed", f.ID)
		}
		if err := insertRecord(ctx, tx, rec); err != nil {
			return err
		}
		if f.DraftID != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE drafts SET status = 'filed', record_id = ?, revision = revision + 1,
				updated_at = ? WHERE id = ?`, f.ID, catalog.FormatTime(s.now()), f.DraftID); err != nil {
				return err
			}
		}
		action := "record.file"
		if m.Source == SourceImported {
			action = "record.import"
		}
		return s.audit(ctx, tx, actor, action, f.ID, f.DraftID, strings.TrimSpace(m.DocNumber+" "+m.ArchiveCode))
	})
	if err != nil {
		return nil, internal("catalogue", err)
	}
	f.Status, f.ManifestVersion = filingFiled, ver
	s.chainAdvanced()
	s.crashPoint("catalogued")
	return rec, nil
}

// storeManifest stores the signed manifest. A first attempt (the normal
// path) puts it straight away; a recovery looks for a stored copy first.
// putLocked takes a stored copy with these bytes as success either way.
func (s *Store) storeManifest(ctx context.Context, m *Manifest, b []byte, recovering bool) (string, error) {
	if recovering {
		if ver, ok, err := s.findVersion(ctx, m.ManifestKey, b); err != nil || ok {
			return ver, err
		}
	}
	until := s.retainUntil(catalog.ParseTime(m.FiledAt), m.Retention)
	return s.putLocked(ctx, s.bucket, m.ManifestKey, b, "application/json", until)
}

// findVersion returns the oldest stored version of key whose bytes equal b.
func (s *Store) findVersion(ctx context.Context, key string, b []byte) (string, bool, error) {
	return s.findVersionIn(ctx, s.bucket, key, b)
}

// afterFiled runs the indexing hook; its failure never unfiles a record.
func (s *Store) afterFiled(ctx context.Context, rec *Record, text string) {
	s.queueFiledCheck(rec.ID)
	if s.opts.OnFiled == nil {
		return
	}
	if err := s.opts.OnFiled(ctx, rec, text); err != nil {
		s.log.Error("OnFiled hook failed; the record is filed and will be found by ListRecordsSince", "record", rec.ID, "err", err)
	}
}

// crashHook, when set (by tests only), is called at each named point of the
// filing sequence; the crash tests use it to SIGKILL the process there.
var crashHook func(point string)

func (s *Store) crashPoint(point string) {
	if crashHook != nil {
		crashHook(point)
	}
}
