package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/internal/indexer"
	"wenshu/problem"
	"wenshu/server"
	"wenshu/templates"
)

func init() {
	register("templates", command{"list the templates (ids and names)", cmdTemplates})
	register("render", command{"render a template to .docx, no server and no storage", cmdRender})
	register("serve", command{"run the HTTP server", cmdServe})
	register("unit add", command{"add a unit (单位) or set its codes", cmdUnitAdd})
	register("user add", command{"add a user and print its bearer token once", cmdUserAdd})
	register("keys export", command{"print the SM2 public key (PEM)", cmdKeysExport})
	register("verify", command{"verify a record, or every record in the bucket (--bucket-only)", cmdVerify})
	register("rebuild", command{"recreate the catalog from the bucket, then the search index", cmdRebuild})
	register("reindex", command{"rebuild the search index from the catalog and bucket", cmdReindex})
	register("user grant", command{"let an archivist or auditor read another unit's records", cmdUserGrant})
	register("import", command{"file existing .docx or .txt documents as records", cmdImport})
}

// operator is the identity of a command run on the server host.
func operator() *identity.User {
	name := "cli"
	if u, err := user.Current(); err == nil {
		name = "cli:" + u.Username
	}
	return identity.Operator(name)
}

func cmdTemplates(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("templates", e)
	c.templateFlags(fs)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	reg, err := c.registry(newLogger(e.stderr))
	if err != nil {
		return err
	}
	for _, t := range reg.All() {
		fmt.Fprintf(e.stdout, "%-24s %-8s %s\n", t.ID, t.Layout, t.Name)
	}
	return nil
}

func cmdRender(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("render", e)
	c.templateFlags(fs)
	id := fs.String("t", "", "template id")
	in := fs.String("i", "", "field values as a JSON file (- for standard input)")
	out := fs.String("o", "", "output .docx")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *in == "" || *out == "" {
		fmt.Fprintln(e.stderr, "usage: wenshu render -t ID -i data.json -o out.docx")
		return errUsage
	}
	reg, err := c.registry(newLogger(e.stderr))
	if err != nil {
		return err
	}
	var data []byte
	if *in == "-" {
		data, err = readAll(e.stdin)
	} else {
		data, err = os.ReadFile(*in)
	}
	if err != nil {
		return err
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return fmt.Errorf("%s: not a JSON object of field values", *in)
	}
	res, err := reg.Render(templates.RenderRequest{TemplateID: *id, Fields: fields})
	var fe templates.FieldErrors
	if errors.As(err, &fe) {
		for _, f := range fe {
			fmt.Fprintf(e.stderr, "  %s: %s (%s)\n", f.Field, f.Message, f.Code)
		}
		return fmt.Errorf("%d invalid field(s)", len(fe))
	}
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, res.Docx); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s (%s, %d bytes)\n", *out, res.Title, len(res.Docx))
	return nil
}

func cmdServe(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("serve", e)
	c.storeFlags(fs)
	c.addrFlag(fs)
	c.limitFlags(fs)
	sweepEvery := fs.Duration("sweep-interval", c.envDuration("sweep-interval", "WENSHU_SWEEP_INTERVAL", time.Hour),
		"compare catalog, bucket and index this often, first a minute after start (0: never)")
	fixityEvery := fs.Duration("fixity-interval", c.envDuration("fixity-interval", "WENSHU_FIXITY_INTERVAL", 24*time.Hour),
		"re-digest every filed content version this often (四性检测 fixity re-scan), first ten minutes after start (0: never)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *fixityEvery < 0 {
		return fmt.Errorf("fixity-interval: 复检间隔不能为负 (must not be negative), got %s", *fixityEvery)
	}
	c.RecoverEvery = 10 * time.Second // finish or void interrupted filings without a restart (issue 9)
	c.StartWithoutStorage = true      // start, say not ready, and begin working once MinIO answers
	c.FourPropsAtFiling = true        // each filed record's 四性检测 report, kept with it (issue 13)
	a, closeAll, err := c.open(ctx, e, withIndex|withTemplates)
	if err != nil {
		return err
	}
	defer closeAll()
	defer startAuditCheckpointer(a.store, a.log)()
	if _, err := a.idx.Prepare(ctx); err != nil {
		return err
	}
	if *sweepEvery > 0 {
		sweepCtx, stopSweeps := context.WithCancel(ctx)
		defer stopSweeps()
		go a.idx.Sweep(sweepCtx, min(time.Minute, *sweepEvery), *sweepEvery)
	}
	if *fixityEvery > 0 {
		fixityCtx, stopFixity := context.WithCancel(ctx)
		defer stopFixity()
		go a.store.RunFixityScans(fixityCtx, min(10*time.Minute, *fixityEvery), *fixityEvery)
	}
	cfg := server.Config{Templates: a.reg, Store: a.store, Index: a.idx.Index, Logger: a.log}
	if err := c.Limits.serverConfig(&cfg, c.DataDir); err != nil {
		return err
	}
	// More Go processors than CPUs once the index is ready, so that
	// searches are not queued behind filing work (server.RaiseProcs); the
	// heavy gate stays twice the CPU count.
	if cpus := server.RaiseProcs(); cfg.MaxHeavy <= 0 {
		cfg.MaxHeavy = 2 * cpus
	}
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	gcPercent, memLimit := tuneGC(os.Getenv)
	a.log.Info("garbage collector", "gc_percent", gcPercent, "memory_limit_bytes", memLimit)
	a.log.Info("wenshu listening", "addr", "http://"+c.Addr, "data_dir", c.DataDir, "s3", c.S3Endpoint, "bucket", c.S3Bucket)
	return srv.Listen(ctx, c.Addr)
}

