package archive

import "strings"

// SplitPersons splits a list of people (涉及人员) typed as one string — the
// web forms' persons field, the import API's and the CLI's --persons — on
// 、 , ， ; ； and line breaks, trims each name, drops empty ones and keeps
// the first of repeated ones, in order. A space is part of a name (欧阳 明华).
// The result is never nil: an empty list is stored as [].
func SplitPersons(s string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, p := range strings.FieldsFunc(s, isPersonSeparator) {
		if p = strings.TrimSpace(p); p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

func isPersonSeparator(r rune) bool {
	switch r {
	case '、', ',', '，', ';', '；', '\n', '\r':
		return true
	}
	return false
}
