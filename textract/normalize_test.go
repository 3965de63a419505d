package textract

import "testing"

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"函 询 回 复", "函询回复"},
		{"在收到本函后 15 个 工 作 日内", "在收到本函后15个工作日内"},
		{"驻财纪函〔2026〕 6 号", "驻财纪函〔2026〕6号"},
		{"SM2 签名  与   SM3", "SM2 签名与 SM3"},
		{"本人\u3000\u3000说明", "本人说明"},
		{"  缩进的行  \t", "缩进的行"},
		{"第一页\f第二页", "第一页\n\n第二页"},
		{"a\r\nb\rc", "a\nb\nc"},
		{"段落一\n\n\n\n段落二", "段落一\n\n段落二"},
		{"e\u0301t\u00e9", "\u00e9t\u00e9"}, // NFC
		{"⽇期", "日期"},                        // Kangxi radical U+2F47
		{"控\x07制", "控制"},
		// Wrapped lines of one paragraph are joined; the short last line
		// and the line after it are not.
		{"本人于2026年3月9日收到驻财纪函〔2026〕6号函询\n通知书。现按要求，在收到本函后15个工作日内，\n问题。\n以上情况属实。",
			"本人于2026年3月9日收到驻财纪函〔2026〕6号函询通知书。现按要求，在收到本函后15个工作日内，问题。\n以上情况属实。"},
		{"标题\n正文", "标题\n正文"},
		{"段落一\n \u3000 \n段落二", "段落一\n\n段落二"}, // a line of spaces is blank
		{"full english line here\nnext", "full english line here\nnext"},
	} {
		if got := normalize(tc.in, true); got != tc.want {
			t.Errorf("normalize(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	// Lines of a .docx or .txt are paragraphs: never joined.
	in := "本人于2026年3月9日收到驻财纪函〔2026〕6号函询\n通知书。"
	if got := normalize(in, false); got != in {
		t.Errorf("normalize(%q, false) = %q, want it unchanged", in, got)
	}
}
