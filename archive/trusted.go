package archive

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"wenshu/identity"
	"wenshu/problem"
)

// The signed manifest decides every read (签名清单为准). A catalog row only
// locates a record's manifest (manifest_key + manifest_version); the
// manifest stored at that version is read, checked against the signing key
// and for being this record's, and then it alone supplies the unit and
// classification of a permission decision and the content key, version
// and digests of a download. A row that disagrees with its manifest is
// reported (an alert) and answered with the manifest's values; a row whose
// manifest is missing, unsigned or another record's is refused
// (record_tampered). Verified manifests are cached by (version id, SM3),
// so the signature is checked once per process and manifest.

// manifestCacheSize bounds the verified-manifest cache (LRU).
const manifestCacheSize = 10000

// trustState is the Store's verified-manifest cache and public key; its
// zero value is ready to use.
type trustState struct {
	cache  manifestCache
	alerts alertBoard
}

// publicKey is what manifests are verified against: the keyring, so a
// record signed by any key that was current at its filing verifies after a
// rotation (keyring.go).
func (s *Store) publicKey() (Verifier, error) {
	ring := s.Keyring()
	if ring == nil {
		return nil, errors.New("archive: no signing key")
	}
	return ring, nil
}

type manifestCacheKey struct{ version, sm3 string }

// manifestCache is a bounded LRU of verified manifests.
type manifestCache struct {
	mu    sync.Mutex
	order *list.List // front: most recently used; values are *cachedManifest
	byKey map[manifestCacheKey]*list.Element
}

// cachedManifest is a verified manifest and the record it makes (built
// once; each read copies it).
type cachedManifest struct {
	key manifestCacheKey
	m   *Manifest
	rec *Record
}

func (c *manifestCache) get(k manifestCacheKey) *cachedManifest {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[k]
	if !ok {
		return nil
	}
	c.order.MoveToFront(el)
	return el.Value.(*cachedManifest)
}

// put caches verified manifest m under k and returns the entry.
func (c *manifestCache) put(k manifestCacheKey, m *Manifest) *cachedManifest {
	e := &cachedManifest{key: k, m: m, rec: recordFromManifest(m, k.version, k.sm3)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil {
		c.byKey, c.order = map[manifestCacheKey]*list.Element{}, list.New()
	}
	if el, ok := c.byKey[k]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return e
	}
	c.byKey[k] = c.order.PushFront(e)
	for c.order.Len() > manifestCacheSize {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*cachedManifest).key)
	}
	return e
}

// reset empties the cache.
func (c *manifestCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byKey, c.order = nil, nil
}

func (c *manifestCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byKey)
}

// tamperError is a row whose manifest cannot be trusted: detail says why
// (Chinese, for the alert and the log; the caller sees record_tampered).
type tamperError struct{ detail string }

func (e *tamperError) Error() string { return "archive: " + e.detail }

// errTampered is what a reader is told when the signed manifest refuses a
// read. 409, not 500: the server works as designed and the stored state
// conflicts with the signed record, which the caller must be told plainly
// (a 500 shows only a request id); not 404, which would hide tampering.
func errTampered() error {
	return problem.Conflict("record_tampered", "档案的目录记录或存储内容与签名清单不符，已拒绝读取并已报警，请联系审计员核查")
}

// readError classifies a failed read of a catalogued version: missing or
// refused by the bucket is tampering, no answer is unavailability, an
// access problem is internal.
func readError(op, what string, err error) error {
	if isNoSuchObject(err) {
		return &tamperError{what + "的归档版本在存储中不存在"}
	}
	if isUnavailable(err) {
		return storageErr(err)
	}
	if er, _ := s3Error(err); er.StatusCode == 400 {
		return &tamperError{what + "的归档版本号无效：" + er.Code}
	}
	return internal(op, err)
}

// verifiedManifest returns the manifest that row locates, verified: read
// at the row's manifest version, canonical and SM2-signed by this store's
// key, and naming this record and this key. Cached by (version, SM3).
func (s *Store) verifiedManifest(ctx context.Context, row *Record) (*cachedManifest, error) {
	k := manifestCacheKey{row.ManifestVersion, row.ManifestSM3}
	if e := s.trust.cache.get(k); e != nil && e.m.RecordID == row.ID && e.m.ManifestKey == row.ManifestKey {
		return e, nil
	}
	if row.ManifestVersion == "" || row.ManifestKey == "" {
		return nil, &tamperError{"目录没有记载清单的位置或版本"}
	}
	raw, err := s.getObject(ctx, s.bucket, row.ManifestKey, row.ManifestVersion)
	if err != nil {
		return nil, readError("read manifest", "清单", err)
	}
	pub, err := s.publicKey()
	if err != nil {
		return nil, internal("public key", err)
	}
	m, err := VerifyManifest(raw, pub)
	if err != nil {
		return nil, &tamperError{"目录所指的清单未通过验签：" + err.Error()}
	}
	if m.RecordID != row.ID || m.ManifestKey != row.ManifestKey {
		return nil, &tamperError{fmt.Sprintf("目录所指的清单属于另一件档案（%s）", m.RecordID)}
	}
	return s.trust.cache.put(manifestCacheKey{row.ManifestVersion, sm3Hex(raw)}, m), nil
}

