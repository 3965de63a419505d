package server

import (
	"math"
	"runtime"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Heavy requests (重负载请求) — imports and approvals — each hold a
// document, its digests and its text in memory and write to the catalog,
// the bucket and the index. At most Config.MaxHeavy run at once; the rest
// wait up to Config.HeavyWait for a place and then get 503 busy with
// Retry-After, so that a burst cannot take the machine. The gate is taken
// after authentication (an unknown caller never holds a place) and, for
// imports, after the upload is on disk (a slow client never holds one).

// heavyGate is a counting semaphore with a bounded wait.
type heavyGate struct {
	slots chan struct{}
	wait  time.Duration
}

func newHeavyGate(n int, wait time.Duration) *heavyGate {
	if n <= 0 {
		n = 2 * runtime.GOMAXPROCS(0)
	}
	if wait <= 0 {
		wait = DefaultHeavyWait
	}
	return &heavyGate{slots: make(chan struct{}, n), wait: wait}
}

// acquire takes a place, waiting up to g.wait, and returns its release;
// when none frees in time it returns 503 busy, whose Retry-After is the
// wait.
func (g *heavyGate) acquire(c *fiber.Ctx) (release func(), err error) {
	release = func() { <-g.slots }
	select {
	case g.slots <- struct{}{}:
		return release, nil
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return release, nil
	case <-t.C:
	case <-c.UserContext().Done():
	}
	return nil, &apiError{Status: fiber.StatusServiceUnavailable, Code: "busy", RetryAfter: int(math.Ceil(g.wait.Seconds())),
		Message: "服务器正忙：同时进行的导入和审批已达上限，请稍后重试"}
}

// heavyRoute runs the rest of the route inside the gate.
func (s *Server) heavyRoute(c *fiber.Ctx) error {
	release, err := s.heavy.acquire(c)
	if err != nil {
		return err
	}
	defer release()
	return c.Next()
}

// heavyPage is heavyRoute for a page handler.
func (s *Server) heavyPage(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		release, err := s.heavy.acquire(c)
		if err != nil {
			return err
		}
		defer release()
		return h(c)
	}
}

// heavyRoutes puts the gate before the API routes that approve. Imports
// take it in their handler, once the upload is read (importRecord). It is
// registered before archiveRoutes, so c.Next goes on to the handler.
func (s *Server) heavyRoutes(api fiber.Router) {
	api.Post("/drafts/:id/approve", s.heavyRoute)
}
