package textract

import (
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of JPEG headers
	_ "image/png"  // DecodeConfig of PNG headers
	"io"
	"os"
	"strconv"
)

// extractImage reads a scanned .png or .jpg with tesseract.
func (e *Extractor) extractImage(ctx context.Context, dir string, f *os.File) (*Result, error) {
	text, err := e.ocr(ctx, dir, f)
	if err != nil {
		return nil, err
	}
	return &Result{Text: text, Method: MethodOCR, Pages: 1, OCRPages: 1}, nil
}

// ocr checks the image's size from its header, then runs tesseract on the
// file: -l OCRLanguages, --psm OCRPageSegMode (3: the page's blocks,
// paragraphs and lines are found automatically, which keeps the blank
// line between paragraphs), text to stdout.
func (e *Extractor) ocr(ctx context.Context, dir string, f *os.File) (string, error) {
	if err := e.checkPixels(f); err != nil {
		return "", err
	}
	out, err := e.run(ctx, dir, job{
		tool: toolTesseract,
		args: []string{f.Name(), "stdout", "-l", e.opts.OCRLanguages,
			"--psm", strconv.Itoa(e.opts.OCRPageSegMode)},
		timeout: e.opts.OCRPageTimeout,
		outCap:  e.opts.MaxTextBytes,
	})
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// checkPixels refuses an image whose header declares more than
// MaxImagePixels, before a decoder allocates for it.
func (e *Extractor) checkPixels(f *os.File) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("textract: rewind: %w", err)
	}
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return refuse(ErrFailed, "图像文件头无法读取", "image header", err)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > e.opts.MaxImagePixels {
		return refuse(ErrImageTooLarge,
			fmt.Sprintf("%d×%d 像素，上限为 %d 像素", cfg.Width, cfg.Height, e.opts.MaxImagePixels),
			fmt.Sprintf("%s %dx%d over %d pixels", format, cfg.Width, cfg.Height, e.opts.MaxImagePixels), nil)
	}
	return nil
}
