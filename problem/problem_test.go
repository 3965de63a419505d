package problem

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindsAndInternal(t *testing.T) {
	for _, tc := range []struct {
		err  error
		kind error
	}{
		{NotFound("档案"), ErrNotFound},
		{Forbidden("x", "不行"), ErrForbidden},
		{Conflict("x", "冲突"), ErrConflict},
		{Invalid("x", "f", "无效"), ErrInvalid},
		{Unauthenticated("x", "需要登录"), ErrUnauthenticated},
		{New(ErrUnavailable, "x", "存储暂时不可用"), ErrUnavailable},
		{fmt.Errorf("wrapped: %w", Conflict("x", "冲突")), ErrConflict},
	} {
		if !errors.Is(tc.err, tc.kind) {
			t.Errorf("%v is not %v", tc.err, tc.kind)
		}
	}
	if got := Invalid("bad", "name", "名称无效").Error(); got != "bad (name): 名称无效" {
		t.Errorf("Error() = %q", got)
	}
	if Internal("op", nil) != nil {
		t.Error("Internal(nil) is not nil")
	}
	pe := Conflict("c", "冲突")
	if got := Internal("op", pe); got != error(pe) {
		t.Errorf("Internal re-wrapped a *Error: %v", got)
	}
	cause := errors.New("disk full")
	got := Internal("archive: write", cause)
	var target *Error
	if !errors.Is(got, cause) || errors.As(got, &target) || got.Error() != "archive: write: disk full" {
		t.Errorf("Internal = %v", got)
	}
}
