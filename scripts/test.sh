#!/usr/bin/env bash
# Runs every test of wenshu on this machine, installing what they need:
# Debian packages (scripts/deps.sh), the pinned MinIO server into bin/
# (scripts/minio.sh install). Tests start their own MinIO on free loopback
# ports; nothing is skipped for a missing tool — it fails instead.
# Usage: scripts/test.sh [go test flags…]   (default: ./...)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
scripts/minio.sh install
export CGO_ENABLED=1
if (($# == 0)); then
	set -- ./...
fi
go vet ./...
go test -count=1 -timeout 25m "$@"
