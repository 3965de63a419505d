package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// Bucket watch (存储巡检): every version, delete marker and key under
// records/ and voids/ that is not the filed one is a finding, and so is a
// bucket setting that differs from what wenshu set. The filed version of a
// manifest or void marker key is its oldest validly signed version; the
// filed version of a content key is the one its filed manifest names. Keys
// that a void marker names (content of a filing that was voided after its
// PUT) are accounted for; keys of filings in progress are skipped when the
// catalog is at hand.

// Finding kinds (stable; shown by verify --catalog, verify --bucket-only,
// the sweep and /readyz).
const (
	FindingRowWithoutManifest = "row_without_manifest" // a catalog row whose manifest is missing, unsigned or another record's
	FindingManifestWithoutRow = "manifest_without_row" // a filed manifest with no catalog row
	FindingFieldMismatch      = "field_mismatch"       // a catalog row differs from its manifest
	FindingIndexOrphan        = "index_orphan"         // a search-index entry for a record the catalog does not have
	FindingNotIndexed         = "not_indexed"          // a catalogued record missing from the search index
	FindingExtraVersion       = "extra_version"        // a version of a filed key that is not the filed one
	FindingDeleteMarker       = "delete_marker"        // a delete marker on a key under records/ or voids/
	FindingUnsigned           = "unsigned_object"      // a manifest or void marker key with no validly signed version
	FindingStrayKey           = "stray_key"            // a key that no filed manifest or void marker names
	FindingContentMissing     = "content_missing"      // the content version a filed manifest names is not stored
	FindingChain              = "chain"                // the manifests do not form one chain 1…N
	FindingBucketSetting      = "bucket_setting"       // object lock default, versioning or lifecycle differs from wenshu's
)

// Finding is one discrepancy, named: the record, the object key and
// version where there is one, the differing fields, and a Chinese detail.
type Finding struct {
	Kind      string   `json:"kind"`
	RecordID  string   `json:"record_id,omitempty"`
	Key       string   `json:"key,omitempty"`
	VersionID string   `json:"version_id,omitempty"`
	Fields    []string `json:"fields,omitempty"`
	Detail    string   `json:"detail"`
}

// String is the finding on one line.
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.Kind)
	if f.RecordID != "" {
		b.WriteString(" record=" + f.RecordID)
	}
	if f.Key != "" {
		b.WriteString(" key=" + f.Key)
	}
	if f.VersionID != "" {
		b.WriteString(" version=" + f.VersionID)
	}
	if len(f.Fields) > 0 {
		b.WriteString(" fields=" + strings.Join(f.Fields, ","))
	}
	return b.String() + ": " + f.Detail
}

// bucketScan is what the watch found: the filed manifests by record id
// (and in chain order) and the findings.
type bucketScan struct {
	good     map[string]bucketManifest
	ordered  []bucketManifest
	voids    int
	findings []Finding
}

// watchBucket scans records/ and voids/ with all versions and the bucket's
// settings. skip holds keys of filings in progress (nil without catalog).
func watchBucket(ctx context.Context, b *bucketView, pub Verifier, skip map[string]bool) (*bucketScan, error) {
	sc := &bucketScan{good: map[string]bucketManifest{}}
	recs, err := listVersions(ctx, b, "records/")
	if err != nil {
		return nil, err
	}
	voids, err := listVersions(ctx, b, "voids/")
	if err != nil {
		return nil, err
	}
	accounted := map[string]bool{}
	if err := sc.watchSigned(ctx, b, voids, func(raw []byte, key string) (string, error) {
		vm, err := verifyVoidMarker(raw, pub)
		if err != nil {
			return "", err
		}
		accounted[vm.ContentKey] = true
		sc.voids++
		return "", nil
	}); err != nil {
		return nil, err
	}
	if err := sc.watchSigned(ctx, b, recs, func(raw []byte, key string) (string, error) {
		m, err := VerifyManifest(raw, pub)
		if err != nil {
			return "", err
		}
		if m.ManifestKey != key {
			return "", fmt.Errorf("清单记载的位置 %s 与实际位置不符", m.ManifestKey)
		}
		sc.good[m.RecordID] = bucketManifest{m: m, raw: raw}
		return m.RecordID, nil
	}); err != nil {
		return nil, err
	}
	for _, g := range sc.good {
		sc.ordered = append(sc.ordered, g)
	}
	sort.Slice(sc.ordered, func(i, j int) bool { return sc.ordered[i].m.ChainSeq < sc.ordered[j].m.ChainSeq })
	if chain := chainOver(sc.ordered); !chain.OK {
		sc.findings = append(sc.findings, Finding{Kind: FindingChain, Detail: chain.Detail})
	}
	sc.watchContent(recs, accounted, skip)
	settings, err := bucketSettingFindings(ctx, b)
	if err != nil {
		return nil, err
	}
	sc.findings = append(sc.findings, settings...)
	return sc, nil
}

