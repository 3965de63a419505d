// Package audit owns the audit trail as evidence (审计链): the hash chain
// over the catalog's audit_events, signed checkpoints of it in the bucket
// under object lock, their verification (Verify), bringing the trail back
// after a lost catalog (Restore), the batched writer for audited reads
// (Recorder) and the auditors' query (Search).
//
// It knows the catalog (package catalog) and two small interfaces, Signer
// and Bucket, which *archive.AuditSink satisfies; it does not import
// archive, identity or anything of HTTP, so archive and server can both
// use it.
//
// # Canonical event
//
// Every event has seq (1, 2, 3… in commit order), prev_hash and hash.
// hash is the lower-case hex SM3 (GB/T 32905) of the event's canonical
// bytes; prev_hash is the hash of event seq-1 ("" for seq 1) and is part
// of the canonical bytes, so each event seals all before it. The canonical
// bytes are compact JSON, keys sorted by code point at every level, no
// insignificant white space, no HTML escaping, absent values as "" or 0:
//
//	{"action":"record.verify",
//	 "actor":{"id":7,"name":"孙审计","role":"auditor","unit":3},
//	 "detail":"未通过：sm3","outcome":"failed","prev_hash":"9f…",
//	 "seq":12,"target":{"draft":"","record":"01J…","user":0},
//	 "time":"2026-03-05T01:02:03.004Z","unit":3}
//
// (one line; shown wrapped). time is UTC with milliseconds
// (catalog.TimeLayout); actor is the user at the time (id 0 and name
// "system" for the system; CLI operators have id 0 and their name);
// outcome is ok, denied or failed; unit is the unit the event is
// attributed to: the target record's unit, else the target draft's, else
// the actor's. The hash is computed in the transaction that inserts the
// event, after reading the head: the catalog's one writer connection with
// BEGIN IMMEDIATE serialises that, so seq has no gaps and no forks.
// Migration 0005 chains the events of an older catalog.
//
// # Checkpoints and segments
//
// Every CheckpointOptions.Every events (100) or Interval (60 s) after the
// oldest unsealed one, the Checkpointer writes, under COMPLIANCE retention
// for the permanent horizon and with If-None-Match: *:
//
//	audit/<year>/<first>-<last>.events  the canonical lines of events first…last, each ended by "\n"
//	audit/<year>/<first>-<last>.json    the checkpoint (Checkpoint): first_seq, seq (= last),
//	                                    count, head_hash, prev_hash, segment_key, segment_sm3,
//	                                    created_at, format, signature_alg, signer_key_id, signature
//
// <year> is the UTC year of the first event, sequence numbers have 12
// digits. The checkpoint is signed with the archive's SM2 key over its
// canonical JSON with "signature" set to "", like a manifest. Every S3
// call has a deadline; a failure leaves the events in the catalog and
// the next poll writes them (a crash between the two PUTs, or an answer
// lost after MinIO stored the object, is found and adopted, never
// written twice). A catalog whose chain is broken after the last
// checkpoint is never sealed.
//
// # What Verify proves
//
// Verify walks the catalog in seq order and the bucket's checkpoints and
// reports, naming the first bad seq: an event whose content does not
// match its hash (edited), a prev_hash that does not link (inserted or
// reordered), a missing seq or a truncated end (deleted), a duplicate
// seq, rows without a seq, an event that differs from the signed
// segment, an unsealed event whose actor is not a user of that name, and
// in the bucket any checkpoint or segment that does not verify, gaps
// between checkpoints, extra versions and delete markers. None of this
// depends on the append-only triggers. Someone with the catalog file can
// drop them, rewrite rows and recompute every later hash: the chain then
// holds, but the events up to the last checkpoint are compared with the
// signed segments, which they cannot rewrite. Events after the last
// checkpoint (at most Every, or Interval's worth) are covered by the
// chain only; the report says how many.
//
// # Reads and the query
//
// Recorder batches events (up to 256 per durable transaction, every 20 ms)
// behind a bounded queue; a full queue blocks the caller briefly and then
// returns an error, never drops. Search returns events for auditors:
// those attributed to a visible unit or whose actor belonged to one.
// Events of the system and of operators without a unit are attributed to
// no unit: only `wenshu audit verify` on the host shows them in full.
package audit
