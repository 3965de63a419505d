package archive

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/minio/minio-go/v7"
)

func TestIsNoSuchObject(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"NoSuchKey", minio.ErrorResponse{Code: "NoSuchKey", StatusCode: 404}, true},
		{"NoSuchVersion", minio.ErrorResponse{Code: "NoSuchVersion", StatusCode: 404}, true},
		{"wrapped", fmt.Errorf("read content: %w", minio.ErrorResponse{Code: "NoSuchKey", StatusCode: 404}), true},
		{"HEAD 404 without a code", minio.ErrorResponse{StatusCode: 404}, true},
		{"InvalidArgument", minio.ErrorResponse{Code: "InvalidArgument", StatusCode: 400}, false},
		{"NoSuchBucket", minio.ErrorResponse{Code: "NoSuchBucket", StatusCode: 404}, false},
		{"AccessDenied", minio.ErrorResponse{Code: "AccessDenied", StatusCode: 403}, false},
		{"unreachable", errors.New("dial tcp 127.0.0.1:9: connection refused"), false},
		{"nil", nil, false},
	} {
		if got := isNoSuchObject(tc.err); got != tc.want {
			t.Errorf("%s: isNoSuchObject = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !isPreconditionFailed(fmt.Errorf("put: %w", minio.ErrorResponse{Code: "PreconditionFailed", StatusCode: 412})) {
		t.Error("a wrapped PreconditionFailed is not recognised")
	}
}

// What MinIO really answers for a missing key and a missing version.
func TestIsNoSuchObjectAgainstMinIO(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.s.getObject(ctx, e.s.Bucket(), "records/2026/missing.docx", "")
	if !isNoSuchObject(err) {
		t.Fatalf("missing key: %v is not reported as missing", err)
	}
	rec := e.file("版本测试")
	_, err = e.s.getObject(ctx, e.s.Bucket(), rec.ContentKey, "00000000-0000-0000-0000-000000000000")
	if !isNoSuchObject(err) {
		t.Fatalf("missing version: %v is not reported as missing", err)
	}
}
