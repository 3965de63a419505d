// Package textract turns the bytes of a filed file into plain text for the
// search index: the 函询回复 (reply to an inquiry letter) and other uploads
// that may come as .docx, UTF-8 .txt, .pdf with a text layer, a scanned PDF,
// or a scanned .png or .jpg.
//
// It owns:
//   - detection by content (magic bytes), checked against the file name's
//     extension: a mismatch or an unsupported type is a typed *Error with a
//     stable Code and a Chinese Message (ErrMismatch, ErrUnsupported, …);
//   - running the outside tools — poppler's pdftotext and pdftoppm, and
//     tesseract with the chi_sim data — in bounded time and memory: each
//     run has a deadline, an address-space limit (prlimit --as), its own
//     process group that is killed on timeout, inputs in a private 0700
//     temporary directory that is always removed, and a size cap on what it
//     prints (beyond it ErrTooLarge, never silent truncation);
//   - limits on the input: bytes, image pixels (read from the PNG/JPEG
//     header before any tool runs) and pages sent to OCR;
//   - normalising the text so that Chinese phrases are found: NFC, no form
//     feeds, no spaces that pdftotext and tesseract put between Chinese
//     characters ("函 询 回 复" → "函询回复"), wrapped lines of one paragraph
//     joined, line breaks between paragraphs kept;
//   - Check, which reports which tools are present (for /readyz).
//
// Tools get the input as a path in the private directory (stdin is
// /dev/null) and one OpenMP thread each. One Extract runs its tools one
// after the other, so it costs at most one tool's memory limit at a time
// plus the text in memory (≤ MaxTextBytes, a .docx or .txt ≤ MaxInputBytes);
// how many Extracts run at once is the caller's limit to set.
//
// It must not know HTTP, storage, the catalog or search: it returns text and
// errors; the server maps the errors to statuses (422 for a bad file, 503
// for ErrToolMissing) and the indexer decides what to do with the text.
// .docx text comes from docgen.ExtractText, unchanged.
package textract
