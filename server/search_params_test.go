package server

import (
	"net/url"
	"reflect"
	"testing"
	"time"

	"wenshu/search"
)

func TestSearchParamsRoundTrip(t *testing.T) {
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, chinaTime) }
	for _, r := range []search.Request{
		{},
		{Q: "谈话函询"},
		{Q: `"违反中央八项规定精神" -诫勉谈话`, Kind: "函询通知书", Unit: "中共某某省纪委监委驻省财政厅纪检监察组", Person: "张建国",
			Case: "AJ-2026-007", Classification: "秘密", Retention: "D30", Year: 2026, Sort: "-filed_at", Page: 3, Size: 50,
			From: day(2026, 1, 1), To: day(2026, 3, 31).Add(24*time.Hour - time.Nanosecond)},
	} {
		got, err := searchFromQuery(searchToQuery(r))
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("query round trip of %+v: %+v, %v", r, got, err)
		}
		raw, err := searchToJSON(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err = searchFromJSON(raw)
		if err != nil || !got.From.Equal(r.From) || !got.To.Equal(r.To) {
			t.Errorf("JSON round trip of %+v: %+v, %v", r, got, err)
		}
		got.From, got.To, r.From, r.To = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("JSON round trip: %+v, want %+v", got, r)
		}
	}
	// A saved search reads like one sent to the API: only what is set.
	raw, _ := searchToJSON(search.Request{Q: "谈话函询", Year: 2026})
	if string(raw) != `{"q":"谈话函询","year":2026}` {
		t.Errorf("saved JSON: %s", raw)
	}
}

func TestSearchParamsErrors(t *testing.T) {
	for _, c := range []struct{ query, field string }{
		{"year=二〇二六", "year"},
		{"page=x", "page"},
		{"size=1.5", "size"},
		{"from=2026-13-01", "from"},
		{"to=2026/01/01", "to"},
	} {
		p, _ := url.ParseQuery(c.query)
		_, err := searchFromQuery(p)
		class := classify(err)
		if class.Status != 400 || class.Field != c.field || class.Code != "bad_"+c.field {
			t.Errorf("%s: %+v (%v)", c.query, class, err)
		}
	}
	for _, raw := range []string{``, `[]`, `{"bogus": 1}`, `{"year": "2026"}`, `{"q": "a"} x`} {
		if _, err := searchFromJSON([]byte(raw)); err == nil {
			t.Errorf("saved search %q read without error", raw)
		}
	}
}

func TestSplitPersons(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{" 、,; \n", []string{}},
		{"张建国", []string{"张建国"}},
		{"张建国、王明", []string{"张建国", "王明"}},
		{"张建国,王明，李华", []string{"张建国", "王明", "李华"}},
		{"张建国;王明；李华", []string{"张建国", "王明", "李华"}},
		{"张建国\r\n王明\n李华\r", []string{"张建国", "王明", "李华"}},
		{" 张建国 、 王明 ", []string{"张建国", "王明"}},
		{"张建国、、王明,,", []string{"张建国", "王明"}},
		{"王明、张建国、王明、张建国", []string{"王明", "张建国"}},
		{"欧阳 明华", []string{"欧阳 明华"}}, // a space is part of a name
	} {
		if got := splitPersons(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("splitPersons(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
