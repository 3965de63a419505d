#!/usr/bin/env bash
# render.sh: wenshu's render benchmark beside docxtemplater's, both on one
# core (CPU 0), then a side-by-side summary. See bench/README.md.
#
#   bench/render.sh              # from anywhere in the repository
#   COUNT=5 bench/render.sh      # more Go runs per benchmark (best is kept)
#   BENCH_ITERS=1000 BENCH_ROUNDS=5 bench/render.sh   # longer Node rounds
#
# Raw output is kept in bench/out/ (git-ignored).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=bench/out
mkdir -p "$out"
count=${COUNT:-3}

command -v taskset >/dev/null || { echo "render.sh: taskset not found (util-linux)" >&2; exit 1; }
command -v node >/dev/null || { echo "render.sh: node not found" >&2; exit 1; }

if [ ! -d bench/docxtemplater/node_modules ]; then
	echo "== npm ci (bench/docxtemplater)"
	(cd bench/docxtemplater && npm ci --no-audit --no-fund)
fi
if [ ! -f bench/docxtemplater/template.docx ]; then
	echo "== make-template.js"
	node bench/docxtemplater/make-template.js
fi

echo "== machine"
{
	echo "nproc: $(nproc)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "go: $(go version)"
	echo "node: $(node --version)"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/machine.txt"

echo "== go: BenchmarkRender on CPU 0, GOMAXPROCS=1, best of $count"
GOMAXPROCS=1 taskset -c 0 go test -run '^$' -bench 'BenchmarkRender' -benchtime 3s -cpu 1 -count "$count" ./templates/ |
	tee "$out/go.txt"

echo "== node: docxtemplater on CPU 0"
taskset -c 0 node bench/docxtemplater/bench.js | tee "$out/docxtemplater.txt"

echo
echo "== summary (one core; best run of each)"
awk '
	FNR == 1 { file++ }
	file == 1 && /^BenchmarkRender\// {
		name = $1; sub(/^BenchmarkRender\//, "", name)
		ns = ""; cpu = ""; bop = ""; aop = ""
		for (i = 2; i < NF; i++) {
			if ($(i+1) == "ns/op") ns = $i
			if ($(i+1) == "cpu-ms/doc") cpu = $i
			if ($(i+1) == "B/op") bop = $i
			if ($(i+1) == "allocs/op") aop = $i
		}
		if (!(name in best) || ns + 0 < best[name] + 0) { best[name] = ns; bytes[name] = bop; allocs[name] = aop }
		if (cpu != "" && (!(name in bestcpu) || cpu + 0 < bestcpu[name] + 0)) bestcpu[name] = cpu
		if (!(name in seen)) { seen[name] = 1; order[++n] = name }
	}
	file == 2 && $1 == "RESULT" { peer[$2] = $3; peerms[$2] = $4; peercpu[$2] = $5; peerorder[++m] = $2 }
	END {
		printf "%-32s %9s %9s %12s %12s %10s\n", "document", "ms/doc", "docs/s", "cpu-ms/doc", "B/op", "allocs/op"
		for (i = 1; i <= n; i++) {
			k = order[i]
			printf "%-32s %9.3f %9.1f %12s %12s %10s\n", "wenshu " k, best[k] / 1e6, 1e9 / best[k], (k in bestcpu ? bestcpu[k] : "-"), bytes[k], allocs[k]
		}
		for (i = 1; i <= m; i++) {
			k = peerorder[i]
			printf "%-32s %9.3f %9.1f %12.3f %12s %10s\n", k, peerms[k], peer[k], peercpu[k], "-", "-"
		}
		ours = best["integrity-reply-20rows"]
		if (ours == "" || peer["docxtemplater-20rows"] == "") { print "summary: missing results" > "/dev/stderr"; exit 1 }
		r = (1e9 / ours) / peer["docxtemplater-20rows"]
		printf "\nratio, 20-row document (wall): wenshu %.1f docs/s / docxtemplater %.1f docs/s = %.1fx (target >= 10x: %s)\n",
			1e9 / ours, peer["docxtemplater-20rows"], r, (r >= 10 ? "met" : "NOT met")
		if (bestcpu["integrity-reply-20rows"] != "")
			printf "ratio, 20-row document (CPU time): %.3f / %.3f ms/doc = %.1fx\n",
				peercpu["docxtemplater-20rows"], bestcpu["integrity-reply-20rows"], peercpu["docxtemplater-20rows"] / bestcpu["integrity-reply-20rows"]
		if (peer["docxtemplater-20rows-deflate1"] != "")
			printf "ratio against docxtemplater with DEFLATE level 1 (as wenshu), wall: %.1fx\n", (1e9 / ours) / peer["docxtemplater-20rows-deflate1"]
	}
' "$out/go.txt" "$out/docxtemplater.txt" | tee "$out/summary.txt"
