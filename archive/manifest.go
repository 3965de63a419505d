package archive

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ManifestFormat identifies the manifest schema.
const ManifestFormat = "wenshu-manifest/1"

// Manifest is records/<year>/<id>.json: everything needed to prove, from the
// bucket alone, what was filed, by whom and when.
//
// Canonical bytes (what is signed): compact JSON, object keys sorted by code
// point at every level, no insignificant white space, no HTML escaping, with
// "signature" set to "". The stored object is the same serialisation with
// the signature filled in, so an auditor gets the signed bytes back by
// replacing the value of the top-level "signature" member with "" — or by
// re-serialising the parsed manifest with sorted keys. The Go struct lists
// its fields in sorted order so encoding/json produces exactly that (a test
// re-encodes through a generic map and compares). Verification also rejects
// a manifest whose stored bytes are not in canonical form, so added or
// reordered members cannot slip past the signature.
//
// Chain: ChainSeq numbers every filed manifest 1, 2, 3… in the order the
// filings were signed, and PrevManifestSM3 is the SM3 of the previous
// manifest's stored bytes ("" for seq 1). Signing is serialised by the
// catalog's write transaction that reads and advances chain_head, so
// concurrent filings take consecutive numbers; a filing that is signed is
// always completed (see Recover), so the chain has no holes.
//
// The manifest carries the .docx's version id, which is known once the
// .docx is stored; it cannot carry its own version id (that exists only
// after the manifest is stored), so the catalog keeps that one.
type Manifest struct {
	Approver        *PersonRef     `json:"approver"` // nil for imports
	ArchiveCode     string         `json:"archive_code"`
	Author          PersonRef      `json:"author"` // the drafter, or the importer
	CaseNo          string         `json:"case_no"`
	ChainSeq        int64          `json:"chain_seq"`
	Classification  string         `json:"classification"`
	Content         ObjectRef      `json:"content"`
	DocNumber       string         `json:"doc_number"`
	DraftID         string         `json:"draft_id"`
	Fields          map[string]any `json:"fields"`
	FiledAt         string         `json:"filed_at"` // UTC, 2006-01-02T15:04:05.000Z
	Fonds           string         `json:"fonds"`
	Format          string         `json:"format"`
	ItemNo          int            `json:"item_no"`
	Kind            string         `json:"kind"`
	ManifestKey     string         `json:"manifest_key"`
	Org             string         `json:"org"`
	Persons         []string       `json:"persons"`
	PrevManifestSM3 string         `json:"prev_manifest_sm3"`
	RecordID        string         `json:"record_id"`
	RetainUntil     string         `json:"retain_until"` // UTC, seconds
	Retention       Retention      `json:"retention"`
	Signature       string         `json:"signature"` // base64 DER SM2 signature
	SignatureAlg    string         `json:"signature_alg"`
	SignerKeyID     string         `json:"signer_key_id"`
	Source          string         `json:"source"` // generated | imported
	Supersedes      string         `json:"supersedes"`
	Template        string         `json:"template"`
	Title           string         `json:"title"`
	Unit            UnitRef        `json:"unit"`
	Year            int            `json:"year"`
}

// PersonRef names a user at the time of filing.
type PersonRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ObjectRef is a stored object and its fixity.
type ObjectRef struct {
	Key          string `json:"key"`
	MediaType    string `json:"media_type"`
	OriginalName string `json:"original_name"`
	SHA256       string `json:"sha256"`
	Size         int64  `json:"size"`
	SM3          string `json:"sm3"`
	VersionID    string `json:"version_id"`
}

// UnitRef is the issuing unit at the time of filing.
type UnitRef struct {
	Code  string `json:"code"`
	Fonds string `json:"fonds"`
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Org   string `json:"org"`
}

// Record sources.
const (
	SourceGenerated = "generated"
	SourceImported  = "imported"
)

// canonicalJSON encodes v compactly without HTML escaping.
func canonicalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// SigningBytes returns the canonical bytes the signature covers.
func (m *Manifest) SigningBytes() ([]byte, error) {
	c := *m
	c.Signature = ""
	if c.Fields == nil {
		c.Fields = map[string]any{}
	}
	if c.Persons == nil {
		c.Persons = []string{}
	}
	return canonicalJSON(&c)
}

func (m *Manifest) signatureFields() (sig, alg, keyID *string) {
	return &m.Signature, &m.SignatureAlg, &m.SignerKeyID
}

func (m *Manifest) signedAt() time.Time { return keyTime(m.FiledAt) }

// sealManifest signs m and returns the bytes to store.
func (s *Store) sealManifest(m *Manifest) ([]byte, error) {
	if m.Fields == nil {
		m.Fields = map[string]any{}
	}
	if m.Persons == nil {
		m.Persons = []string{}
	}
	return s.seal(m)
}

// ParseManifest decodes stored manifest bytes strictly: unknown members are
// an error and numbers inside fields keep their exact text.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := decodeStrict(b, &m); err != nil {
		return nil, fmt.Errorf("archive: manifest: %w", err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("archive: manifest: unknown format %q", m.Format)
	}
	return &m, nil
}

