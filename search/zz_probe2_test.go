package search

import (
	"context"
	"fmt"
	"testing"

	"github.com/blevesearch/bleve/v2"
)

func TestZZProbe2(t *testing.T) {
	ix, err := Open("/tmp/wb/1000000", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	sh, _ := ix.shardFor(benchShape.units[0], false)
	for _, w := range []string{"违规经商办企业", "形式主义官僚主义", "函询回复", "纪检监察"} {
		wq, _ := searchShards(context.Background(), []*shard{sh}, bleve.NewSearchRequestOptions(wordQuery(w), 0, 0, false))
		eq, _ := searchShards(context.Background(), []*shard{sh}, bleve.NewSearchRequestOptions(exactQuery(w, 1), 0, 0, false))
		c := ix.newCompiler()
		fmt.Println(w, "word docs", wq.Total, "exact docs", eq.Total, "index toks", func() (out []string) {
			for _, tk := range c.zhIdx.Analyze([]byte("反映其" + w + "问题")) {
				out = append(out, string(tk.Term))
			}
			return
		}())
	}
}
