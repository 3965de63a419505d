package archive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/templates"
)

// Templates is what the Store needs from the template registry
// (*templates.Registry satisfies it): field validation that returns
// templates.FieldErrors or templates.ErrUnknownTemplate, and rendering.
type Templates interface {
	Validate(templateID string, fields map[string]any) error
	Render(req templates.RenderRequest) (*templates.Rendered, error)
	// Numbered reports whether the template prints a 发文字号; only those
	// are given one on filing.
	Numbered(templateID string) bool
}

// Options configure a Store. DataDir, S3Endpoint, the keys and Bucket are
// required; the rest have defaults.
type Options struct {
	// DataDir holds catalog.db, keys/ (the SM2 key pair) and run/ (instance
	// locks). Created if missing.
	DataDir string
	// S3Endpoint is host:port of MinIO (or any S3 store with object lock).
	S3Endpoint  string
	S3AccessKey string
	S3SecretKey string
	// S3Secure selects https.
	S3Secure bool
	// Bucket is created with object locking if it does not exist; an
	// existing bucket without object locking is refused.
	Bucket string
	// PermanentRetentionYears is the lock period for 永久 (Y) records, which
	// S3 cannot express as "forever". Default 100.
	PermanentRetentionYears int
	// Templates validates and renders drafts. Required for drafts and
	// approval; Import, Verify, Rebuild and Recover of imports work without.
	Templates Templates
	// Logger receives operational logs. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Location is the time zone of 年度 and 成文日期. Default UTC+8 (China
	// has no daylight saving time).
	Location *time.Location
	// MaxImportBytes limits imported files. Default 50 MiB.
	MaxImportBytes int64
	// ImportLimits bound what an import inflates and indexes (importer.go).
	ImportLimits
	// OnFiled is called after a record's catalog row is committed, with the
	// record and its plain text (for the search index). An error is logged;
	// the record stays filed. Records catalogued while no hook ran (a crash,
	// a failing index) are found with ListRecordsSince.
	OnFiled func(ctx context.Context, rec *Record, text string) error
	// FourPropsAtFiling computes each filed record's 四性检测 report in
	// the background right after filing (a bounded queue; filing never
	// waits) and keeps it in the catalog; a failed item raises an alert.
	// `wenshu serve` sets it.
	FourPropsAtFiling bool
	// SkipRecover disables the Recover pass that New runs (tests of Recover
	// itself use it). RecoverInterval > 0 repeats Recover in the background
	// at that interval, and soon after a storage call fails, backing off
	// (doubling, up to the interval) while storage keeps failing. `wenshu
	// serve` sets it (10 s); 0 leaves recovery to New and explicit calls.
	SkipRecover     bool
	RecoverInterval time.Duration
	// RetentionOverride replaces the lock period of a 保管期限 (tests
	// only: a few seconds of COMPLIANCE lock so expiry, appraisal and
	// disposal can be tested). New refuses it unless
	// AllowRetentionOverride is also set; the command line sets neither.
	RetentionOverride      map[Retention]time.Duration
	AllowRetentionOverride bool
	// StartWithoutStorage lets New return when MinIO cannot be reached:
	// the bucket is checked again in the background (backoff from 1 s to
	// 30 s), storage calls answer unavailable (503) and Ready reports
	// storage not ready until it passes (startup.go). `wenshu serve` sets
	// it; other commands fail at once. A bucket that answers but lacks
	// object lock is an error of New either way.
	StartWithoutStorage bool
	// StorageTimeout caps each MinIO call (PUT, GET, stat, a version
	// listing; the bucket checks at start). Default DefaultStorageTimeout
	// (5 s). A call that runs out of it is an unavailable error (503).
	StorageTimeout time.Duration
	// Identity configures the identity directory (login lockout, session
	// lifetimes) that New opens on the same catalog; its clock defaults to
	// Now.
	Identity identity.Options
}

// Store is the archive: one per process, safe for concurrent use.
type Store struct {
	opts     Options
	log      *slog.Logger
	cat      *catalog.DB
	id       *identity.Directory // units, users and the visibility rule
	s3       *minio.Client
	gate     storageGate // holds s3's calls back until the bucket is checked (startup.go)
	bucket   string
	keyMu    sync.RWMutex // guards keys and ring (RotateKey)
	keys     *keyPair     // the current signing key
	ring     *Keyring     // every key that was ever current (keyring.go)
	instance string       // owner id written into filings rows
	lockFile *os.File

	activeMu sync.Mutex
	active   map[string]bool // filings in progress in this process

	recoverMu   sync.Mutex
	recoverKick chan struct{} // a storage call failed: recover soon (buffered, 1)
	chainMu     sync.Mutex
	chainMoved  chan struct{}   // closed and replaced whenever a filing's manifest is stored
	chainStored map[int64]bool  // chain positions whose manifest this process stored, not yet catalogued
	trust       trustState      // verified manifests and alerts (trusted.go)
	filedChecks filedCheckQueue // 四性检测 at filing (fourprops_auto.go)
	stop        chan struct{}
	wg          sync.WaitGroup
	closeOnce   sync.Once
}

