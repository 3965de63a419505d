package templates

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestUnpairedSurrogateFromJSON: a lone surrogate escape and raw invalid
// bytes, decoded by encoding/json as a server does, are refused in a
// template field (they arrive as U+FFFD).
func TestUnpairedSurrogateFromJSON(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := r.Get("supervision-suggestion")
	for _, raw := range []string{`"甲\ud800乙"`, `"\udfff"`, "\"甲\xff乙\"", `"\ud83d"`} {
		var s string
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			t.Fatal(err)
		}
		fields := tp.Example()
		fields["subject"] = s
		err := r.Validate("supervision-suggestion", fields)
		var fe FieldErrors
		if !errors.As(err, &fe) || len(fe) != 1 || fe[0].Field != "subject" || fe[0].Code != CodeInvalidChar {
			t.Errorf("%s: %v", raw, err)
		}
	}
	// A proper pair is one astral character and passes.
	var s string
	if err := json.Unmarshal([]byte(`"\ud840\udc00"`), &s); err != nil || s != "𠀀" {
		t.Fatalf("%q %v", s, err)
	}
}
