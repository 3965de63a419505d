package docgen_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"wenshu/docgen"
)

func ExampleFormatDate() {
	fmt.Println(docgen.FormatDate(time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)))
	// Output: 2026年3月5日
}

func ExampleHeadingNumber() {
	for level := 1; level <= 4; level++ {
		fmt.Println(docgen.HeadingNumber(level, 12))
	}
	// Output:
	// 十二、
	// （十二）
	// 12.
	// （12）
}

func ExampleRender() {
	d := &docgen.Document{
		Layout:     docgen.LayoutLetter,
		IssuerMark: "中共某某省纪委监委驻省财政厅纪检监察组",
		DocNumber:  "驻财纪函〔2026〕6号",
		Title:      "函询通知书",
		Recipients: "张三同志",
		Body:       []docgen.Block{docgen.Paragraph{Text: "我组收到反映你有关问题的信访举报。"}},
		Signature:  "中共某某省纪委监委驻省财政厅纪检监察组",
		Date:       "2026年3月5日",
		CC:         []string{"省财政厅党组书记王五同志"},
	}
	docx, err := docgen.Render(d)
	if err != nil {
		fmt.Println(err)
		return
	}
	text, _ := docgen.ExtractText(docx)
	lines := strings.Split(text, "\n")
	fmt.Println(strings.TrimSpace(lines[1]))
	fmt.Println(lines[2])
	// Output:
	// 驻财纪函〔2026〕6号
	// 函询通知书
}

// A document longer than a limit is refused, never cut; the LimitError
// says which limit, for the caller to map to a status and a stable code.
func ExampleExtractTextLimits() {
	docx, err := docgen.Render(&docgen.Document{Layout: docgen.LayoutPlain,
		Body: []docgen.Block{docgen.Paragraph{Text: "经研究，同意你单位的请示。"}}})
	if err != nil {
		panic(err)
	}
	text, err := docgen.ExtractTextLimits(docx, docgen.Limits{MaxTextChars: 100})
	fmt.Printf("%q %v\n", text, err)
	_, err = docgen.ExtractTextLimits(docx, docgen.Limits{MaxTextChars: 5})
	var le *docgen.LimitError
	if errors.As(err, &le) {
		fmt.Println(errors.Is(err, docgen.ErrTooLarge), le.Limit, le.Max)
	}
	// Output:
	// "经研究，同意你单位的请示。\n" <nil>
	// true text_chars 5
}
