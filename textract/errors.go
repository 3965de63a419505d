package textract

import "fmt"

// Error is a refusal or failure of extraction. Code is stable and
// snake_case (for API clients), Message is Chinese (for the clerk), the
// rest is for logs. errors.Is matches two *Error values by Code, so
// errors.Is(err, ErrMismatch) holds for every mismatch.
type Error struct {
	Code    string
	Message string
	// Tool and Package name the missing program and its Debian package
	// (ErrToolMissing only).
	Tool    string
	Package string
	detail  string
	cause   error
}

func (e *Error) Error() string {
	s := "textract: " + e.Code
	if e.detail != "" {
		s += ": " + e.detail
	}
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

// Unwrap returns the cause (for example context.DeadlineExceeded).
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels, compared with errors.Is. A server maps all but ErrToolMissing
// and ErrTimeout to 422; ErrToolMissing is the server's fault (503), and
// ErrTimeout may be either (422 is the safe answer for one file).
var (
	ErrUnsupported = &Error{Code: "unsupported_type",
		Message: "不支持的文件类型：请上传 .docx、.pdf、.jpg、.png 或 UTF-8 编码的 .txt 文件"}
	ErrMismatch = &Error{Code: "type_mismatch",
		Message: "文件内容与扩展名不符"}
	ErrTooLarge = &Error{Code: "too_large",
		Message: "文件或其文字内容超过上限"}
	ErrImageTooLarge = &Error{Code: "image_too_large",
		Message: "图像像素数超过上限"}
	ErrTooManyPages = &Error{Code: "too_many_pages",
		Message: "需要文字识别的页数超过上限"}
	ErrInvalidText = &Error{Code: "invalid_utf8",
		Message: "文本文件不是有效的 UTF-8 编码"}
	ErrTimeout = &Error{Code: "extract_timeout",
		Message: "文字提取超时"}
	ErrFailed = &Error{Code: "extract_failed",
		Message: "无法从文件中提取文字（文件可能已损坏或已加密）"}
	ErrToolMissing = &Error{Code: "tool_missing",
		Message: "服务器缺少文字提取工具"}
)

// refuse derives an error from a sentinel: same Code, the Chinese message
// optionally made precise by zh, detail and cause for logs.
func refuse(kind *Error, zh, detail string, cause error) *Error {
	e := &Error{Code: kind.Code, Message: kind.Message, detail: detail, cause: cause}
	if zh != "" {
		e.Message = kind.Message + "：" + zh
	}
	return e
}

// toolMissing names the program and the Debian package that provides it.
func toolMissing(tool, pkg string, cause error) *Error {
	return &Error{
		Code:    ErrToolMissing.Code,
		Message: fmt.Sprintf("%s：%s（Debian 软件包 %s）", ErrToolMissing.Message, tool, pkg),
		Tool:    tool, Package: pkg,
		detail: fmt.Sprintf("%s not available (Debian package %s)", tool, pkg),
		cause:  cause,
	}
}
