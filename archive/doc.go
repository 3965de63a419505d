// Package archive owns everything that happens to a document once it leaves
// the editor: drafts (草稿), approval (签发), numbering (发文字号 and 档号),
// rendering the final .docx, SM3/SHA-256 digests, the SM2 signature,
// immutable storage in an S3 bucket with object lock (MinIO), the records
// part of the catalog, verification (四性检测 of a record), import,
// recovery after a crash and rebuilding the catalog from the bucket alone.
//
// MinIO is the system of record; the catalog is derived from it. The package
// knows nothing of HTTP: it returns *problem.Error values (sentinels in
// errors.go) that the server maps to statuses in one place. Who the caller
// is comes from package identity: every method that touches data takes the
// caller (*identity.User) and applies identity's visibility rule
// (identity.CanRead, identity.CanReadDraft) itself. New opens the catalog
// (package catalog) in DataDir and the identity directory on it
// (Options.Identity configures it); Store.Identity hands that directory to
// the server and the CLI. The Store only reads units and users from it.
//
// # Layout of the bucket
//
//	records/<year>/<id>.docx   the content (or .txt for an imported text)
//	records/<year>/<id>.json   the manifest (Manifest), SM2-signed
//	voids/<year>/<id>.json     a void marker (VoidMarker), SM2-signed
//
// Every object is written once, with If-None-Match: * and COMPLIANCE
// retention until filing time + 保管期限 (D10: 10 years, D30: 30 years, Y:
// Options.PermanentRetentionYears, default 100). The bucket is created with
// object locking (which turns versioning on); an existing bucket without it
// is refused. <year> is the 年度 of the 档号: the filing year (in UTC+8) for
// generated records, the stated year for imports.
//
// # Numbering
//
// 文号 机关代字〔YYYY〕N号 per (机关代字, year) and 档号
// 全宗号-WS·YYYY-保管期限-机构代码-件号 (4-digit 件号) per (全宗号, year,
// 保管期限, 机构代码) are allocated in the same write transaction that inserts
// the filing's journal row. SQLite has one writer connection and every write
// transaction is BEGIN IMMEDIATE, so allocations are serialised; the filings
// table holds each number under a UNIQUE constraint and its rows are never
// deleted, so a number is never handed out twice. In PostgreSQL the same
// INSERT … ON CONFLICT … DO UPDATE … RETURNING statements take a row lock.
//
// # Filing and crash safety
//
// Approving a draft (and importing a file) runs this sequence; each step
// names the journal state it leaves behind in the filings table.
//
//  1. TX1 (durable): the draft goes draft → filing (only if its revision is
//     unchanged), the 文号 and 档号 are allocated, the journal row is
//     inserted: allocated.
//  2. Render the final .docx with the number (deterministic), digest it
//     (SM3, SHA-256), build the unsigned manifest.
//  3. TX2: journal the digests and the unsigned manifest: rendered.
//  4. PUT the content (locked).
//  5. TX3 (durable): read the chain head, fill in the content's version id,
//     the chain sequence and the previous manifest's SM3, sign, advance the
//     head, journal the signed bytes: signed. One transaction, so the chain
//     order is the signing order and concurrent filings cannot fork it.
//  6. PUT the manifest (locked), in chain order: only once no filing
//     signed before this one is still waiting for its manifest (see
//     "Chain order" below).
//  7. TX4: insert the catalog row, the draft becomes filed, the audit event
//     record.file is appended: filed. Then Options.OnFiled (indexing).
//
// A crash anywhere leaves the journal row in one of those states, and Recover
// (run by New, and by RecoverInterval in the background: `wenshu serve`
// sets 10 s) drives each abandoned row to an end:
//
//   - allocated: nothing was stored → void;
//   - rendered: a stored version of the content key with exactly the
//     journaled SM3 and SHA-256 → continue at step 5; none → void (also when
//     only different bytes sit there, which is reported);
//   - signed: the manifest bytes are in the journal and the content is
//     stored → store the manifest unless a version already holds exactly these
//     bytes, then step 7. A signed filing is never voided: it holds a place in
//     the chain.
//
// Voiding (作废) first stores a signed void marker in the bucket (so a
// catalog rebuilt from the bucket still knows the numbers were used), then
// marks the filing void, lists its numbers in void_numbers, and returns the
// draft to draft with the approver cleared, so it can be approved again —
// under new numbers. Numbers are never reused and never silently lost: every
// number is either in a filed record or in void_numbers (and voids/). A
// crash leaves either a complete record or nothing visible: content without
// a manifest is not a record (verification and rebuild start from manifests)
// and is accounted for by its void marker.
//
// Which rows are abandoned: every Store holds an exclusive flock on
// <DataDir>/run/<instance>.lock and writes its instance id into the rows it
// starts. The kernel releases the lock when the process dies, however it
// dies, so a row whose owner's lock can be taken is abandoned, and a row of
// a live process (a `wenshu import` beside `wenshu serve`) is left alone.
// Within a process, rows in progress are skipped too; a row of this
// process whose request has ended (it gave up on storage and answered
// FilingPending) is not in progress any more and is recovered like an
// abandoned one, without a restart. Several hosts sharing one PostgreSQL
// catalog would need a lease with a heartbeat instead.
//
// # Deadlines and outages
//
// Every MinIO call (PUT, GET, stat, a version listing, the bucket checks
// at start) runs under the caller's context capped at
// Options.StorageTimeout (default 5 s); listing a whole prefix (bucket-only
// verification, rebuild) gets that timeout between two entries instead.
// minio-go retries a call itself (MaxRetries 3: after 0.2 s and 0.4 s, on
// a refused or reset connection or a 5xx) but never past the call's
// deadline, and its transport waits for response headers no longer than
// the timeout (its default is a minute). A call without a definite answer
// — deadline, cancellation, refused/reset/closed connection, DNS, 5xx,
// SlowDown, XMinioServerNotInitialized — is an unavailable error:
// problem.ErrUnavailable, code storage_unavailable, 存储服务暂不可用，请稍后
// 重试 (the server answers 503 with Retry-After). It is never reported as
// a missing object: only NoSuchKey/NoSuchVersion (isNoSuchObject) is.
//
// Every PUT is idempotent. If-None-Match: * answers 412 when the key
// already has a version — typically our own first attempt, whose answer
// was lost and which minio-go or Recover retried. putLocked then looks
// for a version with exactly our bytes (size, then the bytes) and takes
// it as the result; other bytes are a real conflict (stored_object_differs).
//
// When storage fails after TX1, the outcome may be unknown (a PUT sent,
// no answer). The filing stays open, the request stops being "in
// progress", background recovery is kicked (a non-blocking channel), and
// Approve returns a *FilingPending {FilingID, DraftID, Status}: the server
// answers 202 with /api/v1/filings/{id} (Store.Filing). Approving the same
// draft again while the filing is open returns the same FilingPending (no
// new number); once filed it returns the record (Approval.AlreadyFiled).
// The background loop runs Recover every RecoverInterval and soon after a
// kick; while Recover keeps failing it waits 1 s, 2 s, 4 s … up to the
// interval between passes. So no draft stays 归档中 longer than the outage
// plus one interval. Without RecoverInterval (CLI commands), the failing
// request makes one recovery attempt itself, as before.
//
// Verification reads that get no definite answer make their checks
// unavailable (Check.Status, Verification.Status): neither passed nor
// failed, audited as record.verify 不可用, never 未通过. Bucket-only
// verification and rebuild abort with an unavailable error instead of
// reporting records as missing.
//
// # Chain order
//
// Manifests are stored in chain order (chainorder.go): before its
// manifest PUT, filing N waits until no filing with a smaller chain_seq is
// still signed (signed = manifest journaled, not yet stored and
// catalogued), at most one storage timeout, kicking recovery (the
// predecessor's request may have given up). If the wait ends first, the
// filing answers FilingPending and recovery stores it later. Recover
// handles signed rows first, in chain_seq order, and never waits: a row
// behind one it could not store stays pending for the next pass. So the
// bucket always holds the chain 1…K without a gap and `verify
// --bucket-only` passes at any moment, not only after recovery (a stuck
// manifest used to leave a gap, 序号 941 处应为第940件). The cost is one
// catalog read per filing and, under concurrency, manifest PUTs that
// follow each other instead of overlapping (BENCH.md).
//
// Durability: TX1 and TX3 are synced (synchronous=FULL) before the PUT that
// follows them; TX2 and TX4 are committed without their own sync, because
// losing them to a power cut is repaired: without TX2 the filing is
// allocated again and is voided (the stored .docx then stays as an orphan
// that the void marker accounts for); without TX4 it is signed again and
// Recover finds the stored manifest by its bytes. A process crash loses
// nothing that was committed.
//
// # Manifest, signature and chain
//
// See Manifest for the canonical bytes (compact JSON, keys sorted, signature
// "") and the chain (ChainSeq 1…N, PrevManifestSM3 = SM3 of the previous
// manifest's stored bytes). The manifest records the content's version id;
// it cannot record its own, which only exists once it is stored, so the
// catalog keeps the manifest's version id (and VerifyBucketOnly takes the
// oldest validly signed version of each manifest key). The key pair is made
// on first start in <DataDir>/keys/; the key id is the first 16 bytes of SM3
// over the public key's PKIX DER, in hex.
//
// # Permissions
//
// Reading (records, drafts, audit) follows identity's visibility rule:
// the caller's unit (or, for archivists and auditors, a granted unit;
// never for drafts) and a clearance at least the document's
// classification; anything else is reported as not found. Drafts: clerks
// and approvers create; the author or another clerk of the unit edits
// while draft or returned; approvers of the unit return and approve, never
// their own drafts. Import: archivists. VerifyCopy and ListVoidNumbers:
// auditors and archivists. identity.Operator is the identity for CLI
// commands on the server host and passes every check.
//
// # Hostile imports and readiness
//
// Import refuses a zip bomb from the zip directory, before inflating it:
// word/document.xml declared over ImportLimits.MaxDocumentXML (Go's zip
// reader never inflates a part beyond its declared size), compressed more
// than MaxZipRatio, or more than 1000 parts. The text handed to the index
// (OnFiled, RecordText) is cut to MaxIndexedText; the stored content is
// always whole. Ready (ready.go) checks the catalog and the bucket for the
// server's /readyz, each within ReadyCheckTimeout.
//
// # What is not here
//
// Units, users, tokens, passwords, sessions, grants and saved searches
// (package identity); the SQL connection, migrations and the audit table
// (package catalog). Not built at all: key rotation (verification trusts
// one key), retention extension and legal holds, disposal (销毁) at the
// end of retention, and multi-host recovery leases.
package archive
