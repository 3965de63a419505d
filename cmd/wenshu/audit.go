package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"wenshu/archive"
	"wenshu/audit"
)

func init() {
	register("audit verify", command{"verify the audit chain against the bucket's signed checkpoints", cmdAuditVerify})
	register("audit checkpoint", command{"write the pending audit events into the bucket now", cmdAuditCheckpoint})
	register("audit restore", command{"put the bucket's audit events back into the catalog", cmdAuditRestore})
}

func cmdAuditVerify(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("audit verify", e)
	c.storeFlags(fs)
	bucketOnly := fs.Bool("bucket-only", false, "verify the checkpoints in the bucket alone, with the public key (no catalog)")
	pubFile := fs.String("pubkey", "", "public key PEM for --bucket-only (default: the data directory's key)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	var rep *audit.Report
	var err error
	if *bucketOnly {
		rep, err = verifyAuditBucketOnly(ctx, &c, *pubFile)
	} else {
		var st *archive.Store
		if st, err = c.store(ctx, newLogger(e.stderr), nil, nil); err != nil {
			return err
		}
		defer st.Close()
		rep, err = audit.Verify(ctx, st.AuditSink().Catalog().Reader(), st.AuditSink())
	}
	if err != nil {
		return err
	}
	if *asJSON {
		_ = json.NewEncoder(e.stdout).Encode(rep)
	} else {
		printAuditReport(e, rep)
	}
	if !rep.OK {
		return errors.New("audit trail verification failed")
	}
	return nil
}

func verifyAuditBucketOnly(ctx context.Context, c *config, pubFile string) (*audit.Report, error) {
	if pubFile == "" {
		pubFile = filepath.Join(c.DataDir, "keys", "sm2-public.pem")
	}
	pub, err := os.ReadFile(pubFile)
	if err != nil {
		return nil, fmt.Errorf("public key: %w (pass --pubkey FILE from `wenshu keys export`)", err)
	}
	sink, err := archive.NewAuditBucketSink(archive.BucketConfig{Endpoint: c.S3Endpoint, AccessKey: c.S3AccessKey,
		SecretKey: c.S3SecretKey, Secure: c.S3Secure, Bucket: c.S3Bucket}, pub)
	if err != nil {
		return nil, err
	}
	return audit.Verify(ctx, nil, sink)
}

func printAuditReport(e *env, r *audit.Report) {
	fmt.Fprintf(e.stdout, "audit trail: %d events (head %d), %d checkpoints sealing 1–%d", r.Events, r.Head, r.Checkpoints, r.Sealed)
	if r.Unsealed > 0 {
		fmt.Fprintf(e.stdout, "; %d events after the last checkpoint are covered by the hash chain only", r.Unsealed)
	}
	fmt.Fprintln(e.stdout)
	if r.FirstBad > 0 {
		fmt.Fprintf(e.stdout, "first bad sequence: %d\n", r.FirstBad)
	}
	for _, f := range r.Findings {
		fmt.Fprintf(e.stdout, "  ✗ seq %d %s: %s\n", f.Seq, f.Kind, f.Detail)
	}
	if r.OK {
		fmt.Fprintln(e.stdout, "ok")
	}
}

func cmdAuditCheckpoint(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("audit checkpoint", e)
	c.storeFlags(fs)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	log := newLogger(e.stderr)
	st, err := c.store(ctx, log, nil, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := audit.NewCheckpointer(st.AuditSink().Catalog(), st.AuditSink(), audit.CheckpointOptions{Logger: log}).Flush(ctx)
	fmt.Fprintf(e.stdout, "%d audit checkpoints written\n", n)
	return err
}

func cmdAuditRestore(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("audit restore", e)
	c.storeFlags(fs)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	st, err := c.store(ctx, newLogger(e.stderr), nil, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	return restoreAudit(ctx, e, st)
}

// restoreAudit puts the bucket's audit events into the catalog. rebuild
// runs it before rebuilding the records, so the restored trail comes first
// and the rebuild's own event follows it.
func restoreAudit(ctx context.Context, e *env, st *archive.Store) error {
	rs, err := audit.Restore(ctx, st.AuditSink().Catalog(), st.AuditSink())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "audit trail restored: %d events from %d checkpoints, head %d\n", rs.Restored, rs.Checkpoints, rs.Head)
	for _, f := range rs.Findings {
		fmt.Fprintf(e.stdout, "warning: audit seq %d %s: %s\n", f.Seq, f.Kind, f.Detail)
	}
	return nil
}

// restoreAuditBeforeRebuild is restoreAudit for rebuild: the records are
// rebuilt whatever the trail's state, so a failure is a warning (the
// trail in the catalog is not derived data: rebuild cannot repair it).
func restoreAuditBeforeRebuild(ctx context.Context, e *env, st *archive.Store) {
	if err := restoreAudit(ctx, e, st); err != nil {
		fmt.Fprintf(e.stdout, "warning: audit trail not restored: %v\n", err)
	}
}

// startAuditCheckpointer runs the checkpoint writer for serve; the
// returned stop writes a last checkpoint.
func startAuditCheckpointer(st *archive.Store, log *slog.Logger) (stop func()) {
	return audit.NewCheckpointer(st.AuditSink().Catalog(), st.AuditSink(), audit.CheckpointOptions{Logger: log}).Start()
}
