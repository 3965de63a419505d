package docgen

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"wenshu/textrule"
)

// ValidXMLChar reports whether r may appear in an XML 1.0 document
// (textrule.XMLChar, the one copy of the rule).
func ValidXMLChar(r rune) bool { return textrule.XMLChar(r) }

// sanitize replaces every character XML cannot carry (and invalid UTF-8)
// with U+FFFD. Validation in the templates package rejects such input with
// a clear error first; this is the writer's own guarantee that no input can
// produce an invalid part.
func sanitize(s string) string {
	ok := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !ValidXMLChar(r) || r == '\t' || r == '\n' || r == '\r' {
			ok = false
			break
		}
		i += n
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\t' || r == '\n' || r == '\r':
			// Line structure is the model's job; stray breaks become spaces.
			b.WriteByte(' ')
		case !ValidXMLChar(r):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapeTo writes s as XML character data (also safe inside attributes).
func escapeTo(buf *bytes.Buffer, s string) {
	_ = xml.EscapeText(buf, []byte(sanitize(s)))
}

// FormatDate writes a 成文日期 in GB/T 9704-2012 form: Arabic numerals, full
// year, no leading zeros (2026年3月5日).
func FormatDate(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

var cnDigits = []string{"〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// ChineseNumber writes n (1 ≤ n ≤ 99) in Chinese numerals as used for
// heading numbers: 一, 十, 十一, 二十, 二十一. Other values fall back to Arabic.
func ChineseNumber(n int) string {
	switch {
	case n <= 0 || n >= 100:
		return fmt.Sprint(n)
	case n < 10:
		return cnDigits[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + cnDigits[n-10]
	case n%10 == 0:
		return cnDigits[n/10] + "十"
	default:
		return cnDigits[n/10] + "十" + cnDigits[n%10]
	}
}

// HeadingNumber returns the number prefix of the n-th heading of a level:
// 一、 （一） 1. （1）.
func HeadingNumber(level, n int) string {
	switch level {
	case 1:
		return ChineseNumber(n) + "、"
	case 2:
		return "（" + ChineseNumber(n) + "）"
	case 3:
		return fmt.Sprintf("%d.", n)
	default:
		return fmt.Sprintf("（%d）", n)
	}
}

// finalPunct lists characters that may not end a 标题.
const finalPunct = "。，、；：！？,.;:!?"

// cleanTitle drops final punctuation from a title (GB/T 9704 §7.3.1).
func cleanTitle(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), finalPunct)
}
