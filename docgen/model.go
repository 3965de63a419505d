package docgen

// Layout is the page format of a document.
type Layout string

// Layouts.
const (
	// LayoutDocument is 文件格式: red 发文机关标志 35 mm below the 版心 top,
	// red rule under the 发文字号, 版记 with black rules.
	LayoutDocument Layout = "document"
	// LayoutLetter is 信函格式: red 标志 30 mm from the paper top, red double
	// lines, no page number on page 1, no 印发 line.
	LayoutLetter Layout = "letter"
	// LayoutPlain is the GB/T 9704 page and grid with no 版头 and no 版记
	// rules, for internal papers (谈话方案, 工作预案).
	LayoutPlain Layout = "plain"
)

// Valid reports whether l is a known layout.
func (l Layout) Valid() bool {
	switch l {
	case LayoutDocument, LayoutLetter, LayoutPlain:
		return true
	}
	return false
}

// Document is one official document (公文).
type Document struct {
	Layout Layout

	CopyNumber     string // 份号, six digits
	Classification string // 密级和保密期限, e.g. 秘密★1年
	Urgency        string // 紧急程度, e.g. 特急
	IssuerMark     string // 发文机关标志 (full or standard short name)
	// MarkSuffix follows the mark in LayoutDocument, normally "文件". Letters
	// never carry it.
	MarkSuffix string
	DocNumber  string // 发文字号, e.g. 驻委纪〔2026〕6号

	Title      string   // 标题; final punctuation is dropped
	Recipients string   // 主送机关; the closing ： is added
	Body       []Block  // 正文
	Attachment []string // 附件说明 names, in order

	Signature string // 发文机关署名
	Date      string // 成文日期, already formatted (2026年3月5日)
	Note      string // 附注, without the brackets

	CC          []string // 抄送机关
	PrintedBy   string   // 印发机关 (document layout only)
	PrintedDate string   // 印发日期, formatted; "印发" is appended

	Fonts Fonts // zero value means DefaultFonts()
}

// Block is a piece of 正文.
type Block interface{ isBlock() }

// Paragraph is a body paragraph, indented two characters on its first line.
type Paragraph struct {
	Text string
	// NoIndent lays the paragraph flush left (e.g. a salutation).
	NoIndent bool
	// Align is "", "left", "center" or "right".
	Align string
}

// Heading is a numbered heading; Text already carries its number
// (一、 / （一） / 1. / （1）). Level 1 is 黑体, level 2 楷体, levels 3 and 4
// 仿宋, all 3号 and indented two characters.
type Heading struct {
	Level int
	Text  string
}

// Table is a bordered table, e.g. a list of persons. The first row of
// Columns is repeated on every page.
type Table struct {
	Columns []Column
	Rows    [][]string
}

// Column is a table column; Width is relative to the others (0 means 1).
type Column struct {
	Title string
	Width int
}

// PageBreak starts a new page.
type PageBreak struct{}

// Subtitle is a second 标题 inside the body, in the title's face and size,
// e.g. the 工作预案 that follows a 谈话方案 on a new page.
type Subtitle struct {
	Text string
}

func (Paragraph) isBlock() {}
func (Heading) isBlock()   {}
func (Table) isBlock()     {}
func (PageBreak) isBlock() {}
func (Subtitle) isBlock()  {}
