package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/minio/minio-go/v7"

	"wenshu/problem"
)

// Object keys. Records live under records/<year>/, void markers (numbers
// handed out but never filed, 作废) under voids/<year>/.
func contentKey(year int, id, ext string) string {
	return fmt.Sprintf("records/%d/%s%s", year, id, ext)
}
func manifestKey(year int, id string) string { return fmt.Sprintf("records/%d/%s.json", year, id) }
func voidKey(year int, id string) string     { return fmt.Sprintf("voids/%d/%s.json", year, id) }

// maxObjectRead bounds what we read back from the bucket.
const maxObjectRead = 256 << 20

func (s *Store) ensureBucket(ctx context.Context) error {
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	ok, err := s.s3.BucketExists(cctx, s.bucket)
	if err != nil {
		return fmt.Errorf("archive: bucket %s: %w", s.bucket, storageErr(err))
	}
	if !ok {
		err := s.s3.MakeBucket(cctx, s.bucket, minio.MakeBucketOptions{ObjectLocking: true})
		if err != nil {
			if er, _ := s3Error(err); er.Code != "BucketAlreadyOwnedByYou" && er.Code != "BucketAlreadyExists" {
				return fmt.Errorf("archive: creating bucket %s: %w", s.bucket, storageErr(err))
			}
		}
	}
	enabled, _, _, _, err := s.s3.GetObjectLockConfig(cctx, s.bucket)
	if err != nil && isUnavailable(err) {
		return fmt.Errorf("archive: object lock of bucket %s: %w", s.bucket, storageErr(err))
	}
	if err != nil || enabled != "Enabled" {
		return fmt.Errorf("archive: bucket %s has no object lock (it must be created with object locking; existing buckets cannot be converted): %v", s.bucket, err)
	}
	return nil
}

// putLocked stores data under key with COMPLIANCE retention until until and
// returns the new version id. If-None-Match: * makes a second write to a key
// that already has a current version fail instead of stacking a version.
//
// The PUT is idempotent: when the key already holds a version with exactly
// these bytes (an earlier attempt whose answer was lost, retried by
// minio-go or by Recover, answers 412), that version is the result. Other
// bytes under the key are errStoredObjectDiffers.
func (s *Store) putLocked(ctx context.Context, bucket, key string, data []byte, contentType string, until time.Time) (string, error) {
	opts := minio.PutObjectOptions{
		ContentType:      contentType,
		Mode:             minio.Compliance,
		RetainUntilDate:  until.UTC(),
		DisableMultipart: true,
		SendContentMd5:   true,
	}
	opts.SetMatchETagExcept("*")
	cctx, cancel := s.callCtx(ctx)
	info, err := s.s3.PutObject(cctx, bucket, key, bytes.NewReader(data), int64(len(data)), opts)
	cancel()
	if err != nil && isPreconditionFailed(err) {
		ver, ok, ferr := s.findVersionIn(ctx, bucket, key, data)
		switch {
		case ferr != nil:
			return "", ferr
		case ok:
			return ver, nil
		}
		return "", fmt.Errorf("put %s: %w", key, errStoredObjectDiffers)
	}
	if err != nil {
		return "", s.storageFailed(err)
	}
	if info.VersionID == "" {
		return "", fmt.Errorf("put %s: no version id (is versioning on?)", key)
	}
	return info.VersionID, nil
}

// errStoredObjectDiffers: a key we write once already holds other bytes.
var errStoredObjectDiffers = problem.Conflict("stored_object_differs",
	"存储中同一位置已有不同的内容，本次归档未完成，请联系管理员核查")

// findVersionIn returns the oldest stored version of key in bucket whose
// bytes equal b (sizes are compared first, from the listing).
func (s *Store) findVersionIn(ctx context.Context, bucket, key string, b []byte) (string, bool, error) {
	vs, err := s.objectVersions(ctx, bucket, key)
	if err != nil {
		return "", false, err
	}
	for _, v := range vs {
		if v.Size != int64(len(b)) {
			continue
		}
		got, err := s.getObject(ctx, bucket, key, v.VersionID)
		if err != nil {
			return "", false, err
		}
		if bytes.Equal(got, b) {
			return v.VersionID, true, nil
		}
	}
	return "", false, nil
}

// objectVersions lists the versions of exactly key, oldest first, without
// delete markers.
func (s *Store) objectVersions(ctx context.Context, bucket, key string) ([]minio.ObjectInfo, error) {
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	var out []minio.ObjectInfo
	for oi := range s.s3.ListObjects(cctx, bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true, Recursive: true}) {
		if oi.Err != nil {
			return nil, s.storageFailed(oi.Err)
		}
		if oi.Key != key || oi.IsDeleteMarker {
			continue
		}
		out = append(out, oi)
	}
	// S3 lists a key's versions newest first; keep that order reversed,
	// falling back on the modification time.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastModified.Before(out[j].LastModified) })
	return out, nil
}

// getObject reads one version (or the current one for versionID "").
// A definite "no such object" stays an S3 error (isNoSuchObject); a call
// without a definite answer is an unavailable error (isUnavailable).
func (s *Store) getObject(ctx context.Context, bucket, key, versionID string) ([]byte, error) {
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	obj, err := s.s3.GetObject(cctx, bucket, key, minio.GetObjectOptions{VersionID: versionID})
	if err != nil {
		return nil, s.storageFailed(err)
	}
	defer obj.Close()
	b, err := io.ReadAll(io.LimitReader(obj, maxObjectRead+1))
	if err != nil {
		return nil, s.storageFailed(err)
	}
	if len(b) > maxObjectRead {
		return nil, fmt.Errorf("object %s is larger than %d bytes", key, maxObjectRead)
	}
	return b, nil
}

// s3Error returns the S3 error response inside err (minio-go returns it
// by value; errors.As also finds it when wrapped).
func s3Error(err error) (minio.ErrorResponse, bool) {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return er, true
	}
	return er, false
}

// isNoSuchObject reports an S3 "does not exist" answer for an object or a
// version (as opposed to a failure to ask, or any other refusal): the code
// NoSuchKey or NoSuchVersion, or a 404 without a code (a HEAD response has
// no body to carry one).
func isNoSuchObject(err error) bool {
	er, ok := s3Error(err)
	if !ok {
		return false
	}
	switch er.Code {
	case "NoSuchKey", "NoSuchVersion":
		return true
	case "":
		return er.StatusCode == 404
	}
	return false
}

// isPreconditionFailed reports the refusal of If-None-Match: * (the key
// already has a current version).
func isPreconditionFailed(err error) bool {
	er, ok := s3Error(err)
	return ok && (er.Code == "PreconditionFailed" || er.StatusCode == 412)
}
