package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"wenshu/catalog"
)

// CheckpointFormat identifies the checkpoint schema.
const CheckpointFormat = "wenshu-audit-checkpoint/1"

// Prefix is where the audit trail lives in the bucket.
const Prefix = "audit/"

// Checkpoint (检查点) is audit/<year>/<first>-<last>.json: a signed
// statement that the events first…last, whose canonical lines are the
// segment object (same name, .events), end in the head hash. Its
// canonical bytes are built like a manifest's: compact JSON, keys sorted,
// no HTML escaping, "signature" set to "" for signing. Members are listed
// in sorted order so encoding/json writes exactly that.
type Checkpoint struct {
	Count        int64  `json:"count"`      // events in the segment
	CreatedAt    string `json:"created_at"` // when it was signed, TimeLayout
	FirstSeq     int64  `json:"first_seq"`
	Format       string `json:"format"`
	HeadHash     string `json:"head_hash"` // hash of event Seq
	PrevHash     string `json:"prev_hash"` // prev_hash of event FirstSeq ("" for 1)
	SegmentKey   string `json:"segment_key"`
	SegmentSM3   string `json:"segment_sm3"` // hex SM3 of the segment object's bytes
	Seq          int64  `json:"seq"`         // the last event covered
	Signature    string `json:"signature"`   // base64 DER SM2 signature
	SignatureAlg string `json:"signature_alg"`
	SignerKeyID  string `json:"signer_key_id"`
}

// keyBase is audit/<year>/<first>-<last> with 12-digit sequence numbers,
// so keys sort in sequence order; year is that of the first event (UTC).
func keyBase(first catalog.ChainedEvent, last int64) string {
	return fmt.Sprintf("%s%s/%012d-%012d", Prefix, yearOf(first), first.Seq, last)
}

// firstPrefix is the key prefix of any checkpoint starting at first.
func firstPrefix(first catalog.ChainedEvent) string {
	return fmt.Sprintf("%s%s/%012d-", Prefix, yearOf(first), first.Seq)
}

func yearOf(e catalog.ChainedEvent) string {
	if len(e.Time) >= 4 {
		return e.Time[:4]
	}
	return "0000"
}

// segmentBytes joins the events' canonical lines, each ended by "\n".
func segmentBytes(events []catalog.ChainedEvent) []byte {
	var b bytes.Buffer
	for i := range events {
		b.Write(events[i].Canonical())
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// parseSegment reads a segment's lines back.
func parseSegment(b []byte) ([]catalog.ChainedEvent, error) {
	if len(b) == 0 {
		return nil, errors.New("empty segment")
	}
	if b[len(b)-1] != '\n' {
		return nil, errors.New("segment does not end with a newline")
	}
	var out []catalog.ChainedEvent
	for i, line := range bytes.Split(b[:len(b)-1], []byte("\n")) {
		e, err := catalog.ParseCanonicalEvent(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func canonicalJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // strings and integers only
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func (c Checkpoint) signingBytes() []byte {
	c.Signature = ""
	return canonicalJSON(&c)
}

// seal signs c and returns the bytes to store.
func seal(c Checkpoint, s Signer) ([]byte, error) {
	c.Format, c.SignatureAlg, c.SignerKeyID = CheckpointFormat, s.SignatureAlgorithm(), s.KeyID()
	sig, err := s.Sign(c.signingBytes())
	if err != nil {
		return nil, err
	}
	c.Signature = sig
	return canonicalJSON(&c), nil
}

// openCheckpoint parses stored checkpoint bytes strictly and checks the
// signature and the canonical form.
func openCheckpoint(b []byte, s Signer) (Checkpoint, error) {
	var c Checkpoint
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("not a checkpoint: %w", err)
	}
	// A signer with a keyring (key rotation) verifies with the key that
	// was current when the checkpoint was made.
	kr, ringOK := s.(KeyringVerifier)
	var ringErr error
	if ringOK {
		ringErr = kr.VerifyKey(c.SignerKeyID, catalog.ParseTime(c.CreatedAt), c.signingBytes(), c.Signature)
	}
	switch {
	case c.Format != CheckpointFormat:
		return c, fmt.Errorf("format %q, want %q", c.Format, CheckpointFormat)
	case !bytes.Equal(canonicalJSON(&c), b):
		return c, errors.New("not in canonical form")
	case !ringOK && c.SignerKeyID != s.KeyID():
		return c, fmt.Errorf("signed by key %s, not by this archive's key %s", c.SignerKeyID, s.KeyID())
	case !ringOK && !s.Verify(c.signingBytes(), c.Signature):
		return c, errors.New("signature does not verify")
	case ringOK && ringErr != nil:
		return c, ringErr
	case c.FirstSeq < 1 || c.Seq < c.FirstSeq || c.Count != c.Seq-c.FirstSeq+1:
		return c, fmt.Errorf("inconsistent range %d–%d (count %d)", c.FirstSeq, c.Seq, c.Count)
	case c.SegmentKey != strings.TrimSuffix(c.SegmentKey, ".events")+".events":
		return c, fmt.Errorf("segment key %q", c.SegmentKey)
	}
	return c, nil
}
