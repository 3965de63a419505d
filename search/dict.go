package search

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// The jieba dictionaries travel inside the binary. The two large ones (over
// 5 MB raw) and the HMM model are stored gzip-compressed and written out
// uncompressed. gojieba's own demo user dictionary is not shipped: ours
// (dict/user.dict.utf8, 纪检监察 vocabulary) takes its place.
//
//go:embed dict/jieba.dict.utf8.gz dict/hmm_model.utf8.gz dict/idf.utf8.gz dict/stop_words.utf8 dict/user.dict.utf8
var dictFS embed.FS

// analyzerVersion changes whenever the tokenizer's output for the same
// dictionaries would change; it is part of the hash stored in the index.
const analyzerVersion = "wenshu-jieba-2"

// dictPaths are the five files handed to gojieba.NewJieba, in its order.
type dictPaths struct {
	Dict, HMM, User, IDF, Stop string
}

func (p dictPaths) list() []string { return []string{p.Dict, p.HMM, p.User, p.IDF, p.Stop} }

type dictFile struct {
	name string // file name written under <dir>/dict/
	src  string // path inside dictFS
	seg  bool   // changes segmentation (part of the dictionary hash)
}

var dictFiles = []dictFile{
	{"jieba.dict.utf8", "dict/jieba.dict.utf8.gz", true},
	{"hmm_model.utf8", "dict/hmm_model.utf8.gz", true},
	{"user.dict.utf8", "dict/user.dict.utf8", true},
	{"idf.utf8", "dict/idf.utf8.gz", false},
	{"stop_words.utf8", "dict/stop_words.utf8", false},
}

// embeddedDict returns the uncompressed content of one embedded file.
func embeddedDict(src string) ([]byte, error) {
	raw, err := dictFS.ReadFile(src)
	if err != nil {
		return nil, fmt.Errorf("search: embedded dictionary %s: %w", src, err)
	}
	if !strings.HasSuffix(src, ".gz") {
		return raw, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("search: embedded dictionary %s: %w", src, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("search: embedded dictionary %s: %w", src, err)
	}
	return out, nil
}

// writeDictionaries writes the embedded dictionaries under dir when a file is
// missing or its content differs, and returns the paths to hand to jieba and
// the hash of everything that decides segmentation.
func writeDictionaries(dir string) (dictPaths, string, error) {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return dictPaths{}, "", fmt.Errorf("search: dictionary dir: %w", err)
	}
	h := sha256.New()
	io.WriteString(h, analyzerVersion+"\n")
	paths := make([]string, len(dictFiles))
	for i, f := range dictFiles {
		want, err := embeddedDict(f.src)
		if err != nil {
			return dictPaths{}, "", err
		}
		sum := sha256.Sum256(want)
		if f.seg {
			fmt.Fprintf(h, "%s %x\n", f.name, sum)
		}
		p := filepath.Join(dir, f.name)
		paths[i] = p
		if have, err := os.ReadFile(p); err == nil && sha256.Sum256(have) == sum {
			continue
		}
		if err := writeFileAtomic(p, want); err != nil {
			return dictPaths{}, "", err
		}
	}
	return dictPaths{paths[0], paths[1], paths[2], paths[3], paths[4]}, hex.EncodeToString(h.Sum(nil)), nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("search: write dictionary: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("search: write dictionary: %w", werr)
	}
	return nil
}

// userTerms parses a cppjieba user dictionary ("word [freq] [tag]" per line).
func userTerms(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		out = append(out, f[0])
	}
	return out
}
