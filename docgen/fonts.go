package docgen

// Fonts names the typefaces a document uses. A .docx can name only one
// eastAsia font per run, so the fallback lists below serve the server-side
// choice (ResolveFonts) and the w:altName entries of the font table; Word
// and LibreOffice substitute on the client when a font is missing.
type Fonts struct {
	Body  string // 仿宋 for 正文 and headings of levels 3 and 4
	Title string // 小标宋 for 标题 and 发文机关标志
	Hei   string // 黑体 for level-1 headings, 密级, 紧急程度
	Kai   string // 楷体 for level-2 headings
	Song  string // 宋体 for page numbers
	Latin string // Latin letters and digits
}

// FontRole names one of the typeface roles of Fonts.
type FontRole string

// Font roles.
const (
	RoleBody  FontRole = "body"
	RoleTitle FontRole = "title"
	RoleHei   FontRole = "hei"
	RoleKai   FontRole = "kai"
	RoleSong  FontRole = "song"
	RoleLatin FontRole = "latin"
)

// FontFallbacks lists, per role, the standard font first and its usual
// substitutes after it (shared/spec/formats.md §3).
var FontFallbacks = map[FontRole][]string{
	RoleBody:  {"仿宋_GB2312", "仿宋", "FangSong", "FangSong_GB2312", "STFangsong"},
	RoleTitle: {"方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S", "华文中宋", "宋体"},
	RoleHei:   {"黑体", "SimHei"},
	RoleKai:   {"楷体_GB2312", "楷体", "KaiTi"},
	RoleSong:  {"宋体", "SimSun"},
	RoleLatin: {"Times New Roman"},
}

// DefaultFonts returns the standard font of every role.
func DefaultFonts() Fonts {
	return Fonts{
		Body:  FontFallbacks[RoleBody][0],
		Title: FontFallbacks[RoleTitle][0],
		Hei:   FontFallbacks[RoleHei][0],
		Kai:   FontFallbacks[RoleKai][0],
		Song:  FontFallbacks[RoleSong][0],
		Latin: FontFallbacks[RoleLatin][0],
	}
}

// ResolveFonts picks, for each role, the first font of its fallback list
// that installed reports present. A role with none present keeps its
// standard font (the reader's Word substitutes it) and is named in missing,
// so the caller can warn.
func ResolveFonts(installed func(name string) bool) (f Fonts, missing []FontRole) {
	pick := func(role FontRole) string {
		for _, name := range FontFallbacks[role] {
			if installed(name) {
				return name
			}
		}
		missing = append(missing, role)
		return FontFallbacks[role][0]
	}
	f.Body = pick(RoleBody)
	f.Title = pick(RoleTitle)
	f.Hei = pick(RoleHei)
	f.Kai = pick(RoleKai)
	f.Song = pick(RoleSong)
	f.Latin = pick(RoleLatin)
	return f, missing
}

// withDefaults fills empty names with the standard fonts.
func (f Fonts) withDefaults() Fonts {
	d := DefaultFonts()
	if f.Body == "" {
		f.Body = d.Body
	}
	if f.Title == "" {
		f.Title = d.Title
	}
	if f.Hei == "" {
		f.Hei = d.Hei
	}
	if f.Kai == "" {
		f.Kai = d.Kai
	}
	if f.Song == "" {
		f.Song = d.Song
	}
	if f.Latin == "" {
		f.Latin = d.Latin
	}
	return f
}

// altName returns the next font of name's fallback list, if any.
func altName(name string) string {
	for _, list := range FontFallbacks {
		for i, n := range list {
			if n == name && i+1 < len(list) {
				return list[i+1]
			}
		}
	}
	return ""
}
