package archive

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"wenshu/catalog"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

// Signing: SM2 (GB/T 32918) with SM3 (GB/T 32905) over the manifest's
// canonical bytes (see manifest.go), with the default user id
// "1234567812345678" of GB/T 35276. The signature is ASN.1 DER, base64 in the
// manifest. The key pair is made on first start in <DataDir>/keys/
// (sm2-private.pem, PKCS#8; sm2-public.pem, PKIX: the keyring, every
// public key ever current, see keyring.go), both files 0600 in a
// 0700 directory; a key file or directory found open to group or others
// is tightened at start, with a warning. The key id is the hex of the
// first 16 bytes of SM3 over the public key's PKIX DER.

const (
	privateKeyFile = "sm2-private.pem"
	publicKeyFile  = "sm2-public.pem"
	// SignatureAlgorithm names the scheme in every manifest.
	SignatureAlgorithm = "SM2-SM3"
)

type keyPair struct {
	priv   *sm2.PrivateKey
	pub    *ecdsa.PublicKey
	pubPEM []byte
	id     string
}

// Modes of the key directory and files.
const (
	keyDirMode  os.FileMode = 0o700
	keyFileMode os.FileMode = 0o600
)

// loadOrCreateKeys is loadOrCreateKeysLogged logging to slog.Default().
func loadOrCreateKeys(dir string) (*keyPair, error) {
	return loadOrCreateKeysLogged(dir, slog.Default())
}

// loadOrCreateKeysLogged loads the key pair in dir, or makes one, after
// tightening the modes of dir and its key files (logged to log).
func loadOrCreateKeysLogged(dir string, log *slog.Logger) (*keyPair, error) {
	if err := os.MkdirAll(dir, keyDirMode); err != nil {
		return nil, err
	}
	for _, p := range []string{dir, filepath.Join(dir, privateKeyFile), filepath.Join(dir, publicKeyFile)} {
		mode := keyFileMode
		if p == dir {
			mode = keyDirMode
		}
		if err := catalog.TightenMode(p, mode, log, "archive: tightened key file mode"); err != nil {
			return nil, err
		}
	}
	privPath := filepath.Join(dir, privateKeyFile)
	b, err := os.ReadFile(privPath)
	if errors.Is(err, os.ErrNotExist) {
		return createKeys(dir)
	}
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM block", privPath)
	}
	k, err := smx509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", privPath, err)
	}
	priv, ok := k.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an SM2 key", privPath)
	}
	return newKeyPair(priv)
}

func createKeys(dir string) (*keyPair, error) {
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := smx509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	kp, err := newKeyPair(priv)
	if err != nil {
		return nil, err
	}
	// Write the public key first; the private key last and exclusively,
	// so a concurrent first start cannot leave two different keys.
	if err := os.WriteFile(filepath.Join(dir, publicKeyFile+".tmp"), kp.pubPEM, keyFileMode); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, privateKeyFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, keyFileMode)
	if errors.Is(err, os.ErrExist) {
		return loadOrCreateKeys(dir)
	}
	if err != nil {
		return nil, err
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(filepath.Join(dir, publicKeyFile+".tmp"), filepath.Join(dir, publicKeyFile)); err != nil {
		return nil, err
	}
	return kp, nil
}

func newKeyPair(priv *sm2.PrivateKey) (*keyPair, error) {
	pubDER, err := smx509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &keyPair{
		priv:   priv,
		pub:    &priv.PublicKey,
		pubPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}),
		id:     keyIDFromDER(pubDER),
	}, nil
}

func keyIDFromDER(pubDER []byte) string {
	sum := sm3.Sum(pubDER)
	return hex.EncodeToString(sum[:16])
}

// PublicKeyPEM returns the signing public keys (PKIX, PEM), what
// `wenshu keys export` prints and what an auditor needs to verify the
// bucket alone.
// Since key rotation it is the whole keyring (every key the archive has
// signed with, oldest first; see keyring.go).
func (s *Store) PublicKeyPEM() []byte { return bytes.Clone(s.Keyring().PEM()) }

// KeyID returns the signer key id written into new manifests.
func (s *Store) KeyID() string { return s.signingKey().id }

// PublicKey is a parsed verification key.
type PublicKey struct {
	key *ecdsa.PublicKey
	ID  string // the key id, as in manifests
}

// ParsePublicKeyPEM parses an SM2 public key as exported by PublicKeyPEM.
func ParsePublicKeyPEM(b []byte) (*PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("archive: public key: no PEM block")
	}
	k, err := smx509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("archive: public key: %w", err)
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(pub) {
		return nil, errors.New("archive: public key: not an SM2 key")
	}
	return &PublicKey{key: pub, ID: keyIDFromDER(blk.Bytes)}, nil
}

func (k *keyPair) sign(msg []byte) ([]byte, error) {
	return k.priv.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, nil))
}

func verifySM2(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	return sm2.VerifyASN1WithSM2(pub, nil, msg, sig)
}

func sm3Hex(b []byte) string {
	s := sm3.Sum(b)
	return hex.EncodeToString(s[:])
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
