#!/bin/sh
# Search under filing load (issue 12, item 4): one run of BenchmarkLoad
# (server/loadbench_test.go) — a real server on loopback over the test
# MinIO, seeded, then search p50/p99 idle and beside continuous filers.
# Knobs (environment, defaults in brackets): WENSHU_LOAD_RECORDS [2000],
# WENSHU_LOAD_SECONDS [30] per phase, WENSHU_LOAD_FILERS [8],
# WENSHU_LOAD_SEARCHERS [2], WENSHU_LOAD_THINK_MS [10],
# WENSHU_LOAD_PROCS [4: Go processors per CPU, as serve; 1: before],
# WENSHU_LOAD_MAX_HEAVY [0: twice the CPUs, as serve], WENSHU_LOAD_MAX_WRITERS [0],
# WENSHU_LOAD_LINGER_MS [0: indexer default; -1: none], WENSHU_LOAD_WINDOWS [5].
# COUNT [1] repeats the run.
# Needs WENSHU_MINIO_BIN (or bin/minio). Output also in bench/out/load.txt.
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
go test -run '^$' -bench '^BenchmarkLoad$' -benchtime 1x -count "${COUNT:-1}" -timeout 30m ./server/ | tee bench/out/load.txt
