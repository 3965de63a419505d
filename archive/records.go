package archive

import (
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
)

// Record is a filed record as the catalog holds it: the manifest's metadata
// plus the manifest's own version id and digest. It never changes.
type Record struct {
	ID             string         `json:"id"`
	Source         string         `json:"source"` // generated | imported
	DraftID        string         `json:"draft_id,omitempty"`
	TemplateID     string         `json:"template,omitempty"`
	Title          string         `json:"title"`
	Kind           string         `json:"kind"`                 // 文种
	DocNumber      string         `json:"doc_number,omitempty"` // 文号
	ArchiveCode    string         `json:"archive_code"`         // 档号
	Fonds          string         `json:"fonds"`
	Year           int            `json:"year"`
	Retention      Retention      `json:"retention"`
	Org            string         `json:"org"`
	ItemNo         int            `json:"item_no"` // 件号
	UnitID         int64          `json:"unit_id"`
	UnitName       string         `json:"unit_name"`
	UnitCode       string         `json:"unit_code"`
	Classification string         `json:"classification"`
	CaseNo         string         `json:"case_no"`
	Persons        []string       `json:"persons"`
	Fields         map[string]any `json:"fields"`
	AuthorID       int64          `json:"author_id"`
	AuthorName     string         `json:"author_name"`
	ApproverID     int64          `json:"approver_id,omitempty"`
	ApproverName   string         `json:"approver_name,omitempty"`
	FiledAt        time.Time      `json:"filed_at"`
	RetainUntil    time.Time      `json:"retain_until"`
	// Storage and fixity. Object keys stay inside the server.
	ContentKey      string `json:"-"`
	ContentVersion  string `json:"content_version"`
	ContentSize     int64  `json:"content_size"`
	MediaType       string `json:"media_type"`
	OriginalName    string `json:"original_name,omitempty"`
	SM3             string `json:"sm3"`
	SHA256          string `json:"sha256"`
	ManifestKey     string `json:"-"`
	ManifestVersion string `json:"manifest_version"`
	ManifestSM3     string `json:"manifest_sm3"`
	ChainSeq        int64  `json:"chain_seq"`
	PrevManifestSM3 string `json:"prev_manifest_sm3"`
	SignerKeyID     string `json:"signer_key_id"`
	Supersedes      string `json:"supersedes,omitempty"` // the record this one corrects (更正)
	// Disposal is set once the record was disposed of (已销毁): its
	// objects are gone and its metadata is the entry of the signed 清册.
	Disposal *DisposalMark `json:"disposal,omitempty"`
}

// FileName is a download name for the content: 档号 + title + extension.
func (r *Record) FileName() string {
	ext := ".docx"
	if strings.HasPrefix(r.MediaType, "text/plain") {
		ext = ".txt"
	}
	if e, ok := replyExtensions[r.MediaType]; ok {
		ext = e // a reply's PDF or scan (replies.go)
	}
	name := r.ArchiveCode + " " + r.Title
	name = strings.Map(func(c rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, c) || c < 0x20 {
			return '_'
		}
		return c
	}, name)
	return name + ext
}

// recordFromManifest is the one mapping from a manifest to a catalog row,
// used when filing and when rebuilding, so both give the same row.
func recordFromManifest(m *Manifest, manifestVersion, manifestSM3 string) *Record {
	r := &Record{
		ID: m.RecordID, Source: m.Source, DraftID: m.DraftID, TemplateID: m.Template, Title: m.Title, Kind: m.Kind,
		DocNumber: m.DocNumber, ArchiveCode: m.ArchiveCode, Fonds: m.Fonds, Year: m.Year, Retention: m.Retention,
		Org: m.Org, ItemNo: m.ItemNo, UnitID: m.Unit.ID, UnitName: m.Unit.Name, UnitCode: m.Unit.Code,
		Classification: m.Classification, CaseNo: m.CaseNo, Persons: m.Persons, Fields: m.Fields,
		AuthorID: m.Author.ID, AuthorName: m.Author.Name,
		FiledAt: catalog.ParseTime(m.FiledAt), RetainUntil: parseRetain(m.RetainUntil),
		ContentKey: m.Content.Key, ContentVersion: m.Content.VersionID, ContentSize: m.Content.Size,
		MediaType: m.Content.MediaType, OriginalName: m.Content.OriginalName, SM3: m.Content.SM3, SHA256: m.Content.SHA256,
		ManifestKey: m.ManifestKey, ManifestVersion: manifestVersion, ManifestSM3: manifestSM3,
		ChainSeq: m.ChainSeq, PrevManifestSM3: m.PrevManifestSM3, SignerKeyID: m.SignerKeyID, Supersedes: m.Supersedes,
	}
	if m.Approver != nil {
		r.ApproverID, r.ApproverName = m.Approver.ID, m.Approver.Name
	}
	return r
}

