package archive

import (
	"bytes"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
)

// Records signed before a rotation still verify (per record and from the
// bucket alone, with the exported keyring), new ones carry the new key, and
// a manifest signed with the retired key but dated after the rotation is
// refused.
func TestKeyRotation(t *testing.T) {
	e := newEnv(t)
	before := e.file("轮换前的通知")
	oldKey := e.s.signingKey()

	// Not while another process uses the data dir.
	other, err := New(e.ctx, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.RotateKey(e.ctx)
	wantErr(t, err, ErrConflict, "key_rotation_busy")
	other.Close()

	nk, err := e.s.RotateKey(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if nk.ID == oldKey.id || e.s.KeyID() != nk.ID || nk.ValidFrom.IsZero() {
		t.Fatalf("new key %+v, old %s, current %s", nk, oldKey.id, e.s.KeyID())
	}
	after := e.file("轮换后的通知")
	if after.SignerKeyID != nk.ID || before.SignerKeyID != oldKey.id {
		t.Fatalf("signers: before %s after %s", before.SignerKeyID, after.SignerKeyID)
	}
	e.reopen() // the keyring survives a restart
	if e.s.KeyID() != nk.ID || len(e.s.Keyring().Keys()) != 2 {
		t.Fatalf("after reopen: key %s, ring %d", e.s.KeyID(), len(e.s.Keyring().Keys()))
	}
	for _, r := range []*Record{before, after} {
		v, err := e.s.Verify(e.ctx, e.auditor, r.ID)
		if err != nil || !v.OK {
			t.Fatalf("verify %s: %v %+v", r.Title, err, v)
		}
	}
	exported := e.s.PublicKeyPEM()
	if n := bytes.Count(exported, []byte("BEGIN PUBLIC KEY")); n != 2 {
		t.Fatalf("keys export has %d keys:\n%s", n, exported)
	}
	bv, err := VerifyBucketOnly(e.ctx, BucketConfig{Endpoint: e.srv.Endpoint, AccessKey: e.srv.AccessKey,
		SecretKey: e.srv.SecretKey, Bucket: e.s.Bucket()}, exported, nil)
	if err != nil || !bv.OK || bv.Passed != 2 {
		t.Fatalf("bucket-only: %v %+v", err, bv)
	}

	// The retired key signing a manifest dated after the rotation.
	raw, err := e.s.getObject(e.ctx, e.s.bucket, after.ManifestKey, after.ManifestVersion)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ParseManifest(raw)
	forged, err := (&Store{keys: oldKey}).sealManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyManifest(forged, e.s.Keyring()); err == nil || !strings.Contains(err.Error(), "不是现行密钥") {
		t.Fatalf("old key after rotation: %v", err)
	}
	// With the old key alone (a pre-rotation export) the old record verifies.
	oldPub, _ := ParsePublicKeyPEM(oldKey.pubPEM)
	rawBefore, _ := e.s.getObject(e.ctx, e.s.bucket, before.ManifestKey, before.ManifestVersion)
	if _, err := VerifyManifest(rawBefore, oldPub); err != nil {
		t.Fatal(err)
	}

	// Both public keys are in the bucket, locked.
	for _, id := range []string{oldKey.id, nk.ID} {
		st, err := e.s.s3.StatObject(e.ctx, e.s.bucket, keyObject(id), minio.StatObjectOptions{})
		if err != nil {
			t.Fatalf("keys/%s.pem: %v", id, err)
		}
		if err := e.s.s3.RemoveObject(e.ctx, e.s.bucket, keyObject(id), minio.RemoveObjectOptions{VersionID: st.VersionID}); err == nil {
			t.Fatalf("deleting keys/%s.pem succeeded", id)
		}
	}
}

func TestKeyringValidity(t *testing.T) {
	a, _ := createKeys(t.TempDir())
	b, _ := createKeys(t.TempDir())
	ring, err := (&Keyring{}).withKey(a, keyTime("2026-01-01T00:00:00.000Z"))
	if err != nil {
		t.Fatal(err)
	}
	ring, _ = ring.withKey(b, keyTime("2026-06-01T00:00:00.000Z"))
	again, err := ParseKeyringPEM(ring.PEM())
	if err != nil || len(again.Keys()) != 2 || !again.Keys()[0].ValidTo.Equal(keyTime("2026-06-01T00:00:00.000Z")) {
		t.Fatalf("round trip: %v %+v", err, again)
	}
	for _, c := range []struct {
		key  *keyPair
		at   string
		want bool
	}{
		{a, "2020-01-01T00:00:00.000Z", true}, // the first key is current from the beginning
		{a, "2026-05-31T23:59:59.999Z", true},
		{a, "2026-06-01T00:00:00.000Z", false},
		{b, "2026-05-31T23:59:59.999Z", false},
		{b, "2026-06-01T00:00:00.000Z", true},
		{b, "bad time", false},
	} {
		_, err := again.keyAt(c.key.id, keyTime(c.at))
		if (err == nil) != c.want {
			t.Errorf("key %s at %s: %v", c.key.id[:6], c.at, err)
		}
	}
	if _, err := again.keyAt("0000", keyTime("2026-07-01T00:00:00.000Z")); err == nil {
		t.Error("an unknown key id was accepted")
	}
	if _, err := ParseKeyringPEM(append(ring.PEM(), ring.PEM()...)); err == nil {
		t.Error("a key listed twice was accepted")
	}
}
