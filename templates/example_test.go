package templates_test

import (
	"errors"
	"fmt"

	"wenshu/templates"
)

func ExampleRegistry_Validate() {
	reg, err := templates.New(templates.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = reg.Validate("inquiry-letter", map[string]any{"doc_number": "驻财纪函[2026]6号"})
	var fe templates.FieldErrors
	if errors.As(err, &fe) {
		for _, e := range fe {
			fmt.Println(e.Field, e.Code)
		}
	}
	// Output:
	// issuer required
	// doc_number bad_doc_number
	// person required
	// reported_issues required
	// party_org_head required
	// contact required
	// phone required
}
