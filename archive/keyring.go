package archive

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"wenshu/catalog"
	"wenshu/problem"
)

// Key rotation (密钥轮换). The keyring (密钥环) is every SM2 public key the
// archive has signed with, each with the time it became current
// (Valid-From); a key is current until the next key's Valid-From. A
// signed document (manifest, void marker, audit checkpoint) is accepted
// only if the key its signer_key_id names was current at the document's
// own time (filed_at, voided_at, created_at): a manifest signed with a
// retired key but dated after the rotation is refused.
//
// The keyring is kept in <DataDir>/keys/sm2-public.pem (one PEM block per
// key, oldest first, with the headers Key-Id and Valid-From; the first key
// has no Valid-From: it is current from the beginning) and in the bucket as
// keys/<key-id>.pem, one COMPLIANCE-locked object per key, written at
// start for any key that is missing there. `wenshu keys export` prints the
// whole keyring; an auditor passes it to a bucket-only verification.

// Key headers in keyring PEM blocks.
const (
	keyHeaderID        = "Key-Id"
	keyHeaderValidFrom = "Valid-From"
	keyTimeLayout      = "2006-01-02T15:04:05.000Z"
)

// keyObject is the bucket key of a public key.
func keyObject(id string) string { return "keys/" + id + ".pem" }

// RingKey is one key of the keyring.
type RingKey struct {
	ID        string    `json:"id"`
	ValidFrom time.Time `json:"valid_from"`         // zero: from the beginning
	ValidTo   time.Time `json:"valid_to,omitempty"` // zero: still current
	pub       *ecdsa.PublicKey
	der       []byte
}

// Keyring is the archive's public keys in the order they were current.
type Keyring struct {
	keys []RingKey
}

// Verifier is what a signed document is verified against: a single
// *PublicKey (any time; the key id must match) or a *Keyring (the key
// that was current at the document's time).
type Verifier interface {
	keyAt(id string, at time.Time) (*ecdsa.PublicKey, error)
}

func (k *PublicKey) keyAt(id string, _ time.Time) (*ecdsa.PublicKey, error) {
	if k == nil || k.key == nil {
		return nil, errors.New("缺少验签公钥")
	}
	if id != k.ID {
		return nil, fmt.Errorf("签名密钥 %s 与公钥 %s 不符", id, k.ID)
	}
	return k.key, nil
}

func (r *Keyring) keyAt(id string, at time.Time) (*ecdsa.PublicKey, error) {
	if r == nil || len(r.keys) == 0 {
		return nil, errors.New("缺少验签公钥")
	}
	for _, k := range r.keys {
		if k.ID != id {
			continue
		}
		if at.IsZero() || at.Before(k.ValidFrom) || (!k.ValidTo.IsZero() && !at.Before(k.ValidTo)) {
			return nil, fmt.Errorf("签名密钥 %s 在 %s 不是现行密钥（现行期 %s 至 %s）", id, fmtKeyTime(at), fmtKeyTime(k.ValidFrom), fmtKeyTime(k.ValidTo))
		}
		return k.pub, nil
	}
	return nil, fmt.Errorf("签名密钥 %s 不在密钥环中", id)
}

func fmtKeyTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(keyTimeLayout)
}

// Keys returns the keyring's keys, oldest first.
func (r *Keyring) Keys() []RingKey { return append([]RingKey(nil), r.keys...) }

// Current is the newest key (the one that signs).
func (r *Keyring) Current() RingKey { return r.keys[len(r.keys)-1] }

// PEM encodes the keyring: one PUBLIC KEY block per key, oldest first.
func (r *Keyring) PEM() []byte {
	var b bytes.Buffer
	for _, k := range r.keys {
		b.Write(k.pem())
	}
	return b.Bytes()
}

func (k RingKey) pem() []byte {
	h := map[string]string{keyHeaderID: k.ID}
	if !k.ValidFrom.IsZero() {
		h[keyHeaderValidFrom] = k.ValidFrom.UTC().Format(keyTimeLayout)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: h, Bytes: k.der})
}

// ParseKeyringPEM parses one or more SM2 public keys (PUBLIC KEY blocks):
// a keyring from `wenshu keys export`, or a single key without headers,
// which is then valid at any time.
func ParseKeyringPEM(b []byte) (*Keyring, error) {
	r := &Keyring{}
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		k, err := parseRingKey(blk)
		if err != nil {
			return nil, err
		}
		r.keys = append(r.keys, k)
	}
	if len(r.keys) == 0 {
		return nil, errors.New("archive: keyring: no PEM block")
	}
	return r, r.order()
}

