package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"wenshu/archive"
	"wenshu/docgen"
	"wenshu/internal/indexer"
	"wenshu/search"
	"wenshu/templates"
)

// config is wenshu's one typed configuration. Every field has a flag and
// an environment variable; the defaults match scripts/minio.sh. A value
// that does not parse or is out of range is refused (exit status 2) with a
// message naming both the flag and the variable, never replaced by the
// default.
type config struct {
	DataDir        string // --data-dir, WENSHU_DATA_DIR
	S3Endpoint     string // --s3-endpoint, WENSHU_S3_ENDPOINT
	S3AccessKey    string // --s3-access-key, WENSHU_S3_ACCESS_KEY
	S3SecretKey    string // --s3-secret-key, WENSHU_S3_SECRET_KEY
	S3Bucket       string // --s3-bucket, WENSHU_S3_BUCKET
	S3Secure       bool   // --s3-secure, WENSHU_S3_SECURE
	RetentionYears int    // --permanent-years, WENSHU_PERMANENT_YEARS: lock horizon of 永久 records
	TemplatesDir   string // --templates-dir, WENSHU_TEMPLATES_DIR
	HolidaysDir    string // --holidays-dir, WENSHU_HOLIDAYS_DIR
	DetectFonts    bool   // --detect-fonts, WENSHU_DETECT_FONTS: pick installed fonts from the fallback lists
	Addr           string // --addr, WENSHU_ADDR: listen address of serve
	Limits         limits // serve's bounds on hostile input (limits.go)
	// RecoverEvery runs archive recovery in the background (serve sets it).
	RecoverEvery time.Duration
	// StartWithoutStorage lets the store open while MinIO is unreachable
	// (serve sets it: /readyz says 503 until storage is checked).
	StartWithoutStorage bool
	// FourPropsAtFiling: serve computes and keeps each filed record's
	// 四性检测 report in the background.
	FourPropsAtFiling bool

	hasStore, hasAddr bool // which flag groups the command added
	// dataDirReadOnly: the command only reads the data directory (verify
	// --bucket-only), so it need not be writable.
	dataDirReadOnly bool
	envProblems     []configProblem // environment values that did not parse
}

// configProblem is one refused configuration value.
type configProblem struct {
	flag, env string // the flag without dashes and its environment variable
	msg       string // Chinese, then English in parentheses
}

// configError is a refused configuration: exit status 2.
type configError []configProblem

func (e configError) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = fmt.Sprintf("--%s (%s): %s", p.flag, p.env, p.msg)
	}
	return "bad configuration: " + strings.Join(lines, "; ")
}

// envOr is the trimmed value of the environment variable key, or def when
// it is unset or blank.
func envOr(key, def string) string {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		return v
	}
	return def
}

// envBool is the boolean in key, def when unset; a value strconv.ParseBool
// does not take is kept as a problem of the flag.
func (c *config) envBool(flag, key string, def bool) bool {
	v := envOr(key, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		c.envProblems = append(c.envProblems, configProblem{flag, key, fmt.Sprintf("%q 不是布尔值，应为 true 或 false (not a boolean: use true or false)", v)})
		return def
	}
	return b
}

// envInt is the integer in key, def when unset; anything else is kept as a
// problem of the flag.
func (c *config) envInt(flag, key string, def int) int {
	v := envOr(key, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		c.envProblems = append(c.envProblems, configProblem{flag, key, fmt.Sprintf("%q 不是整数 (not an integer)", v)})
		return def
	}
	return n
}

// templateFlags adds the flags that build the template registry.
func (c *config) envDuration(flag, key string, def time.Duration) time.Duration {
	v := envOr(key, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		c.envProblems = append(c.envProblems, configProblem{flag, key, fmt.Sprintf("%q 不是时长，如 1h、30m (not a duration such as 1h or 30m)", v)})
		return def
	}
	return d
}

func (c *config) templateFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.TemplatesDir, "templates-dir", envOr("WENSHU_TEMPLATES_DIR", ""), "extra template folders (one sub-folder per template)")
	fs.StringVar(&c.HolidaysDir, "holidays-dir", envOr("WENSHU_HOLIDAYS_DIR", ""), "extra holiday tables (*.json, shaped like holidays-cn.json)")
	fs.BoolVar(&c.DetectFonts, "detect-fonts", c.envBool("detect-fonts", "WENSHU_DETECT_FONTS", false), "write the first installed font of each fallback list (fc-list) instead of the standard names")
}

