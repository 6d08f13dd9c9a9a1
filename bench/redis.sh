#!/bin/bash
#
# bench/redis.sh: the per-recipient cost of the Redis store, in one run,
# against the static no-op exec and the file store: the helper over a unix
# socket and over TCP loopback (127.0.0.1) to a redis-server this script
# starts (and stops by its pid), every call a relayed recipient counted in
# a 1h window, measured as qmail-smtpd runs it (execbench). Also Redis's
# own CPU per decision (INFO cpu of the server, its user + system time
# over each row's rounds, divided by its decisions) and the script's time
# inside Redis (INFO commandstats: FCALL, EVALSHA and EVAL, per call). The
# function library is loaded (overlimitctl load, beside the helper) into
# this server; a second server without it gives the row of the script
# (EVALSHA: what a farm that has not run overlimitctl load pays).
# See bench/README.md.
#
# Environment: BENCH_N (calls per round, default 2000), BENCH_ROUNDS
# (default 5; the programs alternate inside each round), BENCH_HELPER
# (default build/rcptcheck-overlimit; cdbmake-limits and overlimitctl are
# taken from its directory), BENCH_BASE (another helper build, e.g. main's:
# its rows with the file store and with Redis over the unix socket are
# added, each with its ratio), CC.

set -eu
set -o pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
N=${BENCH_N:-2000}
ROUNDS=${BENCH_ROUNDS:-5}
CC=${CC:-cc}
helper=${BENCH_HELPER:-$root/build/rcptcheck-overlimit}
base=${BENCH_BASE:-}

command -v redis-server > /dev/null || { echo "redis.sh: redis-server is missing" >&2; exit 111; }
[ -x "$helper" ] || make -C "$root" all >&2
bin=$(dirname "$helper")
out=$root/build/bench
mkdir -p "$out"
$CC -O2 -static -o "$out/noop" "$here/noop.c"
$CC -std=c99 -O2 -Wall -Wextra -Werror -o "$out/execbench" "$here/execbench.c"

