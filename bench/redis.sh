#!/bin/bash
#
# bench/redis.sh: the per-recipient cost of the Redis store, in one run,
# against the static no-op exec and the file store: the helper over a unix
# socket and over TCP loopback (127.0.0.1) to a redis-server this script
# starts (and stops by its pid), every call a relayed recipient counted in
# a 1h window, measured as qmail-smtpd runs it (execbench). Also Redis's
# own CPU per decision (INFO cpu of the server, its user + system time
# over the Redis rounds, divided by the decisions) and the script's time
# inside Redis (INFO commandstats: usec_per_call of EVALSHA).
# See bench/README.md.
#
# Environment: BENCH_N (calls per round, default 2000), BENCH_ROUNDS
# (default 5; the programs alternate inside each round), BENCH_HELPER
# (default build/rcptcheck-overlimit), BENCH_BASE (another helper build to
# measure with the file store, e.g. main's: its row and ratio are added),
# CC.

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
out=$root/build/bench
mkdir -p "$out"
$CC -O2 -static -o "$out/noop" "$here/noop.c"
$CC -std=c99 -O2 -Wall -Wextra -Werror -o "$out/execbench" "$here/execbench.c"

tmp=$(mktemp -d)
rpid=
cleanup() {
	[ -n "$rpid" ] && kill "$rpid" 2> /dev/null && wait "$rpid" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/bin" "$tmp/ol" "$tmp/olb" "$tmp/olr" "$tmp/redis"
cp "$helper" "$tmp/bin/helper"
[ -z "$base" ] || cp "$base" "$tmp/bin/base"
cp "$out/noop" "$out/execbench" "$tmp/bin/"
printf ':1000000000/1h\n' > "$tmp/limits"
"$root/build/cdbmake-limits" "$tmp/limits.cdb" "$tmp/limits.tmp" < "$tmp/limits"

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
cpu() { redis-cli -s "$tmp/redis/s" info cpu | awk -F: '/^used_cpu_(sys|user):/ { s += $2 } END { printf "%.6f", s }'; }

names="noop file unix tcp"
[ -z "$base" ] || names="noop base file unix tcp"
redis_cpu=0
for r in $(seq 1 "$ROUNDS"); do
	for n in $names; do
		case $n in
		noop) run noop "$tmp/bin/noop" OVERLIMIT_DIR="$tmp/ol" ;;
		base) run base "$tmp/bin/base" OVERLIMIT_DIR="$tmp/olb" ;;
		file) run file "$tmp/bin/helper" OVERLIMIT_DIR="$tmp/ol" ;;
		unix|tcp)
			c0=$(cpu)
			if [ "$n" = unix ]; then
				run unix "$tmp/bin/helper" OVERLIMIT_DIR="$tmp/olr" \
				    OVERLIMIT_REDIS="unix:$tmp/redis/s"
			else
				run tcp "$tmp/bin/helper" OVERLIMIT_DIR="$tmp/olr" \
				    OVERLIMIT_REDIS="127.0.0.1:$port"
			fi
			redis_cpu=$(awk -v a="$redis_cpu" -v b="$c0" -v c="$(cpu)" 'BEGIN { printf "%.6f", a + c - b }')
			;;
		esac
	done
	names="$(echo "$names" | awk '{ for (i = 2; i <= NF; i++) printf "%s ", $i; print $1 }')"
done

median() { sort -n "$tmp/med.$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
noop_us=$(median noop)
echo "== per recipient (median of $ROUNDS rounds x $N calls; $(nproc) cores, $(uname -r))"
printf '%-34s %10s %8s\n' "" "us/call" "x no-op"
for n in noop base file unix tcp; do
	[ -f "$tmp/med.$n" ] || continue
	m=$(median "$n")
	case $n in
	noop) label="static no-op exec" ;;
	base) label="file store ($base)" ;;
	file) label="file store" ;;
	unix) label="redis, unix socket" ;;
	tcp) label="redis, TCP 127.0.0.1" ;;
	esac
	printf '%-34s %10s %8s\n' "$label" "$m" "$(awk -v a="$m" -v b="$noop_us" 'BEGIN { printf "%.2f", a / b }')"
done
decisions=$(( 2 * ROUNDS * N ))
echo "== redis-server"
echo "decisions:             $decisions"
echo "CPU per decision:      $(awk -v c="$redis_cpu" -v d="$decisions" 'BEGIN { printf "%.1f us", c / d * 1e6 }') (user + system, INFO cpu)"
redis-cli -s "$tmp/redis/s" info commandstats | tr -d '\r' |
    awk -F'[:,=]' '/^cmdstat_evalsha:/ { print "script (EVALSHA):      " $7 " us per call, " $3 " calls" }'
echo "memory:                $(redis-cli -s "$tmp/redis/s" info memory | tr -d '\r' | sed -n 's/^used_memory_human://p') for $(redis-cli -s "$tmp/redis/s" dbsize) keys"