func parseRingKey(blk *pem.Block) (RingKey, error) {
	k, err := smx509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return RingKey{}, fmt.Errorf("archive: keyring: %w", err)
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(pub) {
		return RingKey{}, errors.New("archive: keyring: not an SM2 key")
	}
	rk := RingKey{ID: keyIDFromDER(blk.Bytes), pub: pub, der: blk.Bytes}
	if id := blk.Headers[keyHeaderID]; id != "" && id != rk.ID {
		return RingKey{}, fmt.Errorf("archive: keyring: header key id %s, key is %s", id, rk.ID)
	}
	if v := blk.Headers[keyHeaderValidFrom]; v != "" {
		if rk.ValidFrom, err = time.Parse(keyTimeLayout, v); err != nil {
			return RingKey{}, fmt.Errorf("archive: keyring: key %s: Valid-From %q", rk.ID, v)
		}
	}
	return rk, nil
}

// order sorts by Valid-From, derives each key's Valid-To from the next
// key and refuses duplicates.
func (r *Keyring) order() error {
	sort.SliceStable(r.keys, func(i, j int) bool { return r.keys[i].ValidFrom.Before(r.keys[j].ValidFrom) })
	seen := map[string]bool{}
	for i := range r.keys {
		if seen[r.keys[i].ID] {
			return fmt.Errorf("archive: keyring: key %s twice", r.keys[i].ID)
		}
		seen[r.keys[i].ID] = true
		if i > 0 && r.keys[i].ValidFrom.IsZero() {
			return fmt.Errorf("archive: keyring: key %s has no Valid-From but is not the first", r.keys[i].ID)
		}
		r.keys[i].ValidTo = time.Time{}
		if i+1 < len(r.keys) {
			r.keys[i].ValidTo = r.keys[i+1].ValidFrom
		}
	}
	return nil
}

// withKey returns the keyring with kp appended as current from from.
func (r *Keyring) withKey(kp *keyPair, from time.Time) (*Keyring, error) {
	der, err := smx509.MarshalPKIXPublicKey(kp.pub)
	if err != nil {
		return nil, err
	}
	out := &Keyring{keys: append(r.Keys(), RingKey{ID: kp.id, ValidFrom: from, pub: kp.pub, der: der})}
	if len(out.keys) == 1 {
		out.keys[0].ValidFrom = time.Time{}
	}
	return out, out.order()
}

func (r *Keyring) has(id string) bool {
	for _, k := range r.keys {
		if k.ID == id {
			return true
		}
	}
	return false
}

// loadKeyring reads <dir>/sm2-public.pem and makes sure the current key kp
// is its newest key: a key missing from it (a data dir from before
// rotation wrote the keyring, or a crash between writing a new private key
// and the keyring) is added as current from now.
func loadKeyring(dir string, kp *keyPair, now time.Time) (*Keyring, error) {
	path := filepath.Join(dir, publicKeyFile)
	r := &Keyring{}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if r, err = ParseKeyringPEM(b); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	if !r.has(kp.id) {
		if r, err = r.withKey(kp, now.UTC().Truncate(time.Millisecond)); err != nil {
			return nil, err
		}
	}
	if r.Current().ID != kp.id {
		return nil, fmt.Errorf("%s: the signing key %s is not the newest key of the keyring", path, kp.id)
	}
	if !bytes.Equal(b, r.PEM()) {
		if err := writeFileAtomic(path, r.PEM()); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, keyFileMode); err != nil {
		return err
	}
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Keyring returns the archive's keyring.
func (s *Store) Keyring() *Keyring {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	return s.ring
}

// signingKey returns the current key pair.
func (s *Store) signingKey() *keyPair {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	return s.keys
}

// publishKeys writes keys/<id>.pem (locked for the permanent horizon) for
// every key of the keyring that the bucket does not hold yet.
func (s *Store) publishKeys(ctx context.Context, ring *Keyring) error {
	until := s.now().AddDate(s.opts.PermanentRetentionYears, 0, 0)
	for _, k := range ring.keys {
		cctx, cancel := s.callCtx(ctx)
		_, err := s.putLocked(cctx, s.bucket, keyObject(k.ID), k.pem(), "application/x-pem-file", until)
		cancel()
		switch {
		case errors.Is(err, errStoredObjectDiffers):
			// Published before with other headers (a Valid-From repaired
			// after a crash): the locked object stays; say so.
			s.log.Warn("archive: the bucket's copy of a public key differs from the keyring's", "key", keyObject(k.ID))
		case err != nil && !isPreconditionFailed(err):
			return fmt.Errorf("archive: publishing key %s: %w", k.ID, err)
		}
	}
	return nil
}

// RotateKey (密钥轮换) makes a new SM2 key the signing key from now on.
// The old public key stays in the keyring (data dir and bucket); the old
// private key is overwritten. It is refused while another wenshu process
// uses the data dir or a filing is unfinished (a filing allocated before
// the rotation and signed after it would carry a key that was not current
// at its filing time).
func (s *Store) RotateKey(ctx context.Context) (RingKey, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if err := s.rotationAllowed(ctx); err != nil {
		return RingKey{}, err
	}
	dir := filepath.Join(s.opts.DataDir, "keys")
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return RingKey{}, internal("rotate key", err)
	}
	kp, err := newKeyPair(priv)
	if err != nil {
		return RingKey{}, internal("rotate key", err)
	}
	ring, err := s.ring.withKey(kp, s.now().Truncate(time.Millisecond))
	if err != nil {
		return RingKey{}, internal("rotate key", err)
	}
	der, err := smx509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return RingKey{}, internal("rotate key", err)
	}
	// Private key first: a crash before the keyring is written is repaired
	// at the next start (the key is added as current from then).
	if err := writeFileAtomic(filepath.Join(dir, privateKeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return RingKey{}, internal("rotate key", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, publicKeyFile), ring.PEM()); err != nil {
		return RingKey{}, internal("rotate key", err)
	}
	s.keys, s.ring = kp, ring
	if err := s.publishKeys(ctx, ring); err != nil {
		return RingKey{}, internal("rotate key", err)
	}
	return ring.Current(), nil
}

