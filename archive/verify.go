package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"time"
	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/problem"

	"github.com/minio/minio-go/v7"
)

// Names of verification checks (stable; the server and CLI show them).
const (
	CheckObjects   = "object_version" // both objects exist at the recorded versions
	CheckSM3       = "sm3"            // SM3 of the stored content equals the manifest's
	CheckSHA256    = "sha256"         // SHA-256 of the stored content equals the manifest's
	CheckSignature = "signature"      // the manifest is canonical and its SM2 signature is valid
	CheckRetention = "retention"      // both versions are locked COMPLIANCE until at least retain_until
	CheckChain     = "chain"          // prev_manifest_sm3 links to the previous manifest (and the next to this one)
	CheckCatalog   = "catalog"        // the catalog row equals the manifest
	CheckDisposed  = "disposed"       // the record is listed in a filed 销毁清册 (its only check)
)

// Outcomes of a check and of a verification (Check.Status,
// Verification.Status).
const (
	VerifyPassed = "passed"
	VerifyFailed = "failed"
	// VerifyUnavailable: storage did not answer (a timeout, a refused
	// connection, a 5xx), so nothing was learnt: neither passed nor
	// failed, and never reported as a missing object.
	VerifyUnavailable = "unavailable"
	// VerifyDisposed: the record was disposed of by an approved 销毁清册
	// (已销毁); there is nothing left to verify, which is not a failure.
	VerifyDisposed = "disposed"
)

// Check is one verification result. OK is true only when Status is
// passed.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Status string `json:"status"` // passed | failed | unavailable
	Detail string `json:"detail"`
}

// Verification is the result of verifying one record (a 四性 fixity and
// authenticity check). OK is true when every check passed; Status is
// unavailable when any check could not be made because storage did not
// answer (OK is then false, and Failed lists only real failures).
type Verification struct {
	RecordID   string        `json:"record_id"`
	OK         bool          `json:"ok"`
	Status     string        `json:"status"` // passed | failed | unavailable
	Checks     []Check       `json:"checks"`
	VerifiedAt time.Time     `json:"verified_at"`
	Disposal   *DisposalMark `json:"disposal,omitempty"` // set when Status is disposed
}

func (v *Verification) add(name string, ok bool, detail string) {
	status := VerifyFailed
	if ok {
		status = VerifyPassed
	}
	v.Checks = append(v.Checks, Check{Name: name, OK: ok, Status: status, Detail: detail})
}

// addUnavailable records a check that could not be made.
func (v *Verification) addUnavailable(name, detail string) {
	v.Checks = append(v.Checks, Check{Name: name, Status: VerifyUnavailable, Detail: detail})
}

// addResult adds the outcome of a check function (unavailable wins).
func (v *Verification) addResult(name string, ok bool, detail string, unavailable bool) {
	if unavailable {
		v.addUnavailable(name, detail)
		return
	}
	v.add(name, ok, detail)
}

func (v *Verification) finish() *Verification {
	v.OK = len(v.Checks) > 0
	v.Status = VerifyPassed
	for _, c := range v.Checks {
		v.OK = v.OK && c.OK
		switch {
		case c.Status == VerifyUnavailable:
			v.Status = VerifyUnavailable
		case !c.OK && v.Status == VerifyPassed:
			v.Status = VerifyFailed
		}
	}
	if !v.OK && v.Status == VerifyPassed {
		v.Status = VerifyFailed
	}
	return v
}

// Unavailable reports that storage did not answer during the
// verification: its result says nothing about the record.
func (v *Verification) Unavailable() bool { return v.Status == VerifyUnavailable }

// Err is the error to report for an unavailable verification (503), nil
// otherwise.
func (v *Verification) Err() error {
	if v.Unavailable() {
		return errStorageUnavailable
	}
	return nil
}

// Failed returns the names of the failed checks (not the unavailable).
func (v *Verification) Failed() []string {
	var out []string
	for _, c := range v.Checks {
		if !c.OK && c.Status != VerifyUnavailable {
			out = append(out, c.Name)
		}
	}
	return out
}

