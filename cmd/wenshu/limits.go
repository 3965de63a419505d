package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"wenshu/archive"
	"wenshu/server"
)

// limits are the bounds on hostile input (issue 9): request bodies, the
// heavy requests running at once, and what an import may inflate and
// index. Zero means the package's default.
type limits struct {
	BodyLimit      byteSize      // --body-limit, WENSHU_BODY_LIMIT
	PreAuthLimit   byteSize      // --pre-auth-body-limit, WENSHU_PRE_AUTH_BODY_LIMIT
	ImportLimit    byteSize      // --import-limit, WENSHU_IMPORT_LIMIT
	UploadDir      string        // --upload-dir, WENSHU_UPLOAD_DIR (default <data-dir>/tmp)
	MaxHeavy       int           // --max-heavy, WENSHU_MAX_HEAVY
	HeavyWait      time.Duration // --heavy-wait, WENSHU_HEAVY_WAIT
	MaxDocumentXML byteSize      // --max-document-xml, WENSHU_MAX_DOCUMENT_XML
	MaxIndexedText byteSize      // --max-indexed-text, WENSHU_MAX_INDEXED_TEXT
}

// limitFlags adds the flags of serve's limits. An environment value that
// does not parse is kept as a problem of its flag, like every other
// variable (Validate refuses it).
func (c *config) limitFlags(fs *flag.FlagSet) {
	l := &c.Limits
	sizes := []struct {
		v          *byteSize
		name, env  string
		def, usage string
	}{
		{&l.BodyLimit, "body-limit", "WENSHU_BODY_LIMIT", "1MiB", "largest JSON body or web form, once the caller is known"},
		{&l.PreAuthLimit, "pre-auth-body-limit", "WENSHU_PRE_AUTH_BODY_LIMIT", "64KiB", "largest body read before the token or session is checked"},
		{&l.ImportLimit, "import-limit", "WENSHU_IMPORT_LIMIT", "50MiB", "largest imported file"},
		{&l.MaxDocumentXML, "max-document-xml", "WENSHU_MAX_DOCUMENT_XML", "20MiB", "largest word/document.xml an imported .docx may inflate to"},
		{&l.MaxIndexedText, "max-indexed-text", "WENSHU_MAX_INDEXED_TEXT", "512KiB", "text of a record given to the search index (the stored file is always whole)"},
	}
	for _, s := range sizes {
		if err := s.v.Set(envOr(s.env, s.def)); err != nil {
			c.envProblems = append(c.envProblems, configProblem{s.name, s.env, fmt.Sprintf("%q 不是大小 (not a size: bytes, or with KiB, MiB, GiB)", envOr(s.env, ""))})
			_ = s.v.Set(s.def)
		}
		fs.Var(s.v, s.name, s.usage+" (bytes, or with KiB, MiB, GiB)")
	}
	fs.StringVar(&l.UploadDir, "upload-dir", envOr("WENSHU_UPLOAD_DIR", ""), "where uploads are spooled while read (default <data-dir>/tmp)")
	fs.IntVar(&l.MaxHeavy, "max-heavy", c.envInt("max-heavy", "WENSHU_MAX_HEAVY", 0), "imports and approvals running at once (0: twice the CPU count)")
	wait, err := time.ParseDuration(envOr("WENSHU_HEAVY_WAIT", "2s"))
	if err != nil {
		c.envProblems = append(c.envProblems, configProblem{"heavy-wait", "WENSHU_HEAVY_WAIT", fmt.Sprintf("%q 不是时长 (not a duration, e.g. 2s)", envOr("WENSHU_HEAVY_WAIT", ""))})
		wait = 2 * time.Second
	}
	fs.DurationVar(&l.HeavyWait, "heavy-wait", wait, "how long an import or approval waits for a place before 503 busy")
}

// serverConfig sets the server's limits. Unless an upload directory is
// given, it is <data-dir>/tmp (mode 0700), cleared of uploads a crash left
// behind: the data directory belongs to this process alone (the archive's
// instance lock).
func (l *limits) serverConfig(cfg *server.Config, dataDir string) error {
	dir := l.UploadDir
	if dir == "" {
		dir = filepath.Join(dataDir, "tmp")
		stale, _ := filepath.Glob(filepath.Join(dir, "wenshu-upload-*"))
		for _, f := range stale {
			_ = os.Remove(f)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("upload dir: %w", err)
	}
	cfg.BodyLimit, cfg.PreAuthBodyLimit, cfg.ImportLimit = int(l.BodyLimit), int(l.PreAuthLimit), int(l.ImportLimit)
	cfg.TempDir, cfg.MaxHeavy, cfg.HeavyWait = dir, l.MaxHeavy, l.HeavyWait
	return nil
}

// storeOptions sets the archive's import limits.
func (l *limits) storeOptions(opts *archive.Options) {
	opts.MaxImportBytes = int64(l.ImportLimit)
	opts.MaxDocumentXML = int64(l.MaxDocumentXML)
	opts.MaxIndexedText = int(l.MaxIndexedText)
}

// byteSize is a flag of a size in bytes: 65536, 64KiB, 50MiB, 1GiB.
type byteSize int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}

func (b *byteSize) String() string {
	n := int64(*b)
	for _, u := range sizeUnits {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (b *byteSize) Set(s string) error {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return fmt.Errorf("invalid size %q (bytes, or a number with KiB, MiB or GiB)", s)
	}
	*b = byteSize(n * mult)
	return nil
}
