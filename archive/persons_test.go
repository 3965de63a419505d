package archive

import (
	"reflect"
	"testing"
)

func TestSplitPersons(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{" ,、；\n", []string{}},
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
		got := SplitPersons(c.in)
		if got == nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitPersons(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}