// unavailableChecks names the checks that could not be made.
func (v *Verification) unavailableChecks() []string {
	var out []string
	for _, c := range v.Checks {
		if c.Status == VerifyUnavailable {
			out = append(out, c.Name)
		}
	}
	return out
}

// unavailableDetail is the detail of a check that storage did not answer.
const unavailableDetail = "存储服务暂不可用，未能检查"

// Verify re-reads a record's objects from the bucket and checks them: the
// recorded versions exist; SM3 and SHA-256 of the stored bytes equal the
// manifest's; the manifest's SM2 signature is valid; both versions are
// locked COMPLIANCE until the manifest's retain_until; the chain links to
// the previous manifest; the catalog row equals the manifest. A failed
// check is a result, not an error. A check that storage did not answer is
// unavailable, and so is the result (see Verification.Err). The
// verification is audited: 通过, 未通过 with the failed checks, or 不可用
// (never 未通过 for an outage).
func (s *Store) Verify(ctx context.Context, u *identity.User, id string) (*Verification, error) {
	return s.verifyIn(ctx, u, id, s.bucket)
}

// VerifyCopy verifies the catalogued record id against the copy held in
// another bucket (a replica or backup): the same checks, reading that
// bucket. For auditors, archivists and operators.
func (s *Store) VerifyCopy(ctx context.Context, u *identity.User, id, bucket string) (*Verification, error) {
	if err := identity.RequireRole(u, identity.RoleAuditor, identity.RoleArchivist); err != nil {
		return nil, err
	}
	return s.verifyIn(ctx, u, id, bucket)
}

func (s *Store) verifyIn(ctx context.Context, u *identity.User, id, bucket string) (*Verification, error) {
	if v, err := s.verifyDisposed(ctx, u, id); v != nil || err != nil {
		return v, err
	}
	r, vouched, err := s.rowForVerify(ctx, u, id) // the catalog row, to compare with the bucket
	if err != nil {
		return nil, err
	}
	pub := s.Keyring()
	v := &Verification{RecordID: r.ID, VerifiedAt: s.now()}
	b := &bucketView{s: s, bucket: bucket}
	content, manifest := b.readPinned(ctx, r.ContentKey, r.ContentVersion), b.readPinned(ctx, r.ManifestKey, r.ManifestVersion)
	if !vouched || content.unavailable || manifest.unavailable {
		unavailableInto(v)
	} else {
		v.add(objectsCheck(r, content, manifest))
		m := verifySignatureInto(v, manifest, pub)
		digestChecksInto(v, r, m, content)
		until := r.RetainUntil
		if m != nil {
			until = parseRetain(m.RetainUntil)
		}
		v.addResult(b.retentionCheck(ctx, r, m, until))
		v.addResult(s.chainCheck(ctx, b, m, manifest.data, manifest.err == nil))
		v.add(catalogCheck(r, m, manifest.data))
	}
	v.finish()
	if err := s.auditVerification(ctx, u, r.ID, v, bucket != s.bucket); err != nil {
		return nil, err
	}
	return v, nil
}

// unavailableInto adds every check as unavailable: an object could not be
// read at all.
func unavailableInto(v *Verification) {
	for _, name := range []string{CheckObjects, CheckSignature, CheckSM3, CheckSHA256, CheckRetention, CheckChain, CheckCatalog} {
		v.addUnavailable(name, unavailableDetail)
	}
}

// objectsCheck reports whether both objects exist at the versions the
// catalog records.
func objectsCheck(r *Record, content, manifest pinnedRead) (string, bool, string) {
	ok := content.err == nil && manifest.err == nil && !content.fallback && !manifest.fallback
	var details []string
	for _, x := range []struct {
		what string
		pinnedRead
	}{{"正文", content}, {"清单", manifest}} {
		switch {
		case x.err != nil:
			details = append(details, x.what+"对象不存在")
		case x.fallback:
			details = append(details, x.what+"的归档版本不存在，以下检查针对当前版本")
		}
	}
	if ok {
		details = append(details, "正文版本 "+r.ContentVersion+"，清单版本 "+r.ManifestVersion)
	}
	return CheckObjects, ok, strings.Join(details, "；")
}

