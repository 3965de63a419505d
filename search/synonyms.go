package search

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// Synonyms (简称/全称, 同义词) are expanded at query time: a bare term that
// holds a form of a group also matches the records that hold another form
// of it in its place (纪委 → 纪律检查委员会, 市纪委 → 市纪律检查委员会),
// ranked below its literal matches. The groups are data: dict/synonyms.txt,
// built into the binary, and every *.txt file in Options.SynonymDir
// (default <dir>/synonyms.d), read in name order by Open and by
// ReloadSynonyms. Nothing of them is in the index, so changing them needs
// no reindex.

//go:embed dict/synonyms.txt
var shippedSynonyms []byte

// maxSynonymVariants bounds the variants one term expands to.
const maxSynonymVariants = 16

// synonymSet maps each form, folded as the exact fields fold it (needles),
// to the other forms of every group it is in.
type synonymSet struct {
	alts     map[string][]string
	maxRunes int // longest form, in folded runes
}

// loadSynonyms reads the shipped groups and those of dir's *.txt files (a
// missing dir is none).
func loadSynonyms(dir string) (*synonymSet, error) {
	s := &synonymSet{alts: map[string][]string{}}
	if err := s.parse("dict/synonyms.txt", shippedSynonyms); err != nil {
		return nil, err
	}
	if dir == "" {
		return s, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, fmt.Errorf("search: synonyms: %w", err)
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("search: synonyms: %w", err)
		}
		if err := s.parse(f, data); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// parse adds the groups of one file: forms separated by spaces, one group
// per line, "#" to the end of a line a comment. A group of one form, or a
// form without a letter or digit, is an error naming the file and line.
func (s *synonymSet) parse(name string, data []byte) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM from Notepad
	if !utf8.Valid(data) {
		return fmt.Errorf("search: synonyms %s: not UTF-8", name)
	}
	for i, line := range strings.Split(string(data), "\n") {
		if k := strings.IndexByte(line, '#'); k >= 0 {
			line = line[:k]
		}
		forms := strings.Fields(line)
		if len(forms) == 0 {
			continue
		}
		if len(forms) == 1 {
			return fmt.Errorf("search: synonyms %s:%d: a group needs two forms or more, got %q", name, i+1, forms[0])
		}
		keys := make([]string, len(forms))
		for j, f := range forms {
			n := needles([]string{f})
			if len(n) == 0 {
				return fmt.Errorf("search: synonyms %s:%d: %q has no letter or digit", name, i+1, f)
			}
			keys[j] = string(n[0])
			s.maxRunes = max(s.maxRunes, len(n[0]))
		}
		for j, k := range keys {
			for l, f := range forms {
				if l != j && keys[l] != k && !contains(s.alts[k], f) {
					s.alts[k] = append(s.alts[k], f)
				}
			}
		}
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// expand returns the variants of term with a form of a group replaced by
// each other form of the group: the longest form starting at each place,
// left to right, every match replaced on its own. It returns nil when term
// holds no form.
func (s *synonymSet) expand(term string) []string {
	if s == nil || len(s.alts) == 0 {
		return nil
	}
	n := needles([]string{term})
	if len(n) == 0 {
		return nil
	}
	t := n[0]
	var out []string
	for i := 0; i < len(t); {
		l := min(s.maxRunes, len(t)-i)
		for ; l > 0; l-- {
			if _, ok := s.alts[string(t[i:i+l])]; ok {
				break
			}
		}
		if l == 0 {
			i++
			continue
		}
		for _, alt := range s.alts[string(t[i:i+l])] {
			out = append(out, runesText(t[:i])+alt+runesText(t[i+l:]))
		}
		i += l
	}
	return pruneVariants(term, out)
}

// pruneVariants drops the variants that can match nothing the term or
// another variant does not (those that hold one of them: 八项规定精神 →
// 中央八项规定精神精神 beside 中央八项规定精神), and keeps at most
// maxSynonymVariants.
func pruneVariants(term string, vs []string) []string {
	folded := func(s string) string { return runesText(needles([]string{s})[0]) }
	lit := folded(term)
	var out []string
	for i, v := range vs {
		fv := folded(v)
		redundant := strings.Contains(fv, lit)
		for j, w := range vs {
			if fw := folded(w); j != i && fw != fv && strings.Contains(fv, fw) {
				redundant = true
			}
		}
		if !redundant && !contains(out, v) && len(out) < maxSynonymVariants {
			out = append(out, v)
		}
	}
	return out
}

// runesText turns folded needle runes back into text, a separator into a
// space.
func runesText(rs []rune) string {
	var b strings.Builder
	for _, r := range rs {
		if r == sepRune {
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ReloadSynonyms reads the synonym groups again (the shipped ones and
// Options.SynonymDir's files); searches after it expand with the new
// groups. On an error the groups in use stay.
func (ix *Index) ReloadSynonyms() error {
	if err := ix.rlock(); err != nil {
		return err
	}
	defer ix.mu.RUnlock()
	s, err := loadSynonyms(ix.opts.SynonymDir)
	if err != nil {
		return err
	}
	ix.synonyms.Store(s)
	return nil
}

// Synonyms returns the variants a bare term is also searched as (nil when
// none), e.g. for an "also searched: …" line.
func (ix *Index) Synonyms(term string) []string {
	return ix.synonyms.Load().expand(term)
}