const retainLayout = "2006-01-02T15:04:05Z"

func parseRetain(s string) time.Time {
	t, _ := time.Parse(retainLayout, s)
	return t
}

func insertRecord(ctx context.Context, tx *sql.Tx, r *Record) error {
	persons, err := json.Marshal(nonNilStrings(r.Persons))
	if err != nil {
		return err
	}
	fields, err := canonicalJSON(nonNilMap(r.Fields))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO records (id, source, draft_id, template_id, title, kind, doc_number, archive_code,
			fonds, year, retention, org, item_no, unit_id, unit_name, unit_code, classification, case_no, persons, fields,
			author_id, author_name, approver_id, approver_name, filed_at, retain_until, content_key, content_version,
			content_size, media_type, original_name, sm3, sha256, manifest_key, manifest_version, manifest_sm3, chain_seq,
			prev_manifest_sm3, signer_key_id, supersedes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Source, catalog.NullString(r.DraftID), r.TemplateID, r.Title, r.Kind, catalog.NullString(r.DocNumber), r.ArchiveCode,
		r.Fonds, r.Year, string(r.Retention), r.Org, r.ItemNo, r.UnitID, r.UnitName, r.UnitCode, r.Classification, r.CaseNo,
		string(persons), string(fields), r.AuthorID, r.AuthorName, catalog.NullInt(r.ApproverID), r.ApproverName,
		catalog.FormatTime(r.FiledAt), r.RetainUntil.UTC().Format(retainLayout), r.ContentKey, r.ContentVersion, r.ContentSize,
		r.MediaType, r.OriginalName, r.SM3, r.SHA256, r.ManifestKey, r.ManifestVersion, r.ManifestSM3, r.ChainSeq,
		r.PrevManifestSM3, r.SignerKeyID, catalog.NullString(r.Supersedes))
	return err
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

const recordCols = `id, source, draft_id, template_id, title, kind, doc_number, archive_code, fonds, year, retention, org,
	item_no, unit_id, unit_name, unit_code, classification, case_no, persons, fields, author_id, author_name, approver_id,
	approver_name, filed_at, retain_until, content_key, content_version, content_size, media_type, original_name, sm3,
	sha256, manifest_key, manifest_version, manifest_sm3, chain_seq, prev_manifest_sm3, signer_key_id, supersedes`

func scanRecord(row interface{ Scan(...any) error }) (*Record, error) {
	var r Record
	var draft, doc, sup sql.NullString
	var approver sql.NullInt64
	var ret, persons, fields, filed, retain string
	err := row.Scan(&r.ID, &r.Source, &draft, &r.TemplateID, &r.Title, &r.Kind, &doc, &r.ArchiveCode, &r.Fonds, &r.Year,
		&ret, &r.Org, &r.ItemNo, &r.UnitID, &r.UnitName, &r.UnitCode, &r.Classification, &r.CaseNo, &persons, &fields,
		&r.AuthorID, &r.AuthorName, &approver, &r.ApproverName, &filed, &retain, &r.ContentKey, &r.ContentVersion,
		&r.ContentSize, &r.MediaType, &r.OriginalName, &r.SM3, &r.SHA256, &r.ManifestKey, &r.ManifestVersion,
		&r.ManifestSM3, &r.ChainSeq, &r.PrevManifestSM3, &r.SignerKeyID, &sup)
	if err != nil {
		return nil, err
	}
	r.DraftID, r.DocNumber, r.Supersedes, r.ApproverID = draft.String, doc.String, sup.String, approver.Int64
	r.Retention, r.FiledAt, r.RetainUntil = Retention(ret), catalog.ParseTime(filed), parseRetain(retain)
	if err := json.Unmarshal([]byte(persons), &r.Persons); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(fields))
	dec.UseNumber()
	if err := dec.Decode(&r.Fields); err != nil {
		return nil, err
	}
	return &r, nil
}