// verifySignatureInto adds the signature check and returns the manifest
// read from the bucket (nil when there is none to parse).
func verifySignatureInto(v *Verification, manifest pinnedRead, pub Verifier) *Manifest {
	if manifest.err != nil {
		v.add(CheckSignature, false, "清单不存在，无法验签")
		return nil
	}
	m, err := VerifyManifest(manifest.data, pub)
	if err != nil {
		v.add(CheckSignature, false, err.Error())
	} else {
		v.add(CheckSignature, true, "SM2 签名有效，密钥 "+m.SignerKeyID)
	}
	return m
}

// digestChecksInto adds the SM3 and SHA-256 checks of the stored content:
// against the manifest from the bucket, or, without one, the catalog.
func digestChecksInto(v *Verification, r *Record, m *Manifest, content pinnedRead) {
	wantSM3, wantSHA, src := r.SM3, r.SHA256, "目录"
	if m != nil {
		wantSM3, wantSHA, src = m.Content.SM3, m.Content.SHA256, "清单"
	}
	if content.err != nil {
		v.add(CheckSM3, false, "正文不存在")
		v.add(CheckSHA256, false, "正文不存在")
		return
	}
	got := sm3Hex(content.data)
	v.add(CheckSM3, got == wantSM3, digestDetail("SM3", got, wantSM3, src))
	got = sha256Hex(content.data)
	v.add(CheckSHA256, got == wantSHA, digestDetail("SHA-256", got, wantSHA, src))
}

// catalogCheck reports whether the catalog row equals the manifest.
func catalogCheck(r *Record, m *Manifest, manifestBytes []byte) (string, bool, string) {
	if m == nil {
		return CheckCatalog, false, "清单不存在，无法比对目录"
	}
	diff := recordDiff(r, recordFromManifest(m, r.ManifestVersion, sm3Hex(manifestBytes)))
	if len(diff) > 0 {
		return CheckCatalog, false, "目录与清单不一致的字段：" + strings.Join(diff, "、")
	}
	return CheckCatalog, true, "目录与清单一致"
}

// auditVerification appends record.verify with the outcome.
func (s *Store) auditVerification(ctx context.Context, u *identity.User, recordID string, v *Verification, ofCopy bool) error {
	detail := "通过"
	switch {
	case v.Unavailable():
		detail = "不可用：存储服务暂不可用（" + strings.Join(v.unavailableChecks(), ",") + "）"
	case !v.OK:
		detail = "未通过：" + strings.Join(v.Failed(), ",")
	}
	if ofCopy {
		detail += "（副本）"
	}
	return internal("audit", s.auditNow(ctx, u, "record.verify", recordID, "", detail))
}

func digestDetail(alg, got, want, src string) string {
	if got == want {
		return alg + " " + got
	}
	return fmt.Sprintf("%s 不符：存储内容 %s，%s记载 %s", alg, got, src, want)
}

// bucketView reads one bucket through the store's client.
type bucketView struct {
	s      *Store
	bucket string
}

// pinnedRead is one object read for verification: its bytes, or the
// error if neither the pinned nor the current version could be read.
// fallback is set when the pinned version was missing and data is the
// current version's. unavailable is set when storage gave no definite
// answer (err is then not a "no such object").
type pinnedRead struct {
	data        []byte
	err         error
	fallback    bool
	unavailable bool
}

// readPinned reads key at version; if that version is definitely missing
// it reads the current version instead (fallback) so later checks can
// still report. Any other read error makes the read unavailable.
func (b *bucketView) readPinned(ctx context.Context, key, version string) pinnedRead {
	data, err := b.s.getObject(ctx, b.bucket, key, version)
	if err == nil {
		return pinnedRead{data: data}
	}
	if !isNoSuchObject(err) {
		return pinnedRead{err: err, unavailable: true}
	}
	data, err2 := b.s.getObject(ctx, b.bucket, key, "")
	if err2 != nil {
		return pinnedRead{err: err, unavailable: !isNoSuchObject(err2)}
	}
	return pinnedRead{data: data, fallback: true}
}

