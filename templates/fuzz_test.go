package templates

import (
	"errors"
	"strings"
	"testing"

	"wenshu/internal/gbcheck"
)

// FuzzRender puts arbitrary text into the string, text and list fields of
// two templates: the result is either FieldErrors or a package whose every
// part is well-formed XML and whose text holds the input literally.
func FuzzRender(f *testing.F) {
	for _, s := range []string{"张三", "<w:t>&]]>", "# 标题\n@title x", "| a | b |", "\\", "\x00", "😀𠀀", "\r\n\r\n", "---", "= 副标题"} {
		f.Add(s, s)
	}
	r, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, id := range []string{"supervision-suggestion", "talk-plan"} {
			tp, _ := r.Get(id)
			fields := tp.Example()
			if id == "supervision-suggestion" {
				fields["subject"], fields["situation"], fields["problems"] = a, b, []any{a, b}
			} else {
				fields["talk_place"], fields["purpose"], fields["outline"] = a, b, []any{b}
				fields["duties"] = []any{map[string]any{"name": a, "duty": b}}
			}
			out, err := r.Render(RenderRequest{TemplateID: id, Fields: fields})
			var fe FieldErrors
			if errors.As(err, &fe) {
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			rep, err := gbcheck.Check(out.Docx)
			if err != nil {
				t.Fatalf("%s: invalid package: %v", id, err)
			}
			if id == "supervision-suggestion" && !strings.Contains(rep.Title, strings.TrimSpace(a)) {
				t.Fatalf("title %q lost the subject %q", rep.Title, a)
			}
		}
	})
}