// trustRow turns a catalog row into the record its verified manifest
// says, raising an alert for every field in which the row differs. A row
// whose manifest cannot be trusted is refused (record_tampered) with an
// alert; an unreachable bucket is ErrUnavailable. The record's Fields and
// Persons are shared with the cache: read them, never change them
// (Supersede copies them first).
func (s *Store) trustRow(ctx context.Context, row *Record) (*Record, error) {
	vm, err := s.verifiedManifest(ctx, row)
	var te *tamperError
	if errors.As(err, &te) {
		s.raiseAlert(ctx, Alert{Kind: AlertTamper, RecordID: row.ID, Detail: te.detail})
		return nil, errTampered()
	}
	if err != nil {
		return nil, err
	}
	t := new(Record)
	*t = *vm.rec
	if t.UnitID, err = s.manifestUnitID(ctx, row, vm.m); err != nil {
		return nil, err
	}
	if diff := rowDiff(row, t); len(diff) > 0 {
		s.raiseAlert(ctx, Alert{Kind: AlertCatalogMismatch, RecordID: row.ID,
			Detail: "目录与签名清单不一致的字段：" + strings.Join(diff, "、") + "（已按清单处理）"})
	}
	return t, nil
}

// manifestUnitID is the catalog id of the manifest's unit: the manifest's
// own id, unless the row names another unit that has the manifest's unit
// name (a rebuild that found the manifest's id taken gives the unit a new
// id; rebuild keys units by name).
func (s *Store) manifestUnitID(ctx context.Context, row *Record, m *Manifest) (int64, error) {
	if row.UnitID == m.Unit.ID {
		return m.Unit.ID, nil
	}
	var name string
	err := s.cat.Reader().QueryRowContext(ctx, `SELECT name FROM units WHERE id = ?`, row.UnitID).Scan(&name)
	if err == nil && name == m.Unit.Name {
		return row.UnitID, nil
	}
	return m.Unit.ID, nil
}

// trustRows is trustRow over a list, fetching uncached manifests in
// parallel. Rows that are refused are left out (each is alerted); an
// unavailable bucket fails the whole list.
func (s *Store) trustRows(ctx context.Context, rows []*Record) ([]*Record, error) {
	out := make([]*Record, len(rows))
	errs := make([]error, len(rows))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(8, len(rows)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = s.trustListedRow(ctx, rows[i])
			}
		}()
	}
	for i := range rows {
		next <- i
	}
	close(next)
	wg.Wait()
	kept := out[:0]
	for i, r := range out {
		switch {
		case errs[i] == nil && r == nil:
			// disposed of (已销毁), as its 清册 confirms: not listed
		case errs[i] == nil:
			kept = append(kept, r)
		case errors.Is(errs[i], problem.ErrConflict):
			// refused and alerted: not listed
		default:
			return nil, errs[i]
		}
	}
	return kept, nil
}

// recordFieldName is the JSON name of Record field f (content_key and
// manifest_key for the keys, which are never serialised).
func recordFieldName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" || name == "" {
		name = map[string]string{"ContentKey": "content_key", "ManifestKey": "manifest_key"}[f.Name]
	}
	return name
}

