package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"wenshu/archive"
	"wenshu/docgen"
	"wenshu/internal/indexer"
	"wenshu/search"
	"wenshu/templates"
)

// config is wenshu's one typed configuration. Every field has a flag and
// an environment variable; the defaults match scripts/minio.sh.
type config struct {
	DataDir        string // --data-dir, WENSHU_DATA_DIR
	S3Endpoint     string // WENSHU_S3_ENDPOINT
	S3AccessKey    string // WENSHU_S3_ACCESS_KEY
	S3SecretKey    string // WENSHU_S3_SECRET_KEY
	S3Bucket       string // WENSHU_S3_BUCKET
	S3Secure       bool   // WENSHU_S3_SECURE
	RetentionYears int    // WENSHU_PERMANENT_YEARS: lock horizon of 永久 records
	TemplatesDir   string // --templates-dir, WENSHU_TEMPLATES_DIR
	HolidaysDir    string // --holidays-dir, WENSHU_HOLIDAYS_DIR
	DetectFonts    bool   // --detect-fonts: pick installed fonts from the fallback lists
	// RecoverEvery runs archive recovery in the background (serve sets it).
	RecoverEvery time.Duration
}

// templateFlags adds the flags that build the template registry.
func (c *config) templateFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.TemplatesDir, "templates-dir", envOr("WENSHU_TEMPLATES_DIR", ""), "extra template folders (one sub-folder per template)")
	fs.StringVar(&c.HolidaysDir, "holidays-dir", envOr("WENSHU_HOLIDAYS_DIR", ""), "extra holiday tables (*.json, shaped like holidays-cn.json)")
	fs.BoolVar(&c.DetectFonts, "detect-fonts", envOr("WENSHU_DETECT_FONTS", "") != "", "write the first installed font of each fallback list (fc-list) instead of the standard names")
}

// storeFlags adds the flags of the archive (catalog and bucket).
func (c *config) storeFlags(fs *flag.FlagSet) {
	c.templateFlags(fs)
	fs.StringVar(&c.DataDir, "data-dir", envOr("WENSHU_DATA_DIR", "./data"), "data directory (catalog, keys, index)")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", envOr("WENSHU_S3_ENDPOINT", "127.0.0.1:9000"), "S3 endpoint host:port (MinIO)")
	fs.StringVar(&c.S3AccessKey, "s3-access-key", envOr("WENSHU_S3_ACCESS_KEY", "wenshu"), "S3 access key")
	fs.StringVar(&c.S3SecretKey, "s3-secret-key", envOr("WENSHU_S3_SECRET_KEY", "wenshu-dev-secret"), "S3 secret key")
	fs.StringVar(&c.S3Bucket, "s3-bucket", envOr("WENSHU_S3_BUCKET", "wenshu"), "bucket (created with object lock)")
	secure, _ := strconv.ParseBool(envOr("WENSHU_S3_SECURE", "false"))
	fs.BoolVar(&c.S3Secure, "s3-secure", secure, "use https for S3")
	years, _ := strconv.Atoi(envOr("WENSHU_PERMANENT_YEARS", "100"))
	fs.IntVar(&c.RetentionYears, "permanent-years", years, "object-lock years of 永久 (Y) records")
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
	}
	if reg != nil {
		opts.Templates = reg
	}
	return archive.New(ctx, opts)
}

// indexedStore opens the search index (for this process alone) and the
// archive, which indexes each record as it is filed. close releases both.
func (c *config) indexedStore(ctx context.Context, log *slog.Logger, reg *templates.Registry) (idx *indexer.Indexer, close func(), err error) {
	h, err := indexer.Open(c.DataDir, search.Options{})
	if err != nil {
		return nil, nil, err
	}
	idx = &indexer.Indexer{Index: h.Index, Log: log}
	st, err := c.store(ctx, log, reg, idx.OnFiled)
	if err != nil {
		h.Close()
		return nil, nil, err
	}
	idx.Store = st
	return idx, func() { st.Close(); h.Close() }, nil
}
