package archive

import (
	"strings"
	"testing"
)

// Void markers are verified exactly like manifests: canonical bytes, the
// algorithm, the key id and the SM2 signature, and no key is an error,
// not a panic.
func TestVoidMarkerVerifiedLikeManifest(t *testing.T) {
	kp, err := createKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{keys: kp}
	pub, err := ParsePublicKeyPEM(kp.pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	vm := &VoidMarker{ArchiveCode: "Z109-WS·2026-D30-JJZ-0001", FilingID: "01ARZ3NDEKTSV4RRFFQ69G5FAV", Format: VoidMarkerFormat,
		Reason: "归档中断", Retention: Retention30, Source: SourceGenerated, VoidedAt: "2026-03-05T01:02:03.000Z", Year: 2026}
	b, err := s.seal(vm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifyVoidMarker(b, pub); err != nil {
		t.Fatalf("a sealed marker does not verify: %v", err)
	}
	other, err := createKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	otherPub, _ := ParsePublicKeyPEM(other.pubPEM)
	for name, tc := range map[string]struct {
		b    string
		pub  *PublicKey
		want string
	}{
		"no key":        {string(b), nil, "缺少验签公钥"},
		"other key":     {string(b), otherPub, "签名密钥"},
		"algorithm":     {strings.Replace(string(b), `"signature_alg":"SM2-SM3"`, `"signature_alg":"SM2-SHA"`, 1), pub, "签名算法"},
		"changed":       {strings.Replace(string(b), "归档中断", "归档中止", 1), pub, "SM2 签名验证失败"},
		"not canonical": {strings.Replace(string(b), `{"archive_code"`, `{ "archive_code"`, 1), pub, "不是规范格式"},
	} {
		if _, err := verifyVoidMarker([]byte(tc.b), tc.pub); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
	// The same function refuses a manifest without a key.
	m := &Manifest{Format: ManifestFormat, RecordID: vm.FilingID, Retention: Retention30}
	mb, err := s.sealManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyManifest(mb, pub); err != nil {
		t.Fatalf("sealed manifest: %v", err)
	}
	if _, err := VerifyManifest(mb, nil); err == nil || !strings.Contains(err.Error(), "缺少验签公钥") {
		t.Fatalf("manifest without a key: %v", err)
	}
}
