package server

import (
	"sort"
	"strings"
	"testing"
)

// Every GET route the server registers is either audited as a read or
// listed in unauditedReads as one that shows nothing of a case, so a page
// or API route added later cannot serve records unaudited by oversight.
func TestEveryGetRouteAudited(t *testing.T) {
	e := newEnv(t)
	var missing []string
	seen := map[string]bool{}
	for _, r := range e.srv.App().GetRoutes(true) {
		if r.Method != "GET" || r.Path == "/" && len(r.Handlers) == 0 {
			continue
		}
		key := r.Method + " " + r.Path
		if seen[key] {
			continue
		}
		seen[key] = true
		if _, ok := readRoutes[key]; ok || unauditedReads[key] || strings.HasPrefix(r.Path, "/static") {
			continue
		}
		missing = append(missing, key)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("GET routes neither audited nor listed as unaudited: %v", missing)
	}
	if len(seen) < 40 {
		t.Fatalf("only %d GET routes seen: the route walk is broken", len(seen))
	}
}
