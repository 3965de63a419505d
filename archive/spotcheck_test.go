package archive

import (
	"fmt"
	"strings"
	"testing"
)

func TestSampleSize(t *testing.T) {
	for n, want := range map[int]int{0: 0, 1: 1, 19: 1, 20: 1, 21: 2, 40: 2, 41: 3, 100: 5, 101: 6} {
		if got := SampleSize(n); got != want {
			t.Errorf("SampleSize(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestDrawSampleIsReproducible(t *testing.T) {
	pop := make([]string, 21)
	for i := range pop {
		pop[i] = fmt.Sprintf("01K%023d", i)
	}
	a := DrawSample("2026年12月1日组务会", pop)
	// The population's order does not matter; the seed does.
	rev := append([]string(nil), pop...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	b := DrawSample("2026年12月1日组务会", rev)
	if len(a) != 2 || strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("draws %v %v", a, b)
	}
	// The documented procedure, by hand: the two smallest SM3(seed‖0‖id).
	best, second := "", ""
	for _, id := range pop {
		k := sm3Hex(append(append([]byte("2026年12月1日组务会"), 0), id...))
		switch {
		case best == "" || k < keyOf(best):
			best, second = id, best
		case second == "" || k < keyOf(second):
			second = id
		}
	}
	if a[0] != best || a[1] != second {
		t.Errorf("draw %v, want [%s %s]", a, best, second)
	}
	differs := false
	for i := 0; i < 20 && !differs; i++ {
		differs = strings.Join(DrawSample(fmt.Sprintf("seed %d", i), pop), ",") != strings.Join(a, ",")
	}
	if !differs {
		t.Error("twenty other seeds all drew the same sample")
	}
}

func keyOf(id string) string {
	return sm3Hex(append(append([]byte("2026年12月1日组务会"), 0), id...))
}
