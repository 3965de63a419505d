package search

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
)

// The index is sharded by unit: one scorch index per Doc.Unit under
// <dir>/index/<shard dir>/, and <dir>/index/meta.json for what the shards
// were built with. A search reads the shards of the viewer's units only
// (fanout.go), so a clerk's search reads its unit's records and nothing
// else, however large the other units are.

// shard is the index of one unit.
type shard struct {
	unit string
	dir  string
	idx  bleve.Index
	// wmu orders the batches written to this shard: two versions of a
	// record written by two workers could otherwise land in either order.
	wmu sync.Mutex
}

// keyUnit is the internal key holding a shard's unit (its directory name
// may be a hash).
var keyUnit = []byte("wenshu:unit")

// scorchConfig is the runtime configuration of every shard. unsafe_batch
// makes Batch return once the segment is searchable, before it is synced;
// writeBatch waits for the persisted callback instead (which is what safe
// mode waits for), except in bulk mode, where EndBulk waits for all of them.
// (A new map each time: Bleve writes the path and other settings into it.)
func scorchConfig() map[string]interface{} { return map[string]interface{}{"unsafe_batch": true} }

// shardDirName is the directory of a unit's shard: "u_" + the unit when it
// is short and made of [0-9A-Za-z_-] (unit keys such as "12"), else "h_" +
// a hash of it. The unit itself is stored inside the shard.
func shardDirName(unit string) string {
	safe := len(unit) > 0 && len(unit) <= 64
	for i := 0; i < len(unit) && safe; i++ {
		c := unit[i]
		safe = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-'
	}
	if safe {
		return "u_" + unit
	}
	sum := sha256.Sum256([]byte(unit))
	return "h_" + hex.EncodeToString(sum[:16])
}

// createShard makes a new, empty shard for unit under root.
func createShard(root, unit string, m mapping.IndexMapping) (*shard, error) {
	path := filepath.Join(root, shardDirName(unit))
	if err := os.RemoveAll(path); err != nil { // a half-made shard of a crash
		return nil, fmt.Errorf("search: create shard: %w", err)
	}
	idx, err := bleve.NewUsing(path, m, scorch.Name, scorch.Name, scorchConfig())
	if err != nil {
		return nil, fmt.Errorf("search: create shard of unit %q: %w", unit, err)
	}
	// Bleve writes index_meta.json 0666 less the umask (see perms.go)
	if err := os.Chmod(filepath.Join(path, "index_meta.json"), fileMode); err != nil {
		idx.Close()
		return nil, fmt.Errorf("search: create shard of unit %q: %w", unit, err)
	}
	s := &shard{unit: unit, dir: path, idx: idx}
	b := idx.NewBatch()
	b.SetInternal(keyUnit, []byte(unit))
	if err := s.writeBatch(b, nil); err != nil {
		idx.Close()
		return nil, err
	}
	return s, nil
}

// openShard opens the shard at path and reads its unit.
func openShard(path string) (*shard, error) {
	idx, err := bleve.OpenUsing(path, scorchConfig())
	if err != nil {
		return nil, fmt.Errorf("search: open shard %s: %w", filepath.Base(path), err)
	}
	unit, err := idx.GetInternal(keyUnit)
	if err != nil || len(unit) == 0 {
		idx.Close()
		return nil, fmt.Errorf("search: shard %s has no unit (%v)", filepath.Base(path), err)
	}
	return &shard{unit: string(unit), dir: path, idx: idx}, nil
}

// writeBatch writes b to the shard. With async nil it returns once the
// batch is on disk; otherwise it returns once the batch is searchable and
// async is called when it is on disk (bulk mode).
func (s *shard) writeBatch(b *bleve.Batch, async func(error)) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if async != nil {
		b.SetPersistedCallback(async)
		if err := s.idx.Batch(b); err != nil {
			return fmt.Errorf("search: index batch: %w", err)
		}
		return nil
	}
	done := make(chan error, 1)
	b.SetPersistedCallback(func(err error) { done <- err })
	if err := s.idx.Batch(b); err != nil {
		return fmt.Errorf("search: index batch: %w", err)
	}
	if err := <-done; err != nil {
		return fmt.Errorf("search: persist batch: %w", err)
	}
	return nil
}

// forEachID calls fn with every document id of the shard.
func (s *shard) forEachID(fn func(id string) error) error {
	adv, err := s.idx.Advanced()
	if err != nil {
		return err
	}
	r, err := adv.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	dr, err := r.DocIDReaderAll()
	if err != nil {
		return err
	}
	defer dr.Close()
	for {
		var iid index.IndexInternalID
		iid, err = dr.Next()
		if err != nil || iid == nil {
			return err
		}
		id, err := r.ExternalID(iid)
		if err != nil {
			return err
		}
		if err := fn(id); err != nil {
			return err
		}
	}
}

// indexMeta is <dir>/index/meta.json: what the shards were built with.
type indexMeta struct {
	// Schema is the mapping version the shards were created with.
	Schema string `json:"schema"`
	// DictHash is the dictionary hash every record was indexed with; ""
	// when unknown (an index recreated empty), so NeedsReindex is true.
	DictHash string `json:"dict_sha256"`
	// Bulk is set, durably, before a bulk reindex writes anything and
	// cleared once EndBulk has synced everything: an index left by a
	// crash in between needs a reindex.
	Bulk bool `json:"bulk,omitempty"`
}

const metaFile = "meta.json"

func readMeta(root string) (indexMeta, bool, error) {
	var m indexMeta
	data, err := os.ReadFile(filepath.Join(root, metaFile))
	if errors.Is(err, os.ErrNotExist) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("search: read index meta: %w", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, false, fmt.Errorf("search: read index meta: %w", err)
	}
	return m, true, nil
}

// writeMeta replaces meta.json atomically and durably.
func writeMeta(root string, m indexMeta) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp := filepath.Join(root, metaFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return fmt.Errorf("search: write index meta: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(root, metaFile))
	}
	if err == nil {
		err = syncDir(root)
	}
	if err != nil {
		return fmt.Errorf("search: write index meta: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
