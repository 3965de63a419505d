package search

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

func TestZZProbe(t *testing.T) {
	ix, err := Open("/tmp/wb/1000000", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	data, _ := os.ReadFile("/tmp/wb/1000000.viewers.json")
	_ = data
	v := Viewer{Units: benchShape.units[:2], Clearance: "机密"}
	for _, q := range []string{"违规经商办企业", "形式主义官僚主义", "函询回复", "纪检监察", ""} {
		var best time.Duration
		var r *Result
		for i := 0; i < 5; i++ {
			t0 := time.Now()
			r, err = ix.search(context.Background(), Request{Q: q, Sort: os.Getenv("SORT")}, v, os.Getenv("NOFACETS") == "")
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(t0); i == 0 || d < best {
				best = d
			}
		}
		fmt.Println(q, r.Total, r.FacetsCapped, best)
	}
}
