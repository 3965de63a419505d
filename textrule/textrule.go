// Package textrule is the text rule (文字规则) for every string a user gives
// wenshu: template fields (templates), a draft's case_no, persons and
// return reason and an import's title, kind and 文号 (archive), and user,
// unit and saved-search names (identity). It is one rule in one place; it
// imports only the standard library, so that those three packages share it
// without an import cycle and without identity knowing of documents.
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
//
// It must not know of HTTP, storage or documents: callers turn its codes
// into their own errors.
package textrule

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Codes of the text rule, used as the stable error codes of a refused field.
const (
	CodeControlChar = "control_char"
	CodeInvalidChar = "invalid_char"
)

// Problem returns the code of the first character of s the text rule
// refuses (CodeInvalidChar or CodeControlChar), and that character; ""
// when s is acceptable. multiline allows line feeds.
func Problem(s string, multiline bool) (code string, r rune) {
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

// Refused reports whether the text rule refuses any character of the
// one-line value s.
func Refused(s string) bool {
	code, _ := Problem(s, false)
	return code != ""
}

// runeProblem is Problem for one character of valid UTF-8 (a CR that
// starts a CR LF is Problem's business).
func runeProblem(r rune, multiline bool) string {
	switch {
	case r == '\n' && multiline:
		return ""
	case r < 0x20 || (r >= 0x7F && r <= 0x9F) || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r):
		return CodeControlChar
	case r == utf8.RuneError || !XMLChar(r):
		return CodeInvalidChar
	}
	return ""
}

// XMLChar reports whether r may appear in an XML 1.0 document (the Char
// production).
func XMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) ||
		(r >= 0x10000 && r <= 0x10FFFF)
}

// Message is the Chinese message for a Problem of the field label.
func Message(label, code string, r rune) string {
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
