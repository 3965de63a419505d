package docgen

// Page geometry in twips (1/20 pt; 1 mm = 56.693 twips), GB/T 9704-2012 §5
// as OOXML values (shared/spec/formats.md §1.1).
const (
	PageWidth    = 11906                                // A4 210 mm
	PageHeight   = 16838                                // A4 297 mm
	MarginTop    = 2098                                 // 天头 37 mm
	MarginBottom = 1984                                 // 35 mm
	MarginLeft   = 1588                                 // 订口 28 mm
	MarginRight  = 1474                                 // 26 mm
	TextWidth    = PageWidth - MarginLeft - MarginRight // 版心 156 mm = 8844
	LinePitch    = 579                                  // 225 mm / 22 lines, rounded down
	LinesPerPage = 22
	CharsPerLine = 28
	// CharSpacing condenses body text by 0.3 pt so that 28 characters of
	// 3号 fit the 版心 in LibreOffice as in Word: 28 × (320 − 6) ≤ 8844.
	CharSpacing = -6

	SizeBody     = 32 // 3号 16 pt, in half-points
	SizeTitle    = 44 // 2号 22 pt
	SizeSmall    = 28 // 4号 14 pt: 抄送, 印发, page numbers, tables
	CharBody     = 320
	CharSmall    = 280
	IndentBody   = 2 * CharBody      // 2字 first-line indent
	IndentSign   = 4 * CharBody      // 成文日期 right indent, sealed layout
	RedRuleSpace = 11                // pt: red rule 4 mm below the 发文字号
	MarkFromTop  = 1984              // 标志 35 mm below the 版心 top (文件格式)
	LetterMarkY  = 1701              // 标志 30 mm below the paper top (信函格式)
	LetterGap    = 280               // 3号汉字高度的7/8 = 14 pt
	LetterRule   = 9638              // 170 mm double lines
	LetterBottom = PageHeight - 1134 // lower double line 20 mm above the paper bottom
	FooterDist   = 1418              // 25 mm: puts the page number's dash ≈ 7 mm below the 版心
	HeaderDist   = LetterMarkY

	colorRed   = "FF0000"
	colorBlack = "000000"
)
