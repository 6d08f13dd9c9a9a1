#!/bin/bash
# admin.sh: what overlimitctl's walks over every client cost (issue 14):
# wall time and peak RSS of `metrics`, `list` and `list --top 20` on
# BENCH_CLIENTS (100,000) counters, with the file store and, when
# redis-server is installed, with the Redis store. See bench/README.md.
#
#   bash bench/admin.sh
#
# BENCH_CLIENTS (100000), BENCH_ROUNDS (3: the median wall time is
# printed, the highest RSS), BENCH_BASE=PATH (another overlimitctl, e.g.
# main's, measured on the same store beside it), BENCH_REDIS=0 (skip
# Redis). Everything lives in a mktemp -d directory, removed at the end.
set -u -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
N=${BENCH_CLIENTS:-100000}
ROUNDS=${BENCH_ROUNDS:-3}
BASE=${BENCH_BASE:-}
RPID=

make -s -C "$ROOT" all build/bench/admingen || exit 2
CTL=$ROOT/build/overlimitctl
if ! [ -x /usr/bin/time ]; then
	# GNU time gives the peak RSS (%M)
	if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
		apt-get install -y -qq time > /dev/null 2>&1
	fi
	[ -x /usr/bin/time ] || { echo "admin.sh: /usr/bin/time (GNU time) is missing: apt-get install time" >&2; exit 2; }
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/admin.XXXXXX") || exit 2
cleanup() {
	if [ -n "$RPID" ]; then
		kill "$RPID" 2> /dev/null
		wait "$RPID" 2> /dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# the rules admingen's four kinds of name get
printf '%s\n' ':200/1h,1000/1d' '@big.example:2000/1h,10000/1d:warn=80%' \
    '@ban.example:50/1h:ban=2x' '10.0.0.0/8:100/1h' > "$T/limits"
"$ROOT/build/cdbmake-limits" "$T/limits.cdb" "$T/limits.tmp" < "$T/limits" || exit 2
mkdir -m 700 "$T/ol" "$T/one"
export OVERLIMIT_CDB=$T/limits.cdb
t0=$(date +%s.%N)
"$ROOT/build/bench/admingen" "$T/ol" "$T/limits.cdb" "$N" || exit 2
"$ROOT/build/bench/admingen" "$T/one" "$T/limits.cdb" 1 || exit 2
echo "# $N clients made in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s:" \
    "$(du -sm "$T/ol" | cut -f1) MB on disk," \
    "$(find "$T/ol" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s / NR }') bytes a file on average"
echo "# machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
    "$(awk '/MemTotal/ { printf "%d MB", $2 / 1024 }' /proc/meminfo), fs $(stat -f -c %T "$T")"

BASEENV=        # the environment of the one-client baseline
# one PROGRAM DIR ARG...: one run (ONE_ENV: VAR=VALUE words for it);
# prints "SECONDS KB", its output to $T/out
one() {
	local prog=$1 d=$2
	shift 2
	# shellcheck disable=SC2086 # ONE_ENV: VAR=VALUE words
	env ${ONE_ENV:-} OVERLIMIT_DIR="$d" /usr/bin/time -o "$T/time" \
	    -f '%e %M' "$prog" "$@" > "$T/out" 2> "$T/err"
	local rc=$?
	if [ "$rc" != 0 ]; then
		echo "admin.sh: $prog $* exited $rc: $(head -c 300 "$T/err")" >&2
	fi
	tail -n 1 "$T/time"
}

# measure LABEL PROGRAM ARG...: ROUNDS runs on the big store, the median
# wall time and the highest RSS, and one run on the one-client store:
# (RSS - that) / N is what a client costs
measure() {
	local label=$1 prog=$2
	shift 2
	local times=() kb=0 s k base
	if ! ONE_ENV=$BASEENV one "$prog" "$T/one" "$@" > /dev/null 2>&1 ||
	    ! [ -s "$T/out" ]; then
		printf '%-30s %-18s (does not run: %s)\n' "$label" "$*" \
		    "$(head -n 1 "$T/err")"
		return
	fi
	for _ in $(seq "$ROUNDS"); do
		read -r s k < <(one "$prog" "$T/ol" "$@")
		times+=("$s")
		[ "$k" -gt "$kb" ] && kb=$k
	done
	read -r _ base < <(ONE_ENV=$BASEENV one "$prog" "$T/one" "$@")
	printf '%-30s %-18s %8s s %9s KB peak RSS %8s bytes/client  (load %s)\n' \
	    "$label" "$*" "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p")" \
	    "$kb" "$(( (kb - base) * 1024 / N ))" "$(cut -d' ' -f1 /proc/loadavg)"
}

run() { # LABEL: the three commands, for each program
	local label=$1 p
	for p in "$CTL" ${BASE:+"$BASE"}; do
		local l=$label
		[ "$p" = "$CTL" ] || l="$label (BENCH_BASE)"
		measure "$l" "$p" metrics
		measure "$l" "$p" list
		measure "$l" "$p" list --top 20
	done
}

# the outputs of both programs agree (at one moment: the windows slide)
if [ -n "$BASE" ]; then
	for c in metrics list; do
		OVERLIMIT_DIR=$T/ol "$CTL" $c | grep -v scrape_time > "$T/a"
		OVERLIMIT_DIR=$T/ol "$BASE" $c | grep -v scrape_time > "$T/b"
		cmp -s "$T/a" "$T/b" || echo "# note: $c differs from BENCH_BASE's (a window slid between the runs?)"
	done
fi

echo "# file store: $N clients, $ROUNDS rounds, median wall time, highest peak RSS"
run "file"

if [ "${BENCH_REDIS:-1}" = 0 ]; then
	exit 0
elif ! command -v redis-server > /dev/null; then
	echo "# redis: skipped (redis-server is not installed)"
	exit 0
fi
# a redis-server of our own on a unix socket, nothing saved, stopped by
# its pid; filled by overlimitctl migrate from the same files
mkdir "$T/redis"
redis-server --port 0 --unixsocket "$T/redis/redis.sock" --save '' \
    --appendonly no --dir "$T/redis" > "$T/redis/log" 2>&1 &
RPID=$!
i=0
until redis-cli -s "$T/redis/redis.sock" ping 2> /dev/null | grep -q PONG; do
	i=$((i + 1))
	if [ "$i" -gt 500 ] || ! kill -0 "$RPID" 2> /dev/null; then
		echo "admin.sh: redis-server did not start: $(tail -n 3 "$T/redis/log")" >&2
		exit 1
	fi
	sleep 0.01
done
export OVERLIMIT_REDIS=unix:$T/redis/redis.sock
t0=$(date +%s.%N)
OVERLIMIT_DIR=$T/ol "$CTL" migrate | sed 's/^/# migrate: /'
echo "# redis: filled in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s," \
    "$(redis-cli -s "$T/redis/redis.sock" dbsize) keys," \
    "$(redis-cli -s "$T/redis/redis.sock" info memory | sed -n 's/^used_memory_human://p' | tr -d '\r')"
# the one-client baseline: the same server, a prefix of its own
OVERLIMIT_REDIS_PREFIX=one: OVERLIMIT_DIR=$T/one "$CTL" migrate > /dev/null
BASEENV=OVERLIMIT_REDIS_PREFIX=one:
echo "# redis store (unix socket): $N counters"
run "redis"
