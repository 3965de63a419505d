package archive

import (
	"testing"
	"time"
)

// BenchmarkVerifyManifest: the one verification function with a single
// key and with a keyring of three keys (key rotation's lookup by key id
// and filing time), no storage involved.
func BenchmarkVerifyManifest(b *testing.B) {
	keys := make([]*keyPair, 3)
	ring := &Keyring{}
	for i := range keys {
		kp, err := createKeys(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		keys[i] = kp
		if ring, err = ring.withKey(kp, time.Date(2026, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC)); err != nil {
			b.Fatal(err)
		}
	}
	m := &Manifest{Format: ManifestFormat, RecordID: "r1", Title: "关于开展廉政教育的通知", FiledAt: "2026-03-15T08:00:00.000Z",
		Fields: map[string]any{"title": "关于开展廉政教育的通知"}, Persons: []string{"某甲"}}
	raw, err := (&Store{keys: keys[2]}).sealManifest(m)
	if err != nil {
		b.Fatal(err)
	}
	single, _ := ParsePublicKeyPEM(keys[2].pubPEM)
	parsed, err := ParseKeyringPEM(ring.PEM()) // as a verifier loads it
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		v    Verifier
	}{{"one-key", single}, {"keyring-3", parsed}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := VerifyManifest(raw, c.v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
