package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"wenshu/problem"
)

// Deadlines of storage calls (see doc.go, "Deadlines and outages").
const (
	// DefaultStorageTimeout caps one MinIO call (a record-sized PUT, GET,
	// stat or version listing) when Options.StorageTimeout is 0.
	DefaultStorageTimeout = 5 * time.Second
	// storageRetries is minio-go's MaxRetries: attempts per call, including
	// the first. minio-go retries a failed connection or a 5xx after 0.2 s,
	// then 0.4 s; it never retries once the call's context has ended, so
	// the total stays within the call's deadline.
	storageRetries = 3
	// dialTimeout bounds the TCP connect inside a call.
	dialTimeout = 2 * time.Second
)

// newS3Client makes the minio-go client with the retry policy and a
// transport whose waits fit inside timeout (minio-go's default transport
// waits a minute for response headers).
func newS3Client(endpoint, access, secret string, secure bool, timeout time.Duration) (*minio.Client, error) {
	return newGatedS3Client(endpoint, access, secret, secure, timeout, nil)
}

// newGatedS3Client is newS3Client whose requests pass through gate (if
// not nil) before they reach the transport (see startup.go).
func newGatedS3Client(endpoint, access, secret string, secure bool, timeout time.Duration, gate *storageGate) (*minio.Client, error) {
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 15 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = timeout
	tr.TLSHandshakeTimeout = timeout
	tr.ExpectContinueTimeout = time.Second
	var rt http.RoundTripper = tr
	if gate != nil {
		gate.base, rt = tr, gate
	}
	return minio.New(endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(access, secret, ""),
		Secure:     secure,
		Transport:  rt,
		MaxRetries: storageRetries,
	})
}

func (s *Store) storageTimeout() time.Duration {
	if s.opts.StorageTimeout > 0 {
		return s.opts.StorageTimeout
	}
	return DefaultStorageTimeout
}

// callCtx is the context of one storage call: the caller's, capped at
// the storage timeout.
func (s *Store) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.storageTimeout())
}

// errStorageUnavailable is what the user is told about an outage.
var errStorageUnavailable = problem.New(problem.ErrUnavailable, "storage_unavailable", "存储服务暂不可用，请稍后重试")

// unavailableError is a storage call that got no definite answer. It is
// a *problem.Error of kind ErrUnavailable to errors.As and errors.Is (the
// server answers 503) and keeps the cause for the log.
type unavailableError struct{ cause error }

func (e *unavailableError) Error() string   { return "storage unavailable: " + e.cause.Error() }
func (e *unavailableError) Unwrap() []error { return []error{errStorageUnavailable, e.cause} }

// storageErr turns an error of a storage call into an unavailable error
// when it is one (isUnavailable) and returns any other error unchanged:
// a definite answer (NoSuchKey, 412, AccessDenied) stays an S3 error.
func storageErr(err error) error {
	if err == nil || !isUnavailable(err) {
		return err
	}
	var ue *unavailableError
	if errors.As(err, &ue) {
		return err
	}
	return &unavailableError{cause: err}
}

// storageFailed is storageErr for the Store's own calls: an outage also
// kicks the background recovery, so that filings it interrupted are
// retried soon after storage answers again.
func (s *Store) storageFailed(err error) error {
	err = storageErr(err)
	if isUnavailable(err) {
		s.kickRecover()
	}
	return err
}

// unavailableCodes are S3 answers that say "not now" rather than "no".
var unavailableCodes = map[string]bool{
	"SlowDown": true, "SlowDownRead": true, "SlowDownWrite": true, "ServiceUnavailable": true,
	"XMinioServerNotInitialized": true, "InternalError": true, "RequestTimeout": true,
	"XMinioStorageFull": false, // a full drive is an operator's problem, not a wait
}

// isUnavailable reports a storage call without a definite answer: its
// deadline passed or it was cancelled, the connection was refused, reset
// or closed, the name did not resolve, or MinIO answered 5xx or asked us
// to slow down.
func isUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var ue *unavailableError
	if errors.As(err, &ue) {
		return true
	}
	if er, ok := s3Error(err); ok && (er.Code != "" || er.StatusCode != 0) {
		return unavailableCodes[er.Code] || er.StatusCode >= 500
	}
	var (
		ne   net.Error
		dns  *net.DNSError
		uerr *url.Error
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.As(err, &dns), errors.As(err, &ne), errors.As(err, &uerr):
		return true
	}
	return minio.IsNetworkOrHostDown(err, false)
}

// FilingPending is the answer to an approval (or import) whose outcome is
// not known yet: storage did not answer within its deadline after the
// numbers were allocated, so the filing is open and background recovery
// will drive it to filed or void. Filing reports its progress. It is an
// unavailable error (503) to anyone who does not look for it; the server
// answers 202 with the status URL.
type FilingPending struct {
	FilingID string
	DraftID  string // "" for an import
	Status   string // the journal state: allocated, rendered or signed
}

var errFilingPending = problem.New(problem.ErrUnavailable, "filing_pending",
	"存储服务暂不可用，归档结果尚未确定；系统恢复后将自动完成或作废本次归档，请稍后查看")

func (e *FilingPending) Error() string {
	return fmt.Sprintf("archive: filing %s is %s, outcome pending", e.FilingID, e.Status)
}

// Unwrap makes a FilingPending a *problem.Error of kind ErrUnavailable.
func (e *FilingPending) Unwrap() error { return errFilingPending }