// retentionCheck reports whether both versions are locked COMPLIANCE
// until at least until; unavailable when storage did not answer.
func (b *bucketView) retentionCheck(ctx context.Context, r *Record, m *Manifest, until time.Time) (name string, ok bool, detail string, unavailable bool) {
	var problems []string
	for _, o := range []struct{ what, key, ver string }{{"正文", r.ContentKey, r.ContentVersion}, {"清单", r.ManifestKey, r.ManifestVersion}} {
		cctx, cancel := b.s.callCtx(ctx)
		mode, got, err := b.s.s3.GetObjectRetention(cctx, b.bucket, o.key, o.ver)
		cancel()
		switch {
		case err != nil && isUnavailable(err):
			return CheckRetention, false, unavailableDetail, true
		case err != nil:
			problems = append(problems, o.what+"没有对象锁定保留设置")
		case mode == nil || *mode != minio.Compliance:
			problems = append(problems, o.what+"的保留模式不是 COMPLIANCE（合规）")
		case got == nil || got.Before(until):
			problems = append(problems, fmt.Sprintf("%s的保留期限早于 %s", o.what, until.Format(time.DateOnly)))
		}
	}
	if m != nil {
		if want, ok := b.s.expectedRetainOf(m); ok && !want.Equal(until) {
			problems = append(problems, fmt.Sprintf("清单的保留期限 %s 与保管期限 %s 不符", until.Format(time.DateOnly), m.Retention))
		}
	}
	if len(problems) > 0 {
		return CheckRetention, false, strings.Join(problems, "；"), false
	}
	return CheckRetention, true, "COMPLIANCE，保留至 " + until.Format(time.DateOnly), false
}

// expectedRetain is filed_at + 10 or 30 years for D10 and D30. For Y the
// horizon is configuration, so only the manifest's own value counts.
func expectedRetain(m *Manifest) (time.Time, bool) {
	years := map[Retention]int{Retention10: 10, Retention30: 30}[m.Retention]
	if years == 0 {
		return time.Time{}, false
	}
	return catalog.ParseTime(m.FiledAt).AddDate(years, 0, 0).Truncate(time.Second), true
}

// chainCheck reports whether the manifest links to the previous one
// (read from the bucket) and the next one links to it; unavailable when
// storage did not answer.
func (s *Store) chainCheck(ctx context.Context, b *bucketView, m *Manifest, mb []byte, haveManifest bool) (name string, ok bool, detail string, unavailable bool) {
	if m == nil || !haveManifest {
		return CheckChain, false, "清单不存在或无法解析，无法检查链", false
	}
	var problems []string
	if m.ChainSeq <= 1 {
		if m.PrevManifestSM3 != "" {
			problems = append(problems, "第1件清单不应有前序摘要")
		}
	} else {
		prev, err := s.recordBySeq(ctx, m.ChainSeq-1)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("前序清单（第%d件）不在目录中", m.ChainSeq-1))
		default:
			pb, err := b.s.getObject(ctx, b.bucket, prev.ManifestKey, prev.ManifestVersion)
			if err != nil && !isNoSuchObject(err) {
				return CheckChain, false, unavailableDetail, true
			}
			if d := b.s.disposedManifestSM3(ctx, prev); err != nil && d != "" {
				if d != m.PrevManifestSM3 {
					problems = append(problems, fmt.Sprintf("前序清单（第%d件，已销毁）摘要为 %s，本清单记载 %s", m.ChainSeq-1, d, m.PrevManifestSM3))
				}
			} else if err != nil {
				problems = append(problems, fmt.Sprintf("前序清单（第%d件）无法读取", m.ChainSeq-1))
			} else if got := sm3Hex(pb); got != m.PrevManifestSM3 {
				problems = append(problems, fmt.Sprintf("前序清单（第%d件）摘要为 %s，本清单记载 %s", m.ChainSeq-1, got, m.PrevManifestSM3))
			}
		}
	}
	if next, err := s.recordBySeq(ctx, m.ChainSeq+1); err == nil && next.PrevManifestSM3 != sm3Hex(mb) {
		problems = append(problems, fmt.Sprintf("后续清单（第%d件）记载的前序摘要与本清单不符", m.ChainSeq+1))
	}
	if len(problems) > 0 {
		return CheckChain, false, strings.Join(problems, "；"), false
	}
	return CheckChain, true, fmt.Sprintf("第%d件，前序摘要 %s", m.ChainSeq, orDash(m.PrevManifestSM3)), false
}