// rotationAllowed refuses a rotation while another process holds an
// instance lock in the data dir or a filing is between allocation and
// signing.
func (s *Store) rotationAllowed(ctx context.Context) error {
	locks, err := filepath.Glob(filepath.Join(s.opts.DataDir, "run", "*.lock"))
	if err != nil {
		return internal("rotate key", err)
	}
	for _, name := range locks {
		owner := strings.TrimSuffix(filepath.Base(name), ".lock")
		if owner == s.instance {
			continue
		}
		f, ok, err := s.lockOwner(owner)
		if err != nil && !errors.Is(err, syscall.ENOENT) {
			return internal("rotate key", err)
		}
		if !ok {
			return problem.Conflict("key_rotation_busy", "另一个 wenshu 进程正在使用该数据目录，请先停止它再轮换密钥")
		}
		f.Close()
	}
	var n int
	err = s.cat.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM filings WHERE status IN (?, ?)`, filingAllocated, filingRendered).Scan(&n)
	if err != nil {
		return internal("rotate key", err)
	}
	if n > 0 {
		return problem.Conflict("key_rotation_pending", fmt.Sprintf("有 %d 件未完成的归档，请先完成或恢复后再轮换密钥", n))
	}
	return nil
}

// keyTime parses a signed document's time (filed_at, voided_at); a bad
// value is the zero time, which no key covers.
func keyTime(s string) time.Time {
	t := catalog.ParseTime(s)
	if t.IsZero() {
		return time.Time{}
	}
	return t
}

// openKeys loads (or makes) the signing key and the keyring in
// <DataDir>/keys.
func (s *Store) openKeys() error {
	dir := filepath.Join(s.opts.DataDir, "keys")
	var err error
	if s.keys, err = loadOrCreateKeys(dir); err != nil {
		return fmt.Errorf("archive: signing key: %w", err)
	}
	if s.ring, err = loadKeyring(dir, s.keys, s.now()); err != nil {
		return fmt.Errorf("archive: keyring: %w", err)
	}
	return nil
}

// PublicKeys returns the keyring's keys as single verification keys
// (valid at any time: the caller checks the key id only).
func (r *Keyring) PublicKeys() []*PublicKey {
	out := make([]*PublicKey, len(r.keys))
	for i, k := range r.keys {
		out[i] = &PublicKey{key: k.pub, ID: k.ID}
	}
	return out
}

// s3Failed reports a failed storage call of a lifecycle operation: an
// outage as unavailable (503, and recovery is kicked), anything else as
// internal.
func (s *Store) s3Failed(op string, err error) error {
	if isUnavailable(storageErr(err)) {
		return s.storageFailed(err)
	}
	return internal(op, err)
}
