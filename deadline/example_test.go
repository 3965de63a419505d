package deadline_test

import (
	"fmt"
	"time"

	"wenshu/calendar"
	"wenshu/deadline"
)

func ExampleBook_Compute() {
	cal, err := calendar.Builtin()
	if err != nil {
		fmt.Println(err)
		return
	}
	rules, err := deadline.Load("") // the shipped rules; pass the admin's folder in production
	if err != nil {
		fmt.Println(err)
		return
	}
	book := deadline.Book{Calendar: cal, Rules: rules}
	for _, served := range []string{"2026-09-24", "2026-12-21"} {
		on, _ := time.Parse(time.DateOnly, served)
		d, err := book.Compute("reply", on)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(served, "→", d.Due.Format(time.DateOnly), "provisional:", d.Provisional)
	}
	// Output:
	// 2026-09-24 → 2026-10-22 provisional: false
	// 2026-12-21 → 2027-01-11 provisional: true
}
