// Package search owns wenshu's full-text index of filed records: the Bleve v2
// index on disk, the Chinese analyzer (gojieba registered as Bleve registry
// components, for ranking) and the exact fields that make every substring
// findable (exact.go), the 纪检监察 domain dictionary and the jieba
// dictionaries it travels with, the synonym groups expanded at query time
// (synonyms.go), the query language, highlights, facets and the permission
// filter that every search carries inside its query.
//
// The package knows nothing of HTTP, MinIO, SQLite or the archive. The
// server maps *QueryError to a 400 response; internal/indexer decides what
// to index and when (a record on filing, the catch-up at start, a
// reindex) and turns archive records into Docs; search only turns Docs into
// an index and Requests into Results.
//
// Layout of an index directory given to Open:
//
//	<dir>/dict/                jieba dictionaries, written from the binary (embed.FS)
//	<dir>/synonyms.d/*.txt     an admin's synonym groups (optional; read, never written)
//	<dir>/index/meta.json      schema, dictionary hash, bulk-reindex mark
//	<dir>/index/u_<unit>/      one Bleve scorch index per unit ("h_<hash>" for
//	                           unit names that are not short [0-9A-Za-z_-])
//
// Every directory under <dir> is 0700 and every file 0600, tightened at
// Open if wider (perms.go): the index holds the records' text.
//
// A search reads the shards of the viewer's units only, each with its own
// query and collector (fanout.go; date order on a large shard: window.go;
// several parts by relevance: narrowed to candidates first, prefilter.go);
// the permission filter stays inside each shard's query. Bulk reindexing:
// BeginBulk, Index…, EndBulk, then MarkReindexed (bulk.go).
//
// One process-wide *gojieba.Jieba is created on the first Open and never
// freed (gojieba v1.4.5 sets a finalizer that frees it; an explicit Free would
// free it twice). The query grammar is documented in README.md.
package search
