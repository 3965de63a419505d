package server

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/problem"
)

// A storage outage is 503 with Retry-After, never 500 or 404; a pending
// filing that a handler does not answer with 202 is one too.
func TestClassifyUnavailable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code string
	}{
		{problem.New(problem.ErrUnavailable, "storage_unavailable", "存储服务暂不可用，请稍后重试"), "storage_unavailable"},
		{fmt.Errorf("archive: read content: %w", problem.New(problem.ErrUnavailable, "storage_unavailable", "存储服务暂不可用，请稍后重试")), "storage_unavailable"},
		{&archive.FilingPending{FilingID: "f1", Status: "rendered"}, "filing_pending"},
	} {
		c := classify(tc.err)
		if c.Status != fiber.StatusServiceUnavailable || c.Code != tc.code || c.RetryAfter <= 0 || c.Message == "" || c.internal() {
			t.Errorf("classify(%v) = %+v", tc.err, c)
		}
	}
	if c := classify(errors.New("minio: connection refused")); c.Status != 500 || c.RetryAfter != 0 {
		t.Errorf("an unknown error is internal without Retry-After: %+v", c)
	}
}
