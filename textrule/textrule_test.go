package textrule

import (
	"strings"
	"testing"
)

// TestTextRule: every character class the text rule refuses, in a
// one-line and a multi-line field, with the code it is refused with.
func TestTextRule(t *testing.T) {
	cases := []struct {
		name, s   string
		multiline bool
		code      string
	}{
		{"plain Chinese", "关于张建国同志的函询", false, ""},
		{"astral Han", "𠀀𪚥", false, ""},
		{"line feeds in text", "第一段\n第二段", true, ""},
		{"CR LF in text", "第一段\r\n第二段", true, ""},
		{"lone CR in text", "第一段\r第二段", true, CodeControlChar},
		{"line feed in one line", "甲\n乙", false, CodeControlChar},
		{"tab", "甲\t乙", true, CodeControlChar},
		{"NUL", "甲\x00乙", false, CodeControlChar},
		{"DEL", "甲\x7f乙", false, CodeControlChar},
		{"C1 NEL U+0085", "甲\u0085乙", true, CodeControlChar},
		{"C1 U+009B", "甲\u009b乙", false, CodeControlChar},
		{"RLO U+202E", "张三\u202e党纪", false, CodeControlChar},
		{"LRE U+202A", "\u202a甲", false, CodeControlChar},
		{"PDF U+202C", "甲\u202c", false, CodeControlChar},
		{"RLI U+2067", "甲\u2067乙", false, CodeControlChar},
		{"PDI U+2069", "甲\u2069", false, CodeControlChar},
		{"LRM U+200E", "甲\u200e", false, CodeControlChar},
		{"RLM U+200F", "甲\u200f", false, CodeControlChar},
		{"ALM U+061C", "甲\u061c", false, CodeControlChar},
		{"BOM U+FEFF", "\ufeff甲", false, CodeControlChar},
		{"zero width space", "甲\u200b乙", false, CodeControlChar},
		{"line separator", "甲\u2028乙", true, CodeControlChar},
		{"invalid UTF-8", "甲\xff乙", false, CodeInvalidChar},
		{"truncated UTF-8", "甲\xe4\xb8", false, CodeInvalidChar},
		{"encoded surrogate", "\xed\xa0\x80", false, CodeInvalidChar},
		{"replacement character", "甲\ufffd乙", false, CodeInvalidChar},
		{"noncharacter", "甲\ufffe", false, CodeInvalidChar},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _ := Problem(c.s, c.multiline)
			if code != c.code {
				t.Fatalf("Problem(%q, %v) = %q, want %q", c.s, c.multiline, code, c.code)
			}
			if c.code != "" {
				if msg := Message("案件编号", code, 0); !strings.HasPrefix(msg, "「案件编号」") {
					t.Errorf("message %q", msg)
				}
			}
		})
	}
}

// TestRefusedIsOneLineProblem: Refused is Problem of a one-line value,
// over every code point (and two invalid byte strings).
func TestRefusedIsOneLineProblem(t *testing.T) {
	for r := rune(0); r <= 0x10FFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // not encodable in UTF-8
		}
		s := "甲" + string(r) + "乙"
		code, _ := Problem(s, false)
		if Refused(s) != (code != "") {
			t.Fatalf("U+%04X: Refused %v, Problem %q", r, Refused(s), code)
		}
	}
	for _, s := range []string{"\xff", "\xed\xa0\x80"} {
		if !Refused(s) {
			t.Errorf("%q not refused", s)
		}
	}
}
