// Package archive owns everything that happens to a document once it leaves
// the editor: units (单位), users and tokens, drafts (草稿), approval (签发),
// numbering (发文字号 and 档号), rendering the final .docx, SM3/SHA-256
// digests, the SM2 signature, immutable storage in an S3 bucket with object
// lock (MinIO), the SQLite catalog, verification (四性检测 of a record) and
// rebuilding the catalog from the bucket alone.
//
// MinIO is the system of record; the catalog is derived from it. The package
// knows nothing of HTTP: it returns typed errors (see errors.go) that the
// server maps to statuses in one place.
package archive