tmp=$(mktemp -d)
rpid= rpid2=
cleanup() {
	[ -n "$rpid" ] && kill "$rpid" 2> /dev/null && wait "$rpid" 2> /dev/null
	[ -n "$rpid2" ] && kill "$rpid2" 2> /dev/null && wait "$rpid2" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/bin" "$tmp/ol" "$tmp/olb" "$tmp/olr" "$tmp/olbr" "$tmp/ols" "$tmp/redis" "$tmp/redis2"
cp "$helper" "$tmp/bin/helper"
[ -z "$base" ] || cp "$base" "$tmp/bin/base"
cp "$out/noop" "$out/execbench" "$tmp/bin/"
printf ':1000000000/1h\n' > "$tmp/limits"
"$bin/cdbmake-limits" "$tmp/limits.cdb" "$tmp/limits.tmp" < "$tmp/limits"

# a port on 127.0.0.1 that this server can have
for try in 1 2 3 4 5 6 7 8 9 10; do
	port=$(( 20000 + (RANDOM * 7 + try) % 40000 ))
	redis-server --port "$port" --bind 127.0.0.1 --unixsocket "$tmp/redis/s" \
	    --save '' --appendonly no --dir "$tmp/redis" > "$tmp/redis/log" 2>&1 &
	rpid=$!
	i=0
	while [ "$(redis-cli -s "$tmp/redis/s" ping 2> /dev/null)" != PONG ] &&
	    kill -0 "$rpid" 2> /dev/null && [ "$i" -lt 500 ]; do
		i=$((i + 1)); sleep 0.01
	done
	kill -0 "$rpid" 2> /dev/null && break
	rpid=
done
[ -n "$rpid" ] || { echo "redis.sh: cannot start redis-server" >&2; exit 111; }
# the second server (unix socket only): no function library
redis-server --port 0 --unixsocket "$tmp/redis2/s" --save '' --appendonly no \
    --dir "$tmp/redis2" > "$tmp/redis2/log" 2>&1 &
rpid2=$!
i=0
while [ "$(redis-cli -s "$tmp/redis2/s" ping 2> /dev/null)" != PONG ] && [ "$i" -lt 500 ]; do
	i=$((i + 1)); sleep 0.01
done
env OVERLIMIT_REDIS="unix:$tmp/redis/s" OVERLIMIT_DIR="$tmp/olr" "$bin/overlimitctl" load > /dev/null

envof() { # STORE-VARIABLES...: the helper's environment
	printf '%s\n' USE_FD4=1 RELAYCLIENT= TCPREMOTEIP=192.0.2.7 \
	    SENDER=s@example.org RECIPIENT=r@remote.example HELO=h.example \
	    SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 OVERLIMIT_CDB="$tmp/limits.cdb" "$@"
}
run() { # NAME PROGRAM STORE-VARIABLES...
	local name=$1 prog=$2 out
	shift 2
	out=$(env -i $(envof "$@") "$tmp/bin/execbench" "$N" "$prog" 2>> "$tmp/err.$name") ||
	    { echo "redis.sh: $name: not every call exited 112:" >&2; tail -n 3 "$tmp/err.$name" >&2; exit 1; }
	echo "${out#*median_us=}" | cut -d' ' -f1 >> "$tmp/med.$name"
}
# SOCKET: the server's CPU seconds (user + system), and its script time
# (FCALL, EVALSHA and EVAL: calls and microseconds)
cpu() { redis-cli -s "$1" info cpu | awk -F: '/^used_cpu_(sys|user):/ { s += $2 } END { printf "%.6f", s }'; }
stime() { redis-cli -s "$1" info commandstats | tr -d '\r' | awk -F'[:,=]' '/^cmdstat_(fcall|evalsha|eval):/ { c += $3; u += $5 } END { print c + 0, u + 0 }'; }
# NAME SOCKET PROGRAM STORE-VARIABLES...: run, Redis's CPU and script time added to NAME's
rrun() {
	local name=$1 sock=$2 c0 s0 s1
	shift 2
	c0=$(cpu "$sock") s0=$(stime "$sock")
	run "$name" "$@"
	s1=$(stime "$sock")
	echo "$(awk -v b="$c0" -v c="$(cpu "$sock")" 'BEGIN { printf "%.6f", c - b }') $s0 $s1" >> "$tmp/cpu.$name"
}

names="noop file unix tcp script"
[ -z "$base" ] || names="noop base file unix tcp script baseunix"
for r in $(seq 1 "$ROUNDS"); do
	for n in $names; do
		case $n in
		noop) run noop "$tmp/bin/noop" OVERLIMIT_DIR="$tmp/ol" ;;
		base) run base "$tmp/bin/base" OVERLIMIT_DIR="$tmp/olb" ;;
		file) run file "$tmp/bin/helper" OVERLIMIT_DIR="$tmp/ol" ;;
		unix) rrun unix "$tmp/redis/s" "$tmp/bin/helper" OVERLIMIT_DIR="$tmp/olr" \
			OVERLIMIT_REDIS="unix:$tmp/redis/s" ;;
		tcp) rrun tcp "$tmp/redis/s" "$tmp/bin/helper" OVERLIMIT_DIR="$tmp/olr" \
			OVERLIMIT_REDIS="127.0.0.1:$port" ;;
		script) rrun script "$tmp/redis2/s" "$tmp/bin/helper" OVERLIMIT_DIR="$tmp/ols" \
			OVERLIMIT_REDIS="unix:$tmp/redis2/s" ;;
		baseunix) rrun baseunix "$tmp/redis2/s" "$tmp/bin/base" OVERLIMIT_DIR="$tmp/olbr" \
			OVERLIMIT_REDIS="unix:$tmp/redis2/s" OVERLIMIT_REDIS_PREFIX=rolb: ;;
		esac
	done
	names="$(echo "$names" | awk '{ for (i = 2; i <= NF; i++) printf "%s ", $i; print $1 }')"
done

median() { sort -n "$tmp/med.$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
noop_us=$(median noop)
echo "== per recipient (median of $ROUNDS rounds x $N calls; $(nproc) cores, $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-40s %8s %7s %13s %11s\n' "" "us/call" "x no-op" "Redis CPU/dec" "script/dec"
for n in noop base file unix tcp script baseunix; do
	[ -f "$tmp/med.$n" ] || continue
	m=$(median "$n")
	case $n in
	noop) label="static no-op exec" ;;
	base) label="file store, BENCH_BASE" ;;
	file) label="file store" ;;
	unix) label="redis, unix socket (FCALL)" ;;
	tcp) label="redis, TCP 127.0.0.1 (FCALL)" ;;
	script) label="redis, unix, no library (EVALSHA)" ;;
	baseunix) label="redis, unix, BENCH_BASE (EVALSHA)" ;;
	esac
	rc=- sc=-
	if [ -f "$tmp/cpu.$n" ]; then
		rc=$(awk -v d="$N" '{ c += $1 } END { printf "%.1f us", c / (NR * d) * 1e6 }' "$tmp/cpu.$n")
		sc=$(awk -v d="$N" '{ u += $5 - $3 } END { printf "%.1f us", u / (NR * d) }' "$tmp/cpu.$n")
	fi
	printf '%-40s %8s %7s %13s %11s\n' "$label" "$m" "$(awk -v a="$m" -v b="$noop_us" 'BEGIN { printf "%.2f", a / b }')" "$rc" "$sc"
done
[ -z "$base" ] || echo "BENCH_BASE: $base"
echo "== redis-server (the library's)"
echo "memory:                $(redis-cli -s "$tmp/redis/s" info memory | tr -d '\r' | sed -n 's/^used_memory_human://p') for $(redis-cli -s "$tmp/redis/s" dbsize) keys"
