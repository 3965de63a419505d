package docgen_test

import (
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
