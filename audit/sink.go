package audit

import (
	"context"
	"time"
)

// Signer signs and verifies checkpoints with the archive's SM2 key
// (*archive.AuditSink satisfies it).
type Signer interface {
	KeyID() string
	SignatureAlgorithm() string
	// Sign returns the base64 signature of msg.
	Sign(msg []byte) (string, error)
	// Verify checks a base64 signature over msg.
	Verify(msg []byte, sig string) bool
}

// KeyringVerifier is implemented by a Signer that keeps every key it
// ever signed with (*archive.AuditSink): VerifyKey checks sig over msg by
// keyID, which must have been current at at.
type KeyringVerifier interface {
	VerifyKey(keyID string, at time.Time, msg []byte, sig string) error
}

// Bucket is the object store under object lock (*archive.AuditSink
// satisfies it).
type Bucket interface {
	// PutLocked stores data under COMPLIANCE retention with
	// If-None-Match: *; an existing key is an error wrapping fs.ErrExist.
	PutLocked(ctx context.Context, key string, data []byte, contentType string) (versionID string, err error)
	// ListVersions calls fn for every version and delete marker under
	// prefix, keys in lexical order, each key's versions oldest first.
	ListVersions(ctx context.Context, prefix string, fn func(key, versionID string, deleteMarker bool, modified time.Time) error) error
	// Get reads one version ("" for the current one).
	Get(ctx context.Context, key, versionID string) ([]byte, error)
}

// Sink is a Signer and a Bucket.
type Sink interface {
	Signer
	Bucket
}