func cmdUnitAdd(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("unit add", e)
	c.storeFlags(fs)
	name := fs.String("name", "", "全称 (printed in the 发文机关标志 and 署名)")
	code := fs.String("code", "", "机关代字 (prefix of the 文号)")
	fonds := fs.String("fonds", "", "全宗号")
	org := fs.String("org", "", "机构代码")
	a, closeAll, err := c.parseAndOpen(ctx, e, fs, args, storeOnly)
	if err != nil {
		return err
	}
	defer closeAll()
	u, added, err := a.store.Identity().UpsertUnit(ctx, identity.UnitInput{Name: *name, Code: *code, Fonds: *fonds, Org: *org})
	if err != nil {
		return describe(err)
	}
	verb := "updated"
	if added {
		verb = "added"
	}
	fmt.Fprintf(e.stdout, "%s unit %d %s (代字 %s, 全宗号 %s, 机构代码 %s)\n", verb, u.ID, u.Name, u.Code, u.Fonds, u.Org)
	return nil
}

func cmdUserAdd(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("user add", e)
	c.storeFlags(fs)
	name := fs.String("name", "", "姓名")
	role := fs.String("role", "", "clerk | approver | archivist | auditor | admin")
	unit := fs.String("unit", "", "单位全称 (created with placeholder codes if missing)")
	clearance := fs.String("clearance", identity.ClearanceInternal, "公开 | 内部 | 秘密 | 机密")
	pwStdin := fs.Bool("password-stdin", false, "also set a web password, read as one line from stdin")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	var pw string
	if *pwStdin {
		var err error
		if pw, err = readPassword(e.stdin); err != nil {
			return err
		}
		if err := identity.CheckPassword(pw); err != nil {
			return describe(err)
		}
	}
	a, closeAll, err := c.open(ctx, e, storeOnly)
	if err != nil {
		return err
	}
	defer closeAll()
	res, err := a.store.Identity().AddUser(ctx, identity.NewUser{Name: *name, Role: identity.Role(*role), Unit: *unit, Clearance: *clearance})
	if err != nil {
		return describe(err)
	}
	if *pwStdin {
		if err := a.store.Identity().SetPassword(ctx, res.User.ID, pw); err != nil {
			return fmt.Errorf("user %s was added, but its password was refused (set it with `wenshu user passwd --name %s`): %w", res.User.Name, res.User.Name, describe(err))
		}
	}
	if res.UnitCreated {
		fmt.Fprintf(e.stderr, "note: unit %q did not exist and was created with placeholder codes; set them with\n  wenshu unit add --name %q --code 机关代字 --fonds 全宗号 --org 机构代码\n", res.Unit.Name, res.Unit.Name)
	}
	fmt.Fprintf(e.stderr, "added user %d %s (%s, %s, %s). Its token is shown once:\n", res.User.ID, res.User.Name, res.User.Role, res.Unit.Name, res.User.Clearance)
	fmt.Fprintln(e.stdout, res.Token)
	return nil
}

func cmdKeysExport(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("keys export", e)
	c.storeFlags(fs)
	a, closeAll, err := c.parseAndOpen(ctx, e, fs, args, storeOnly)
	if err != nil {
		return err
	}
	defer closeAll()
	fmt.Fprintf(e.stderr, "key id %s\n", a.store.KeyID())
	_, err = e.stdout.Write(a.store.PublicKeyPEM())
	return err
}