// recordFieldEqual compares each field of two records, by JSON name
// (content_key and manifest_key for the keys), in name order: rowDiff runs
// on every read, so it is written out rather than reflected (a test checks
// that it covers every field of Record).
var recordFieldEqual = []struct {
	name string
	eq   func(a, b *Record) bool
}{
	{"approver_id", func(a, b *Record) bool { return a.ApproverID == b.ApproverID }},
	{"approver_name", func(a, b *Record) bool { return a.ApproverName == b.ApproverName }},
	{"archive_code", func(a, b *Record) bool { return a.ArchiveCode == b.ArchiveCode }},
	{"author_id", func(a, b *Record) bool { return a.AuthorID == b.AuthorID }},
	{"author_name", func(a, b *Record) bool { return a.AuthorName == b.AuthorName }},
	{"case_no", func(a, b *Record) bool { return a.CaseNo == b.CaseNo }},
	{"chain_seq", func(a, b *Record) bool { return a.ChainSeq == b.ChainSeq }},
	{"classification", func(a, b *Record) bool { return a.Classification == b.Classification }},
	{"content_key", func(a, b *Record) bool { return a.ContentKey == b.ContentKey }},
	{"content_size", func(a, b *Record) bool { return a.ContentSize == b.ContentSize }},
	{"content_version", func(a, b *Record) bool { return a.ContentVersion == b.ContentVersion }},
	{"disposal", func(a, b *Record) bool { return (a.Disposal == nil) == (b.Disposal == nil) }},
	{"doc_number", func(a, b *Record) bool { return a.DocNumber == b.DocNumber }},
	{"draft_id", func(a, b *Record) bool { return a.DraftID == b.DraftID }},
	{"fields", func(a, b *Record) bool { return reflect.DeepEqual(nonNilMap(a.Fields), nonNilMap(b.Fields)) }},
	{"filed_at", func(a, b *Record) bool { return a.FiledAt.Equal(b.FiledAt) }},
	{"fonds", func(a, b *Record) bool { return a.Fonds == b.Fonds }},
	{"id", func(a, b *Record) bool { return a.ID == b.ID }},
	{"item_no", func(a, b *Record) bool { return a.ItemNo == b.ItemNo }},
	{"kind", func(a, b *Record) bool { return a.Kind == b.Kind }},
	{"manifest_key", func(a, b *Record) bool { return a.ManifestKey == b.ManifestKey }},
	{"manifest_sm3", func(a, b *Record) bool { return a.ManifestSM3 == b.ManifestSM3 }},
	{"manifest_version", func(a, b *Record) bool { return a.ManifestVersion == b.ManifestVersion }},
	{"media_type", func(a, b *Record) bool { return a.MediaType == b.MediaType }},
	{"org", func(a, b *Record) bool { return a.Org == b.Org }},
	{"original_name", func(a, b *Record) bool { return a.OriginalName == b.OriginalName }},
	{"persons", func(a, b *Record) bool { return slices.Equal(a.Persons, b.Persons) }},
	{"prev_manifest_sm3", func(a, b *Record) bool { return a.PrevManifestSM3 == b.PrevManifestSM3 }},
	{"retain_until", func(a, b *Record) bool { return a.RetainUntil.Equal(b.RetainUntil) }},
	{"retention", func(a, b *Record) bool { return a.Retention == b.Retention }},
	{"sha256", func(a, b *Record) bool { return a.SHA256 == b.SHA256 }},
	{"signer_key_id", func(a, b *Record) bool { return a.SignerKeyID == b.SignerKeyID }},
	{"sm3", func(a, b *Record) bool { return a.SM3 == b.SM3 }},
	{"source", func(a, b *Record) bool { return a.Source == b.Source }},
	{"supersedes", func(a, b *Record) bool { return a.Supersedes == b.Supersedes }},
	{"template", func(a, b *Record) bool { return a.TemplateID == b.TemplateID }},
	{"title", func(a, b *Record) bool { return a.Title == b.Title }},
	{"unit_code", func(a, b *Record) bool { return a.UnitCode == b.UnitCode }},
	{"unit_id", func(a, b *Record) bool { return a.UnitID == b.UnitID }},
	{"unit_name", func(a, b *Record) bool { return a.UnitName == b.UnitName }},
	{"year", func(a, b *Record) bool { return a.Year == b.Year }},
}

// rowDiff names the fields (JSON names, sorted) in which catalog row a
// differs from the manifest's record b.
func rowDiff(a, b *Record) []string {
	var diff []string
	for _, f := range recordFieldEqual {
		if !f.eq(a, b) {
			diff = append(diff, f.name)
		}
	}
	return diff
}

// fieldValues renders every field of r as text, by JSON name.
func fieldValues(r *Record) map[string]string {
	v := reflect.ValueOf(r).Elem()
	out := map[string]string{}
	for i := 0; i < v.NumField(); i++ {
		x := v.Field(i).Interface()
		if tm, ok := x.(time.Time); ok {
			x = tm.UTC().Format(time.RFC3339)
		}
		if m, ok := x.(map[string]any); ok {
			js, _ := canonicalJSON(nonNilMap(m))
			x = string(js)
		}
		out[recordFieldName(v.Type().Field(i))] = fmt.Sprint(x)
	}
	return out
}

// short cuts s to 40 characters for a report line.
func short(s string) string {
	r := []rune(s)
	if len(r) > 40 {
		return string(r[:40]) + "…"
	}
	if s == "" {
		return "（空）"
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// rowForVerify returns the catalog row of record id for Verify, which
// compares that row with the bucket. Whether the caller may read the
// record is decided by the verified manifest. When the manifest cannot be
// trusted, only auditors and operators get the (failing) verification,
// everyone else the refusal. When the bucket does not answer, the row
// decides and vouched is false: Verify then reports the verification as
// unavailable without looking further.
func (s *Store) rowForVerify(ctx context.Context, u *identity.User, id string) (row *Record, vouched bool, err error) {
	if err := identity.RequireUser(u); err != nil {
		return nil, false, err
	}
	row, err = s.loadRow(ctx, s.cat.Reader(), id)
	if err != nil {
		return nil, false, err
	}
	t, err := s.trustRow(ctx, row)
	unit, class := row.UnitID, row.Classification
	switch {
	case err == nil:
		unit, class, vouched = t.UnitID, t.Classification, true
	case errors.Is(err, problem.ErrUnavailable):
	case errors.Is(err, problem.ErrConflict) && (u.IsOperator() || u.Role == identity.RoleAuditor):
		vouched = true
	default:
		return nil, false, err
	}
	if !identity.CanRead(u, unit, class) {
		return nil, false, problem.NotFound("档案")
	}
	return row, vouched, nil
}