// keyVersions are the versions of one key, oldest first, delete markers
// included.
type keyVersions struct {
	key      string
	versions []minio.ObjectInfo
}

// listVersions lists every version and delete marker under prefix, by
// key (sorted), oldest first.
func listVersions(ctx context.Context, b *bucketView, prefix string) ([]keyVersions, error) {
	// As listKeys: the storage timeout applies between two entries.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idle := time.AfterFunc(b.s.storageTimeout(), cancel)
	defer idle.Stop()
	byKey := map[string][]minio.ObjectInfo{}
	for oi := range b.s.s3.ListObjects(ctx, b.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithVersions: true}) {
		idle.Reset(b.s.storageTimeout())
		if oi.Err != nil {
			return nil, storageErr(oi.Err)
		}
		byKey[oi.Key] = append(byKey[oi.Key], oi)
	}
	out := make([]keyVersions, 0, len(byKey))
	for k, vs := range byKey {
		// Listed newest first; reverse, then order by time.
		for i, j := 0, len(vs)-1; i < j; i, j = i+1, j-1 {
			vs[i], vs[j] = vs[j], vs[i]
		}
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].LastModified.Before(vs[j].LastModified) })
		out = append(out, keyVersions{key: k, versions: vs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, nil
}

// watchSigned walks the .json keys of keys: the oldest version that check
// accepts is the filed one (check records it and returns its record id);
// every delete marker, every other version and a key with no accepted
// version are findings.
func (sc *bucketScan) watchSigned(ctx context.Context, b *bucketView, keys []keyVersions, check func(raw []byte, key string) (string, error)) error {
	for _, kv := range keys {
		if !strings.HasSuffix(kv.key, ".json") {
			continue
		}
		filed, recordID := "", ""
		var lastErr error
		var extra []minio.ObjectInfo
		for _, v := range kv.versions {
			if v.IsDeleteMarker {
				sc.findings = append(sc.findings, Finding{Kind: FindingDeleteMarker, Key: kv.key, VersionID: v.VersionID,
					Detail: "签名文档上有删除标记（已归档版本仍在，wenshu 按归档版本读取）"})
				continue
			}
			if filed != "" {
				extra = append(extra, v)
				continue
			}
			raw, err := b.s.getObject(ctx, b.bucket, kv.key, v.VersionID)
			if err != nil {
				return err
			}
			if recordID, err = check(raw, kv.key); err != nil {
				lastErr = err
				extra = append(extra, v)
				continue
			}
			filed = v.VersionID
		}
		sc.signedFindings(kv.key, recordID, filed, extra, lastErr)
	}
	return nil
}

func (sc *bucketScan) signedFindings(key, recordID, filed string, extra []minio.ObjectInfo, lastErr error) {
	if filed == "" {
		detail := "没有有效签名的版本（未经 wenshu 签名的对象）"
		if lastErr != nil {
			detail += "：" + lastErr.Error()
		}
		for _, v := range extra {
			sc.findings = append(sc.findings, Finding{Kind: FindingUnsigned, Key: key, VersionID: v.VersionID, Detail: detail})
		}
		return
	}
	if g, ok := sc.good[recordID]; ok && g.version == "" {
		g.version = filed
		sc.good[recordID] = g
	}
	for _, v := range extra {
		sc.findings = append(sc.findings, Finding{Kind: FindingExtraVersion, RecordID: recordID, Key: key, VersionID: v.VersionID,
			Detail: "签名文档的多余版本（归档版本为 " + filed + "，多余版本被忽略）"})
	}
}

// watchContent checks every non-.json key under records/ against the
// filed manifests: the named version must be there and be the only one.
func (sc *bucketScan) watchContent(keys []keyVersions, accounted, skip map[string]bool) {
	named := map[string]*Manifest{}
	for _, g := range sc.good {
		named[g.m.Content.Key] = g.m
	}
	seen := map[string]bool{}
	for _, kv := range keys {
		if strings.HasSuffix(kv.key, ".json") {
			continue
		}
		seen[kv.key] = true
		m := named[kv.key]
		if m == nil {
			if !accounted[kv.key] && !skip[kv.key] {
				sc.findings = append(sc.findings, Finding{Kind: FindingStrayKey, Key: kv.key,
					Detail: fmt.Sprintf("没有有效签名的清单或作废标记记载此对象（%d 个版本）", len(kv.versions))})
			}
			continue
		}
		found := false
		for _, v := range kv.versions {
			switch {
			case v.IsDeleteMarker:
				sc.findings = append(sc.findings, Finding{Kind: FindingDeleteMarker, RecordID: m.RecordID, Key: kv.key, VersionID: v.VersionID,
					Detail: "正文上有删除标记（归档版本仍在，wenshu 按归档版本读取）"})
			case v.VersionID == m.Content.VersionID:
				found = true
			default:
				sc.findings = append(sc.findings, Finding{Kind: FindingExtraVersion, RecordID: m.RecordID, Key: kv.key, VersionID: v.VersionID,
					Detail: "正文的多余版本（归档版本为 " + m.Content.VersionID + "，多余版本被忽略）"})
			}
		}
		if !found {
			sc.findings = append(sc.findings, Finding{Kind: FindingContentMissing, RecordID: m.RecordID, Key: kv.key, VersionID: m.Content.VersionID,
				Detail: "清单记载的正文版本不在存储中"})
		}
	}
	for key, m := range named {
		if !seen[key] {
			sc.findings = append(sc.findings, Finding{Kind: FindingContentMissing, RecordID: m.RecordID, Key: key, VersionID: m.Content.VersionID,
				Detail: "清单记载的正文对象不在存储中"})
		}
	}
}

// bucketSettingFindings compares the bucket's settings with what
// ensureBucket set: object locking on with no default retention (each
// object is locked COMPLIANCE on its own), versioning enabled with no
// exclusions, and no lifecycle rules.
func bucketSettingFindings(ctx context.Context, b *bucketView) ([]Finding, error) {
	var out []Finding
	add := func(detail string) { out = append(out, Finding{Kind: FindingBucketSetting, Detail: detail}) }
	ctx, cancel := b.s.callCtx(ctx)
	defer cancel()
	enabled, mode, validity, unit, err := b.s.s3.GetObjectLockConfig(ctx, b.bucket)
	if isUnavailable(err) {
		return nil, storageErr(err)
	}
	switch {
	case err != nil:
		add("无法读取对象锁定配置：" + s3Code(err))
	case enabled != "Enabled":
		add("对象锁定未启用（wenshu 创建存储桶时启用）")
	case mode != nil || validity != nil || unit != nil:
		add(fmt.Sprintf("存储桶设有默认保留规则 %s（wenshu 未设默认保留，每个对象单独以 COMPLIANCE 锁定）", lockRule(mode, validity, unit)))
	}
	ver, err := b.s.s3.GetBucketVersioning(ctx, b.bucket)
	if isUnavailable(err) {
		return nil, storageErr(err)
	}
	switch {
	case err != nil:
		add("无法读取版本控制配置：" + s3Code(err))
	case ver.Status != "Enabled":
		add(fmt.Sprintf("版本控制状态为 %q（wenshu 要求 Enabled）", ver.Status))
	case len(ver.ExcludedPrefixes) > 0 || ver.ExcludeFolders:
		add(fmt.Sprintf("版本控制设有排除规则（前缀 %v，排除目录 %v）", ver.ExcludedPrefixes, ver.ExcludeFolders))
	}
	lc, err := b.s.s3.GetBucketLifecycle(ctx, b.bucket)
	if isUnavailable(err) {
		return nil, storageErr(err)
	}
	if er, _ := s3Error(err); err != nil && er.Code != "NoSuchLifecycleConfiguration" {
		add("无法读取生命周期配置：" + s3Code(err))
	} else if err == nil && lc != nil {
		for _, r := range lc.Rules {
			js, _ := json.Marshal(r)
			add(fmt.Sprintf("存储桶设有生命周期规则 %q（状态 %s，wenshu 不设任何生命周期规则）：%s", r.ID, r.Status, js))
		}
	}
	return out, nil
}

func lockRule(mode *minio.RetentionMode, validity *uint, unit *minio.ValidityUnit) string {
	var parts []string
	if mode != nil {
		parts = append(parts, string(*mode))
	}
	if validity != nil {
		parts = append(parts, fmt.Sprint(*validity))
	}
	if unit != nil {
		parts = append(parts, string(*unit))
	}
	return strings.Join(parts, " ")
}

func s3Code(err error) string {
	if er, ok := s3Error(err); ok && er.Code != "" {
		return er.Code
	}
	return err.Error()
}

// WatchBucketOnly runs the bucket watch with nothing but S3 access and the
// public key (for `wenshu verify --bucket-only`): every version, delete
// marker and key that is not the filed one, and every bucket setting that
// differs from what wenshu set.
func WatchBucketOnly(ctx context.Context, cfg BucketConfig, pubPEM []byte) ([]Finding, error) {
	pub, err := ParseKeyringPEM(pubPEM) // a keyring from `keys export`, or one key
	if err != nil {
		return nil, err
	}
	c, err := newS3Client(cfg.Endpoint, cfg.AccessKey, cfg.SecretKey, cfg.Secure, DefaultStorageTimeout)
	if err != nil {
		return nil, err
	}
	s := &Store{s3: c, bucket: cfg.Bucket, log: slog.Default()}
	sc, err := watchBucket(ctx, &bucketView{s: s, bucket: cfg.Bucket}, pub, nil)
	if err != nil {
		return nil, internal("watch bucket", err)
	}
	return sc.findings, nil
}
