package textract_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"wenshu/textract"
)

func ExampleExtractor_Extract() {
	x := textract.New(textract.Options{})
	// Spaces between Chinese characters, as OCR leaves them, are removed.
	res, err := x.Extract(context.Background(), "回复.txt", strings.NewReader("函 询 回 复\n\n在收到本函后 15 个 工 作 日内"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Kind, res.Method)
	fmt.Println(res.Text)

	// A PNG under a .pdf name is refused with a stable code.
	_, err = x.Extract(context.Background(), "回复.pdf", strings.NewReader("\x89PNG\r\n\x1a\n"))
	var e *textract.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, errors.Is(err, textract.ErrMismatch))
	}
	// Output:
	// txt utf8
	// 函询回复
	//
	// 在收到本函后15个工作日内
	// type_mismatch true
}
