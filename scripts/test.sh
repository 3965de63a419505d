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
# Formatting and static checks: gofmt, go vet, staticcheck (pinned, cached in bin/).
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*'))
if [[ -n "$unformatted" ]]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
if [[ ! -x bin/staticcheck ]]; then
	GOBIN="$PWD/bin" go install honnef.co/go/tools/cmd/staticcheck@v0.6.1
fi
bin/staticcheck ./...
go test -count=1 -timeout 25m "$@"
