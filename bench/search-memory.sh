#!/bin/sh
# Search latency on a large reused index with the process held to a memory
# limit (issue 12, item 5: RSS ≤ 1 GB at 1M records). Runs
# BenchmarkSearchLatency (search/bench_test.go) inside a memory cgroup of
# LIMIT bytes [1G], counting the index's mmapped pages (page cache) against
# the limit as well as the heap, so the kernel must keep the process within
# it. Prints the benchmark's figures and the cgroup's peak usage.
# Needs root and the cgroup v1 memory controller (/sys/fs/cgroup/memory).
# Knobs: WENSHU_BENCH_DOCS [1000000], WENSHU_BENCH_INDEX_DIR [/tmp/wb]
# (build the index first with the same two, e.g. one run of
# BenchmarkSearchLatency without this script: building needs the corpus in
# memory), WENSHU_BENCH_ROUNDS [2], LIMIT [1G], GOGC [400] and
# GOMEMLIMIT [1GiB] as serve runs.
set -eu
cd "$(dirname "$0")/.."
cg=/sys/fs/cgroup/memory
[ -w "$cg" ] || { echo "search-memory.sh: needs root and the cgroup v1 memory controller at $cg" >&2; exit 2; }
: "${WENSHU_BENCH_DOCS:=1000000}" "${WENSHU_BENCH_INDEX_DIR:=/tmp/wb}" "${WENSHU_BENCH_ROUNDS:=2}" "${LIMIT:=1G}"
: "${GOGC:=400}" "${GOMEMLIMIT:=1GiB}"
export WENSHU_BENCH_DOCS WENSHU_BENCH_INDEX_DIR WENSHU_BENCH_ROUNDS GOGC GOMEMLIMIT
[ -f "$WENSHU_BENCH_INDEX_DIR/$WENSHU_BENCH_DOCS.viewers.json" ] || { echo "search-memory.sh: no index of $WENSHU_BENCH_DOCS records under $WENSHU_BENCH_INDEX_DIR: build it first (see above)" >&2; exit 2; }
mkdir -p bench/out
go test -c -o bench/out/search.test ./search/
group="$cg/wenshu-search-$$"
mkdir "$group"
trap 'rmdir "$group" 2>/dev/null || true' EXIT
echo "$LIMIT" > "$group/memory.limit_in_bytes"
sync; echo 1 > /proc/sys/vm/drop_caches   # start with the index out of the page cache
# the inner shell joins the group, then becomes the benchmark
sh -c 'echo $$ > "$1/tasks" && cd search && exec ../bench/out/search.test -test.run "^$" -test.bench SearchLatency -test.benchtime 1x -test.v -test.timeout 60m' sh "$group" | tee bench/out/search-memory.txt
echo "cgroup limit $(cat "$group/memory.limit_in_bytes") bytes, peak usage $(cat "$group/memory.max_usage_in_bytes") bytes, failcnt $(cat "$group/memory.failcnt")" | tee -a bench/out/search-memory.txt
