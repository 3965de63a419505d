package archive

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"wenshu/catalog"
)

// AuditSink is what package audit needs from the archive to put the audit
// chain's checkpoints into the bucket: the catalog, the archive's SM2 key
// (the checkpoint is signed like a manifest) and the bucket under object
// lock. audit declares the interfaces it uses; AuditSink satisfies them
// without archive knowing audit.
type AuditSink struct {
	s   *Store
	pub *Keyring // set for a bucket-only sink: verify, never sign
}

// AuditSink returns the Store's sink.
func (s *Store) AuditSink() *AuditSink { return &AuditSink{s: s} }

// NewAuditBucketSink is a sink on a bucket alone, with the public keys (a
// keyring, or one key): it lists, reads and verifies checkpoints but
// cannot sign or write.
func NewAuditBucketSink(cfg BucketConfig, pubPEM []byte) (*AuditSink, error) {
	pub, err := ParseKeyringPEM(pubPEM)
	if err != nil {
		return nil, err
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), Secure: cfg.Secure})
	if err != nil {
		return nil, fmt.Errorf("archive: s3 client: %w", err)
	}
	return &AuditSink{s: &Store{s3: c, bucket: cfg.Bucket}, pub: pub}, nil
}

// Catalog is the Store's catalog (nil for a bucket-only sink).
func (a *AuditSink) Catalog() *catalog.DB { return a.s.cat }

// KeyID is the signing key's id, as written into manifests.
func (a *AuditSink) KeyID() string {
	if a.pub != nil {
		return a.pub.Current().ID
	}
	return a.s.signingKey().id
}

// SignatureAlgorithm names the scheme ("SM2-SM3").
func (a *AuditSink) SignatureAlgorithm() string { return SignatureAlgorithm }

// Sign signs msg with the archive's SM2 key (SM3, default user id) and
// returns the base64 of the DER signature, as in manifests.
func (a *AuditSink) Sign(msg []byte) (string, error) {
	kp := a.s.signingKey()
	if a.pub != nil || kp == nil {
		return "", errors.New("archive: audit sink without a private key cannot sign")
	}
	raw, err := kp.sign(msg)
	if err != nil {
		return "", fmt.Errorf("archive: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// Verify checks a base64 signature over msg with the archive's current
// public key.
func (a *AuditSink) Verify(msg []byte, sig string) bool {
	return a.VerifyKey(a.KeyID(), time.Time{}, msg, sig) == nil
}

// VerifyKey checks a base64 signature over msg by the key keyID, which
// must have been current at at (the checkpoint's created_at; the zero
// time skips that test for the current key only).
func (a *AuditSink) VerifyKey(keyID string, at time.Time, msg []byte, sig string) error {
	ring := a.pub
	if ring == nil {
		ring = a.s.Keyring()
	}
	var key *ecdsa.PublicKey
	var err error
	if at.IsZero() && keyID == ring.Current().ID {
		key = ring.Current().pub
	} else if key, err = ring.keyAt(keyID, at); err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || !verifySM2(key, msg, raw) {
		return errors.New("signature does not verify")
	}
	return nil
}

// PutLocked stores data under key with COMPLIANCE retention for the
// permanent horizon (PermanentRetentionYears, 永久: the trail is evidence
// for every record) and If-None-Match: *. A key that already has a
// current version is an error wrapping fs.ErrExist.
func (a *AuditSink) PutLocked(ctx context.Context, key string, data []byte, contentType string) (string, error) {
	years := a.s.opts.PermanentRetentionYears
	if years <= 0 {
		years = 100
	}
	until := time.Now().UTC().AddDate(years, 0, 0)
	v, err := a.s.putLocked(ctx, a.s.bucket, key, data, contentType, until)
	// putLocked answers a key holding other bytes with errStoredObjectDiffers
	// (a concurrent checkpointer signed the same range: SM2 signatures differ).
	if isPreconditionFailed(err) || errors.Is(err, errStoredObjectDiffers) {
		return "", fmt.Errorf("archive: %s: %w", key, fs.ErrExist)
	}
	if err != nil {
		return "", fmt.Errorf("archive: put %s: %w", key, err)
	}
	return v, nil
}

// ListVersions calls fn for every version and delete marker under prefix,
// oldest first per key (keys in lexical order).
func (a *AuditSink) ListVersions(ctx context.Context, prefix string, fn func(key, versionID string, deleteMarker bool, modified time.Time) error) error {
	type ver struct {
		id  string
		del bool
		at  time.Time
	}
	var keys []string
	byKey := map[string][]ver{}
	for oi := range a.s.s3.ListObjects(ctx, a.s.bucket, minio.ListObjectsOptions{Prefix: prefix, WithVersions: true, Recursive: true}) {
		if oi.Err != nil {
			return fmt.Errorf("archive: list %s: %w", prefix, oi.Err)
		}
		if _, seen := byKey[oi.Key]; !seen {
			keys = append(keys, oi.Key)
		}
		byKey[oi.Key] = append(byKey[oi.Key], ver{oi.VersionID, oi.IsDeleteMarker, oi.LastModified})
	}
	for _, k := range keys {
		vs := byKey[k]
		for i := len(vs) - 1; i >= 0; i-- { // S3 lists newest first
			if err := fn(k, vs[i].id, vs[i].del, vs[i].at); err != nil {
				return err
			}
		}
	}
	return nil
}

// Get reads one version of key ("" for the current one). A key or version
// that does not exist is an error wrapping fs.ErrNotExist.
func (a *AuditSink) Get(ctx context.Context, key, versionID string) ([]byte, error) {
	b, err := a.s.getObject(ctx, a.s.bucket, key, versionID)
	if isNoSuchObject(err) {
		return nil, fmt.Errorf("archive: %s: %w", key, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("archive: get %s: %w", key, err)
	}
	return b, nil
}