func cmdVerify(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("verify", e)
	c.storeFlags(fs)
	bucketOnly := fs.Bool("bucket-only", false, "verify every record with only the bucket and the public key (no catalog), and report every object, version and setting that is not the filed one")
	withCatalog := fs.Bool("catalog", false, "compare catalog, bucket and search index both ways and name every discrepancy")
	pubFile := fs.String("pubkey", "", "public key PEM (default: the data directory's key)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	// --bucket-only reads at most the public key from the data directory.
	c.dataDirReadOnly = *bucketOnly
	c.dropOverridden(fs)
	if err := c.Validate(); err != nil {
		return err
	}
	var rep archive.VerifyReport
	var err error
	switch {
	case *bucketOnly:
		rep, err = verifyBucket(ctx, e, &c, *pubFile)
	case *withCatalog:
		rep, err = verifyCatalog(ctx, e, &c)
	case fs.NArg() != 1:
		fmt.Fprintln(e.stderr, "usage: wenshu verify RECORD-ID | wenshu verify --catalog | wenshu verify --bucket-only")
		return errUsage
	default:
		rep, err = verifyRecord(ctx, e, &c, fs.Arg(0))
	}
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(e.stdout, rep.Result); err != nil {
			return err
		}
	} else {
		for _, line := range rep.Lines {
			fmt.Fprintln(e.stdout, line)
		}
	}
	if !rep.OK {
		return errors.New("verification failed")
	}
	return nil
}

// verifyBucket verifies every record with the bucket and the public key
// alone, the key from pubFile or else from the data directory.
func verifyBucket(ctx context.Context, e *env, c *config, pubFile string) (archive.VerifyReport, error) {
	if pubFile == "" {
		pubFile = filepath.Join(c.DataDir, "keys", "sm2-public.pem")
	}
	pub, err := os.ReadFile(pubFile)
	if err != nil {
		return archive.VerifyReport{}, fmt.Errorf("public key: %w (pass --pubkey FILE from `wenshu keys export`)", err)
	}
	bar := newProgress(e.stderr, "verify")
	res, err := archive.VerifyBucketOnly(ctx, c.bucket(), pub, bar.update)
	bar.done()
	if err != nil {
		return archive.VerifyReport{}, err
	}
	findings, err := archive.WatchBucketOnly(ctx, c.bucket(), pub)
	if err != nil {
		return archive.VerifyReport{}, err
	}
	return res.ReportWithWatch(findings), nil
}

// verifyCatalog compares catalog, bucket and index (the index only when
// no `wenshu serve` holds it; serve's sweep compares it then).
func verifyCatalog(ctx context.Context, e *env, c *config) (archive.VerifyReport, error) {
	a, closeAll, err := c.open(ctx, e, withIndex)
	if errors.Is(err, indexer.ErrIndexBusy) {
		fmt.Fprintln(e.stderr, "note: the search index is in use by `wenshu serve`; comparing catalog and bucket only (serve's sweep compares the index)")
		a, closeAll, err = c.open(ctx, e, storeOnly)
	}
	if err != nil {
		return archive.VerifyReport{}, err
	}
	defer closeAll()
	var rep *archive.ReconcileReport
	if a.idx != nil {
		rep, err = a.idx.Reconcile(ctx)
	} else {
		rep, err = a.store.Reconcile(ctx, archive.ReconcileOptions{})
	}
	if err != nil {
		return archive.VerifyReport{}, describe(err)
	}
	return rep.Report(), nil
}

// verifyRecord verifies one record through the catalog (audited).
func verifyRecord(ctx context.Context, e *env, c *config, id string) (archive.VerifyReport, error) {
	a, closeAll, err := c.open(ctx, e, storeOnly)
	if err != nil {
		return archive.VerifyReport{}, err
	}
	defer closeAll()
	v, err := a.store.Verify(ctx, operator(), id)
	if err != nil {
		return archive.VerifyReport{}, describe(err)
	}
	return v.Report(), nil
}

func cmdRebuild(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("rebuild", e)
	c.storeFlags(fs)
	a, closeAll, err := c.parseAndOpen(ctx, e, fs, args, withIndex)
	if err != nil {
		return err
	}
	defer closeAll()
	restoreAuditBeforeRebuild(ctx, e, a.store)
	start := time.Now()
	bar := newProgress(e.stderr, "catalog")
	stats, err := a.store.Rebuild(ctx, bar.update)
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "catalog rebuilt in %s: %d records, %d void numbers, %d invalid manifests, chain ok=%v\n",
		time.Since(start).Round(time.Millisecond), stats.Records, stats.Voids, stats.Invalid, stats.ChainOK)
	for _, w := range stats.Warnings {
		fmt.Fprintf(e.stdout, "warning: %s\n", w)
	}
	fmt.Fprintf(e.stdout, "catalog changes: %d\n", len(stats.Changes))
	for _, ch := range stats.Changes {
		fmt.Fprintf(e.stdout, "  %s\n", ch)
	}
	return reindex(ctx, e, a.idx)
}

