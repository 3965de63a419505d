package textract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalize makes extracted text searchable as Chinese:
//   - NFC (pdftotext may give decomposed forms), and the Kangxi radicals
//     that some PDF fonts map their ideographs to (⽇ U+2F47) become the
//     ideographs (日); full NFKC would also turn "，" into ",";
//   - \r\n and \r become \n, a form feed (page break) a paragraph break,
//     other control characters go;
//   - on each line, runs of spaces (also U+3000 and no-break space) between
//     two Chinese characters, or a Chinese character and a digit, are
//     removed ("函 询 回 复" → "函询回复", "15 个工作日" → "15个工作日");
//     other runs become one space; lines are trimmed;
//   - if laidOut (text from a page: pdftotext, OCR — not a .docx or .txt,
//     whose lines are paragraphs), within a paragraph (lines not separated
//     by a blank line), a line that
//     nearly fills the widest line and ends, not with 。！？：；, and is
//     followed by Chinese text is a wrap, not a break: it is joined to the
//     next line without a space, so a phrase split by the page's line end
//     is found (unwrap);
//   - more than one blank line becomes one.
func normalize(s string, laidOut bool) string {
	s = norm.NFC.String(s)
	s = strings.Map(unradical, s)
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\f", "\n\n").Replace(s)
	var out, para []string
	flush := func() {
		switch {
		case len(para) == 0:
		case laidOut:
			out = append(out, unwrap(para))
		default:
			out = append(out, strings.Join(para, "\n"))
		}
		para = para[:0]
	}
	for _, l := range strings.Split(s, "\n") {
		if l = collapseSpaces(l); l == "" {
			flush() // a blank line (or one of spaces only) ends a paragraph
		} else {
			para = append(para, l)
		}
	}
	flush()
	return strings.Join(out, "\n\n")
}

// collapseSpaces handles the horizontal space of one line (see normalize).
func collapseSpaces(line string) string {
	var b strings.Builder
	b.Grow(len(line))
	var prev rune    // last rune written
	pending := false // a run of space seen after prev
	numeric := false // the word that ends in prev is all digits
	for _, r := range line {
		switch {
		case isSpace(r):
			pending = true
			continue
		case unicode.IsControl(r):
			continue
		}
		if pending && prev != 0 && !joinable(prev, r, numeric) {
			b.WriteByte(' ')
		}
		if isDigit(r) {
			starts := pending || prev == 0 || isCJK(prev)
			numeric = starts || numeric
		} else {
			numeric = false
		}
		pending = false
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\u3000' || r == '\u00A0' || r == '\v'
}

// joinable reports whether a and b are written without space between them
// in Chinese: both Chinese, or a Chinese character and a number (a ends a
// word that is all digits when numeric: "2026 年" joins, "SM2 签名" not).
func joinable(a, b rune, numeric bool) bool {
	ca, cb := isCJK(a), isCJK(b)
	return (ca && cb) || (ca && isDigit(b)) || (numeric && cb)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// isCJK reports Han characters and the punctuation of Chinese text
// (CJK symbols, full-width forms, the curly quotes, dash and ellipsis).
func isCJK(r rune) bool {
	switch {
	case unicode.Is(unicode.Han, r):
		return true
	case r >= 0x3001 && r <= 0x303F, r >= 0xFF01 && r <= 0xFF60, r >= 0xFE30 && r <= 0xFE4F:
		return true
	case r >= 0x2018 && r <= 0x201F, r == 0x2014, r == 0x2026, r == 0x00B7:
		return true
	}
	return false
}

// width counts a Chinese character as two columns and others as one.
func width(s string) int {
	n := 0
	for _, r := range s {
		if isCJK(r) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// unwrap joins the wrapped lines of one paragraph (see normalize): line
// i is joined to line i+1 when it fills at least 70 % of the widest line
// (widths in columns, a Chinese character two), that width is at least
// 20 columns, and line i ends and line i+1 starts with Chinese text or a
// digit, line i not with a sentence's end (。！？：；). A paragraph that
// ends exactly at the line's end is then kept apart from the next.
func unwrap(lines []string) string {
	widest := 0
	for _, l := range lines {
		widest = max(widest, width(l))
	}
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(l)
		if i == len(lines)-1 {
			break
		}
		last, _ := utf8.DecodeLastRuneInString(l)
		first, _ := utf8.DecodeRuneInString(lines[i+1])
		full := widest >= 20 && width(l)*100 >= widest*70
		if full && !strings.ContainsRune("。！？：；", last) &&
			(isCJK(last) || isDigit(last)) && (isCJK(first) || isDigit(first)) {
			continue
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// unradical maps a Kangxi or supplementary CJK radical to its ideograph.
func unradical(r rune) rune {
	if r < 0x2E80 || r > 0x2FDF {
		return r
	}
	if s := norm.NFKC.String(string(r)); utf8.RuneCountInString(s) == 1 {
		r, _ = utf8.DecodeRuneInString(s)
	}
	return r
}
