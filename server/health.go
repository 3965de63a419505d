package server

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
)

// /healthz says the process lives (200 {"status":"ok"}); /readyz (就绪检查)
// says whether it can serve: the catalog takes a write, the bucket answers
// with its object lock intact (archive.Store.Ready) and the search index
// answers. Both are open to anyone, so their bodies name no endpoint,
// bucket, path or secret.

// readyDeadline bounds the whole /readyz answer; each check has
// archive.ReadyCheckTimeout within it, and they run concurrently.
const readyDeadline = 4 * time.Second

// readiness is the body of /readyz.
type readiness struct {
	Status     string                   `json:"status"` // ready, not_ready
	Components []archive.ComponentState `json:"components"`
	// Warnings never make the server unready: a missing holiday table
	// (archive.Store.Warnings, from 1 November for next year) and tamper or
	// reconcile alerts by kind and count (archive.Store.AlertWarnings).
	Warnings []archive.Warning `json:"warnings,omitempty"`
}

// readyz answers 200 when every component is ready, else 503.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), readyDeadline)
	defer cancel()
	index := make(chan archive.ComponentState, 1)
	go func() { index <- s.indexReady(ctx) }()
	comps := append(s.store.Ready(ctx), <-index)
	out := readiness{Status: "ready", Components: comps, Warnings: append(s.store.Warnings(), s.store.AlertWarnings()...)}
	status := fiber.StatusOK
	for _, cs := range comps {
		if !cs.Ready {
			out.Status, status = "not_ready", fiber.StatusServiceUnavailable
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(out)
}

// indexReady checks that the search index is open and counts its
// documents within archive.ReadyCheckTimeout.
func (s *Server) indexReady(ctx context.Context) archive.ComponentState {
	cs := archive.ComponentState{Name: "index", State: archive.StateUnavailable}
	if s.index == nil {
		cs.Message = "检索索引未打开"
		return cs
	}
	ctx, cancel := context.WithTimeout(ctx, archive.ReadyCheckTimeout)
	defer cancel()
	start := time.Now()
	errc := make(chan error, 1)
	go func() { _, err := s.index.Count(); errc <- err }()
	select {
	case err := <-errc:
		if err == nil {
			cs.Ready, cs.State = true, archive.StateOK
		} else {
			s.log.Warn("readiness check failed", "component", "index", "err", err)
			cs.Message = "检索索引无法读取"
		}
	case <-ctx.Done():
		cs.State, cs.Message = archive.StateTimeout, "在 "+archive.ReadyCheckTimeout.String()+" 内未响应"
	}
	cs.TookMS = time.Since(start).Milliseconds()
	return cs
}