func cmdReindex(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("reindex", e)
	c.storeFlags(fs)
	batch := fs.Int("batch", 500, "records indexed per batch")
	a, closeAll, err := c.parseAndOpen(ctx, e, fs, args, withIndex)
	if err != nil {
		return err
	}
	defer closeAll()
	a.idx.Batch = *batch
	return reindex(ctx, e, a.idx)
}

func reindex(ctx context.Context, e *env, idx *indexer.Indexer) error {
	bar := newProgress(e.stderr, "index")
	stats, err := idx.Reindex(ctx, bar.update)
	bar.done()
	n, _ := idx.Index.Count()
	fmt.Fprintf(e.stdout, "index rebuilt in %s: %d records indexed (%.0f docs/s), %d failed, %d in the index\n",
		stats.Took.Round(time.Millisecond), stats.Indexed, stats.DocsPerSecond(), stats.Failed, n)
	return err
}

func cmdUserGrant(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("user grant", e)
	c.storeFlags(fs)
	name := fs.String("name", "", "the archivist's or auditor's name")
	unit := fs.String("unit", "", "单位全称 it may read")
	a, closeAll, err := c.parseAndOpen(ctx, e, fs, args, storeOnly)
	if err != nil {
		return err
	}
	defer closeAll()
	ids := a.store.Identity()
	u, err := ids.UserByName(ctx, strings.TrimSpace(*name))
	if err != nil {
		return describe(err)
	}
	n, err := ids.UnitByName(ctx, strings.TrimSpace(*unit))
	if err != nil {
		return describe(err)
	}
	if err := ids.GrantUnit(ctx, u.ID, n.ID); err != nil {
		return describe(err)
	}
	fmt.Fprintf(e.stdout, "%s may now read the records of %s\n", u.Name, n.Name)
	return nil
}

func cmdImport(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlags("import", e)
	c.storeFlags(fs)
	title := fs.String("title", "", "题名 (default: the file name without extension)")
	kind := fs.String("kind", "", "文种, e.g. 通知, 函询通知书")
	year := fs.Int("year", 0, "年度")
	class := fs.String("classification", identity.ClearanceInternal, "公开 | 内部 | 秘密 | 机密")
	retention := fs.String("retention", "D30", "Y | D30 | D10")
	persons := fs.String("persons", "", "人员, separated by 、 , ， ; or ；")
	caseNo := fs.String("case", "", "案件编号")
	docNumber := fs.String("doc-number", "", "文号 (only with a single file)")
	unitName := fs.String("unit", "", "单位全称: the unit the records belong to (required)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 || *kind == "" || *year == 0 || *unitName == "" {
		fmt.Fprintln(e.stderr, "usage: wenshu import --unit 单位全称 --kind 文种 --year YYYY [--title T] [--retention D30] FILES…")
		return errUsage
	}
	if *docNumber != "" && len(files) > 1 {
		return errors.New("--doc-number applies to a single file")
	}
	a, closeAll, err := c.open(ctx, e, storeOnly)
	if err != nil {
		return err
	}
	defer closeAll()
	st := a.store
	unit, err := st.Identity().UnitByName(ctx, strings.TrimSpace(*unitName))
	if err != nil {
		return describe(err)
	}
	who := identity.OperatorForUnit(operator().Name, unit.ID)
	bar := newProgress(e.stderr, "import")
	var failed int
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		t := *title
		if t == "" || len(files) > 1 {
			t = strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		}
		rec, err := st.Import(ctx, who, archive.ImportRequest{FileName: filepath.Base(f), Data: data, Title: t, Kind: *kind,
			Year: *year, Classification: *class, Retention: archive.Retention(*retention), Persons: archive.SplitPersons(*persons),
			CaseNo: *caseNo, DocNumber: *docNumber})
		bar.update(i+1, len(files))
		if err != nil {
			failed++
			fmt.Fprintf(e.stderr, "\n%s: %v\n", f, describe(err))
			continue
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", rec.ID, rec.ArchiveCode, f)
	}
	bar.done()
	if failed > 0 {
		return fmt.Errorf("%d of %d files not imported", failed, len(files))
	}
	return nil
}

// describe turns an archive error into its Chinese message and code.
func describe(err error) error {
	var ae *problem.Error
	if errors.As(err, &ae) {
		if ae.Field != "" {
			return fmt.Errorf("%s: %s (%s)", ae.Field, ae.Message, ae.Code)
		}
		return fmt.Errorf("%s (%s)", ae.Message, ae.Code)
	}
	return err
}