// storeFlags adds the flags of the archive (catalog and bucket).
func (c *config) storeFlags(fs *flag.FlagSet) {
	c.templateFlags(fs)
	c.hasStore = true
	fs.StringVar(&c.DataDir, "data-dir", envOr("WENSHU_DATA_DIR", "./data"), "data directory (catalog, keys, index)")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", envOr("WENSHU_S3_ENDPOINT", "127.0.0.1:9000"), "S3 endpoint host:port (MinIO)")
	fs.StringVar(&c.S3AccessKey, "s3-access-key", envOr("WENSHU_S3_ACCESS_KEY", "wenshu"), "S3 access key")
	fs.StringVar(&c.S3SecretKey, "s3-secret-key", envOr("WENSHU_S3_SECRET_KEY", "wenshu-dev-secret"), "S3 secret key")
	fs.StringVar(&c.S3Bucket, "s3-bucket", envOr("WENSHU_S3_BUCKET", "wenshu"), "bucket (created with object lock)")
	fs.BoolVar(&c.S3Secure, "s3-secure", c.envBool("s3-secure", "WENSHU_S3_SECURE", false), "use https for S3")
	fs.IntVar(&c.RetentionYears, "permanent-years", c.envInt("permanent-years", "WENSHU_PERMANENT_YEARS", 100), "object-lock years of 永久 (Y) records (1–1000)")
}

// addrFlag adds serve's listen address.
func (c *config) addrFlag(fs *flag.FlagSet) {
	c.hasAddr = true
	fs.StringVar(&c.Addr, "addr", envOr("WENSHU_ADDR", "127.0.0.1:8080"), "listen address host:port")
}

// parse parses args into fs, then validates c. A flag given on the command
// line overrides its environment variable, so a bad value of that variable
// is not used and not refused.
func (c *config) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	c.dropOverridden(fs)
	return c.Validate()
}

// parseAndOpen parses args into fs as parse does and then opens what the
// command needs as open does: the start of every command whose flags need
// no check of their own before the store is opened.
func (c *config) parseAndOpen(ctx context.Context, e *env, fs *flag.FlagSet, args []string, what need) (*app, func(), error) {
	if err := c.parse(fs, args); err != nil {
		return nil, nil, err
	}
	return c.open(ctx, e, what)
}

func (c *config) dropOverridden(fs *flag.FlagSet) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	kept := c.envProblems[:0]
	for _, p := range c.envProblems {
		if !set[p.flag] {
			kept = append(kept, p)
		}
	}
	c.envProblems = kept
}

// Validate refuses what would fail later or, worse, silently do something
// else: environment values that did not parse, a 永久 lock horizon outside
// 1…1000 years, an empty S3 endpoint or bucket, an endpoint with a scheme,
// a data directory that cannot be written and a listen address that is not
// host:port. It checks only the flag groups the command added.
func (c *config) Validate() error {
	probs := append(configError(nil), c.envProblems...)
	add := func(flag, env, msg string) { probs = append(probs, configProblem{flag, env, msg}) }
	if c.hasStore {
		if c.RetentionYears < 1 || c.RetentionYears > 1000 {
			add("permanent-years", "WENSHU_PERMANENT_YEARS", fmt.Sprintf("永久档案的锁定年限须在 1 至 1000 年之间 (must be 1 to 1000 years), got %d", c.RetentionYears))
		}
		switch {
		case strings.TrimSpace(c.S3Endpoint) == "":
			add("s3-endpoint", "WENSHU_S3_ENDPOINT", "S3 地址不能为空 (must not be empty)")
		case strings.Contains(c.S3Endpoint, "://"):
			add("s3-endpoint", "WENSHU_S3_ENDPOINT", fmt.Sprintf("S3 地址只写 host:port，不带 http:// (host:port without a scheme; https is --s3-secure), got %q", c.S3Endpoint))
		}
		if strings.TrimSpace(c.S3Bucket) == "" {
			add("s3-bucket", "WENSHU_S3_BUCKET", "存储桶名不能为空 (must not be empty)")
		}
		if err := checkDataDir(c.DataDir, !c.dataDirReadOnly); err != nil {
			add("data-dir", "WENSHU_DATA_DIR", err.Error())
		}
	}
	if c.hasAddr {
		if err := checkAddr(c.Addr); err != nil {
			add("addr", "WENSHU_ADDR", err.Error())
		}
	}
	if len(probs) > 0 {
		return probs
	}
	return nil
}

// checkDataDir: dir is a directory (or does not exist yet and its nearest
// existing parent is one, so it can be created) and, when write is set,
// writable. It creates nothing.
func checkDataDir(dir string, write bool) error {
	if strings.TrimSpace(dir) == "" {
		return errors.New("数据目录不能为空 (must not be empty)")
	}
	p := filepath.Clean(dir)
	for {
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir():
			return fmt.Errorf("%s 不是目录 (not a directory)", p)
		case err == nil && write && syscall.Access(p, 2 /* W_OK */) != nil:
			return fmt.Errorf("%s 不可写 (not writable)", p)
		case err == nil:
			return nil
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%s 无法访问 (cannot be read): %v", p, err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return fmt.Errorf("%s 不存在 (does not exist)", dir)
		}
		p = parent
	}
}

