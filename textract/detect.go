package textract

import (
	"archive/zip"
	"bytes"
	"io"
	"path/filepath"
	"strings"
)

// Kind is a file type textract reads, as detected from the content.
type Kind string

// Kinds.
const (
	KindDocx Kind = "docx"
	KindText Kind = "txt" // UTF-8 plain text
	KindPDF  Kind = "pdf"
	KindPNG  Kind = "png"
	KindJPEG Kind = "jpeg"
)

// kindByExt maps a lower-case file extension to the kind it promises.
var kindByExt = map[string]Kind{
	".docx": KindDocx,
	".txt":  KindText,
	".pdf":  KindPDF,
	".png":  KindPNG,
	".jpg":  KindJPEG,
	".jpeg": KindJPEG,
}

// sniffLen is how much of the head Detect reads.
const sniffLen = 512

// Detect returns the kind of the content in r (size bytes long) and checks
// it against name's extension. name may be empty: then the content alone
// decides, and anything that is not one of the binary kinds is taken as
// text (whose UTF-8 is checked when it is read).
//
// Content that is a known but unsupported type (a zip that is not a Word
// package, GIF, …) is ErrUnsupported whatever its name; content of one
// supported kind under another kind's extension is ErrMismatch; an
// extension outside .docx .txt .pdf .png .jpg .jpeg is ErrUnsupported.
func Detect(name string, r io.ReaderAt, size int64) (Kind, error) {
	ext := strings.ToLower(filepath.Ext(name))
	want, known := kindByExt[ext]
	if name != "" && !known {
		return "", refuse(ErrUnsupported, "扩展名 "+ext, "extension "+ext, nil)
	}
	head := make([]byte, min(size, sniffLen))
	if _, err := r.ReadAt(head, 0); err != nil && err != io.EOF {
		return "", refuse(ErrFailed, "", "read head", err)
	}
	got, other := sniff(head, r, size)
	switch {
	case other != "":
		return "", refuse(ErrUnsupported, "内容为 "+other, "content is "+other, nil)
	case got == "" && (name == "" || want == KindText):
		return KindText, nil
	case got == "":
		return "", refuse(ErrMismatch, "内容不是 "+ext+" 文件", "content is not "+string(want), nil)
	case name != "" && got != want:
		return "", refuse(ErrMismatch, "扩展名为 "+ext+"，内容为 "+string(got),
			"extension "+ext+", content "+string(got), nil)
	}
	return got, nil
}

// sniff names a supported kind, or an unsupported type it recognises, or
// neither (text or unknown).
func sniff(head []byte, r io.ReaderAt, size int64) (Kind, string) {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return KindPNG, ""
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return KindJPEG, ""
	case bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("%PDF-")):
		// Readers may accept junk before the header (PDF 32000-1 annex
		// H.3); we do not, so a text that quotes "%PDF-" stays text.
		return KindPDF, ""
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		if isWordPackage(r, size) {
			return KindDocx, ""
		}
		return "", "zip"
	}
	for _, m := range otherMagic {
		if bytes.HasPrefix(head, []byte(m.magic)) {
			return "", m.name
		}
	}
	return "", ""
}

// otherMagic lists common binary types that are refused as unsupported
// rather than as a mismatch (the clerk chose the wrong file, not a wrong
// name).
var otherMagic = []struct{ magic, name string }{
	{"GIF8", "GIF"},
	{"II*\x00", "TIFF"},
	{"MM\x00*", "TIFF"},
	{"RIFF", "RIFF (WebP/AVI/WAV)"},
	{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "OLE (.doc/.xls)"},
	{"Rar!", "RAR"},
	{"7z\xBC\xAF\x27\x1C", "7z"},
	{"\x1F\x8B", "gzip"},
	{"\x7FELF", "ELF"},
	{"{\\rtf", "RTF"},
}

// isWordPackage reports whether the zip has a main document part.
func isWordPackage(r io.ReaderAt, size int64) bool {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return false
	}
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			return true
		}
	}
	return false
}
