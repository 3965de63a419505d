// Package indexer keeps the search index in step with the archive: it
// turns a filed record into a search document, indexes it on filing
// (OnFiled), decides at start between catching up on whatever the catalog
// holds that the index lacks and reindexing everything after a dictionary
// or mapping change (Prepare, 启动补建), and rebuilds the index in batches
// (Reindex). Open gives this process alone the index under the data
// directory. The archive stays the system of record: an index failure
// never loses a record, it only delays its indexing to the next catch-up.
//
// Production code: wenshu serve, rebuild and reindex and the server's
// search use it. It is the only such package under internal/; testenv,
// gbcheck and office beside it are test-only helpers.
//
// It must not know HTTP or the CLI: cmd/wenshu calls Prepare and prints.
package indexer
