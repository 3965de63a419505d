// Package server is wenshu's HTTP face: the JSON API under /api/v1 (Fiber
// v2) and the server-rendered web UI (web.go, and one web_*.go per
// resource: drafts, records, search, audit, admin). It authenticates every
// /api request, checks the caller's role in the handler that serves the
// data, takes the caller's unit from the server side only, and maps every
// error to a status, a stable code and a Chinese message in one place
// (classify, classify.go), which the API and the pages both use. Hostile
// input gets bounded memory: bodies are read only once the caller is known
// and only up to the route's limit, uploads stream to a temporary file
// (bodies.go, upload.go), and at most MaxHeavy imports and approvals run
// at once (heavy.go); RaiseProcs (procs.go) gives serve more Go
// processors than CPUs so that searches do not queue behind filing work.
// /healthz and /readyz (health.go) need no token. It owns no data:
// templates, the archive and the search index do.
package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/audit"
	"wenshu/search"
	"wenshu/templates"
)

// Defaults of the limits in Config.
const (
	// DefaultBodyLimit bounds JSON request bodies and web forms (1 MiB).
	DefaultBodyLimit = 1 << 20
	// DefaultPreAuthBodyLimit bounds a body before its token or session
	// is checked (64 KiB).
	DefaultPreAuthBodyLimit = 64 << 10
	// DefaultImportLimit bounds an uploaded file (50 MiB).
	DefaultImportLimit = 50 << 20
	// DefaultHeavyWait is how long an import or approval waits for a
	// place when MaxHeavy run already.
	DefaultHeavyWait = 2 * time.Second
)

// Config holds what the server needs.
type Config struct {
	Templates *templates.Registry
	Store     *archive.Store
	// Index is the search index; nil disables the search routes (503).
	Index *search.Index
	// BodyLimit bounds request bodies of authenticated JSON routes and
	// web forms; 0 means DefaultBodyLimit. Imports are bounded separately
	// by ImportLimit.
	BodyLimit int
	// PreAuthBodyLimit bounds a request body until its token or session
	// is checked; 0 means DefaultPreAuthBodyLimit. A larger body is not
	// read before the caller is known (see bodies.go).
	PreAuthBodyLimit int
	// ImportLimit bounds uploaded files; 0 means DefaultImportLimit. The
	// upload is streamed to a temporary file, not held in memory.
	ImportLimit int
	// TempDir receives uploads while they are read; "" means os.TempDir().
	TempDir string
	// MaxHeavy bounds the imports and approvals (重负载请求) that run at
	// once; 0 means 2 × GOMAXPROCS. The rest wait up to HeavyWait (0 means
	// DefaultHeavyWait) for a place, then get 503 busy with Retry-After.
	MaxHeavy  int
	HeavyWait time.Duration
	Logger    *slog.Logger
	// SecureCookies marks the web session cookie Secure even on plain
	// HTTP, for a server behind a TLS-terminating proxy (under TLS it is
	// always Secure).
	SecureCookies bool
	// Audit records the audited reads (auditreads.go); nil: the server
	// makes one on the store's catalog and closes it when it shuts down.
	Audit *audit.Recorder
}

// Server is the HTTP server.
type Server struct {
	app       *fiber.App
	templates *templates.Registry
	store     *archive.Store
	index     *search.Index
	log       *slog.Logger
	bodyLimit int
	// preAuthLimit, importLimit and tempDir: see Config.
	preAuthLimit int
	importLimit  int
	tempDir      string
	heavy        *heavyGate
	reads        *readAuditor

	secureCookies bool
}

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Templates == nil {
		return nil, errors.New("server: no template registry")
	}
	if cfg.Store == nil {
		return nil, errors.New("server: no archive store")
	}
	s := &Server{
		templates: cfg.Templates,
		store:     cfg.Store,
		index:     cfg.Index,
		log:       cfg.Logger,
		bodyLimit: positiveOr(cfg.BodyLimit, DefaultBodyLimit),

		preAuthLimit: positiveOr(cfg.PreAuthBodyLimit, DefaultPreAuthBodyLimit),
		importLimit:  positiveOr(cfg.ImportLimit, DefaultImportLimit),
		tempDir:      cfg.TempDir,
		heavy:        newHeavyGate(cfg.MaxHeavy, cfg.HeavyWait),

		secureCookies: cfg.SecureCookies,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.app = fiber.New(fiber.Config{
		AppName: "wenshu",
		// Bodies are streamed: handlers run once the headers are read, and
		// the server reads a body only up to the limit of the caller and
		// route (bodies.go). Fiber's limit then decides nothing; it is set
		// to the largest body any route admits.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    s.uploadLimit(),
		ErrorHandler:                 s.handleError,
		DisableStartupMessage:        true,
		// Room for a long query string, so that a 10,000-character q gets
		// a JSON 400 from the search handler, not a dropped connection.
		ReadBufferSize: 128 << 10,
		ReadTimeout:    2 * time.Minute,
		WriteTimeout:   2 * time.Minute,
		IdleTimeout:    2 * time.Minute,
	})
	s.startReadAudit(cfg.Audit)
	s.routes()
	return s, nil
}

// App returns the Fiber app (for tests: app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until ctx ends, then shuts down gracefully.
func (s *Server) Listen(ctx context.Context, addr string) error {
	defer s.closeReads()
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listen(addr) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return s.app.ShutdownWithContext(sctx)
	}
}

func positiveOr(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

func (s *Server) routes() {
	s.app.Use(s.requestID, s.accessLog, s.recoverPanic, s.bodyGate)
	s.app.Use(s.auditReads)
	s.app.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	s.app.Get("/readyz", s.readyz)
	api := s.app.Group("/api/v1", s.authenticate)
	s.heavyRoutes(api)
	s.templateRoutes(api)
	s.archiveRoutes(api)
	s.searchRoutes(api)
	s.auditRoutes(api)
	s.lifecycleRoutes(api)
	s.caseRoutes(api)
	s.webRoutes()
	s.app.Use(func(c *fiber.Ctx) error {
		return apiErr(fiber.StatusNotFound, "not_found", "", "请求的地址不存在")
	})
}
