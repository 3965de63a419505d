package search

// synonymSet is stubbed until the dictionary lands.
type synonymSet struct{ of map[string][]string }

// expand returns the other forms of term, nil when it has none.
func (s *synonymSet) expand(term string) []string {
	if s == nil {
		return nil
	}
	return s.of[term]
}
