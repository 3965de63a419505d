package archive

import (
	"archive/zip"
	"context"
	"errors"
	"io"
	"runtime"

	"wenshu/templates"
)

type templatesRenderRequest = templates.RenderRequest

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }

func zipNewWriter(w io.Writer) *zip.Writer { return zip.NewWriter(w) }

func (s *Store) schemaVersionForTest() (int, error) { return s.cat.schemaVersion(context.Background()) }

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
