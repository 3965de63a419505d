// Package server is wenshu's HTTP face: the JSON API under /api/v1 (Fiber
// v2) and the server-rendered web UI (web.go, and one web_*.go per
// resource: drafts, records, search, audit, admin). It authenticates every
// /api request, checks the caller's role in the handler that serves the
// data, takes the caller's unit from the server side only, and maps every
// error to a status, a stable code and a Chinese message in one place
// (classify, classify.go), which the API and the pages both use. It owns
// no data: templates, the archive and the search index do.
package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/search"
	"wenshu/templates"
)

// DefaultBodyLimit bounds JSON request bodies (1 MiB).
const DefaultBodyLimit = 1 << 20

// Config holds what the server needs.
type Config struct {
	Templates *templates.Registry
	Store     *archive.Store
	// Index is the search index; nil disables the search routes (503).
	Index *search.Index
	// BodyLimit bounds request bodies; 0 means DefaultBodyLimit. Imports
	// are bounded separately by ImportLimit.
	BodyLimit int
	// ImportLimit bounds uploaded files; 0 means 50 MiB.
	ImportLimit int
	Logger      *slog.Logger
	// SecureCookies marks the web session cookie Secure even on plain
	// HTTP, for a server behind a TLS-terminating proxy (under TLS it is
	// always Secure).
	SecureCookies bool
}

// Server is the HTTP server.
type Server struct {
	app       *fiber.App
	templates *templates.Registry
	store     *archive.Store
	index     *search.Index
	log       *slog.Logger
	bodyLimit int

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
		bodyLimit: cfg.BodyLimit,

		secureCookies: cfg.SecureCookies,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.bodyLimit <= 0 {
		s.bodyLimit = DefaultBodyLimit
	}
	importLimit := cfg.ImportLimit
	if importLimit <= 0 {
		importLimit = 50 << 20
	}
	// Fiber's own limit must admit an import; JSON routes check bodyLimit
	// themselves (see jsonBody).
	limit := importLimit + 1<<20
	s.app = fiber.New(fiber.Config{
		AppName:               "wenshu",
		BodyLimit:             limit,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		// Room for a long query string, so that a 10,000-character q gets
		// a JSON 400 from the search handler, not a dropped connection.
		ReadBufferSize: 128 << 10,
		ReadTimeout:    2 * time.Minute,
		WriteTimeout:   2 * time.Minute,
		IdleTimeout:    2 * time.Minute,
	})
	s.routes()
	return s, nil
}

// App returns the Fiber app (for tests: app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until ctx ends, then shuts down gracefully.
func (s *Server) Listen(ctx context.Context, addr string) error {
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

func (s *Server) routes() {
	s.app.Use(s.requestID, s.accessLog, s.recoverPanic)
	s.app.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	api := s.app.Group("/api/v1", s.authenticate)
	s.templateRoutes(api)
	s.archiveRoutes(api)
	s.searchRoutes(api)
	s.auditRoutes(api)
	s.caseRoutes(api)
	s.webRoutes()
	s.app.Use(func(c *fiber.Ctx) error {
		return apiErr(fiber.StatusNotFound, "not_found", "", "请求的地址不存在")
	})
}
