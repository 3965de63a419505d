package archive

import (
	"context"
	"runtime"
)

func (s *Store) schemaVersionForTest() (int, error) { return s.cat.SchemaVersion(context.Background()) }

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