// New opens (or creates) the catalog and the signing key, connects to the
// bucket (creating it with object locking), and, unless SkipRecover is set,
// runs Recover for filings interrupted by an earlier crash.
func New(ctx context.Context, opts Options) (*Store, error) {
	if err := opts.checkAndDefault(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("archive: data dir: %w", err)
	}
	s := &Store{
		opts:   opts,
		log:    opts.Logger.With("component", "archive"),
		bucket: opts.Bucket,
		active: map[string]bool{},
		stop:   make(chan struct{}),

		recoverKick: make(chan struct{}, 1),
		chainMoved:  make(chan struct{}),
		chainStored: map[int64]bool{},
	}
	var err error
	if s.instance, s.lockFile, err = lockInstance(filepath.Join(opts.DataDir, "run")); err != nil {
		return nil, fmt.Errorf("archive: instance lock: %w", err)
	}
	if err := s.openKeys(); err != nil {
		s.releaseInstance()
		return nil, err
	}
	if s.cat, err = catalog.Open(ctx, filepath.Join(opts.DataDir, "catalog.db")); err != nil {
		s.releaseInstance()
		return nil, fmt.Errorf("archive: catalog: %w", err)
	}
	s.id = identity.New(s.cat, opts.Identity)
	s.s3, err = newGatedS3Client(opts.S3Endpoint, opts.S3AccessKey, opts.S3SecretKey, opts.S3Secure, s.storageTimeout(), &s.gate)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("archive: s3 client: %w", err)
	}
	if err := s.checkBucket(ctx); err != nil {
		if !opts.StartWithoutStorage || !isUnavailable(err) {
			s.Close()
			return nil, err
		}
		s.log.Warn("storage unreachable at start; checking again in the background, storage calls answer unavailable until then", "err", err)
		s.wg.Add(1)
		go s.checkBucketLoop()
	}
	s.recoverAtStart(ctx)
	if opts.RecoverInterval > 0 {
		s.wg.Add(1)
		go s.recoverLoop(opts.RecoverInterval)
	}
	return s, nil
}

// checkAndDefault refuses Options New cannot work with and fills in the
// defaults.
func (opts *Options) checkAndDefault() error {
	if opts.DataDir == "" {
		return errors.New("archive: Options.DataDir is required")
	}
	if opts.S3Endpoint == "" || opts.Bucket == "" {
		return errors.New("archive: Options.S3Endpoint and Options.Bucket are required")
	}
	if len(opts.RetentionOverride) > 0 && !opts.AllowRetentionOverride {
		return errors.New("archive: Options.RetentionOverride is for tests and needs AllowRetentionOverride")
	}
	if opts.PermanentRetentionYears <= 0 {
		opts.PermanentRetentionYears = 100
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.FixedZone("CST", 8*3600)
	}
	if opts.MaxImportBytes <= 0 {
		opts.MaxImportBytes = 50 << 20
	}
	if opts.Identity.Now == nil {
		opts.Identity.Now = opts.Now
	}
	return nil
}

// recoverAtStart runs Recover once for filings an earlier process left
// half done (unless SkipRecover, or storage is not reachable yet: the
// bucket check's background loop recovers once it passes).
func (s *Store) recoverAtStart(ctx context.Context) {
	opts := s.opts
	if !opts.SkipRecover && s.storageChecked() == nil {
		if st, err := s.Recover(ctx); err != nil {
			s.log.Error("recover at start", "err", err)
		} else if st.Completed+st.Voided > 0 {
			s.log.Warn("recovered interrupted filings", "completed", st.Completed, "voided", st.Voided, "pending", st.Pending)
		}
	}
}

// recoverLoop runs Recover every interval, and soon after a kick (a
// storage call failed). While Recover keeps failing (storage is down) the
// wait between passes doubles from one second up to the interval, so a
// filing is finished within one interval of storage coming back.
func (s *Store) recoverLoop(every time.Duration) {
	defer s.wg.Done()
	const firstBackoff = time.Second
	backoff := firstBackoff
	failing := false
	wait := every
	for {
		timer := time.NewTimer(wait)
		select {
		case <-s.stop:
			timer.Stop()
			return
		case <-timer.C:
		case <-s.recoverKick:
			timer.Stop()
			if failing {
				// A kick during an outage does not shorten the backoff.
				if !s.sleepOrStop(backoff) {
					return
				}
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), every+s.storageTimeout())
		st, err := s.Recover(ctx)
		cancel()
		switch {
		case err != nil:
			s.log.Warn("background recover: filings left pending", "pending", st.Pending, "err", err)
			failing, wait = true, backoff
			backoff = min(2*backoff, every)
		default:
			if st.Completed+st.Voided > 0 {
				s.log.Info("background recover", "completed", st.Completed, "voided", st.Voided, "pending", st.Pending)
			}
			failing, wait, backoff = false, every, firstBackoff
		}
	}
}

// sleepOrStop waits d; false if the Store is closing.
func (s *Store) sleepOrStop(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.stop:
		return false
	case <-t.C:
		return true
	}
}

// kickRecover asks the background recovery to run soon (non-blocking; a
// kick already waiting is enough).
func (s *Store) kickRecover() {
	select {
	case s.recoverKick <- struct{}{}:
	default:
	}
}

// Close stops background work and closes the catalog. Filings still in
// progress are left to Recover.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		s.wg.Wait()
		if s.cat != nil {
			err = s.cat.Close()
		}
		s.releaseInstance()
	})
	return err
}

// Identity returns the identity directory on the Store's catalog: the
// server authenticates with it and the CLI manages units and users
// through it. The Store itself only reads units and users and applies the
// visibility rule.
func (s *Store) Identity() *identity.Directory { return s.id }

// Bucket returns the bucket name.
func (s *Store) Bucket() string { return s.bucket }

func (s *Store) now() time.Time { return s.opts.Now().UTC() }

func (s *Store) setActive(id string, on bool) {
	s.activeMu.Lock()
	if on {
		s.active[id] = true
	} else {
		delete(s.active, id)
	}
	s.activeMu.Unlock()
}

func (s *Store) isActive(id string) bool {
	s.activeMu.Lock()
	defer s.activeMu.Unlock()
	return s.active[id]
}
