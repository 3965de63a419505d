package templates

import (
	"errors"
	"time"
)

// ErrUnknownTemplate is returned for a template id that is not registered.
var ErrUnknownTemplate = errors.New("templates: unknown template")

// RenderRequest is everything needed to render one document.
type RenderRequest struct {
	TemplateID string
	Fields     map[string]any
	// IssuerName is the issuing organ's full name (发文机关全称). When set it
	// overrides any "issuer" field sent by a client.
	IssuerName string
	// DocNumber is the final 发文字号 (e.g. 驻委纪〔2026〕6号). Empty renders
	// the blank form "〔2026〕  号" for previews when Preview is set.
	DocNumber string
	// Preview renders a blank number when DocNumber is empty:
	// UnitCode〔YYYY〕　号, or UnitCode + series〔YYYY〕　号 for a template
	// with a doc_series (驻财纪函〔2026〕　号).
	Preview bool
	// UnitCode is the 机关代字 printed before a preview's blank number.
	UnitCode string
	// Classification is the record's 密级 (公开, 内部, 秘密, 机密); 秘密 and 机密
	// are printed in the 版头.
	Classification string
	// Date is the 成文日期; zero means the "date" field, else today.
	Date time.Time
}

// Rendered is a rendered document.
type Rendered struct {
	Docx  []byte // the .docx bytes, deterministic for the same request
	Title string // 标题
	Kind  string // 文种 (e.g. 函询通知书)
	Text  string // plain text of the document, for the search index
}