// VerifyManifest checks that b is a canonical manifest signed by pub (a
// *PublicKey, or a *Keyring: then by the key current at filed_at). It
// returns the parsed manifest when the bytes parse, even if the signature
// fails, so callers can report further checks.
func VerifyManifest(b []byte, pub Verifier) (*Manifest, error) {
	m, err := ParseManifest(b)
	if err != nil {
		return nil, err
	}
	return m, verifySigned(b, m, pub, "清单")
}

// VoidMarkerFormat identifies void markers.
const VoidMarkerFormat = "wenshu-void/1"

// VoidMarker is voids/<year>/<filing-id>.json: a signed statement that the
// numbers it lists were handed out and never filed (作废). Keys are in
// sorted order and the signature covers the canonical bytes with
// "signature" empty, as for manifests.
type VoidMarker struct {
	ArchiveCode  string    `json:"archive_code"`
	ContentKey   string    `json:"content_key"` // where the content would have been
	DocAgency    string    `json:"doc_agency"`
	DocNumber    string    `json:"doc_number"`
	DocSeq       int       `json:"doc_seq"`
	DraftID      string    `json:"draft_id"`
	FilingID     string    `json:"filing_id"`
	Fonds        string    `json:"fonds"`
	Format       string    `json:"format"`
	ItemNo       int       `json:"item_no"`
	Org          string    `json:"org"`
	Reason       string    `json:"reason"`
	Retention    Retention `json:"retention"`
	Signature    string    `json:"signature"`
	SignatureAlg string    `json:"signature_alg"`
	SignerKeyID  string    `json:"signer_key_id"`
	Source       string    `json:"source"`
	VoidedAt     string    `json:"voided_at"`
	Year         int       `json:"year"`
}

// SigningBytes returns the canonical bytes the signature covers.
func (vm *VoidMarker) SigningBytes() ([]byte, error) {
	c := *vm
	c.Signature = ""
	return canonicalJSON(&c)
}

func (vm *VoidMarker) signatureFields() (sig, alg, keyID *string) {
	return &vm.Signature, &vm.SignatureAlg, &vm.SignerKeyID
}

func (vm *VoidMarker) signedAt() time.Time { return keyTime(vm.VoidedAt) }

func parseVoidMarker(b []byte) (*VoidMarker, error) {
	var vm VoidMarker
	if err := decodeStrict(b, &vm); err != nil {
		return nil, err
	}
	if vm.Format != VoidMarkerFormat {
		return nil, fmt.Errorf("unknown void marker format %q", vm.Format)
	}
	return &vm, nil
}

// verifyVoidMarker checks that b is a canonical void marker signed by pub,
// exactly as VerifyManifest checks a manifest.
func verifyVoidMarker(b []byte, pub Verifier) (*VoidMarker, error) {
	vm, err := parseVoidMarker(b)
	if err != nil {
		return nil, err
	}
	return vm, verifySigned(b, vm, pub, "作废标记")
}

// signedDoc is a signed bucket document (Manifest, VoidMarker): canonical
// JSON whose signature covers SigningBytes, the same bytes with
// "signature" set to "".
type signedDoc interface {
	SigningBytes() ([]byte, error)
	signatureFields() (sig, alg, keyID *string)
	signedAt() time.Time // the document's own time, which picks the key
}

// seal signs doc with the store's key (algorithm, key id, signature) and
// returns the bytes to store.
func (s *Store) seal(doc signedDoc) ([]byte, error) {
	kp := s.signingKey()
	sig, alg, keyID := doc.signatureFields()
	*alg, *keyID, *sig = SignatureAlgorithm, kp.id, ""
	msg, err := doc.SigningBytes()
	if err != nil {
		return nil, err
	}
	raw, err := kp.sign(msg)
	if err != nil {
		return nil, err
	}
	*sig = base64.StdEncoding.EncodeToString(raw)
	return canonicalJSON(doc)
}

// verifySigned is the one verification of a signed document: b, as stored,
// must be doc's canonical form (so no member can be added, dropped or
// reordered past the signature), signed with SignatureAlgorithm by the
// key pub gives for the document's signer key id and time (the one
// verification function; a keyring picks the key that was current then).
// what names the document in the error ("清单", "作废标记").
func verifySigned(b []byte, doc signedDoc, pub Verifier, what string) error {
	again, err := canonicalJSON(doc)
	if err != nil {
		return err
	}
	if !bytes.Equal(again, b) {
		return errors.New(what + "不是规范格式（被改动过）")
	}
	if pub == nil {
		return errors.New("缺少验签公钥")
	}
	sig64, alg, keyID := doc.signatureFields()
	if *alg != SignatureAlgorithm {
		return fmt.Errorf("签名算法 %q 不受支持", *alg)
	}
	key, err := pub.keyAt(*keyID, doc.signedAt())
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(*sig64)
	if err != nil {
		return errors.New("签名值不是有效的 base64")
	}
	msg, err := doc.SigningBytes()
	if err != nil {
		return err
	}
	if !verifySM2(key, msg, sig) {
		return errors.New("SM2 签名验证失败")
	}
	return nil
}

// decodeStrict decodes one JSON value into v, rejecting unknown members and
// trailing data, keeping numbers exact.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}
