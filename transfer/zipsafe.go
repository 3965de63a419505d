package transfer

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits bound what Verify reads from a package.
type Limits struct {
	MaxEntries    int   // zip entries; default 200 000
	MaxEntryBytes int64 // uncompressed size of one entry; default 1 GiB
	MaxTotalBytes int64 // uncompressed size of all entries; default 64 GiB
	MaxKeptBytes  int64 // a manifest, catalogue, chain or key read into memory; default 64 MiB
	MaxKeptTotal  int64 // all of those together; default 1 GiB
}

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = 200_000
	}
	if l.MaxEntryBytes <= 0 {
		l.MaxEntryBytes = 1 << 30
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = 64 << 30
	}
	if l.MaxKeptBytes <= 0 {
		l.MaxKeptBytes = 64 << 20
	}
	if l.MaxKeptTotal <= 0 {
		l.MaxKeptTotal = 1 << 30
	}
	return l
}

// unsafeName says why name may not be a package path ("" if it may): it
// must be valid UTF-8 without control characters, relative, with forward
// slashes only, and without empty, "." or ".." segments or a drive letter.
func unsafeName(name string) string {
	switch {
	case name == "":
		return "空文件名"
	case !utf8.ValidString(name):
		return "文件名不是有效的 UTF-8"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "文件名含控制字符"
	case strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || (len(name) > 1 && name[1] == ':'):
		return "绝对路径或反斜杠路径"
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "路径含空段、. 或 ..（目录穿越）"
		}
	}
	if path.Clean(name) != name {
		return "路径不是规范形式"
	}
	return ""
}

// entry is one zip entry as read: its digests, and its bytes when kept.
type entry struct {
	name string
	file File // path, size, SM3, SHA-256 (role unknown)
	data []byte
	err  error // the entry could not be read in full
}

// keep says whether an entry's bytes are needed after hashing: everything
// but record content, metadata (compared by digest) and attached reports.
func keep(name string) bool {
	base := path.Base(name)
	return !strings.HasPrefix(name, ReportsDir) && !strings.HasPrefix(base, contentBase+".") && base != recordMetadata
}

// scanZip checks the zip's safety (entry count, sizes, names, duplicates,
// links) and, when it is safe, reads and hashes every entry once. A
// finding of kind unsafe or duplicate refuses the package: nothing in it
// is read.
func scanZip(zr *zip.Reader, lim Limits, rep *Report) (map[string]*entry, bool) {
	if len(zr.File) > lim.MaxEntries {
		rep.find("", KindUnsafe, fmt.Sprintf("压缩包有 %d 个条目，超过上限 %d", len(zr.File), lim.MaxEntries))
		return nil, false
	}
	seen := map[string]bool{}
	var total uint64
	safe := true
	for _, f := range zr.File {
		if why := unsafeName(f.Name); why != "" {
			rep.find(f.Name, KindUnsafe, why)
			safe = false
			continue
		}
		if seen[f.Name] {
			rep.find(f.Name, KindDuplicate, "同名条目出现不止一次")
			safe = false
		}
		seen[f.Name] = true
		if mode := f.Mode(); mode&(fs.ModeSymlink|fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
			rep.find(f.Name, KindUnsafe, "条目是链接或特殊文件")
			safe = false
		}
		if f.UncompressedSize64 > uint64(lim.MaxEntryBytes) {
			rep.find(f.Name, KindUnsafe, fmt.Sprintf("条目大小 %d 字节超过上限 %d", f.UncompressedSize64, lim.MaxEntryBytes))
			safe = false
		}
		total += f.UncompressedSize64
	}
	if total > uint64(lim.MaxTotalBytes) {
		rep.find("", KindUnsafe, fmt.Sprintf("解压后总大小 %d 字节超过上限 %d", total, lim.MaxTotalBytes))
		safe = false
	}
	if !safe {
		return nil, false
	}
	entries := make(map[string]*entry, len(zr.File))
	budget := lim.MaxKeptTotal
	for _, f := range zr.File {
		kept := keep(f.Name) && f.UncompressedSize64 <= uint64(min(lim.MaxKeptBytes, budget))
		if kept {
			budget -= int64(f.UncompressedSize64)
		}
		entries[f.Name] = readEntry(f, kept)
	}
	return entries, true
}

// readEntry hashes one entry (keeping its bytes if kept), never reading
// more than its declared size, which scanZip has bounded (archive/zip
// checks the size and CRC-32 at the end).
func readEntry(f *zip.File, kept bool) *entry {
	e := &entry{name: f.Name}
	if f.FileInfo().IsDir() {
		e.file = File{Path: f.Name}
		return e
	}
	rc, err := f.Open()
	if err != nil {
		e.err = err
		return e
	}
	defer rc.Close()
	d := newDigester()
	var w io.Writer = d
	var buf strings.Builder
	if kept {
		w = io.MultiWriter(d, &buf)
	}
	if _, err := io.Copy(w, io.LimitReader(rc, int64(f.UncompressedSize64)+1)); err != nil {
		e.err = err
	} else if uint64(d.n) != f.UncompressedSize64 {
		e.err = fmt.Errorf("实际大小 %d 与声明的 %d 不符", d.n, f.UncompressedSize64)
	}
	e.file = d.file(f.Name, "")
	if kept {
		e.data = []byte(buf.String())
	}
	return e
}
