#!/usr/bin/env bash
# Starts wenshu with working defaults: MinIO on loopback (scripts/minio.sh,
# data under ./data/minio), then `wenshu serve` on 127.0.0.1:8080 with its
# catalog, keys and index under ./data. Builds bin/wenshu first.
# Usage: scripts/run.sh [wenshu serve flags…]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/minio.sh start
export CGO_ENABLED=1
go build -o bin/wenshu ./cmd/wenshu
exec bin/wenshu serve "$@"