// checkAddr: addr is host:port with a port number (the host may be empty,
// meaning every interface).
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("监听地址应为 host:port，如 127.0.0.1:8080 (must be host:port), got %q", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("端口应为 0 至 65535 的数字 (port must be a number 0–65535), got %q", port)
	}
	return nil
}

// registry builds the template registry.
func (c *config) registry(log *slog.Logger) (*templates.Registry, error) {
	opts := templates.Options{Dir: c.TemplatesDir, HolidayDir: c.HolidaysDir}
	if c.DetectFonts {
		fonts, missing, err := detectFonts()
		if err != nil {
			return nil, err
		}
		opts.Fonts = fonts
		for _, role := range missing {
			log.Warn("no font of the fallback list is installed; documents name the standard font", "role", string(role),
				"fonts", strings.Join(docgen.FontFallbacks[role], ", "))
		}
	}
	return templates.New(opts)
}

// detectFonts asks fontconfig which families are installed.
func detectFonts() (docgen.Fonts, []docgen.FontRole, error) {
	out, err := exec.Command("fc-list", ":", "family").Output()
	if err != nil {
		return docgen.Fonts{}, nil, fmt.Errorf("--detect-fonts needs fc-list: %w", err)
	}
	have := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		for _, fam := range strings.Split(line, ",") {
			have[strings.TrimSpace(fam)] = true
		}
	}
	f, missing := docgen.ResolveFonts(func(name string) bool { return have[name] })
	return f, missing, nil
}

// need says what a command opens besides the archive.
type need int

const (
	withIndex     need = 1 << iota // the search index, fed as records are filed
	withTemplates                  // the template registry of --templates-dir (else archive's built-ins)

	storeOnly need = 0 // the archive alone
)

// app is what a command that opens the store works with.
type app struct {
	log   *slog.Logger
	reg   *templates.Registry // nil unless withTemplates
	store *archive.Store
	idx   *indexer.Indexer // nil unless withIndex; idx.Store is store
}

// open opens the archive — and, as what asks, the template registry and
// the search index (for this process alone) — for every command that
// needs the store. The returned func closes all of it.
func (c *config) open(ctx context.Context, e *env, what need) (*app, func(), error) {
	a := &app{log: newLogger(e.stderr)}
	if what&withTemplates != 0 {
		reg, err := c.registry(a.log)
		if err != nil {
			return nil, nil, err
		}
		a.reg = reg
	}
	var hook func(ctx context.Context, rec *archive.Record, text string) error
	closeIndex := func() {}
	if what&withIndex != 0 {
		h, err := indexer.Open(c.DataDir, search.Options{})
		if err != nil {
			return nil, nil, err
		}
		a.idx = &indexer.Indexer{Index: h.Index, Log: a.log}
		hook, closeIndex = a.idx.OnFiled, func() { h.Close() }
	}
	st, err := c.store(ctx, a.log, a.reg, hook)
	if err != nil {
		closeIndex()
		return nil, nil, err
	}
	a.store = st
	if a.idx != nil {
		a.idx.Store = st
	}
	return a, func() { st.Close(); closeIndex() }, nil
}

// testRetentionOverride shortens retention periods for the tests of the
// lifecycle commands (expiry in seconds); no flag or variable sets it.
var testRetentionOverride map[archive.Retention]time.Duration

// store opens the archive.
func (c *config) store(ctx context.Context, log *slog.Logger, reg *templates.Registry, hook func(ctx context.Context, rec *archive.Record, text string) error) (*archive.Store, error) {
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	opts := archive.Options{
		DataDir:                 c.DataDir,
		S3Endpoint:              c.S3Endpoint,
		S3AccessKey:             c.S3AccessKey,
		S3SecretKey:             c.S3SecretKey,
		S3Secure:                c.S3Secure,
		Bucket:                  c.S3Bucket,
		PermanentRetentionYears: c.RetentionYears,
		Logger:                  log,
		OnFiled:                 hook,
		RecoverInterval:         c.RecoverEvery,
		StartWithoutStorage:     c.StartWithoutStorage,
		FourPropsAtFiling:       c.FourPropsAtFiling,
	}
	c.Limits.storeOptions(&opts)
	if len(testRetentionOverride) > 0 {
		opts.RetentionOverride, opts.AllowRetentionOverride = testRetentionOverride, true
	}
	if reg != nil {
		opts.Templates = reg
	}
	return archive.New(ctx, opts)
}

// bucket is the bucket-only view of the configuration (verify --bucket-only).
func (c *config) bucket() archive.BucketConfig {
	return archive.BucketConfig{Endpoint: c.S3Endpoint, AccessKey: c.S3AccessKey, SecretKey: c.S3SecretKey,
		Secure: c.S3Secure, Bucket: c.S3Bucket}
}