func orDash(s string) string {
	if s == "" {
		return "（无）"
	}
	return s
}

func (s *Store) recordBySeq(ctx context.Context, seq int64) (*Record, error) {
	recs, err := s.queryRecords(ctx, `SELECT `+recordCols+` FROM records WHERE chain_seq = ?`, seq)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, problem.NotFound("档案")
	}
	return recs[0], nil
}

// recordDiff names the fields in which two records differ (JSON names,
// object keys included).
func recordDiff(a, b *Record) []string {
	norm := func(r *Record) map[string]any {
		c := *r
		c.Fields = nonNilMap(c.Fields)
		c.Persons = nonNilStrings(c.Persons)
		js, _ := json.Marshal(struct {
			*Record
			ContentKey  string `json:"content_key"`
			ManifestKey string `json:"manifest_key"`
		}{&c, c.ContentKey, c.ManifestKey})
		var m map[string]any
		_ = json.Unmarshal(js, &m)
		return m
	}
	am, bm := norm(a), norm(b)
	var diff []string
	for k, av := range am {
		if !reflect.DeepEqual(av, bm[k]) {
			diff = append(diff, k)
		}
	}
	for k := range bm {
		if _, ok := am[k]; !ok {
			diff = append(diff, k)
		}
	}
	sort.Strings(diff)
	return diff
}

// BucketConfig addresses a bucket for VerifyBucketOnly.
type BucketConfig struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	Secure    bool
	Bucket    string
}

// BucketVerification is the result of verifying a whole bucket without the
// catalog.
type BucketVerification struct {
	OK      bool           `json:"ok"`
	Records int            `json:"records"` // manifests found
	Passed  int            `json:"passed"`  // records whose checks all passed
	Voids   int            `json:"voids"`   // valid void markers (作废)
	Chain   Check          `json:"chain"`   // the chain over all manifests
	Failed  []Verification `json:"failed"`  // the records that failed, with their checks
	Errors  []string       `json:"errors,omitempty"`
}

// VerifyBucketOnly verifies every record in the store's bucket using only
// the bucket and the public key pubPEM (nil: the store's own key); the
// catalog is not read. See the package function of the same name.
func (s *Store) VerifyBucketOnly(ctx context.Context, pubPEM []byte, progress func(done, total int)) (*BucketVerification, error) {
	if pubPEM == nil {
		pubPEM = s.PublicKeyPEM()
	}
	return verifyBucket(ctx, &bucketView{s: s, bucket: s.bucket}, pubPEM, progress)
}

// VerifyBucketOnly is the auditor's check with nothing but S3 access and
// the public key: for every manifest under records/ it takes the oldest
// version with a valid signature (the filed one; later versions stacked on
// the key are ignored and reported), then checks the content version it
// names (SM3, SHA-256), the COMPLIANCE retention of both, and finally that
// the chain runs 1…N without gaps, forks or broken links. Void markers are
// checked too.
func VerifyBucketOnly(ctx context.Context, cfg BucketConfig, pubPEM []byte, progress func(done, total int)) (*BucketVerification, error) {
	c, err := newS3Client(cfg.Endpoint, cfg.AccessKey, cfg.SecretKey, cfg.Secure, DefaultStorageTimeout)
	if err != nil {
		return nil, err
	}
	s := &Store{s3: c, bucket: cfg.Bucket, log: slog.Default()}
	return verifyBucket(ctx, &bucketView{s: s, bucket: cfg.Bucket}, pubPEM, progress)
}

