package docgen

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNotDocx is returned by ExtractText for bytes that are not a Word
// package.
var ErrNotDocx = errors.New("docgen: not a .docx package")

// maxDocumentXML bounds the uncompressed word/document.xml read by
// ExtractText (a zip bomb guard).
const maxDocumentXML = 64 << 20

// ExtractText returns the text of a .docx's main document part, one
// paragraph a line. It is used to index imported records.
func ExtractText(docx []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotDocx, err)
	}
	var doc *zip.File
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			doc = f
			break
		}
	}
	if doc == nil {
		return "", fmt.Errorf("%w: no word/document.xml", ErrNotDocx)
	}
	rc, err := doc.Open()
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotDocx, err)
	}
	defer rc.Close()
	dec := xml.NewDecoder(io.LimitReader(rc, maxDocumentXML))
	var b strings.Builder
	inText, inTabs := false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("%w: document.xml: %v", ErrNotDocx, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t":
				inText = true
			case "tabs":
				inTabs = true
			case "tab":
				if !inTabs { // a tab character, not a tab stop
					b.WriteByte('\t')
				}
			case "br", "cr":
				b.WriteByte('\n')
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "tabs":
				inTabs = false
			case "p":
				b.WriteByte('\n')
			}
		case xml.CharData:
			if inText {
				b.Write(t)
			}
		}
	}
	return b.String(), nil
}
