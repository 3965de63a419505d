#!/usr/bin/env bash
# scripts/minio.sh — install, start and stop the pinned MinIO server that
# wenshu uses as its system of record, for development and the default
# single-node run. Tests do not use this script's server: internal/testenv
# starts its own MinIO on a free port in a temporary directory.
#
# Usage:
#   scripts/minio.sh install   build the pinned server into bin/minio if missing
#   scripts/minio.sh start     install if needed, start on loopback, wait for health
#   scripts/minio.sh stop      stop the server started by `start`
#   scripts/minio.sh status    say whether it runs and answers
#
# Environment (defaults in brackets; the same names wenshu itself reads):
#   WENSHU_DATA_DIR            [./data]  MinIO data goes to $WENSHU_DATA_DIR/minio,
#                                        pid and log files to $WENSHU_DATA_DIR/minio.{pid,log}
#   WENSHU_S3_ACCESS_KEY       [wenshu]             MinIO root user
#   WENSHU_S3_SECRET_KEY       [wenshu-dev-secret]  MinIO root password (≥ 8 chars)
#   WENSHU_MINIO_ADDR          [127.0.0.1:9000]     S3 API address (loopback only)
#   WENSHU_MINIO_CONSOLE_ADDR  [127.0.0.1:9001]     web console address (loopback only)
#   WENSHU_MINIO_BIN           [<repo>/bin/minio]   server binary
#
# The dev credentials above are public knowledge: they are fit for a server
# bound to loopback on a developer's machine and nothing else. Set your own
# WENSHU_S3_ACCESS_KEY / WENSHU_S3_SECRET_KEY for any real deployment, and
# pass the same values to `wenshu serve`.
#
# MinIO's own defaults are not safe here: it binds the S3 API to ":9000" (all
# interfaces) and, without --console-address, the console to a random port on
# all interfaces. This script always passes both addresses explicitly and
# refuses anything but a loopback host.
set -euo pipefail

MINIO_MODULE="github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${WENSHU_MINIO_BIN:-$repo/bin/minio}"
data_dir="$(realpath -m "${WENSHU_DATA_DIR:-./data}")"
minio_dir="$data_dir/minio"
pid_file="$data_dir/minio.pid"
log_file="$data_dir/minio.log"
addr="${WENSHU_MINIO_ADDR:-127.0.0.1:9000}"
console_addr="${WENSHU_MINIO_CONSOLE_ADDR:-127.0.0.1:9001}"
access_key="${WENSHU_S3_ACCESS_KEY:-wenshu}"
secret_key="${WENSHU_S3_SECRET_KEY:-wenshu-dev-secret}"

die() { echo "minio.sh: $*" >&2; exit 1; }
say() { echo "minio.sh: $*"; }

# host_of prints the host part of HOST:PORT or [V6]:PORT.
host_of() {
	local a="$1"
	if [[ "$a" == \[* ]]; then
		a="${a#\[}"
		echo "${a%%\]*}"
	else
		echo "${a%:*}"
	fi
}

require_loopback() {
	local what="$1" a="$2" h
	h="$(host_of "$a")"
	case "$h" in
	127.* | localhost | ::1) ;;
	*) die "$what $a is not a loopback address; this script only runs MinIO on loopback" ;;
	esac
}

health_url() {
	local h port
	h="$(host_of "$addr")"
	port="${addr##*:}"
	[[ "$h" == localhost ]] && h=127.0.0.1
	[[ "$h" == *:* ]] && h="[$h]"
	echo "http://$h:$port/minio/health/live"
}

healthy() {
	curl -fsS -o /dev/null --max-time 2 "$(health_url)" 2>/dev/null
}

running_pid() {
	[[ -f "$pid_file" ]] || return 1
	local pid
	pid="$(cat "$pid_file" 2>/dev/null || true)"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	# Make sure the pid was not recycled by an unrelated process.
	[[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == minio* ]] || return 1
	echo "$pid"
}

cmd_install() {
	if [[ -x "$bin" ]]; then
		say "found $bin"
		return 0
	fi
	command -v go >/dev/null || die "go is not on PATH; it is needed to build $MINIO_MODULE"
	[[ "$bin" == "$repo/bin/minio" ]] || die "$bin is missing (WENSHU_MINIO_BIN); unset it to build into $repo/bin"
	say "building $MINIO_MODULE into $repo/bin (takes a few minutes the first time)"
	mkdir -p "$repo/bin"
	GOBIN="$repo/bin" go install "$MINIO_MODULE"
	[[ -x "$bin" ]] || die "go install finished but $bin is missing"
	say "installed $bin"
}

cmd_start() {
	require_loopback "address" "$addr"
	require_loopback "console address" "$console_addr"
	((${#access_key} >= 3)) || die "WENSHU_S3_ACCESS_KEY must have at least 3 characters"
	((${#secret_key} >= 8)) || die "WENSHU_S3_SECRET_KEY must have at least 8 characters"

	local pid
	if pid="$(running_pid)"; then
		if healthy; then
			say "already running (pid $pid) at $addr"
			return 0
		fi
		say "pid $pid is running but not answering yet; waiting"
	else
		if healthy; then
			die "something already answers at $addr but was not started by this script (no live $pid_file); stop it or set WENSHU_MINIO_ADDR"
		fi
		cmd_install
		# The data directory holds the catalog, the keys and the index too:
		# private to this account (wenshu would tighten it and warn).
		(umask 077 && mkdir -p "$minio_dir")
		chmod 700 "$data_dir"
		say "starting MinIO at $addr (console $console_addr), data in $minio_dir, log $log_file"
		# setsid: the server outlives this shell and ignores its job control.
		MINIO_ROOT_USER="$access_key" \
			MINIO_ROOT_PASSWORD="$secret_key" \
			MINIO_UPDATE=off \
			MINIO_BROWSER=on \
			setsid "$bin" server --quiet \
			--address "$addr" \
			--console-address "$console_addr" \
			"$minio_dir" >>"$log_file" 2>&1 </dev/null &
		pid=$!
		echo "$pid" >"$pid_file"
	fi

	local i
	for ((i = 0; i < 600; i++)); do
		if healthy; then
			say "ready (pid $pid): S3 API http://$addr, console http://$console_addr"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$pid_file"
			tail -n 20 "$log_file" >&2 || true
			die "MinIO exited during start-up; see $log_file"
		fi
		sleep 0.1
	done
	die "MinIO (pid $pid) did not answer $(health_url) within 60 s; see $log_file"
}

cmd_stop() {
	local pid
	if ! pid="$(running_pid)"; then
		rm -f "$pid_file"
		say "not running"
		return 0
	fi
	kill -TERM "$pid"
	local i
	for ((i = 0; i < 300; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$pid_file"
			say "stopped (pid $pid)"
			return 0
		fi
		sleep 0.1
	done
	say "pid $pid did not stop within 30 s; sending KILL"
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$pid_file"
}

cmd_status() {
	local pid
	if pid="$(running_pid)"; then
		if healthy; then
			say "running (pid $pid) at $addr"
		else
			say "pid $pid is running but $(health_url) does not answer"
			return 1
		fi
	else
		say "not running"
		return 3
	fi
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
	sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