// bucketManifest is a manifest found in a bucket, with its stored bytes.
type bucketManifest struct {
	m       *Manifest
	raw     []byte
	version string
	sm3     string // without raw: a disposed record's link (disposedLinks)
}

// scanManifests lists records/**.json and returns, per key, the oldest
// version with a valid signature. bad lists keys with no valid version.
func scanManifests(ctx context.Context, b *bucketView, pub Verifier, progress func(done, total int)) (good []bucketManifest, bad []Verification, notes []string, err error) {
	keys, err := listKeys(ctx, b, "records/")
	if err != nil {
		return nil, nil, nil, err
	}
	for i, key := range keys {
		vs, err := b.s.objectVersions(ctx, b.bucket, key)
		if err != nil {
			return nil, nil, nil, err
		}
		var found *bucketManifest
		var lastErr error
		for _, v := range vs {
			raw, err := b.s.getObject(ctx, b.bucket, key, v.VersionID)
			if err != nil {
				return nil, nil, nil, err
			}
			m, err := VerifyManifest(raw, pub)
			if err != nil {
				lastErr = err
				continue
			}
			if m.ManifestKey != key {
				lastErr = fmt.Errorf("清单记载的位置 %s 与实际位置不符", m.ManifestKey)
				continue
			}
			if found == nil {
				found = &bucketManifest{m: m, raw: raw, version: v.VersionID}
			} else {
				notes = append(notes, fmt.Sprintf("%s 有多余的版本 %s（已忽略）", m.RecordID, v.VersionID))
			}
		}
		if found == nil {
			id := strings.TrimSuffix(key[strings.LastIndex(key, "/")+1:], ".json")
			detail := "没有有效签名的清单版本"
			if lastErr != nil {
				detail += "：" + lastErr.Error()
			}
			vr := Verification{RecordID: id}
			vr.add(CheckSignature, false, detail)
			bad = append(bad, *vr.finish())
		} else {
			good = append(good, *found)
		}
		if progress != nil {
			progress(i+1, len(keys))
		}
	}
	return good, bad, notes, nil
}

func verifyBucket(ctx context.Context, b *bucketView, pubPEM []byte, progress func(done, total int)) (*BucketVerification, error) {
	pub, err := ParseKeyringPEM(pubPEM)
	if err != nil {
		return nil, err
	}
	good, bad, notes, err := scanManifests(ctx, b, pub, progress)
	if err != nil {
		return nil, bucketOutage("", err)
	}
	out := &BucketVerification{Records: len(good) + len(bad), Failed: bad, Errors: notes}
	for _, g := range good {
		m := g.m
		v := Verification{RecordID: m.RecordID, VerifiedAt: time.Now().UTC()}
		v.add(CheckSignature, true, "SM2 签名有效")
		cb, err := b.s.getObject(ctx, b.bucket, m.Content.Key, m.Content.VersionID)
		switch {
		case err != nil && !isNoSuchObject(err):
			return nil, bucketOutage(m.RecordID, err)
		case err != nil:
			v.add(CheckObjects, false, "正文的归档版本不存在")
		default:
			v.add(CheckObjects, true, "正文版本 "+m.Content.VersionID+"，清单版本 "+g.version)
			got := sm3Hex(cb)
			v.add(CheckSM3, got == m.Content.SM3, digestDetail("SM3", got, m.Content.SM3, "清单"))
			got = sha256Hex(cb)
			v.add(CheckSHA256, got == m.Content.SHA256, digestDetail("SHA-256", got, m.Content.SHA256, "清单"))
		}
		r := &Record{ContentKey: m.Content.Key, ContentVersion: m.Content.VersionID, ManifestKey: m.ManifestKey, ManifestVersion: g.version}
		v.addResult(b.retentionCheck(ctx, r, m, parseRetain(m.RetainUntil)))
		v.finish()
		if v.Unavailable() {
			return nil, bucketOutage(m.RecordID, errStorageUnavailable)
		}
		if v.OK {
			out.Passed++
		} else {
			out.Failed = append(out.Failed, v)
		}
	}
	out.Chain = chainOver(good)

	voids, voidErrs, err := scanVoids(ctx, b, pub)
	if err != nil {
		return nil, bucketOutage("", err)
	}
	out.Voids = len(voids)
	out.Errors = append(out.Errors, voidErrs...)
	out.OK = len(out.Failed) == 0 && out.Chain.OK && len(voidErrs) == 0
	return out, nil
}