// loadRecord returns record id as its verified manifest says (see
// trusted.go): the catalog row only locates the manifest.
func (s *Store) loadRecord(ctx context.Context, q catalog.QueryRower, id string) (*Record, error) {
	row, err := s.loadRow(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if mark, err := s.disposalMark(ctx, q, id); err != nil || mark != nil {
		if err != nil {
			return nil, err
		}
		return s.disposedRecord(ctx, q, row, mark)
	}
	return s.trustRow(ctx, row)
}

// loadRow returns the catalog row of record id, unverified: for locating
// the manifest and for comparing the catalog with the bucket.
func (s *Store) loadRow(ctx context.Context, q catalog.QueryRower, id string) (*Record, error) {
	if !validID(id) {
		return nil, problem.NotFound("档案")
	}
	r, err := scanRecord(q.QueryRowContext(ctx, `SELECT `+recordCols+` FROM records WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("档案")
	}
	if err != nil {
		return nil, internal("get record", err)
	}
	return r, nil
}

// GetRecord returns a record's metadata as its verified manifest says.
// Records of other units or above the caller's clearance (by the
// manifest) are reported as not found; a row whose manifest cannot be
// trusted is refused (record_tampered, alerted). The record's Fields map
// and Persons slice are shared with the verified-manifest cache: callers
// read them and never change them.
func (s *Store) GetRecord(ctx context.Context, u *identity.User, id string) (*Record, error) {
	if err := identity.RequireUser(u); err != nil {
		return nil, err
	}
	r, err := s.loadRecord(ctx, s.cat.Reader(), id)
	if err != nil {
		return nil, err
	}
	if !identity.CanRead(u, r.UnitID, r.Classification) {
		return nil, problem.NotFound("档案")
	}
	return r, nil
}

// Content is a record's stored bytes, exactly as filed.
type Content struct {
	Data      []byte
	MediaType string
	FileName  string // suggested download name
	VersionID string
	SM3       string // of Data, recomputed on read
	SHA256    string // of Data, recomputed on read
	Intact    bool   // both digests equal the manifest's
}

// RecordContent reads the exact stored bytes of the version the verified
// manifest names and re-digests them before anything is returned: bytes
// that differ from the manifest's size, SM3 or SHA-256 are never returned
// (record_tampered, alerted), so Intact is always true on success. The
// read is audited (利用).
func (s *Store) RecordContent(ctx context.Context, u *identity.User, id string) (*Content, error) {
	r, err := s.GetRecord(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if r.Disposal != nil {
		return nil, r.Disposal.gone(r)
	}
	b, err := s.filedContent(ctx, r)
	if err != nil {
		return nil, err
	}
	c := &Content{Data: b, MediaType: r.MediaType, FileName: r.FileName(), VersionID: r.ContentVersion,
		SM3: r.SM3, SHA256: r.SHA256, Intact: true}
	if err := s.auditNow(ctx, u, "record.read", r.ID, "", "下载正文"); err != nil {
		return nil, internal("audit", err)
	}
	return c, nil
}

// filedContent reads the content of trusted record r at the manifest's
// version and checks it against the manifest before returning it.
func (s *Store) filedContent(ctx context.Context, r *Record) ([]byte, error) {
	b, err := s.getObject(ctx, s.bucket, r.ContentKey, r.ContentVersion)
	if err != nil {
		if isNoSuchObject(err) {
			s.raiseAlert(ctx, Alert{Kind: AlertTamper, RecordID: r.ID, Detail: "清单所记载的正文版本在存储中不存在"})
			return nil, problem.Conflict("content_missing", "档案正文在存储中缺失，请联系管理员并运行校验")
		}
		if isUnavailable(err) {
			return nil, storageErr(err)
		}
		return nil, internal("read content", err)
	}
	if got, gotSHA := sm3Hex(b), sha256Hex(b); got != r.SM3 || gotSHA != r.SHA256 || int64(len(b)) != r.ContentSize {
		s.raiseAlert(ctx, Alert{Kind: AlertTamper, RecordID: r.ID,
			Detail: fmt.Sprintf("存储的正文与签名清单不符（SM3 %s，清单记载 %s），已拒绝", got, r.SM3)})
		return nil, errTampered()
	}
	return b, nil
}

// RecordFilter selects records for ListRecords.
type RecordFilter struct {
	Year       int    // 0: any
	TemplateID string // "": any
	Limit      int    // default 100, at most 1000
	Offset     int
}

// ListRecords lists the records of the caller's unit that it may read,
// newest first. (Full-text search is the search package's job.)
func (s *Store) ListRecords(ctx context.Context, u *identity.User, f RecordFilter) ([]*Record, error) {
	if err := identity.RequireUser(u); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q := `SELECT ` + recordCols + ` FROM records WHERE 1 = 1`
	var args []any
	if !u.IsOperator() {
		units, err := s.id.VisibleUnits(ctx, u)
		if err != nil {
			return nil, err
		}
		q += ` AND unit_id IN (?` + strings.Repeat(`, ?`, len(units)-1) + `)`
		for _, id := range units {
			args = append(args, id)
		}
	}
	if f.Year != 0 {
		q += ` AND year = ?`
		args = append(args, f.Year)
	}
	if f.TemplateID != "" {
		q += ` AND template_id = ?`
		args = append(args, f.TemplateID)
	}
	q += ` ORDER BY chain_seq DESC LIMIT ? OFFSET ?`
	args = append(args, f.Limit, f.Offset)
	rows, err := s.queryRecords(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	recs, err := s.trustRows(ctx, rows)
	if err != nil {
		return nil, err
	}
	out := recs[:0]
	for _, r := range recs {
		if identity.CanRead(u, r.UnitID, r.Classification) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *Store) queryRecords(ctx context.Context, q string, args ...any) ([]*Record, error) {
	rows, err := s.cat.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, internal("list records", err)
	}
	defer rows.Close()
	var out []*Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, internal("list records", err)
		}
		out = append(out, r)
	}
	return out, internal("list records", rows.Err())
}

// ListRecordsSince returns up to limit records with ChainSeq > afterSeq in
// chain order, as their verified manifests say (rows that are refused are
// left out and alerted). It is for the search indexer (no caller
// identity, no filtering). Page with RecordsSince, whose cursor also moves
// past refused rows.
func (s *Store) ListRecordsSince(ctx context.Context, afterSeq int64, limit int) ([]*Record, error) {
	recs, _, err := s.RecordsSince(ctx, afterSeq, limit)
	return recs, err
}

// RecordsSince is ListRecordsSince with the cursor for the next page: the
// highest catalog chain_seq of the rows read (afterSeq when there were
// none, which ends the paging).
func (s *Store) RecordsSince(ctx context.Context, afterSeq int64, limit int) ([]*Record, int64, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	rows, err := s.queryRecords(ctx, `SELECT `+recordCols+` FROM records WHERE chain_seq > ? ORDER BY chain_seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return nil, afterSeq, err
	}
	next := afterSeq
	if len(rows) > 0 {
		next = rows[len(rows)-1].ChainSeq
	}
	recs, err := s.trustRows(ctx, rows)
	return recs, next, err
}

// RecordText returns the plain text of a record's stored content (the
// .docx's text, or the .txt itself), for indexing. No caller identity: it
// is for the indexer, not for users.
func (s *Store) RecordText(ctx context.Context, id string) (string, error) {
	r, err := s.loadRecord(ctx, s.cat.Reader(), id)
	if err != nil {
		return "", err
	}
	b, err := s.filedContent(ctx, r)
	if err != nil {
		return "", err
	}
	return s.contentText(b, r.MediaType)
}

// Corrections links a record with its corrections (更正), both ways.
type Corrections struct {
	Supersedes string   `json:"supersedes,omitempty"` // the record this one corrects
	Records    []string `json:"records"`              // filed records that correct this one
	Drafts     []string `json:"drafts"`               // open drafts that correct this one (readable by the caller)
}

// Supersede opens a new draft in the caller's unit that corrects the filed
// record id (更正): same template, fields, persons, case, classification and
// retention, linked by Draft.Supersedes. The record itself never changes.
func (s *Store) Supersede(ctx context.Context, u *identity.User, id string) (*Draft, error) {
	if err := identity.RequireRole(u, identity.RoleClerk, identity.RoleApprover); err != nil {
		return nil, err
	}
	r, err := s.GetRecord(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if r.Source != SourceGenerated || r.TemplateID == "" {
		return nil, problem.Conflict("not_correctable", "导入的档案没有模板，不能据此起草更正；请新建草稿")
	}
	// A copy (r.Fields is the cached manifest's), with json.Number values
	// back as plain JSON values.
	b, err := json.Marshal(r.Fields)
	if err != nil {
		return nil, internal("supersede", err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, internal("supersede", err)
	}
	in := DraftInput{TemplateID: r.TemplateID, Fields: fields, CaseNo: r.CaseNo, Persons: append([]string{}, r.Persons...),
		Classification: r.Classification, Retention: r.Retention}
	if err := in.normalise(); err != nil {
		return nil, err
	}
	return s.insertDraft(ctx, u, in, r.ID)
}

// Corrections returns what corrects record id and what it corrects.
func (s *Store) Corrections(ctx context.Context, u *identity.User, id string) (*Corrections, error) {
	r, err := s.GetRecord(ctx, u, id)
	if err != nil {
		return nil, err
	}
	c := &Corrections{Supersedes: r.Supersedes, Records: []string{}, Drafts: []string{}}
	corr, err := s.queryRecords(ctx, `SELECT `+recordCols+` FROM records WHERE supersedes = ? ORDER BY chain_seq`, r.ID)
	if err != nil {
		return nil, err
	}
	recs, err := s.trustRows(ctx, corr)
	if err != nil {
		return nil, err
	}
	for _, x := range recs {
		if x.Supersedes == r.ID {
			c.Records = append(c.Records, x.ID)
		}
	}
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT `+draftCols+` FROM drafts WHERE supersedes = ? AND status <> 'filed' ORDER BY created_at`, r.ID)
	if err != nil {
		return nil, internal("corrections", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDraft(rows)
		if err != nil {
			return nil, internal("corrections", err)
		}
		if identity.CanReadDraft(u, d.UnitID, d.Classification) {
			c.Drafts = append(c.Drafts, d.ID)
		}
	}
	return c, internal("corrections", rows.Err())
}
