package templates

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"wenshu/docgen"
)

// The text rule (文字规则) for every string a user gives wenshu: template
// fields here, and a draft's case_no, persons and return reason and an
// import's title, kind and 文号 in archive (through TextProblem and
// TextMessage). identity keeps the same rule for user and unit
// names in its own copy (it does not import templates); a test there holds
// the two equal.
//
// Refused, so that what is stored, printed and searched is what the user
// saw when typing it:
//   - invalid UTF-8, and U+FFFD (the replacement character: what Go's JSON
//     decoder makes of invalid UTF-8 and of an unpaired surrogate such as
//     "\ud800", so refusing it refuses both as they arrive in JSON), and
//     characters XML cannot carry (noncharacters, surrogates): CodeInvalidChar;
//   - C0 controls and DEL (a multi-line field keeps its line feeds, CR LF
//     counts as one), C1 controls (U+0080–U+009F, U+0085 included), Unicode
//     format characters (category Cf: the bidi embeddings and overrides
//     U+202A–U+202E and isolates U+2066–U+2069, the marks U+200E, U+200F and
//     U+061C, zero-width characters, U+FEFF …) and the line and paragraph
//     separators U+2028, U+2029: CodeControlChar.

// TextProblem returns the code of the first character of s the text rule
// refuses (CodeInvalidChar or CodeControlChar), and that character; ""
// when s is acceptable. multiline allows line feeds.
func TextProblem(s string, multiline bool) (code string, r rune) {
	if !utf8.ValidString(s) {
		return CodeInvalidChar, utf8.RuneError
	}
	for i, r := range s {
		if multiline && r == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			continue // CR LF is one line break
		}
		if c := runeProblem(r, multiline); c != "" {
			return c, r
		}
	}
	return "", 0
}

// runeProblem is TextProblem for one character of valid UTF-8 (a CR that
// starts a CR LF is TextProblem's business).
func runeProblem(r rune, multiline bool) string {
	switch {
	case r == '\n' && multiline:
		return ""
	case r < 0x20 || (r >= 0x7F && r <= 0x9F) || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r):
		return CodeControlChar
	case r == utf8.RuneError || !docgen.ValidXMLChar(r):
		return CodeInvalidChar
	}
	return ""
}

// TextMessage is the Chinese message for a TextProblem of the field label.
func TextMessage(label, code string, r rune) string {
	switch {
	case code == CodeInvalidChar && r == utf8.RuneError:
		return fmt.Sprintf("「%s」含有无效的字符编码（损坏的 UTF-8、不成对的代理项或替换字符 U+FFFD）", label)
	case code == CodeInvalidChar:
		return fmt.Sprintf("「%s」含有文档无法保存的字符（U+%04X）", label, r)
	case r < 0x20 || (r >= 0x7F && r <= 0x9F):
		return fmt.Sprintf("「%s」含有不可见的控制字符（U+%04X）", label, r)
	}
	return fmt.Sprintf("「%s」含有不可见的格式控制字符（U+%04X，如文字方向控制符、零宽字符）", label, r)
}