// bucketOutage aborts a bucket verification (or rebuild) that storage
// stopped answering: an outage must never be reported as missing records.
// Errors that are not an outage are internal, as before.
func bucketOutage(at string, err error) error {
	if !isUnavailable(err) {
		return internal("verify bucket", err)
	}
	where := ""
	if at != "" {
		where = " at record " + at
	}
	return fmt.Errorf("archive: bucket verification aborted%s, storage did not answer (nothing was checked to the end): %w", where, storageErr(err))
}

// chainOver checks that the manifests form one chain 1…N.
func chainOver(ms []bucketManifest) Check {
	sorted := append(append([]bucketManifest(nil), ms...), disposedLinks(ms)...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].m.ChainSeq < sorted[j].m.ChainSeq })
	var problems []string
	for i, g := range sorted {
		want := int64(i + 1)
		if g.m.ChainSeq != want {
			problems = append(problems, fmt.Sprintf("序号 %d 处应为第%d件（缺失或重复）", g.m.ChainSeq, want))
			break
		}
		prev := ""
		if i > 0 {
			prev = sorted[i-1].digest()
		}
		if g.m.PrevManifestSM3 != prev {
			problems = append(problems, fmt.Sprintf("第%d件的前序摘要与第%d件清单不符", g.m.ChainSeq, g.m.ChainSeq-1))
		}
	}
	if len(problems) > 0 {
		return Check{Name: CheckChain, OK: false, Detail: strings.Join(problems, "；")}
	}
	return Check{Name: CheckChain, OK: true, Detail: fmt.Sprintf("链完整，共%d件", len(sorted))}
}

// scanVoids reads and verifies every void marker.
func scanVoids(ctx context.Context, b *bucketView, pub Verifier) ([]*VoidMarker, []string, error) {
	var out []*VoidMarker
	var errs []string
	keys, err := listKeys(ctx, b, "voids/")
	if err != nil {
		return nil, nil, err
	}
	for _, key := range keys {
		vs, err := b.s.objectVersions(ctx, b.bucket, key)
		if err != nil {
			return nil, nil, err
		}
		var found *VoidMarker
		for _, v := range vs {
			raw, err := b.s.getObject(ctx, b.bucket, key, v.VersionID)
			if err != nil {
				return nil, nil, err
			}
			if vm, err := verifyVoidMarker(raw, pub); err == nil {
				found = vm
				break
			}
		}
		if found == nil {
			errs = append(errs, key+"：作废标记签名无效")
			continue
		}
		out = append(out, found)
	}
	return out, errs, nil
}

// listKeys returns the distinct .json keys under prefix, sorted, from a
// listing with versions: a key whose current version is a delete marker
// (anyone with write access can add one) still holds its locked versions
// and must not drop out of verification or rebuild.
func listKeys(ctx context.Context, b *bucketView, prefix string) ([]string, error) {
	// A listing of a whole bucket may take longer than one call's
	// timeout: it is given the timeout between two entries instead.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idle := time.AfterFunc(b.s.storageTimeout(), cancel)
	defer idle.Stop()
	seen := map[string]bool{}
	var keys []string
	for oi := range b.s.s3.ListObjects(ctx, b.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithVersions: true}) {
		idle.Reset(b.s.storageTimeout())
		if oi.Err != nil {
			return nil, storageErr(oi.Err)
		}
		if strings.HasSuffix(oi.Key, ".json") && !seen[oi.Key] {
			seen[oi.Key] = true
			keys = append(keys, oi.Key)
		}
	}
	sort.Strings(keys)
	return keys, nil
}
